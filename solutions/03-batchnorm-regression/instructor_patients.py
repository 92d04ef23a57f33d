"""Make Case 3's patients: four density nets of the case's family, saved as ``patient_*.keras``.

Run from this folder (``python instructor_patients.py``, a few minutes on two cores); it prints the reference
diagnoses to paste into ``checks.py`` (``PATIENTS``, ``TREATED_BAR``). ``python instructor_patients.py --bar``
measures the training task instead: the learning-free baselines and the solution's recipe over seeds 0–2 on
held-out scenes (``BAR`` in ``checks.py``). Like ``checks.py`` it is never released (``nbgrader_config.py``
ignores ``instructor_*``); the checkpoints are. Each patient is the case's net, trained on scenes of a seed
nothing in the release uses, and outputs density maps:

- ``patient_a``: BatchNorm, trained on the raw maps (the chapter's fault);
- ``patient_b``: BatchNorm, trained on standardised maps (the scaling undone by a last ``Rescaling`` layer) with
  moving statistics that were never updated (saved with Keras' momentum, as TF1 saves a net whose update ops
  never ran);
- ``patient_c``: the same recipe with moving statistics updated: healthy;
- ``patient_d``: trained like ``patient_c`` but saved without the ``Rescaling`` layer: its outputs are in
  standardised units.
"""

from __future__ import annotations

import sys

import numpy as np

from dlclinic.backend import keras
from dlclinic.batchnorm_regression.baselines import BlobCounter
from dlclinic.batchnorm_regression.data import make_scenes
from dlclinic.batchnorm_regression.diagnosis import batch_to_moving_ratio, output_scale_ratio, scale_decomposition
from dlclinic.batchnorm_regression.metrics import nmse
from dlclinic.batchnorm_regression.models import build_density_net
from dlclinic.batchnorm_regression.treatments import TargetScaler
from dlclinic.seeding import seed_everything

SIZE, BATCH, EPOCHS = 32, 8, 12  # 1,536 steps of 8 scenes, as in the chapter's full run
PATIENT_SCENES = 7331  # the patients' training scenes (the notebook's scenes use seeds 10, 11 and 21)
CHECK_SCENES = 21  # the notebook's check scenes, on which the learner measures each patient
HELD_OUT = (9001, 9002, 9003)  # held-out scenes for the measurements below; the grader draws its own seeds


def train_patient(standardise: bool, momentum: float, seed: int) -> tuple[keras.Model, TargetScaler | None]:
    """The case's net trained ``EPOCHS`` epochs on the raw or standardised maps, and the scaler (or ``None``)."""
    scenes = make_scenes(1024, SIZE, seed=PATIENT_SCENES)
    seed_everything(seed)
    net = build_density_net(SIZE, bn_momentum=momentum)
    scaler = TargetScaler().fit(scenes.maps) if standardise else None
    targets = scaler.transform(scenes.maps) if scaler else scenes.maps
    net.fit(scenes.images, targets.astype("float32"), batch_size=BATCH, epochs=EPOCHS, verbose=0)
    for layer in net.layers:
        if isinstance(layer, keras.layers.BatchNormalization):
            layer.momentum = 0.99  # saved as Keras' default: the fault is in the statistics, not the config
    return net, scaler


def undo_scaling(net: keras.Model, scaler: TargetScaler) -> keras.Model:
    """``net`` followed by a layer that turns standardised outputs back into map units."""
    undo = keras.layers.Rescaling(scale=scaler.std_, offset=scaler.mean_, name="undo_standardising")
    return keras.Model(net.input, undo(net.output))


def measures(model: keras.Model, scenes) -> dict[str, float]:
    """What the learner measures on the check scenes (the package's versions of the graded functions)."""
    predictions = np.asarray(model(scenes.images, training=False))
    return {"nmse": nmse(scenes.maps, predictions),
            "output_scale_ratio": output_scale_ratio(model, scenes.images, scenes.maps),
            "alignment": scale_decomposition(model, scenes.images)["alignment"],
            "batch_to_moving_ratio": batch_to_moving_ratio(model, scenes.images, batch_size=len(scenes))}


def restimate(model: keras.Model, images: np.ndarray) -> keras.Model:
    """The treatment of stale moving statistics: set them to the statistics of ``images`` (one batch)."""
    norms = [layer for layer in model.layers if isinstance(layer, keras.layers.BatchNormalization)]
    for layer in norms:
        layer.momentum = 0.0
    model(images, training=True)
    for layer in norms:
        layer.momentum = 0.99
    return model


def make_patients() -> None:
    check = make_scenes(64, SIZE, seed=CHECK_SCENES)
    patients = {
        "patient_a": train_patient(standardise=False, momentum=0.99, seed=1)[0],
        "patient_b": undo_scaling(*train_patient(standardise=True, momentum=1.0, seed=2)),
        "patient_c": undo_scaling(*train_patient(standardise=True, momentum=0.99, seed=3)),
        "patient_d": train_patient(standardise=True, momentum=0.99, seed=4)[0],
    }
    for name, model in patients.items():
        model.save(f"{name}.keras")
        found = measures(keras.models.load_model(f"{name}.keras"), check)
        print(f"{name!r}: {found},")
    for seed in HELD_OUT:
        held_out = make_scenes(100, SIZE, seed=seed)
        mean_map = np.broadcast_to(check.maps.mean(axis=0), held_out.maps.shape)
        scored = {"patient_b treated": restimate(keras.models.load_model("patient_b.keras"), check.images),
                  "untreated": keras.models.load_model("patient_b.keras"),
                  "patient_c": keras.models.load_model("patient_c.keras")}
        found = {name: nmse(held_out.maps, model.predict(held_out.images, verbose=0)) for name, model in scored.items()}
        print(f"held-out {seed}: NMSE", {name: round(value, 4) for name, value in found.items()},
              f"mean map {nmse(held_out.maps, mean_map):.4f}")


def solution_recipe(images: np.ndarray, maps: np.ndarray, seed: int):
    """The notebook's reference answer to the training task (standardised targets, 6 epochs of 15 steps, moving
    statistics with momentum 0.9: at Keras' 0.99 they keep 40 % of their start after 90 steps, and the same
    recipe scored held-out NMSE 1.14-1.17 on seed 0)."""
    seed_everything(seed)
    scaler = TargetScaler().fit(maps)
    model = build_density_net(images.shape[1], batchnorm=True, bn_momentum=0.9)  # 90 steps: 0.99 would lag
    model.fit(images, scaler.transform(maps), batch_size=32, epochs=6, verbose=0)
    return lambda x: scaler.inverse_transform(model.predict(x, batch_size=256, verbose=0))


def measure_bar() -> None:
    train = make_scenes(480, size=48, seed=10)
    counter = BlobCounter(4.0).fit(train.images, train.maps)
    held = [make_scenes(200, size=48, seed=seed) for seed in HELD_OUT]
    for scenes in held:
        mean_map = np.broadcast_to(train.maps.mean(axis=0), scenes.maps.shape)
        print(f"held-out: mean map {nmse(scenes.maps, mean_map):.4f}, "
              f"zeros {nmse(scenes.maps, 0 * scenes.maps):.4f}, "
              f"blob counter {nmse(scenes.maps, counter.predict(scenes.images)):.4f}")
    for seed in (0, 1, 2):
        predict = solution_recipe(train.images, train.maps, seed)
        print(f"solution seed {seed}:", [round(nmse(s.maps, predict(s.images)), 4) for s in held])


if __name__ == "__main__":
    measure_bar() if "--bar" in sys.argv else make_patients()
