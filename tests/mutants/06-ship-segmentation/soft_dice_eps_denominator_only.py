# replaces: soft_dice_loss
# mistake: eps only in the denominator, so an empty tile predicted empty costs a full 1
def soft_dice_loss(y_true, y_pred, eps=1.0):
    overlap = ops.sum(y_true * y_pred, axis=(1, 2, 3))
    total = ops.sum(y_true, axis=(1, 2, 3)) + ops.sum(y_pred, axis=(1, 2, 3))
    return ops.mean(1 - 2 * overlap / (total + eps))
