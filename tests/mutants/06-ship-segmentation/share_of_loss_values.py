# replaces: diagnose_positive_gradient_share
# mistake: the share of the loss values on ship pixels, not of the gradient
def positive_gradient_share(loss_fn, y_true, y_pred, wrt="probability"):
    values = np.abs(np.asarray(loss_fn(tf.constant(np.asarray(y_true, dtype="float32")),
                                       tf.constant(np.asarray(y_pred, dtype="float32")))))
    values = np.broadcast_to(values.reshape(values.shape + (1,) * (np.ndim(y_true) - values.ndim)), np.shape(y_true))
    total = float(values.sum())
    if total == 0:
        return float("nan")
    return float(values[np.asarray(y_true) == 1].sum() / total)
