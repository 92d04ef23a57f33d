"""Related symptom: segmenting tiny objects (the figures' heads, well under 1% of the pixels) with four losses."""

from __future__ import annotations

import numpy as np

from dlclinic.backend import keras
from dlclinic.checks import as_float_array
from dlclinic.pose_heatmaps.data import JOINTS, Poses
from dlclinic.pose_heatmaps.experiment import predict_maps
from dlclinic.pose_heatmaps.heatmaps import batch_maps
from dlclinic.pose_heatmaps.models import build_pose_net
from dlclinic.seeding import seed_everything

HEAD = JOINTS.index("head top")


def head_masks(poses: Poses, radius: float = 2.5) -> np.ndarray:
    """(n, H, W, 1) binary masks of each figure's head disc."""
    size = poses.images.shape[1]
    return batch_maps(poses.keypoints[:, HEAD : HEAD + 1], size, size, "disc", radius)


def soft_dice_loss(y_true, y_pred, eps: float = 1.0):
    """1 − (2Σpy + ε)/(Σp + Σy + ε) per image (Milletari et al. 2016)."""
    y_true = keras.ops.cast(y_true, y_pred.dtype)
    inter = keras.ops.sum(y_true * y_pred, axis=(1, 2, 3))
    total = keras.ops.sum(y_true, axis=(1, 2, 3)) + keras.ops.sum(y_pred, axis=(1, 2, 3))
    return 1.0 - (2.0 * inter + eps) / (total + eps)


def hard_negative_bce(y_true, y_pred, ratio: int = 3):
    """BCE on every positive pixel plus only the ``ratio``× as many hardest negatives of each image (OHNM)."""
    y_true = keras.ops.cast(y_true, y_pred.dtype)
    p = keras.ops.clip(y_pred, 1e-7, 1 - 1e-7)
    flat_true = keras.ops.reshape(y_true, (keras.ops.shape(y_true)[0], -1))
    flat_p = keras.ops.reshape(p, (keras.ops.shape(p)[0], -1))
    positive_loss = -keras.ops.sum(flat_true * keras.ops.log(flat_p), axis=1)
    negative_loss = -(1 - flat_true) * keras.ops.log(1 - flat_p)
    n_positive = keras.ops.sum(flat_true, axis=1)
    k = int(ratio * 32)  # a fixed top-k per image: about ratio × the ~30 pixels of a head disc
    hardest = keras.ops.top_k(negative_loss, k=k)[0]
    return (positive_loss + keras.ops.sum(hardest, axis=1)) / (n_positive + k)


LOSSES = {
    "BCE": lambda: keras.losses.BinaryCrossentropy(),
    "focal BCE": lambda: keras.losses.BinaryFocalCrossentropy(gamma=2.0),
    "soft Dice": lambda: soft_dice_loss,
    "BCE, hard negatives": lambda: hard_negative_bce,
}


def dice_score(masks: object, predicted: object, threshold: float = 0.5) -> float:
    """Dice of the thresholded predictions over the whole set: 2|A∩B| / (|A| + |B|)."""
    masks = as_float_array("masks", masks) > 0.5
    predicted = as_float_array("predicted", predicted) > threshold
    total = masks.sum() + predicted.sum()
    return float(2 * np.logical_and(masks, predicted).sum() / total) if total else 1.0


def compare_losses(train: Poses, test: Poses, epochs: int, seed: int) -> dict[str, dict[str, float]]:
    """Train the same small net with each of :data:`LOSSES`; test Dice and the share of all-empty predictions."""
    masks, test_masks = head_masks(train), head_masks(test)
    results = {}
    for name, make in LOSSES.items():
        seed_everything(seed)
        model = build_pose_net(train.images.shape[1], 1, head="sigmoid", filters=8)
        model.compile(optimizer=keras.optimizers.Adam(2e-3), loss=make())
        model.fit(train.images, masks, batch_size=16, epochs=epochs, verbose=0)
        predicted = predict_maps(model, test.images)
        results[name] = {
            "test Dice": dice_score(test_masks, predicted),
            "empty predictions": float(np.mean((predicted > 0.5).sum(axis=(1, 2, 3)) == 0)),
        }
    return results
