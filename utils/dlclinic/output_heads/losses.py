"""Losses for output heads whose labels are not one class per example: groups of labels, heads with missing
labels (masked), and ordinal grades (the thread's distance-weighted cross-entropy, CORAL's cumulative targets)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from dlclinic.backend import keras

ops = keras.ops


def group_crossentropy(groups: Sequence[int]):
    """A loss for softmax outputs concatenated group after group (``groups``: the size of each group): the sum over
    groups of each group's categorical cross-entropy against its one-hot slice of the target."""
    sizes = [int(g) for g in groups]
    if not sizes or min(sizes) < 2:
        raise ValueError(f"groups must be sizes of at least 2 labels each; got {groups!r}")
    edges = np.cumsum([0, *sizes])

    def loss(y_true, y_pred):
        return sum(keras.losses.categorical_crossentropy(y_true[:, a:b], y_pred[:, a:b])
                   for a, b in zip(edges[:-1], edges[1:], strict=True))

    loss.__name__ = "group_crossentropy"
    return loss


def masked_binary_crossentropy(y_true, y_pred, mask, from_logits: bool = False):
    """Binary cross-entropy averaged over the labelled entries only (``mask`` 1 where a label is given, 0 where it
    is missing); a batch without any label gives 0. ``y_true`` may hold anything (NaN included) where unlabelled."""
    mask = ops.cast(mask, y_pred.dtype)
    filled = ops.where(mask > 0, ops.nan_to_num(ops.cast(y_true, y_pred.dtype)), ops.zeros_like(y_pred))
    if from_logits:
        entries = ops.maximum(y_pred, 0) - y_pred * filled + ops.log1p(ops.exp(-ops.abs(y_pred)))
    else:
        p = ops.clip(y_pred, keras.config.epsilon(), 1 - keras.config.epsilon())
        entries = -(filled * ops.log(p) + (1 - filled) * ops.log(1 - p))
    return ops.sum(entries * mask) / ops.maximum(ops.sum(mask), 1.0)


def masked_loss(heads: int, from_logits: bool = True):
    """:func:`masked_binary_crossentropy` as a Keras loss: targets are (n, 2·heads), the labels (anything where
    missing) followed by the mask."""

    def loss(y_true, y_pred):
        return masked_binary_crossentropy(y_true[:, :heads], y_pred, y_true[:, heads:], from_logits=from_logits)

    loss.__name__ = "masked_binary_crossentropy"
    return loss


def pack_masked(labels: np.ndarray) -> np.ndarray:
    """(n, heads) labels with NaN where missing → the (n, 2·heads) targets :func:`masked_loss` reads."""
    labels = np.asarray(labels, dtype="float32")
    known = np.isfinite(labels)
    return np.concatenate([np.where(known, labels, 0.0), known.astype("float32")], axis=1)


def distance_weighted_crossentropy(y_true, y_pred):
    """The thread's ordinal loss: each example's cross-entropy times (|argmax prediction − true grade| + 1), for
    integer grades (n,) or (n, 1) and softmax probabilities (n, K). The weight has no gradient (argmax)."""
    grades = ops.cast(ops.reshape(y_true, (-1,)), "int32")
    ce = keras.losses.sparse_categorical_crossentropy(grades, y_pred)
    weight = ops.cast(ops.abs(ops.argmax(y_pred, axis=-1) - grades) + 1, y_pred.dtype)
    return weight * ce


def coral_targets(grades: np.ndarray, num_classes: int) -> np.ndarray:
    """CORAL's targets: for grades in 0..K−1, the K−1 binary answers to "is the grade above k?" (k = 0..K−2)."""
    grades = np.asarray(grades)
    if grades.ndim != 1 or not np.issubdtype(grades.dtype, np.integer):
        raise ValueError(f"grades must be a 1-D array of integers; got shape {grades.shape}, dtype {grades.dtype}")
    if num_classes < 2 or grades.min(initial=0) < 0 or grades.max(initial=0) >= num_classes:
        raise ValueError(f"grades must lie in 0..{num_classes - 1} with num_classes >= 2")
    return (grades[:, None] > np.arange(num_classes - 1)[None, :]).astype("float32")


def coral_grades(probabilities: np.ndarray) -> np.ndarray:
    """CORAL's prediction: the number of "above k" answers whose probability exceeds 0.5."""
    return (np.asarray(probabilities) > 0.5).sum(axis=1)
