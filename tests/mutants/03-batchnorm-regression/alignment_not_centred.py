# replaces: diagnose_kernel_alignment
# mistake: the features' second moment (f.T f / n) instead of their covariance: the means are not removed
def kernel_alignment(model, x):
    """Alignment of the output layer's kernel with the features that reach it on x (inference mode)."""
    layer = [layer for layer in model.layers if getattr(layer, "kernel", None) is not None][-1]
    features = np.asarray(keras.Model(model.input, layer.input)(x, training=False), dtype=float)
    features = features.reshape(-1, features.shape[-1])
    w = np.asarray(layer.kernel, dtype=float).reshape(-1)
    moment = features.T @ features / len(features)
    return float(np.sqrt(w @ moment @ w / (w @ w * np.trace(moment) / w.size)))
