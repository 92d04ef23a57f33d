# replaces: diagnose_output_scale_ratio
# mistake: a ratio of variances instead of standard deviations
def output_scale_ratio(model, x, y):
    """std of model's predictions on x (inference mode) / std of y, as a Python float."""
    return float(np.var(np.asarray(model(x, training=False))) / np.var(y))
