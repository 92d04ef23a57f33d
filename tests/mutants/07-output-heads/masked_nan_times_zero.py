# replaces: masked_binary_crossentropy
# mistake: the mask multiplies the cross-entropy, but 0 times the NaN of a missing label is still NaN
def masked_binary_crossentropy(y_true, y_pred, mask):
    y_pred = ops.clip(ops.convert_to_tensor(y_pred, "float32"), 1e-7, 1 - 1e-7)
    mask = ops.cast(mask, "float32")
    y_true = ops.convert_to_tensor(y_true, "float32")
    entries = -(y_true * ops.log(y_pred) + (1 - y_true) * ops.log(1 - y_pred))
    return ops.sum(entries * mask) / ops.maximum(ops.sum(mask), 1.0)
