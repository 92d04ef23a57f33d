# replaces: masked_binary_crossentropy
# mistake: no clipping: a confident wrong probability of exactly 0 or 1 gives an infinite loss
def masked_binary_crossentropy(y_true, y_pred, mask):
    y_pred = ops.convert_to_tensor(y_pred, "float32")
    mask = ops.cast(mask, "float32")
    y_true = ops.convert_to_tensor(y_true, "float32")
    labels = ops.where(ops.isnan(y_true), ops.zeros_like(y_true), y_true)
    entries = -(labels * ops.log(y_pred) + (1 - labels) * ops.log(1 - y_pred))
    return ops.sum(entries * mask) / ops.maximum(ops.sum(mask), 1.0)
