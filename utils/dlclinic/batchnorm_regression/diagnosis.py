"""Evidence for the diagnosis: how large each layer's signal is, and what the loss values are worth."""

from __future__ import annotations

import numpy as np

from dlclinic.backend import keras
from dlclinic.checks import as_float_array


def activation_stds(model: keras.Model, images: np.ndarray) -> dict[str, float]:
    """Standard deviation of every ReLU block's output and of the model's output on ``images``."""
    taps = [layer.output for layer in model.layers if isinstance(layer, keras.layers.ReLU)] + [model.output]
    names = [f"block {i + 1}" for i in range(len(taps) - 1)] + ["output"]
    probe = keras.Model(model.input, taps)
    values = probe(images, training=False)  # a direct call: no tf.function to retrace for each probe
    return {name: float(np.std(np.asarray(value))) for name, value in zip(names, values, strict=True)}


def trivial_losses(y: object) -> dict[str, float]:
    """The MSE and MAE that predicting all zeros, or the mean everywhere, would score on targets ``y``."""
    y = as_float_array("y", y)
    return {
        "mse_zero": float(np.mean(y**2)),
        "mse_mean": float(np.var(y)),
        "mae_zero": float(np.mean(np.abs(y))),
        "mae_mean": float(np.mean(np.abs(y - y.mean()))),
    }
