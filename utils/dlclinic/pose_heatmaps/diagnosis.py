"""Evidence for the diagnosis: which accuracy Keras built, what trivial maps score, and what the head's BN does."""

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


def head_bn_outputs(model: keras.Model, images: np.ndarray) -> dict[str, np.ndarray]:
    """The reporter's head in both BatchNorm modes: sigmoid outputs with batch statistics (training) and moving ones."""
    return {
        "training mode (batch statistics)": np.asarray(model(images, training=True)),
        "inference mode (moving statistics)": np.asarray(model(images, training=False)),
    }


def batchnorm_layers_trainable(model: keras.Model) -> dict[str, bool]:
    """Each BatchNormalization layer's ``trainable`` flag (False would also freeze it in inference mode in TF2)."""
    return {layer.name: layer.trainable for layer in model.layers if isinstance(layer, keras.layers.BatchNormalization)}
