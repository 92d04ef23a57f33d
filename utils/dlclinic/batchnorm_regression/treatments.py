"""Target scaling, fitted on training targets only and undone at prediction: the fix (standardising), the
thread's answer (dividing by the training maximum), and dividing by the standard deviation without centring."""

from __future__ import annotations

import numpy as np

from dlclinic.checks import as_float_array

_ROUNDING = 1e-12  # a std this small relative to the values is zero up to rounding


class TargetScaler:
    """Standardise targets: ``(y − mean) / std`` with the mean and population std of every training value."""

    def __init__(self) -> None:
        self.mean_: float | None = None
        self.std_: float | None = None

    def fit(self, y: object) -> TargetScaler:
        """Learn the mean and std (ddof = 0) of all values of ``y`` (pass only training targets); return self."""
        y = as_float_array("y", y)
        if y.size == 0:
            raise ValueError("y must hold at least one value")
        mean, std = float(y.mean()), float(y.std())
        if std <= _ROUNDING * max(1.0, float(np.abs(y).max())):
            raise ValueError("y must not be constant: its standard deviation is the scale")
        self.mean_, self.std_ = mean, std
        return self

    def transform(self, y: object) -> np.ndarray:
        """Targets in their own units → standardised units."""
        mean, std = self._fitted()
        return (as_float_array("y", y) - mean) / std

    def inverse_transform(self, z: object) -> np.ndarray:
        """Model outputs in standardised units → the original target units."""
        mean, std = self._fitted()
        return as_float_array("z", z) * std + mean

    def _fitted(self) -> tuple[float, float]:
        if self.mean_ is None or self.std_ is None:
            raise ValueError("TargetScaler is not fitted: call fit(y_train) first")
        return self.mean_, self.std_


class MaxScaler:
    """The thread's answer: divide by the training maximum, so training targets lie in [0, 1]."""

    def __init__(self) -> None:
        self.scale_: float | None = None

    def fit(self, y: object) -> MaxScaler:
        """Learn the maximum of ``y`` (pass only training targets); return self."""
        y = as_float_array("y", y)
        if y.size == 0 or y.max() <= 0:
            raise ValueError("y must contain at least one positive value to set the scale")
        self.scale_ = float(y.max())
        return self

    def transform(self, y: object) -> np.ndarray:
        """Targets → [0, 1] (for training targets)."""
        return as_float_array("y", y) / self._scale()

    def inverse_transform(self, z: object) -> np.ndarray:
        """Model outputs → the original target units."""
        return as_float_array("z", z) * self._scale()

    def _scale(self) -> float:
        if self.scale_ is None:
            raise ValueError("MaxScaler is not fitted: call fit(y_train) first")
        return self.scale_


class SpreadScaler:
    """Divide by the training targets' standard deviation without subtracting their mean: the spread becomes 1,
    the values stay non-negative."""

    def __init__(self) -> None:
        self.std_: float | None = None

    def fit(self, y: object) -> SpreadScaler:
        """Learn the population std of all values of ``y`` (pass only training targets); return self."""
        self.std_ = TargetScaler().fit(y).std_
        return self

    def transform(self, y: object) -> np.ndarray:
        """Targets → targets / std."""
        return as_float_array("y", y) / self._std()

    def inverse_transform(self, z: object) -> np.ndarray:
        """Model outputs → the original target units."""
        return as_float_array("z", z) * self._std()

    def _std(self) -> float:
        if self.std_ is None:
            raise ValueError("SpreadScaler is not fitted: call fit(y_train) first")
        return self.std_

