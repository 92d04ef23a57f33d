# replaces: diagnose_kernel_alignment
# mistake: returns a NumPy float64 instead of a Python float
def kernel_alignment(model, x):
    """Alignment of the output layer's kernel with the features that reach it on x (inference mode)."""
    layer = [layer for layer in model.layers if getattr(layer, "kernel", None) is not None][-1]
    features = np.asarray(keras.Model(model.input, layer.input)(x, training=False), dtype=float)
    features = features.reshape(-1, features.shape[-1])
    w = np.asarray(layer.kernel, dtype=float).reshape(-1)
    covariance = np.atleast_2d(np.cov(features, rowvar=False, bias=True))
    return np.sqrt(w @ covariance @ w / (w @ w * np.trace(covariance) / w.size))
