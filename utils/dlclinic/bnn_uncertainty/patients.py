"""Saved variational nets to diagnose (the assignment's patients), in a file the package can read but not make.

A patient file (``.npz``) holds the builder's arguments of :func:`~dlclinic.bnn_uncertainty.models.build_bnn`,
the trained weights and the validation points the net is diagnosed on. The weights come from a training run
that only the instructor's script performs; the package rebuilds the net from the arguments and loads them.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from dlclinic.bnn_uncertainty.models import build_bnn
from dlclinic.bnn_uncertainty.probability import tf_keras
from dlclinic.bnn_uncertainty.training import negative_loglikelihood
from dlclinic.checks import as_float_array

BUILDER_ARGUMENTS = {"n_features", "n_train", "hidden", "last_activation", "heteroscedastic", "kl_weight",
                     "posterior_scale", "head_offset", "head_scale", "prior"}


@dataclass
class Patient:
    """A saved variational net and the validation points it is to be diagnosed on."""

    name: str
    model: tf_keras.Model
    x_val: np.ndarray
    y_val: np.ndarray


def save_patient(path: str | Path, model: tf_keras.Model, arguments: dict, x_val: object, y_val: object) -> Path:
    """Write ``model`` (built by ``build_bnn(**arguments)``), its weights and its validation points to ``path``."""
    unknown = set(arguments) - BUILDER_ARGUMENTS
    if unknown:
        raise ValueError(f"arguments must be build_bnn's; got unknown {sorted(unknown)}")
    x_val = as_float_array("x_val", x_val, ndim=2).astype("float32")
    y_val = as_float_array("y_val", y_val, ndim=1).astype("float32")
    weights = {f"weight_{i}": w for i, w in enumerate(model.get_weights())}
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(path, arguments=np.array(json.dumps(arguments, sort_keys=True)), x_val=x_val, y_val=y_val,
                        **weights)
    return path


def load_patient(path: str | Path) -> Patient:
    """The net saved at ``path``, rebuilt, with its weights, compiled like the case's nets, and its validation
    points."""
    path = Path(path)
    if not path.is_file():
        raise ValueError(f"no patient file at {path}: the patients ship beside the assignment's notebook")
    with np.load(path, allow_pickle=False) as saved:
        arguments = json.loads(str(saved["arguments"]))
        weights = [saved[f"weight_{i}"] for i in range(sum(key.startswith("weight_") for key in saved.files))]
        x_val, y_val = saved["x_val"], saved["y_val"]
    arguments["hidden"] = tuple(arguments.get("hidden", (16, 16)))
    model = build_bnn(**arguments)
    model.set_weights(weights)
    model.compile(optimizer=tf_keras.optimizers.Adam(0.01), loss=negative_loglikelihood)
    return Patient(path.stem, model, x_val, y_val)
