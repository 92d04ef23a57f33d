# replaces: masked_binary_crossentropy
# mistake: the sum over the labelled entries, not their mean (the loss then grows with the batch)
def masked_binary_crossentropy(y_true, y_pred, mask):
    y_pred = ops.clip(ops.convert_to_tensor(y_pred, "float32"), 1e-7, 1 - 1e-7)
    mask = ops.cast(mask, "float32")
    y_true = ops.convert_to_tensor(y_true, "float32")
    labels = ops.where(ops.isnan(y_true), ops.zeros_like(y_true), y_true)
    entries = -(labels * ops.log(y_pred) + (1 - labels) * ops.log(1 - y_pred))
    return ops.sum(entries * mask)
