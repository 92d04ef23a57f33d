"""Segmentation metrics: Pk and WindowDiff with nltk's conventions, boundary P/R/F1 and PR-AUC.

A segmentation is a sequence of 0/1 (list, array or string of "0"/"1"), one entry per sentence; 1 marks a
sentence that starts a new segment. nltk reads the same strings, with ``boundary="1"``.
"""

from __future__ import annotations

import numpy as np
from sklearn.metrics import average_precision_score


def as_labels(name: str, value: object) -> np.ndarray:
    """Return a 0/1 segmentation (list, array or "0"/"1" string) as a 1-D int array."""
    if isinstance(value, str):
        if set(value) - {"0", "1"}:
            raise ValueError(f"{name} must be a string of '0' and '1'; got {value[:20]!r}")
        return np.array([int(c) for c in value], dtype=int)
    array = np.asarray(value)
    if array.ndim != 1:
        raise ValueError(f"{name} must be 1-D; got shape {array.shape}")
    if array.size and not np.isin(array, (0, 1)).all():
        raise ValueError(f"{name} must hold only 0 and 1")
    return array.astype(int)


def _pair(reference: object, hypothesis: object) -> tuple[np.ndarray, np.ndarray]:
    ref, hyp = as_labels("reference", reference), as_labels("hypothesis", hypothesis)
    if ref.shape != hyp.shape:
        raise ValueError(f"reference and hypothesis must have the same length; got {ref.size} and {hyp.size}")
    return ref, hyp


def default_k(reference: object) -> int:
    """nltk's window for Pk: half the mean reference segment length, rounded (a boundary-free text counts 1)."""
    ref = as_labels("reference", reference)
    return int(round(ref.size / (max(int(ref.sum()), 1) * 2.0)))


def _window_counts(labels: np.ndarray, k: int) -> np.ndarray:
    cumulative = np.concatenate([[0], np.cumsum(labels)])
    return cumulative[k:] - cumulative[: labels.size - k + 1]


def _checked_k(ref: np.ndarray, k: int | None) -> int:
    k = default_k(ref) if k is None else k
    if isinstance(k, bool) or not isinstance(k, (int, np.integer)) or k < 0 or k > ref.size:
        raise ValueError(f"k must be an int between 0 and the sequence length {ref.size}; got {k!r}")
    return int(k)


def pk(reference: object, hypothesis: object, k: int | None = None) -> float:
    """Pk (Beeferman et al. 1999): share of width-k windows where ref and hyp disagree on "any boundary inside"."""
    ref, hyp = _pair(reference, hypothesis)
    k = _checked_k(ref, k)
    disagree = (_window_counts(ref, k) > 0) != (_window_counts(hyp, k) > 0)
    return float(disagree.sum() / (ref.size - k + 1.0))


def windowdiff(reference: object, hypothesis: object, k: int | None = None) -> float:
    """WindowDiff (Pevzner & Hearst 2002): share of width-k windows whose boundary counts differ.

    ``k=None`` uses the same window as :func:`pk` (nltk's ``windowdiff`` has no default).
    """
    ref, hyp = _pair(reference, hypothesis)
    k = _checked_k(ref, k)
    differ = _window_counts(ref, k) != _window_counts(hyp, k)
    return float(differ.sum() / (ref.size - k + 1.0))


def boundary_prf(reference: object, hypothesis: object) -> dict[str, float]:
    """Exact-position boundary precision, recall and F1 (0 where undefined)."""
    ref, hyp = _pair(reference, hypothesis)
    hits = int((ref & hyp).sum())
    precision = hits / hyp.sum() if hyp.sum() else 0.0
    recall = hits / ref.sum() if ref.sum() else 0.0
    f1 = 2 * precision * recall / (precision + recall) if hits else 0.0
    return {"precision": float(precision), "recall": float(recall), "f1": float(f1)}


def segmentation_scores(
    documents: list[np.ndarray], predictions: list[np.ndarray], scores: list[np.ndarray] | None = None
) -> dict[str, float]:
    """Mean per-document Pk and WindowDiff, pooled boundary F1, and pooled PR-AUC of the scores.

    Without ``scores`` (a hard segmenter), the 0/1 predictions serve as scores.
    """
    if len(documents) != len(predictions) or not documents:
        raise ValueError(f"need as many predictions as documents (> 0); got {len(predictions)} and {len(documents)}")
    ref_all, hyp_all = np.concatenate(documents), np.concatenate(predictions)
    score_all = hyp_all if scores is None else np.concatenate(scores)
    return {
        "pk": float(np.mean([pk(r, h) for r, h in zip(documents, predictions, strict=True)])),
        "windowdiff": float(np.mean([windowdiff(r, h) for r, h in zip(documents, predictions, strict=True)])),
        "f1": boundary_prf(ref_all, hyp_all)["f1"],
        "pr_auc": float(average_precision_score(ref_all, score_all)),
    }
