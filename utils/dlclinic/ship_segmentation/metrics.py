"""The field's metrics: the Airbus competition's F2 over IoU thresholds on ship objects, per-image Dice, pixel
PR-AUC, and the share of empty images on which a model reports a ship."""

from __future__ import annotations

import numpy as np
from scipy.ndimage import generate_binary_structure, label
from sklearn.metrics import average_precision_score

from dlclinic.checks import as_float_array, same_shape

THRESHOLDS = np.round(np.arange(0.5, 1.0, 0.05), 2)  # 0.50, 0.55, ..., 0.95


def _masks(name: str, value: object) -> np.ndarray:
    """(n, H, W) boolean masks from (n, H, W) or (n, H, W, 1) 0/1 arrays."""
    array = as_float_array(name, value, ndim=(3, 4))
    if array.ndim == 4:
        if array.shape[-1] != 1:
            raise ValueError(f"{name} must be (n, H, W) or (n, H, W, 1); got {array.shape}")
        array = array[..., 0]
    if not np.isin(array, (0.0, 1.0)).all():
        raise ValueError(f"{name} must hold only 0 and 1 (threshold the probabilities first)")
    return array > 0


def object_ious(true_mask: np.ndarray, pred_mask: np.ndarray) -> np.ndarray:
    """IoU of every (true object, predicted object) pair of one image; objects are connected components."""
    true_labels, n_true = label(true_mask)
    pred_labels, n_pred = label(pred_mask)
    if n_true == 0 or n_pred == 0:
        return np.zeros((n_true, n_pred))
    pairs = np.bincount(true_labels.ravel() * (n_pred + 1) + pred_labels.ravel(), minlength=(n_true + 1) * (n_pred + 1))
    overlap = pairs.reshape(n_true + 1, n_pred + 1)
    intersection = overlap[1:, 1:]
    true_area = overlap[1:, :].sum(axis=1)[:, None]
    pred_area = overlap[:, 1:].sum(axis=0)[None, :]
    return intersection / (true_area + pred_area - intersection)


def image_f2(true_mask: np.ndarray, pred_mask: np.ndarray) -> float:
    """One image's score: F2 = 5TP / (5TP + 4FN + FP) averaged over the IoU thresholds; 1 when both masks are
    empty, 0 when exactly one is."""
    ious = object_ious(true_mask, pred_mask)
    n_true, n_pred = ious.shape
    if n_true == 0 and n_pred == 0:
        return 1.0
    if n_true == 0 or n_pred == 0:
        return 0.0
    scores = []
    for t in THRESHOLDS:
        tp = int((ious > t).sum())  # above 0.5 IoU, an object matches at most one other
        scores.append(5 * tp / (5 * tp + 4 * (n_true - tp) + (n_pred - tp)))
    return float(np.mean(scores))


_APART = np.zeros((3, 3, 3), bool)  # label a stack of images at once: 4-connected in each image, never across
_APART[1] = generate_binary_structure(2, 1)


