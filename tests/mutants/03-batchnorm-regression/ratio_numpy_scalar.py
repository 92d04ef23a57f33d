# replaces: diagnose_output_scale_ratio
# mistake: returns a NumPy float32 instead of a Python float
def output_scale_ratio(model, x, y):
    """std of model's predictions on x (inference mode) / std of y, as a Python float."""
    return np.std(np.asarray(model(x, training=False))) / np.float32(np.std(y))
