# replaces: nmse
# mistake: plain mean squared error, not normalised (the number that fooled the reporter)
def nmse(y_true, y_pred):
    """Mean squared error divided by the variance of y_true."""
    y_true = np.asarray(y_true, dtype=float)
    y_pred = np.asarray(y_pred, dtype=float)
    return float(np.mean((y_true - y_pred) ** 2))
