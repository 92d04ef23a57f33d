# replaces: diagnose_kernel_alignment
# mistake: features taken in training mode: BatchNorm normalises them with the batch's own statistics
def kernel_alignment(model, x):
    """Alignment of the output layer's kernel with the features that reach it on x (inference mode)."""
    layer = [layer for layer in model.layers if getattr(layer, "kernel", None) is not None][-1]
    features = np.asarray(keras.Model(model.input, layer.input)(x, training=True), dtype=float)
    features = features.reshape(-1, features.shape[-1])
    w = np.asarray(layer.kernel, dtype=float).reshape(-1)
    covariance = np.atleast_2d(np.cov(features, rowvar=False, bias=True))
    mean_variance = np.trace(covariance) / w.size
    return float(np.sqrt(w @ covariance @ w / (w @ w * mean_variance)))
