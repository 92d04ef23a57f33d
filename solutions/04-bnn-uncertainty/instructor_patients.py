"""Make Assignment 4's patients: four variational nets of the case's family, saved as ``patient_*.npz``.

Run from this folder (``../../.venv/bin/python instructor_patients.py``); it prints the reference diagnoses to
paste into ``checks.py``. Like ``checks.py`` it is never released (``nbgrader_config.py`` ignores
``instructor_*``); the checkpoints are. Every patient is trained on the training part of
``wave_split(150, 150, 500, seed=20)`` (the first 60 points for ``patient_a``) and saved with that split's
validation points, which the learner diagnoses it on:

- ``patient_a`` is **overconfident**: wide layers, posterior stds of 1e-3 and almost no KL term, trained long
  on 60 points, so its stds fit the training noise and its 95 % intervals cover far less than 95 %;
- ``patient_b`` has a **std floor**: the reporter's ReLU in front of the head, with an offset of 0.01, so no std
  goes below 0.01 + log 2 (not the chapter's 1e-3 + log 2);
- ``patient_c`` is **healthy**: the chapter's fix, trained 2000 steps at 0.01;
- ``patient_d`` has a **collapsed posterior**: the fix trained 8000 steps at 0.1, where the mean-field objective
  pulls every weight's posterior to the prior and the net stops using its input.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from dlclinic.bnn_uncertainty.data import wave_split
from dlclinic.bnn_uncertainty.diagnosis import kl_parts
from dlclinic.bnn_uncertainty.metrics import picp, predictive_moments
from dlclinic.bnn_uncertainty.models import build_bnn
from dlclinic.bnn_uncertainty.patients import save_patient
from dlclinic.bnn_uncertainty.probability import tf_keras
from dlclinic.bnn_uncertainty.training import fit, negative_loglikelihood, sample_predictions
from dlclinic.seeding import seed_everything

FIX = {"last_activation": None, "head_scale": 1.0}
# name: (fault, builder arguments, training points used, learning rate, steps)
PATIENTS = {
    "patient_a": ("overconfident", {"hidden": [32, 32], "posterior_scale": 1e-3, "kl_weight": 1e-6, **FIX}, 60, 0.01,
                  8000),
    "patient_b": ("std_floor", {"hidden": [16, 16], "last_activation": "relu", "head_offset": 0.01}, 150, 0.01, 3000),
    "patient_c": ("healthy", {"hidden": [16, 16], **FIX}, 150, 0.01, 2000),
    "patient_d": ("collapsed_posterior", {"hidden": [16, 16], **FIX}, 150, 0.1, 8000),
}
DRAWS = 100  # posterior draws for the measured values (the notebook asks for 100)


def measured(fault: str, model, x_val: np.ndarray, y_val: np.ndarray) -> float:
    """The value that proves ``fault`` (the notebook's table): the smallest std the head emits, the median
    posterior std, or the 95 % coverage of the predictive distribution on the validation points."""
    mu, sigma = sample_predictions(model, x_val, DRAWS)
    if fault == "std_floor":
        return float(sigma.min())
    if fault == "collapsed_posterior":
        return float(kl_parts(model)["median_posterior_std"])
    return picp(y_val, *predictive_moments(mu, sigma))


def make_patient(name: str, folder: Path) -> tuple[str, float]:
    fault, arguments, n_train, rate, steps = PATIENTS[name]
    split = wave_split(150, 150, 500, seed=20)
    arguments = {"n_features": 1, "n_train": n_train, **arguments}
    seed_everything(sorted(PATIENTS).index(name) + 1)
    model = build_bnn(**arguments)
    model.compile(optimizer=tf_keras.optimizers.Adam(rate), loss=negative_loglikelihood)
    fit(model, split.x_train[:n_train], split.y_train[:n_train], steps)
    save_patient(folder / f"{name}.npz", model, arguments, split.x_val, split.y_val)
    seed_everything(0)
    return fault, measured(fault, model, split.x_val, split.y_val)


if __name__ == "__main__":
    here = Path(__file__).resolve().parent
    for patient in PATIENTS:
        print(f"    {patient!r}: {make_patient(patient, here)!r},")
