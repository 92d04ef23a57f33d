# replaces: diagnose_positive_gradient_share
# mistake: on the logits, multiplies by p instead of by the sigmoid's derivative p (1 - p)
def positive_gradient_share(loss_fn, y_true, y_pred, wrt="probability"):
    truth = tf.constant(np.asarray(y_true, dtype="float32"))
    pred = tf.Variable(np.asarray(y_pred, dtype="float32"))
    with tf.GradientTape() as tape:
        loss = tf.reduce_sum(loss_fn(truth, pred))
    grad = tape.gradient(loss, pred)
    if grad is None:
        return float("nan")
    size = np.abs(grad.numpy())
    if wrt == "logit":
        p = pred.numpy()
        size = size * p
    total = float(size.sum())
    if total == 0:
        return float("nan")
    return float(size[np.asarray(y_true) == 1].sum() / total)
