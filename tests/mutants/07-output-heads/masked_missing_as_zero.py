# replaces: masked_binary_crossentropy
# mistake: the usual bug: missing labels filled with 0 and every entry counted (the mask is ignored)
def masked_binary_crossentropy(y_true, y_pred, mask):
    y_pred = ops.clip(ops.convert_to_tensor(y_pred, "float32"), 1e-7, 1 - 1e-7)
    labels = ops.nan_to_num(ops.convert_to_tensor(y_true, "float32"), nan=0.0)
    return ops.mean(-(labels * ops.log(y_pred) + (1 - labels) * ops.log(1 - y_pred)))
