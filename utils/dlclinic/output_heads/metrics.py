"""The field's metrics for each question of the case: multi-label (mAP, exact match, per-group accuracy), binary
heads (ROC-AUC, F1 per head), rejection of irrelevant inputs (AUROC), ordinal grades (MAE, accuracy, quadratic
weighted kappa) and a rare class (PR-AUC)."""

from __future__ import annotations

import numpy as np
from sklearn.metrics import average_precision_score, cohen_kappa_score, f1_score, roc_auc_score

from dlclinic.checks import as_float_array, same_shape


def _pair(y_true: object, scores: object, ndim: int | tuple[int, ...]) -> tuple[np.ndarray, np.ndarray]:
    truth = as_float_array("y_true", y_true, ndim=ndim)
    pred = as_float_array("scores", scores, ndim=ndim)
    same_shape("y_true", truth, "scores", pred)
    return truth, pred


def mean_average_precision(y_true: object, scores: object) -> float:
    """Macro mAP: the average precision of each label (column) of (n, labels) 0/1 targets, ranked by its score,
    averaged over the labels."""
    truth, pred = _pair(y_true, scores, 2)
    return float(np.mean([average_precision_score(truth[:, j], pred[:, j]) for j in range(truth.shape[1])]))


def group_accuracy(labels: object, scores: object) -> float:
    """Accuracy of the argmax of (n, k) scores against (n,) integer labels (one label group)."""
    labels = np.asarray(labels, dtype=int)
    pred = as_float_array("scores", scores, ndim=2)
    if len(labels) != len(pred):
        raise ValueError(f"labels and scores must have as many rows; got {len(labels)} and {len(pred)}")
    return float(np.mean(pred.argmax(axis=1) == labels))


def exact_match(y_true: object, y_pred: object) -> float:
    """Share of rows whose predicted 0/1 label set equals the true one in every column (subset accuracy)."""
    truth, pred = _pair(y_true, y_pred, 2)
    return float(np.mean(np.all((truth > 0.5) == (pred > 0.5), axis=1)))


def roc_auc_per_head(truth: object, scores: object) -> list[float]:
    """ROC-AUC of each column of (n, heads) scores against 0/1 truth."""
    truth, pred = _pair(truth, scores, 2)
    return [float(roc_auc_score(truth[:, j], pred[:, j])) for j in range(truth.shape[1])]


def f1_per_head(truth: object, scores: object, threshold: float = 0.5) -> list[float]:
    """F1 of each column of (n, heads) probabilities thresholded at ``threshold``."""
    truth, pred = _pair(truth, scores, 2)
    return [float(f1_score(truth[:, j] > 0.5, pred[:, j] > threshold, zero_division=0.0))
            for j in range(truth.shape[1])]


def rejection_auroc(known_scores: object, unknown_scores: object) -> float:
    """AUROC of telling irrelevant inputs from known ones, where a *higher* score means "irrelevant"."""
    known = as_float_array("known_scores", known_scores, ndim=1)
    unknown = as_float_array("unknown_scores", unknown_scores, ndim=1)
    truth = np.r_[np.zeros(len(known)), np.ones(len(unknown))]
    return float(roc_auc_score(truth, np.r_[known, unknown]))


def ordinal_scores(grades: object, predicted: object) -> dict[str, float]:
    """MAE, accuracy and quadratic weighted kappa of integer predicted grades against the true ones."""
    truth = np.asarray(grades, dtype=int)
    pred = np.asarray(predicted, dtype=int)
    if truth.shape != pred.shape or truth.ndim != 1:
        raise ValueError(f"grades and predicted must be 1-D and as long as each other; got {truth.shape}, {pred.shape}")
    labels = np.arange(min(truth.min(), pred.min()), max(truth.max(), pred.max()) + 1)
    return {"mae": float(np.mean(np.abs(truth - pred))), "accuracy": float(np.mean(truth == pred)),
            "qwk": float(cohen_kappa_score(truth, pred, weights="quadratic", labels=labels))}


def pr_auc(truth: object, scores: object) -> float:
    """Average precision (the area under the precision-recall curve) of scores for a rare positive class."""
    truth, pred = _pair(truth, scores, 1)
    return float(average_precision_score(truth, pred))


def best_f1_threshold(truth: object, scores: object) -> float:
    """The threshold among the scores' own values that gives the highest F1 (picked on validation data)."""
    truth, pred = _pair(truth, scores, 1)
    order = np.argsort(-pred)
    hits = np.cumsum(truth[order])
    f1 = 2 * hits / (np.arange(1, len(pred) + 1) + truth.sum())
    return float(pred[order][int(np.argmax(f1))])
