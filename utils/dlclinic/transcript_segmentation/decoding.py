"""From per-sentence scores to boundaries, the same way for every scorer, trained or not.

A score that rises over a few sentences around a topic change marks a clump of neighbours when it is simply
cut; Pk forgives the clump, WindowDiff does not. **Peak picking** keeps a sentence as a candidate only
where its score is the highest within ``radius`` sentences on either side (the first of equal neighbours
wins); then one cut, chosen on the validation lectures, turns the candidates into boundaries.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from dlclinic.checks import as_float_array
from dlclinic.transcript_segmentation.metrics import segmentation_scores
from dlclinic.transcript_segmentation.treatments import best_threshold

RADIUS = 2  # sentences on either side of a peak: segments are at least 3 sentences long
DECODINGS = ("half", "validation", "peaks")  # cut at 0.5; a cut chosen on validation; peak picking, then that


def peak_mask(scores: object, radius: int = RADIUS) -> np.ndarray:
    """True where a score is the highest within ``radius`` sentences on either side (of equal neighbours the
    first); the first sentence, which no boundary can precede, is never a peak."""
    values = as_float_array("scores", scores, ndim=1)
    if isinstance(radius, bool) or not isinstance(radius, int | np.integer) or radius < 0:
        raise ValueError(f"radius must be an int >= 0; got {radius!r}")
    padded = np.concatenate([np.full(radius, -np.inf), values, np.full(radius, -np.inf)])
    n, keep = values.size, np.ones(values.size, dtype=bool)
    for shift in range(1, radius + 1):
        keep &= values > padded[radius - shift : radius - shift + n]  # strictly above the earlier neighbours
        keep &= values >= padded[radius + shift : radius + shift + n]  # at least the later ones
    keep[:1] = False
    return keep


def peak_pick(scores: object, radius: int = RADIUS) -> np.ndarray:
    """The scores at their peaks (:func:`peak_mask`) and 0 elsewhere."""
    values = as_float_array("scores", scores, ndim=1)
    return np.where(peak_mask(values, radius), values, 0.0)


def best_peak_cut(labels: object, scores: object, peaks: object) -> float:
    """The cut t for which marking the peaks whose score is >= t gives the highest F1 on ``labels`` (every
    boundary counts, also one that is no peak; ties: the highest t); ``inf`` when there is no peak."""
    values = as_float_array("scores", scores, ndim=1)
    truth, candidate = np.asarray(labels).astype(int), np.asarray(peaks, dtype=bool)
    if not truth.shape == candidate.shape == values.shape or truth.sum() == 0:
        raise ValueError(f"labels, scores and peaks must have one shape and labels a 1; got {truth.shape}, "
                         f"{values.shape}, {candidate.shape}")
    if not candidate.any():
        return float("inf")
    order = np.argsort(-values[candidate], kind="stable")
    ordered, hits = values[candidate][order], truth[candidate][order]
    last_of_tie = np.r_[ordered[1:] != ordered[:-1], True]
    f1 = 2 * np.cumsum(hits)[last_of_tie] / (np.flatnonzero(last_of_tie) + 1 + truth.sum())
    return float(ordered[last_of_tie][int(np.argmax(f1))])


@dataclass(frozen=True)
class Decoded:
    """A scorer's boundaries on the test lectures, the cut that made them, and the field's metrics."""

    threshold: float
    predictions: list[np.ndarray]
    metrics: dict[str, float]


def decode(
    val_labels: Sequence[np.ndarray],
    val_scores: Sequence[np.ndarray],
    test_labels: Sequence[np.ndarray],
    test_scores: Sequence[np.ndarray],
    how: str = "peaks",
    radius: int = RADIUS,
) -> Decoded:
    """Turn per-document scores into boundaries and score the test lectures. ``how``: "half" cuts at 0.5,
    "validation" at the F1-best cut on the validation lectures, "peaks" keeps the peaks and cuts them at the
    F1-best cut on validation. The metrics: Pk, WindowDiff, F1, the predicted-positive rate, and the PR-AUC of
    the raw test scores (before any decoding, so the same for every ``how``)."""
    if how not in DECODINGS:
        raise ValueError(f"how must be one of {DECODINGS}; got {how!r}")
    if len(val_labels) != len(val_scores) or len(test_labels) != len(test_scores):
        raise ValueError("need one score array per document in each split")
    if how == "peaks":
        masks = [peak_mask(s, radius) for s in val_scores]
        threshold = best_peak_cut(np.concatenate(val_labels), np.concatenate(val_scores), np.concatenate(masks))
        predictions = [(peak_mask(s, radius) & (np.asarray(s) >= threshold)).astype(int) for s in test_scores]
    else:
        threshold = 0.5 if how == "half" else best_threshold(np.concatenate(val_labels), np.concatenate(val_scores))
        predictions = [(np.asarray(s) >= threshold).astype(int) for s in test_scores]
    metrics = segmentation_scores(list(test_labels), predictions, list(test_scores))
    metrics["positive_rate"] = float(np.concatenate(predictions).mean())
    return Decoded(threshold, predictions, metrics)
