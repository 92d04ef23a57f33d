"""The reporter's three losses as they posted them, and the treatments the case compares.

Every loss takes ``(y_true, y_pred)``: masks and sigmoid probabilities of shape (batch, H, W, 1), and returns
per-pixel or per-image values that Keras averages. Written with ``keras.ops`` so they run on any backend.
"""

from __future__ import annotations

from collections.abc import Callable

from dlclinic.backend import keras

ops = keras.ops
IMAGE_AXES = (1, 2, 3)  # H, W and the channel: one sum per image

Loss = Callable[[object, object], object]


# --- the report, as written -------------------------------------------------------------------------------------
def reporter_iou_loss(y_true, y_pred):
    """The reporter's IoU loss: sums over ``axis=-1``, the single channel, so it is one IoU per *pixel*."""
    intersection = ops.sum(y_true * y_pred, axis=-1)
    total = ops.sum(y_true + y_pred, axis=-1)
    return 1 - intersection / (total - intersection)


def reporter_focal8_loss(y_true, y_pred):
    """The reporter's focal BCE with γ = 8: BCE times p⁸ on background pixels and (1 − p)⁸ on ship pixels."""
    bce = ops.binary_crossentropy(y_true, y_pred)
    return ops.where(ops.equal(y_true, 0), bce * y_pred**8, bce * (1 - y_pred) ** 8)


def reporter_biased_loss(y_true, y_pred):
    """The reporter's "biased" BCE, meant to punish ship pixels 1000× harder: the 1000 multiplies the loss
    where ``y_true == 0``, the background."""
    bce = ops.binary_crossentropy(y_true, y_pred)
    return ops.where(ops.equal(y_true, 0), bce * 1000, bce)


# --- treatments -------------------------------------------------------------------------------------------------
def bce_loss(y_true, y_pred):
    """Plain per-pixel binary cross-entropy."""
    return ops.binary_crossentropy(y_true, y_pred)


def weighted_bce(ship_weight: float) -> Loss:
    """BCE with ship pixels (``y_true == 1``) weighted by ``ship_weight``: the reporter's intent, corrected."""
    if not ship_weight > 0:
        raise ValueError(f"ship_weight must be a positive number; got {ship_weight!r}")

    def loss(y_true, y_pred):
        return ops.binary_crossentropy(y_true, y_pred) * (1 + (ship_weight - 1) * y_true)

    loss.__name__ = f"weighted_bce_{ship_weight:g}"
    return loss


def soft_dice_loss(y_true, y_pred, eps: float = 1.0):
    """Soft Dice per image, 1 − (2·Σyp + ε)/(Σy + Σp + ε) over H, W and the channel, averaged over the batch.
    An empty image predicted empty scores 0 (loss), thanks to ε in the numerator."""
    intersection = ops.sum(y_true * y_pred, axis=IMAGE_AXES)
    total = ops.sum(y_true, axis=IMAGE_AXES) + ops.sum(y_pred, axis=IMAGE_AXES)
    return ops.mean(1 - (2 * intersection + eps) / (total + eps))


def batch_dice_loss(y_true, y_pred, eps: float = 1.0):
    """Soft Dice over the whole batch at once (one ratio of sums): big ships outweigh small ones, and an empty
    image only adds to the denominator."""
    intersection = ops.sum(y_true * y_pred)
    return 1 - (2 * intersection + eps) / (ops.sum(y_true) + ops.sum(y_pred) + eps)


def bce_dice_loss(y_true, y_pred):
    """Mean BCE plus soft Dice per image (the thread's "Dice coefficient", kept next to a proper pixel loss)."""
    return ops.mean(ops.binary_crossentropy(y_true, y_pred)) + soft_dice_loss(y_true, y_pred)


def bce_batch_dice_loss(y_true, y_pred):
    """Mean BCE plus soft Dice over the batch: the same as :func:`bce_dice_loss` with the Dice pooled."""
    return ops.mean(ops.binary_crossentropy(y_true, y_pred)) + batch_dice_loss(y_true, y_pred)


def focal_loss(gamma: float = 2.0, alpha: float = 0.75) -> Loss:
    """Binary focal loss (Lin et al. 2017): α_t·(1 − p_t)^γ·BCE, α on ship pixels and 1 − α on background."""
    if gamma < 0 or not 0 < alpha < 1:
        raise ValueError(f"gamma must be >= 0 and alpha in (0, 1); got {gamma!r}, {alpha!r}")

    def loss(y_true, y_pred):
        p_t = y_true * y_pred + (1 - y_true) * (1 - y_pred)
        alpha_t = y_true * alpha + (1 - y_true) * (1 - alpha)
        return alpha_t * (1 - p_t) ** gamma * ops.binary_crossentropy(y_true, y_pred)

    loss.__name__ = f"focal_g{gamma:g}_a{alpha:g}"
    return loss


def tversky_loss(alpha: float = 0.3, beta: float = 0.7, eps: float = 1.0) -> Loss:
    """Tversky loss per image (Salehi et al. 2017): 1 − (TP + ε)/(TP + α·FP + β·FN + ε) with soft counts;
    β > α makes a missed ship pixel cost more than a false alarm."""
    if alpha < 0 or beta < 0 or alpha + beta == 0:
        raise ValueError(f"alpha and beta must be >= 0 and not both 0; got {alpha!r}, {beta!r}")

    def loss(y_true, y_pred):
        tp = ops.sum(y_true * y_pred, axis=IMAGE_AXES)
        fp = ops.sum((1 - y_true) * y_pred, axis=IMAGE_AXES)
        fn = ops.sum(y_true * (1 - y_pred), axis=IMAGE_AXES)
        return 1 - (tp + eps) / (tp + alpha * fp + beta * fn + eps)

    loss.__name__ = f"tversky_a{alpha:g}_b{beta:g}"
    return loss


def hard_negative_bce(ratio: float = 3.0, min_negatives: int = 64) -> Loss:
    """Online hard-negative mining: BCE on every ship pixel and on the ``ratio`` × (ship pixels) background
    pixels with the highest loss in the batch (at least ``min_negatives``); the other background pixels get
    no loss. The mean is over the pixels kept."""
    if ratio <= 0 or min_negatives < 1:
        raise ValueError(f"ratio must be > 0 and min_negatives >= 1; got {ratio!r}, {min_negatives!r}")

    def loss(y_true, y_pred):
        bce = ops.reshape(ops.binary_crossentropy(y_true, y_pred), (-1,))
        positive = ops.reshape(y_true, (-1,))
        n_negative = ops.sum(1 - positive)
        k = ops.minimum(ops.maximum(ratio * ops.sum(positive), float(min_negatives)), n_negative)
        negative_loss = ops.stop_gradient(ops.where(positive > 0, -1.0, bce))
        ranked = ops.flip(ops.sort(negative_loss), axis=0)
        kth = ops.take(ranked, ops.cast(k, "int32") - 1)
        keep = ops.cast(ops.logical_or(positive > 0, negative_loss >= kth), bce.dtype)
        return ops.sum(bce * keep) / ops.maximum(ops.sum(keep), 1.0)

    loss.__name__ = f"hard_negative_bce_{ratio:g}"
    return loss
