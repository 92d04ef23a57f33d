"""Evidence for the diagnosis, as tools that work on any Keras model whose last layer is linear with a kernel
(a 1×1 conv or a Dense layer): what the loss values are worth, how far the output's scale is from the targets',
and where that scale comes from.

The output of a linear last layer is ``w · f + b`` for the features ``f`` that reach it, so over all pixels (or
samples) its standard deviation factors exactly as

    std(output) = ‖w‖ × std(features) × alignment,

with ``std(features)`` the root mean of the channels' variances and ``alignment`` = √(wᵀΣw / (‖w‖² tr Σ / d)):
1 for a kernel pointing in a random direction of the features' covariance Σ (d channels), near 0 when the
features vary only where the kernel does not look. :func:`scale_decomposition` measures the three factors.
"""

from __future__ import annotations

import numpy as np

from dlclinic.backend import keras
from dlclinic.checks import as_float_array


def trivial_losses(y: object) -> dict[str, float]:
    """The MSE and MAE that predicting all zeros, or the mean everywhere, would score on targets ``y``."""
    y = as_float_array("y", y)
    return {
        "mse_zero": float(np.mean(y**2)),
        "mse_mean": float(np.var(y)),
        "mae_zero": float(np.mean(np.abs(y))),
        "mae_mean": float(np.mean(np.abs(y - y.mean()))),
    }


def _spread(name: str, y: np.ndarray) -> float:
    spread = float(np.std(y))
    if spread == 0:
        raise ValueError(f"{name} must not be constant: its standard deviation is the denominator")
    return spread


def output_scale_ratio(model: keras.Model, x: object, y: object) -> float:
    """std of ``model``'s predictions on ``x`` (inference mode) / std of ``y``: ≫ 1 means the targets sit far
    below the scale the net emits, ≈ 1 that the output speaks the targets' units."""
    x = as_float_array("x", x)
    y = as_float_array("y", y)
    return float(np.std(np.asarray(model(x, training=False)))) / _spread("y", y)


def batch_to_moving_ratio(model: keras.Model, x: object, batch_size: int = 64) -> float:
    """std of ``model``'s outputs on ``x`` normalised with each batch's own statistics (training mode, in batches
    of ``batch_size``) / std with BatchNorm's moving statistics (inference mode). About 1 when the moving
    statistics match the data; far from 1 when they lag or were never updated. The moving statistics are left as
    they were."""
    x = as_float_array("x", x)
    kept = [np.asarray(weight) for weight in model.non_trainable_weights]
    starts = range(0, len(x), batch_size)
    batch = np.concatenate([np.asarray(model(x[i:i + batch_size], training=True)) for i in starts])
    for weight, value in zip(model.non_trainable_weights, kept, strict=True):
        weight.assign(value)
    moving = _spread("the output with moving statistics", np.asarray(model(x, training=False)))
    return float(np.std(batch)) / moving


def output_layer(model: keras.Model) -> keras.layers.Layer:
    """The model's last layer that has a kernel (its linear output layer)."""
    for layer in reversed(model.layers):
        if getattr(layer, "kernel", None) is not None:
            return layer
    raise ValueError("model must have a layer with a kernel (a Dense or Conv output layer); it has none")


def output_features(model: keras.Model, x: object, training: bool = False, batch_size: int = 64) -> np.ndarray:
    """The features that reach the output layer on ``x``, one row per pixel or sample: shape (n, channels).
    ``training=True`` normalises with each batch's statistics (as the optimiser sees the net) and leaves the
    moving statistics as they were."""
    x = as_float_array("x", x)
    layer = output_layer(model)
    probe = keras.Model(model.input, layer.input)
    kept = [np.asarray(weight) for weight in model.non_trainable_weights]
    parts = [np.asarray(probe(x[i:i + batch_size], training=training)) for i in range(0, len(x), batch_size)]
    for weight, value in zip(model.non_trainable_weights, kept, strict=True):
        weight.assign(value)
    features = np.concatenate(parts).astype(float)
    return features.reshape(-1, features.shape[-1])


def decompose(features: np.ndarray, kernel: np.ndarray) -> dict[str, float]:
    """The factors of the spread of ``features @ kernel`` (features: (n, d); kernel: d weights): ``kernel_norm``
    ‖w‖, ``feature_std`` (root mean of the channels' variances), ``alignment`` (1: a random direction) and their
    product ``output_std``."""
    w = np.asarray(kernel, dtype=float).reshape(-1)
    features = np.asarray(features, dtype=float)
    if features.ndim != 2 or features.shape[1] != w.size:
        raise ValueError(f"the output layer must be linear in its {features.shape[-1]} input channels (a 1×1 conv "
                         f"or a Dense layer with one output); its kernel has {w.size} weights")
    covariance = np.atleast_2d(np.cov(features, rowvar=False, bias=True))
    mean_variance = float(np.trace(covariance)) / w.size
    norm = float(np.linalg.norm(w))
    projected = max(float(w @ covariance @ w), 0.0)
    alignment = float(np.sqrt(projected / (norm**2 * mean_variance))) if norm > 0 and mean_variance > 0 else 0.0
    return {"kernel_norm": norm, "feature_std": float(np.sqrt(mean_variance)), "alignment": alignment,
            "output_std": float(np.sqrt(projected))}


def scale_decomposition(model: keras.Model, x: object, training: bool = False) -> dict[str, float]:
    """The factors of the output's spread on ``x``, as :func:`decompose` gives them (``training``: see
    :func:`output_features`)."""
    kernel = np.asarray(output_layer(model).kernel, dtype=float)
    if kernel.shape[-1] != 1:
        raise ValueError(f"the output layer must have one output channel; its kernel has shape {kernel.shape}")
    return decompose(output_features(model, x, training), kernel)


def last_batchnorm(model: keras.Model) -> dict[str, float | None]:
    """Mean γ and mean β of the model's last BatchNormalization layer (γ is 1 where it has none; both ``None``
    in a model without BatchNorm)."""
    norms = [layer for layer in model.layers if isinstance(layer, keras.layers.BatchNormalization)]
    if not norms:
        return {"gamma": None, "beta": None}
    last = norms[-1]
    gamma = float(np.mean(np.asarray(last.gamma))) if last.scale else 1.0
    beta = float(np.mean(np.asarray(last.beta))) if last.center else 0.0
    return {"gamma": gamma, "beta": beta}
