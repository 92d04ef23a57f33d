# replaces: nmse
# mistake: divides the MSE by the mean of y_true instead of its variance
def nmse(y_true, y_pred):
    """Mean squared error divided by the variance of y_true."""
    y_true = np.asarray(y_true, dtype=float)
    y_pred = np.asarray(y_pred, dtype=float)
    return float(np.mean((y_true - y_pred) ** 2) / np.mean(y_true))
