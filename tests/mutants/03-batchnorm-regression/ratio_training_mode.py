# replaces: diagnose_output_scale_ratio
# mistake: predictions in training mode: BatchNorm normalises with the batch's own statistics
def output_scale_ratio(model, x, y):
    """std of model's predictions on x (inference mode) / std of y, as a Python float."""
    return float(np.std(np.asarray(model(x, training=True))) / np.std(y))
