"""The standard remedies for a 90/10 label split: balanced class weights, output-bias init, a tuned threshold."""

from __future__ import annotations

import numpy as np

from dlclinic.checks import as_float_array, same_shape


def _binary(name: str, y: object) -> np.ndarray:
    labels = as_float_array(name, y, ndim=1)
    if not np.isin(labels, (0, 1)).all():
        raise ValueError(f"{name} must hold only 0 and 1")
    return labels.astype(int)


def class_weights(y: object) -> dict[int, float]:
    """sklearn's "balanced" weights n / (2 n_c) for labels 0 and 1, as a Keras ``class_weight`` dict."""
    labels = _binary("y", y)
    counts = np.bincount(labels, minlength=2)
    if counts.min() == 0:
        raise ValueError(f"y must contain both classes; got counts {counts.tolist()}")
    return {c: float(labels.size / (2 * counts[c])) for c in (0, 1)}


def output_bias_init(y: object) -> float:
    """The sigmoid bias that starts the model at the base rate: log(n_pos / n_neg)."""
    labels = _binary("y", y)
    pos, neg = int(labels.sum()), int(labels.size - labels.sum())
    if pos == 0 or neg == 0:
        raise ValueError(f"y must contain both classes; got {pos} ones and {neg} zeros")
    return float(np.log(pos / neg))


def best_threshold(y_true: object, y_score: object) -> float:
    """The score t for which predicting ``y_score >= t`` gives the highest F1 on ``y_true`` (ties: highest t)."""
    labels = _binary("y_true", y_true)
    scores = as_float_array("y_score", y_score, ndim=1)
    same_shape("y_true", labels, "y_score", scores)
    if labels.sum() == 0:
        raise ValueError("y_true must contain at least one 1")
    order = np.argsort(-scores, kind="stable")
    sorted_scores, sorted_labels = scores[order], labels[order]
    last_of_tie = np.r_[sorted_scores[1:] != sorted_scores[:-1], True]  # predicting >= t keeps all ties
    tp = np.cumsum(sorted_labels)[last_of_tie]
    predicted = np.flatnonzero(last_of_tie) + 1
    f1 = 2 * tp / (predicted + labels.sum())
    return float(sorted_scores[last_of_tie][int(np.argmax(f1))])
