"""Remedies applied after training: a floor on the predicted std, chosen on purpose on validation data."""

from __future__ import annotations

import numpy as np

from dlclinic.bnn_uncertainty.metrics import gaussian_nll
from dlclinic.checks import as_float_array


def apply_std_floor(std: object, floor: float) -> np.ndarray:
    """max(std, floor): no predicted std below ``floor``."""
    if not floor >= 0:
        raise ValueError(f"floor must be a non-negative number; got {floor!r}")
    return np.maximum(as_float_array("std", std), floor)


def choose_std_floor(
    y_val: object, mean_val: object, std_val: object, floors: object
) -> tuple[float, dict[float, float]]:
    """The floor among ``floors`` with the lowest validation NLL, and {floor: validation NLL}."""
    floors = as_float_array("floors", floors, ndim=1)
    if floors.size == 0:
        raise ValueError("floors must hold at least one candidate")
    nlls = {float(f): gaussian_nll(y_val, mean_val, apply_std_floor(std_val, float(f))) for f in floors}
    best = min(nlls, key=nlls.get)
    return best, nlls
