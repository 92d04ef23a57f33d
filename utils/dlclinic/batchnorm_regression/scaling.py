"""Scale tiny targets to [0, 1] for training and back for prediction, with the scale learnt on training data."""

from __future__ import annotations

import numpy as np

from dlclinic.backend import keras
from dlclinic.checks import as_float_array


class TargetScaler:
    """Divide targets by the maximum seen in ``fit`` (the training set), so they lie in [0, 1]."""

    def __init__(self) -> None:
        self.scale_: float | None = None

    def fit(self, y: object) -> TargetScaler:
        """Learn the scale from ``y`` alone (pass only training targets)."""
        y = as_float_array("y", y)
        if y.size == 0 or y.max() <= 0:
            raise ValueError("y must contain at least one positive value to set the scale")
        self.scale_ = float(y.max())
        return self

    def transform(self, y: object) -> np.ndarray:
        """Targets in training units → [0, 1]."""
        return as_float_array("y", y) / self._scale()

    def inverse_transform(self, y: object) -> np.ndarray:
        """Model outputs in [0, 1] units → the original target units."""
        return as_float_array("y", y) * self._scale()

    def _scale(self) -> float:
        if self.scale_ is None:
            raise ValueError("TargetScaler is not fitted: call fit(y_train) first")
        return self.scale_


class ScaledTargetModel:
    """A Keras model trained on scaled targets that predicts in original units (cf. TransformedTargetRegressor)."""

    def __init__(self, model: keras.Model, scaler: TargetScaler | None = None) -> None:
        self.model = model
        self.scaler = scaler or TargetScaler()

    def fit(self, x: np.ndarray, y: np.ndarray, **fit_kwargs) -> keras.callbacks.History:
        """Fit the scaler on ``y`` (training targets only), then the model on the scaled targets."""
        self.scaler.fit(y)
        return self.model.fit(x, self.scaler.transform(y), **fit_kwargs)

    def predict(self, x: np.ndarray, **predict_kwargs) -> np.ndarray:
        """Predict and undo the scaling."""
        return self.scaler.inverse_transform(self.model.predict(x, **predict_kwargs))
