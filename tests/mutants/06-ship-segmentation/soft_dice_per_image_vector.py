# replaces: soft_dice_loss
# mistake: returns the per-image losses without taking their mean over the batch
def soft_dice_loss(y_true, y_pred, eps=1.0):
    overlap = ops.sum(y_true * y_pred, axis=(1, 2, 3))
    total = ops.sum(y_true, axis=(1, 2, 3)) + ops.sum(y_pred, axis=(1, 2, 3))
    return 1 - (2 * overlap + eps) / (total + eps)
