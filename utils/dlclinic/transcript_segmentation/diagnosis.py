"""Diagnosis of a per-sentence classifier under imbalance: where a class weight flips it, measured on its scores.

A class weight w on the positives moves the loss's optimum from p(x) to w p / (w p + 1 - p), which crosses 1/2
exactly where p(x) = 1/(1 + w): the weight is a threshold in disguise. These functions read that threshold off
any model's unweighted scores (a Keras model's ``predict`` on validation sentences, or any other scorer's).
"""

from __future__ import annotations

import math

import numpy as np

from dlclinic.checks import as_float_array


def _scores(scores: object) -> np.ndarray:
    values = as_float_array("scores", scores, ndim=1)
    if values.size == 0:
        raise ValueError("scores must hold at least one score")
    if not np.all((values >= 0) & (values <= 1)):
        raise ValueError("scores must be probabilities in [0, 1]")
    return values


def threshold_rate(scores: object, weight: float) -> float:
    """The predicted-positive rate of unweighted scores cut at 1/(1 + weight): what the identity predicts for a
    model trained with class-1 weight ``weight``."""
    if not weight > 0:
        raise ValueError(f"weight must be positive; got {weight!r}")
    values = _scores(scores)
    return float(np.mean(values >= 1.0 / (1.0 + weight)))


def flip_weight(scores: object, base_rate: float) -> float:
    """The smallest class-1 weight w at which the scores cut at 1/(1 + w) mark at least ``base_rate`` of the
    sentences as positive: w = (1 - t) / t for the largest score t with mean(scores >= t) >= base_rate
    (``inf`` when that t is 0)."""
    values = _scores(scores)
    if isinstance(base_rate, bool) or not isinstance(base_rate, int | float | np.floating) or not 0 < base_rate < 1:
        raise ValueError(f"base_rate must be a number in the open interval (0, 1); got {base_rate!r}")
    ordered = np.sort(values)
    candidates = np.unique(ordered)
    rates = (ordered.size - np.searchsorted(ordered, candidates, side="left")) / ordered.size
    t = float(candidates[rates >= base_rate].max())
    return math.inf if t == 0 else float((1.0 - t) / t)
