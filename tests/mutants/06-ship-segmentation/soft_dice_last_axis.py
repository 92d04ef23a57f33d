# replaces: soft_dice_loss
# mistake: sums over the last axis only, as the reporter's IoU loss did: one Dice per pixel
def soft_dice_loss(y_true, y_pred, eps=1.0):
    overlap = ops.sum(y_true * y_pred, axis=-1)
    total = ops.sum(y_true, axis=-1) + ops.sum(y_pred, axis=-1)
    return ops.mean(1 - (2 * overlap + eps) / (total + eps))
