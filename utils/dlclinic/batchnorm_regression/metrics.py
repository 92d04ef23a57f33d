"""Regression metrics that mean something when the targets are tiny."""

from __future__ import annotations

import numpy as np

from dlclinic.checks import as_float_array, same_shape


def nmse(y_true: object, y_pred: object) -> float:
    """Normalised MSE: mean((y_true − y_pred)²) / Var(y_true). 1 = as good as predicting the mean; 0 = perfect."""
    y_true = as_float_array("y_true", y_true)
    y_pred = as_float_array("y_pred", y_pred)
    same_shape("y_true", y_true, "y_pred", y_pred)
    variance = y_true.var()
    if y_true.size < 2 or variance == 0:
        raise ValueError("y_true must hold at least two different values (its variance is the denominator)")
    return float(np.mean((y_true - y_pred) ** 2) / variance)


def count_mae(maps_true: object, maps_pred: object) -> float:
    """Mean absolute error of the counts, a count being the sum of an (H, W[, 1]) density map."""
    maps_true = as_float_array("maps_true", maps_true, ndim=(3, 4))
    maps_pred = as_float_array("maps_pred", maps_pred, ndim=(3, 4))
    same_shape("maps_true", maps_true, "maps_pred", maps_pred)
    axes = tuple(range(1, maps_true.ndim))
    return float(np.mean(np.abs(maps_true.sum(axis=axes) - maps_pred.sum(axis=axes))))
