"""Remedies applied after training, each chosen on validation data: a floor on the predicted std, one factor
for every std (σ-scaling, the standard recalibration baseline), or one std for every point."""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from dlclinic.bnn_uncertainty.data import Split
from dlclinic.bnn_uncertainty.experiment import Outcome, Prediction
from dlclinic.bnn_uncertainty.metrics import gaussian_nll
from dlclinic.checks import as_float_array, same_shape

FLOORS = np.round(np.arange(0.0, 1.2001, 0.05), 2)  # candidate std floors, in units of the target's std
RECALIBRATIONS = ("sigma", "constant", "floor")


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


def _residuals(y_val: object, mean_val: object) -> np.ndarray:
    y, mean = as_float_array("y_val", y_val, ndim=1), as_float_array("mean_val", mean_val, ndim=1)
    same_shape("y_val", y, "mean_val", mean)
    if y.size == 0:
        raise ValueError("y_val must hold at least one value")
    return y - mean


def sigma_scale(y_val: object, mean_val: object, std_val: object) -> float:
    """The factor c that minimises the validation NLL of N(μ, (c·σ)²): c² = mean(((y − μ)/σ)²) (Laves et al.
    2020's σ-scaling, in closed form)."""
    residuals = _residuals(y_val, mean_val)
    std = as_float_array("std_val", std_val, ndim=1)
    same_shape("y_val", residuals, "std_val", std)
    if np.any(std <= 0):
        raise ValueError("std_val must be positive everywhere (it is a standard deviation)")
    return float(np.sqrt(np.mean((residuals / std) ** 2)))


def constant_std(y_val: object, mean_val: object) -> float:
    """The one std for every point that minimises the validation NLL of N(μ, σ²): the RMSE of the mean."""
    return float(np.sqrt(np.mean(_residuals(y_val, mean_val) ** 2)))


def recalibrate(outcome: Outcome, split: Split, how: str) -> Outcome:
    """``outcome`` with its final test std recalibrated on its validation predictions: ``"sigma"`` multiplies
    every std by :func:`sigma_scale`, ``"constant"`` gives every point :func:`constant_std`, ``"floor"`` raises
    stds to the floor of :data:`FLOORS` with the lowest validation NLL. The validation curve (the training run's)
    is kept; ``recalibration`` holds the chosen value."""
    if how not in RECALIBRATIONS:
        raise ValueError(f"how must be one of {RECALIBRATIONS}; got {how!r}")
    val, test = outcome.val, outcome.test
    if how == "sigma":
        value = sigma_scale(split.y_val, val.mean, val.std)
        changed = Prediction(test.mean, value * test.std, value * test.aleatoric, value * test.epistemic)
    elif how == "constant":
        value = constant_std(split.y_val, val.mean)
        flat = np.full_like(test.std, value)
        changed = Prediction(test.mean, flat, flat, np.zeros_like(flat))
    else:
        value, _ = choose_std_floor(split.y_val, val.mean, val.std, FLOORS)
        changed = Prediction(test.mean, apply_std_floor(test.std, value), test.aleatoric, test.epistemic)
    return replace(outcome, test=changed, model=None,
                   recalibration={"how": how, "value": float(value)})