def _objects(masks: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Connected components of a stack (n, H, W): labels unique over the stack, each label's image and area."""
    labels, count = label(masks, structure=_APART)
    owner = np.zeros(count + 1, dtype=int)
    where = np.nonzero(labels)
    owner[labels[where]] = where[0]
    return labels, owner, np.bincount(labels.ravel(), minlength=count + 1)


def image_scores(true_masks: object, pred_masks: object) -> np.ndarray:
    """:func:`image_f2` of every image of (n, H, W[, 1]) 0/1 masks, computed for the whole stack at once."""
    true_masks = _masks("true_masks", true_masks)
    pred_masks = _masks("pred_masks", pred_masks)
    same_shape("true_masks", true_masks, "pred_masks", pred_masks)
    n = len(true_masks)
    true_labels, true_owner, true_area = _objects(true_masks)
    pred_labels, pred_owner, pred_area = _objects(pred_masks)
    n_true = np.bincount(true_owner[1:], minlength=n)
    n_pred = np.bincount(pred_owner[1:], minlength=n)
    both = (true_labels > 0) & (pred_labels > 0)
    pairs, intersection = np.unique(true_labels[both].astype(np.int64) * len(pred_area) + pred_labels[both],
                                    return_counts=True)
    t, p = np.divmod(pairs, len(pred_area))
    iou = intersection / (true_area[t] + pred_area[p] - intersection)
    tp = np.stack([np.bincount(true_owner[t][iou > threshold], minlength=n) for threshold in THRESHOLDS])
    f2 = 5 * tp / np.maximum(5 * tp + 4 * (n_true - tp) + (n_pred - tp), 1)
    return np.where((n_true == 0) & (n_pred == 0), 1.0, np.where((n_true == 0) | (n_pred == 0), 0.0, f2.mean(0)))


def airbus_f2(true_masks: object, pred_masks: object) -> float:
    """The competition's score: the mean over images of :func:`image_f2`, for (n, H, W[, 1]) 0/1 masks."""
    return float(image_scores(true_masks, pred_masks).mean())


def f2_parts(true_masks: object, pred_masks: object) -> dict[str, float]:
    """F2 and its two parts: the mean score on empty tiles (1 − the empty-tile false-positive rate) and on tiles
    with a ship; F2 = share of empty tiles × the first + share of ship tiles × the second."""
    scores_ = image_scores(true_masks, pred_masks)
    empty = ~_masks("true_masks", true_masks).any(axis=(1, 2))
    if empty.all() or not empty.any():
        raise ValueError("true_masks must hold both empty tiles and tiles with a ship")
    return {"f2": float(scores_.mean()), "empty_tile_f2": float(scores_[empty].mean()),
            "ship_tile_f2": float(scores_[~empty].mean()), "empty_share": float(empty.mean())}


def dice_per_image(true_masks: object, pred_masks: object) -> float:
    """Mean over images of 2|A∩B| / (|A| + |B|), an image with both masks empty counting 1."""
    true_masks = _masks("true_masks", true_masks)
    pred_masks = _masks("pred_masks", pred_masks)
    same_shape("true_masks", true_masks, "pred_masks", pred_masks)
    inter = (true_masks & pred_masks).sum(axis=(1, 2))
    total = true_masks.sum(axis=(1, 2)) + pred_masks.sum(axis=(1, 2))
    return float(np.mean(np.where(total == 0, 1.0, 2 * inter / np.maximum(total, 1))))


def pixel_pr_auc(true_masks: object, probabilities: object) -> float:
    """Average precision of the ship pixels ranked by probability: independent of any threshold; the share
    of ship pixels is what a random ranking scores."""
    true_masks = _masks("true_masks", true_masks)
    probabilities = as_float_array("probabilities", probabilities, ndim=(3, 4))
    probabilities = probabilities[..., 0] if probabilities.ndim == 4 else probabilities
    same_shape("true_masks", true_masks, "probabilities", probabilities)
    if not true_masks.any():
        raise ValueError("true_masks must hold at least one ship pixel")
    return float(average_precision_score(true_masks.ravel(), probabilities.ravel()))


def empty_fpr(true_masks: object, pred_masks: object) -> float:
    """Share of the images without a ship on which the prediction marks at least one pixel."""
    true_masks = _masks("true_masks", true_masks)
    pred_masks = _masks("pred_masks", pred_masks)
    same_shape("true_masks", true_masks, "pred_masks", pred_masks)
    empty = ~true_masks.any(axis=(1, 2))
    if not empty.any():
        raise ValueError("true_masks must include at least one empty image")
    return float(pred_masks[empty].any(axis=(1, 2)).mean())


def scores(true_masks: np.ndarray, probabilities: np.ndarray, threshold: float = 0.5) -> dict[str, float]:
    """F2, per-image Dice, pixel PR-AUC and empty-image FPR of probabilities thresholded at ``threshold``."""
    predicted = (np.asarray(probabilities) > threshold).astype("float32")
    return {"f2": airbus_f2(true_masks, predicted), "dice": dice_per_image(true_masks, predicted),
            "pr_auc": pixel_pr_auc(true_masks, probabilities), "empty_fpr": empty_fpr(true_masks, predicted)}
