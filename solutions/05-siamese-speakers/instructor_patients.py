"""Make Assignment 5's patients: four siamese speaker branches trained on the assignment's training speakers,
saved as ``patient_*.keras`` with their training logs ``patient_*.json``.

Run from this folder (``python instructor_patients.py``); it prints the reference diagnoses to paste into
``checks.py``. Like ``checks.py`` it is never released (``nbgrader_config.py`` ignores ``instructor_*``); the
checkpoints and logs are. The faults (the learner finds them; the logs do not say):

- ``patient_a``: healthy, softplus outputs, symmetric KL, margin 1 (the case's fix);
- ``patient_b``: the report's setup, PReLU outputs clipped into a one-way KL, margin 1 (clipped outputs);
- ``patient_c``: softmax outputs, symmetric KL, margin 2 (Hsu & Kira's loss), trained with the labels inverted
  (1 for two speakers): no embedding can put every same-speaker pair apart and every other pair together, so it
  learns nothing (its loss stays near the margin; the probe EER is a coin's);
- ``patient_d``: the same loss trained on same-speaker pairs only (a pair sampler that never draws two speakers):
  nothing pushes embeddings apart, so they collapse.
"""

from __future__ import annotations

import json

import numpy as np

from dlclinic.backend import keras
from dlclinic.seeding import seed_everything
from dlclinic.siamese_speakers.data import make_corpus
from dlclinic.siamese_speakers.features import Standardiser, log_mel
from dlclinic.siamese_speakers.losses import kl_divergence, reporter_kl
from dlclinic.siamese_speakers.metrics import equal_error_rate
from dlclinic.siamese_speakers.models import build_branch, build_pair_model, pair_loss
from dlclinic.siamese_speakers.pairs import pair_dataset, sample_pairs

ops = keras.ops
STEPS, EVERY = 320, 32  # Adam steps of 64 pairs, and the steps between two entries of the loss log
PATIENTS = {  # output, clipped one-way KL (else symmetric, eps inside the log), margin, rate, label fault
    "patient_a": ("softplus", False, 1.0, 3e-3, None),
    "patient_b": ("prelu", True, 1.0, 1e-3, None),
    "patient_c": ("softmax", False, 2.0, 1e-3, "inverted"),
    "patient_d": ("softmax", False, 2.0, 1e-3, "same only"),
}
COLLAPSED = 0.05  # the notebook's thresholds: the largest distance between two probe utterances,
COIN = 0.4  # the probe EER from which a model verifies like a coin


def pair_kl_loss(same, p, q, clip: bool, margin: float):
    """The report's loss (clipped one-way KL) or Hsu & Kira's (a hinge per direction, eps inside the log)."""
    if clip:
        d = reporter_kl(p, q)
        return same * d + (1 - same) * ops.relu(margin - d)
    forward, backward = kl_divergence(p, q), kl_divergence(q, p)
    return same * (forward + backward) + (1 - same) * (ops.relu(margin - forward) + ops.relu(margin - backward))


def make_patient(x: np.ndarray, labels: np.ndarray, output: str, clip: bool, margin: float, rate: float,
                 fault: str | None, seed: int) -> tuple[keras.Model, list[float]]:
    seed_everything(seed)
    branch = build_branch(output)
    model = build_pair_model(branch)
    model.compile(keras.optimizers.Adam(rate), loss=pair_loss(pair_kl_loss, clip=clip, margin=margin))
    rng = np.random.default_rng(seed)
    i, j, same = sample_pairs(labels, STEPS * 64, rng)
    if fault == "inverted":
        same = 1 - same
    elif fault == "same only":
        i, j, same = i[same == 1], j[same == 1], same[same == 1]
        i, j, same = np.tile(i, 2), np.tile(j, 2), np.tile(same, 2)
    history = model.fit(pair_dataset(x, i, j, same), epochs=STEPS // EVERY, steps_per_epoch=EVERY, shuffle=False,
                        verbose=0)
    return branch, [round(float(v), 5) for v in history.history["loss"]]


def diagnose(branch: keras.Model, clip: bool, x_probe: np.ndarray, y_probe: np.ndarray) -> tuple[str, float]:
    """The notebook's rule, as the solution applies it: the first condition, in its order, whose sign is present."""
    e = np.asarray(branch(x_probe, training=False), dtype=float)
    clipped = float(np.mean((e < 1e-7) | (e > 1)))
    if clip:
        e = np.clip(e, 1e-7, 1.0)
    d = np.asarray(kl_divergence(e[:, None], e[None]) + kl_divergence(e[None], e[:, None]))
    i, j = np.triu_indices(len(y_probe), k=1)
    eer, _ = equal_error_rate((y_probe[i] == y_probe[j]).astype(float), d[i, j])
    if float(d.max()) < COLLAPSED:
        return "collapsed embeddings", float(d.max())
    if clip and clipped > 0.5:
        return "clipped outputs", clipped
    if eer >= COIN:
        return "learned nothing", eer
    return "healthy", eer


if __name__ == "__main__":
    train = make_corpus(20, 10, seed=50)
    standardiser = Standardiser().fit(log_mel(train.waves))
    x_train = standardiser.transform(log_mel(train.waves))
    probe = make_corpus(8, 8, seed=52)
    x_probe = standardiser.transform(log_mel(probe.waves))
    for seed, (name, (output, clip, margin, rate, fault)) in enumerate(PATIENTS.items(), start=60):
        branch, losses = make_patient(x_train, train.labels, output, clip, margin, rate, fault, seed)
        branch.save(f"{name}.keras")
        log = {"outputs": output, "distance": "one-way KL, outputs clipped to [1e-7, 1]" if clip else
               "KL in both directions, eps inside the log", "clip": clip, "margin": margin, "learning_rate": rate,
               "steps": STEPS, "pairs_per_step": 64, "loss_every_32_steps": losses}
        with open(f"{name}.json", "w", encoding="utf-8") as handle:
            json.dump(log, handle, indent=1)
        print(f"{name!r}: {diagnose(branch, clip, x_probe, probe.labels)!r},")
