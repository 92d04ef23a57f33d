"""Make Assignment 2's patients: four pose nets of the case's family, saved as ``patient_*.keras``.

Run from this folder (``python instructor_patients.py``); it prints the reference diagnoses to paste into
``checks.py``. Like ``checks.py`` it is never released (``nbgrader_config.py`` ignores ``instructor_*``); the
checkpoints are. Every patient is the case's encoder–decoder (32 × 32 figures, 20 maps, 8 channels) trained on the
assignment's training figures (``make_poses(512, 32, seed=20)``); each has one fault from the notebook's closed
list (``FAULTS``, which also holds ``"healthy"``, true of none of them):

- ``patient_a``: the reporter's net (BatchNorm → sigmoid head, discs, BCE, Adam at 1e-3) after 128 steps,
  compiled with an explicit binary accuracy: its head's mean logit is still near 0, far from the background's
  logit (about −4.4): ``"bn_head"``, measured by the mean of ``head_mean_logit`` over the maps;
- ``patient_b``: a plain head trained on Gaussian maps whose rows and columns were swapped: its keypoints come
  out mirrored across the diagonal: ``"swapped_xy"``, measured by the PCK@0.2 of its keypoints read as (y, x);
- ``patient_c``: a healthy plain head (SimpleBaselines' recipe) compiled with ``metrics=["accuracy"]``, which
  Keras turns into categorical accuracy over the 20 maps: ``"accuracy_metric"``, measured by its PCK@0.2;
- ``patient_d``: the same healthy net with the last hidden block's BatchNorm shifted so that every ReLU before
  the head is dead: its maps are the head's bias, the same for every image: ``"constant_maps"``, measured by the
  largest standard deviation (over the figures, in pixels) of a decoded keypoint coordinate.

The measured values are on the notebook's validation figures, ``make_poses(128, 32, seed=22)``.
"""

from __future__ import annotations

import numpy as np

from dlclinic.backend import keras
from dlclinic.pose_heatmaps.data import make_poses
from dlclinic.pose_heatmaps.diagnosis import head_mean_logit
from dlclinic.pose_heatmaps.heatmaps import batch_maps, decode_keypoints
from dlclinic.pose_heatmaps.metrics import pck
from dlclinic.pose_heatmaps.models import build_pose_net
from dlclinic.seeding import seed_everything

SIZE, FILTERS, BATCH = 32, 8, 16


def trained(head: str, images: np.ndarray, maps: np.ndarray, steps: int, rate: float, seed: int, loss: str,
            metrics: list, output_std: float | None = None) -> keras.Model:
    seed_everything(seed)
    model = build_pose_net(SIZE, maps.shape[-1], head, filters=FILTERS, output_std=output_std)
    model.compile(optimizer=keras.optimizers.Adam(rate), loss=loss, metrics=metrics)
    per_epoch = len(images) // BATCH
    model.fit(images, maps, batch_size=BATCH, epochs=steps // per_epoch, verbose=0)
    return model


def keypoints(model: keras.Model, images: np.ndarray) -> np.ndarray:
    return decode_keypoints(np.asarray(model(images, training=False)))


def make_patients() -> dict[str, tuple[keras.Model, str, float]]:
    train, val = make_poses(512, SIZE, seed=20), make_poses(128, SIZE, seed=22)
    gaussians = batch_maps(train.keypoints, SIZE, SIZE, "gaussian", 2.0)
    discs = batch_maps(train.keypoints, SIZE, SIZE, "disc", 2.0)

    def score(points: np.ndarray) -> float:
        return pck(points, val.keypoints, 0.2, val.torso)

    a = trained("reporter", train.images, discs, 128, 1e-3, 31, "binary_crossentropy",
                [keras.metrics.BinaryAccuracy(name="binary_accuracy")])
    b = trained("linear", train.images, np.swapaxes(gaussians, 1, 2), 512, 3e-3, 32, "mse", [], output_std=1e-3)
    c = trained("linear", train.images, gaussians, 512, 3e-3, 33, "mse", ["accuracy"], output_std=1e-3)
    d = keras.models.clone_model(c)  # the same trained net, compiled without the metric ...
    d.set_weights(c.get_weights())
    d.compile(optimizer=keras.optimizers.Adam(3e-3), loss="mse")
    last_bn = [layer for layer in d.layers if isinstance(layer, keras.layers.BatchNormalization)][-1]
    gamma, beta, mean, variance = last_bn.get_weights()
    last_bn.set_weights([gamma, beta - 100.0, mean, variance])  # ... and every ReLU after this BatchNorm dead
    return {
        "patient_a": (a, "bn_head", float(head_mean_logit(a, val.images).mean())),
        "patient_b": (b, "swapped_xy", score(keypoints(b, val.images)[..., ::-1])),
        "patient_c": (c, "accuracy_metric", score(keypoints(c, val.images))),
        "patient_d": (d, "constant_maps", float(keypoints(d, val.images).std(axis=0).max())),
    }


if __name__ == "__main__":
    for name, (patient, fault, value) in make_patients().items():
        patient.save(f"{name}.keras")
        print(f"{name!r}: ({fault!r}, {value!r}),")
