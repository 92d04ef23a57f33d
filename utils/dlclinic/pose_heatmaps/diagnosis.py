"""Evidence for the diagnosis: which accuracy Keras built, what the head's BatchNorm allows, and what it learnt."""

from __future__ import annotations

import inspect
from pathlib import Path

import numpy as np

from dlclinic.backend import keras
from dlclinic.checks import as_float_array


def compiled_metrics(model: keras.Model) -> dict[str, str]:
    """Name → class name of the metrics ``compile`` built (they exist once the model has been fitted or evaluated)."""
    compiled = next((m for m in model.metrics if m.name == "compile_metrics"), None)
    if compiled is None or not compiled.built:
        raise ValueError("the model's metrics are built on its first fit or evaluate; call one of them first")
    return {metric.name: type(metric).__name__ for metric in compiled.metrics}


def resolved_accuracy(model: keras.Model, x: object, y: object) -> str:
    """Class name of the metric Keras builds for ``metrics=["accuracy"]`` when ``model`` is evaluated on (x, y).

    ``evaluate`` runs in inference mode and applies no update, so the weights (moving statistics included) stay
    as they were.
    """
    if not isinstance(model, keras.Model) or not getattr(model, "compiled", False):
        raise ValueError("model must be a Keras model compiled with metrics=['accuracy']")
    model.evaluate(x, y, verbose=0)
    built = compiled_metrics(model)
    for name in ("accuracy", "acc"):
        if name in built:
            return built[name]
    raise ValueError(f"the model was not compiled with metrics=['accuracy']; its metrics are {built}")


def head_layers(model: keras.Model) -> tuple[keras.layers.BatchNormalization, keras.layers.Activation]:
    """The model's last two layers, checked to be BatchNormalization → Activation("sigmoid")."""
    layers = model.layers
    last = layers[-1] if layers else None
    is_sigmoid = isinstance(last, keras.layers.Activation) and getattr(last.activation, "__name__", "") == "sigmoid"
    if len(layers) < 2 or not isinstance(layers[-2], keras.layers.BatchNormalization) or not is_sigmoid:
        raise ValueError("model must end in BatchNormalization → Activation('sigmoid') layers")
    return layers[-2], last


def head_mean_logit(model: keras.Model, x: object) -> np.ndarray:
    """(channels,) mean of the head BatchNorm's output (the pre-sigmoid logits) on ``x`` in training mode.

    In training mode BatchNorm standardises each channel with the batch's statistics, so this equals its β
    (and the spread its |γ|). The call would also update the moving statistics; they are put back.
    """
    bn, _ = head_layers(model)
    probe = keras.Model(model.inputs[0], bn.output)  # inputs: a Sequential model has no .input
    saved = [v.numpy() for v in model.variables]
    try:
        logits = np.asarray(probe(as_float_array("x", x), training=True))
    finally:
        for variable, value in zip(model.variables, saved, strict=True):
            variable.assign(value)
    return logits.reshape(-1, logits.shape[-1]).mean(axis=0)


def head_bn_parameters(model: keras.Model) -> dict[str, np.ndarray]:
    """β and γ (one per channel) of the BatchNorm layer right before the sigmoid."""
    bn, _ = head_layers(model)
    return {"beta": np.asarray(bn.beta), "gamma": np.asarray(bn.gamma)}


def bce_floor(beta: object, gamma: object, positive_fraction: object) -> np.ndarray:
    """Lowest BCE a channel can reach when its logits have mean β and standard deviation at most |γ|.

    With a share p of positive pixels the best logits put all negatives at a and all positives at b
    (averaging within each group keeps the mean, lowers the spread and, the loss being convex, the loss),
    as far apart as the spread allows: b − a = |γ| / √(p(1 − p)), p·b + (1 − p)·a = β. The floor is then
    (1 − p)·softplus(a) + p·softplus(−b). In training mode a BatchNorm → sigmoid head's logits have exactly
    mean β and spread |γ|·√(var/(var + ε)) ≤ |γ|, so its training loss cannot be lower.
    """
    beta, gamma = as_float_array("beta", beta), as_float_array("gamma", gamma)
    p = as_float_array("positive_fraction", positive_fraction)
    if np.any(p <= 0) or np.any(p >= 1):
        raise ValueError("positive_fraction must lie strictly between 0 and 1")
    gap = np.abs(gamma) / np.sqrt(p * (1 - p))
    negatives, positives = beta - p * gap, beta + (1 - p) * gap
    return (1 - p) * np.logaddexp(0.0, negatives) + p * np.logaddexp(0.0, -positives)


def accuracy_resolution_source() -> tuple[str, int, str]:
    """(file, line number, line) of the installed Keras where the string "accuracy" becomes CategoricalAccuracy."""
    from keras.src.trainers import compile_utils

    lines, first = inspect.getsourcelines(compile_utils.get_metric)
    for offset, line in enumerate(lines):
        if "CategoricalAccuracy(" in line and "Sparse" not in line:
            path = Path(inspect.getsourcefile(compile_utils))
            return str(Path(*path.parts[path.parts.index("keras"):])), first + offset, line.strip()
    raise RuntimeError("this Keras version resolves 'accuracy' elsewhere; look at keras/src/trainers/compile_utils.py")


def all_zero_scores(maps: object) -> dict[str, float]:
    """What predicting 0 everywhere scores on binary target maps: binary accuracy, and the positive fraction."""
    maps = as_float_array("maps", maps)
    positive = float(np.mean(maps > 0.5))
    return {"positive_fraction": positive, "binary_accuracy_all_zero": 1.0 - positive}


def categorical_accuracy_parts(maps: object, outputs: object) -> dict[str, float]:
    """What ``CategoricalAccuracy`` scores on (…, K) keypoint maps, and where its score comes from.

    It counts the pixels whose largest output is in the channel of their largest target. On a background pixel
    every target is 0 and the argmax of zeros is channel 0, so there it only asks whether map 0 has the largest
    output: ``accuracy = background_share · channel0_wins_on_background + (1 − background_share) · on_joints``.
    """
    maps, outputs = as_float_array("maps", maps), as_float_array("outputs", outputs)
    if maps.shape != outputs.shape or maps.ndim < 2:
        raise ValueError(f"maps and outputs must be (..., K) arrays of one shape; got {maps.shape} and {outputs.shape}")
    truth, guess = maps.argmax(axis=-1), outputs.argmax(axis=-1)
    background = maps.max(axis=-1) <= 0
    hits = truth == guess
    return {"accuracy": float(hits.mean()), "background_share": float(background.mean()),
            "channel0_wins_on_background": float(np.mean(guess[background] == 0)) if background.any() else np.nan,
            "on_joints": float(hits[~background].mean()) if (~background).any() else np.nan}


def frozen_batchnorm_statistics() -> str:
    """Which statistics a BatchNormalization layer set to ``trainable=False`` uses when called in training mode.

    "moving" in TF 2 / Keras 3 (freezing also switches it to inference mode); standalone Keras 2.2.4 used the
    batch's. Measured on a layer whose moving mean is set far from the batch's mean.
    """
    layer = keras.layers.BatchNormalization()
    x = np.random.default_rng(0).normal(size=(64, 4)).astype("float32")
    layer.build(x.shape)
    layer.moving_mean.assign(np.full(4, 10.0, "float32"))
    layer.trainable = False
    out = np.asarray(layer(x, training=True))
    return "moving" if out.mean() < -5 else "batch"
