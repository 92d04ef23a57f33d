"""Train the case's variants on the same figures and budget, and record what the book compares."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from dlclinic.backend import keras
from dlclinic.pose_heatmaps.data import Poses
from dlclinic.pose_heatmaps.heatmaps import batch_maps, decode_keypoints, soft_argmax
from dlclinic.pose_heatmaps.losses import spatial_softmax_crossentropy
from dlclinic.pose_heatmaps.metrics import HeatmapPCK, mean_error_px, pck
from dlclinic.pose_heatmaps.models import build_pose_net
from dlclinic.progress import EpochBar
from dlclinic.seeding import seed_everything

SIGMA = 2.0  # Gaussian targets, as SimpleBaselines uses on its 64×48 maps
RADIUS = 2.0  # the reporter's binary discs
PCK_THRESHOLD = 0.2  # PCK@0.2 of the torso length, the LSP convention


@dataclass(frozen=True)
class Variant:
    """A head, the targets it learns and the loss it is trained with."""

    head: str
    targets: str
    loss: str
    label: str


VARIANTS = {
    "reporter": Variant("reporter", "disc", "bce", "BN + sigmoid head, binary discs, BCE (the report)"),
    "no_head_bn": Variant("sigmoid", "disc", "bce", "sigmoid head without BN, binary discs, BCE"),
    "gaussian_mse": Variant("linear", "gaussian", "mse", "plain 1×1 head, Gaussian heatmaps, MSE"),
    "gaussian_focal": Variant("sigmoid", "gaussian", "focal", "sigmoid head, Gaussian heatmaps, focal BCE"),
    "spatial_softmax": Variant("linear", "gaussian", "spatial", "plain 1×1 head, softmax over pixels per map"),
}


def make_loss(name: str):
    """The loss object for a variant's ``loss`` key."""
    losses = {
        "bce": keras.losses.BinaryCrossentropy(),
        "mse": keras.losses.MeanSquaredError(),
        "focal": keras.losses.BinaryFocalCrossentropy(gamma=2.0),
        "spatial": spatial_softmax_crossentropy,
    }
    if name not in losses:
        raise ValueError(f"loss must be one of {sorted(losses)}; got {name!r}")
    return losses[name]


def targets_for(variant: Variant, poses: Poses) -> np.ndarray:
    """(n, H, W, K) maps for ``poses`` in the form ``variant`` learns."""
    size = poses.images.shape[1]
    return batch_maps(poses.keypoints, size, size, variant.targets, RADIUS if variant.targets == "disc" else SIGMA)


@dataclass
class Run:
    """One trained variant: its model, the decoded test keypoints, a few test maps and per-epoch training logs."""

    name: str
    model: keras.Model
    keypoints: np.ndarray
    maps: np.ndarray
    history: dict[str, list[float]] = field(default_factory=dict)

    def scores(self, test: Poses) -> dict[str, float]:
        return {
            "pck": pck(self.keypoints, test.keypoints, PCK_THRESHOLD, test.torso),
            "mean_error_px": mean_error_px(self.keypoints, test.keypoints),
        }


def train_variant(
    name: str, train: Poses, test: Poses, epochs: int, seed: int, batch_size: int = 16, keep_maps: int = 8
) -> Run:
    """Build, compile, train and evaluate one of :data:`VARIANTS` from the same seed as the others.

    The reporter's compile call asks for ``"accuracy"``; every variant also logs binary accuracy (for the
    sigmoid heads) and PCK, the honest metrics.
    """
    if name not in VARIANTS:
        raise ValueError(f"name must be one of {sorted(VARIANTS)}; got {name!r}")
    variant = VARIANTS[name]
    seed_everything(seed)
    model = build_pose_net(train.images.shape[1], train.keypoints.shape[1], variant.head)
    metrics = ["accuracy"] if name == "reporter" else []
    if variant.head != "linear":
        metrics.append(keras.metrics.BinaryAccuracy(name="binary_accuracy"))
    metrics.append(HeatmapPCK(radius=3.0))
    model.compile(optimizer=keras.optimizers.Adam(2e-3), loss=make_loss(variant.loss), metrics=metrics)
    history = model.fit(
        train.images, targets_for(variant, train), batch_size=batch_size, epochs=epochs, verbose=0,
        callbacks=[EpochBar(epochs, name)],
    )
    maps = predict_maps(model, test.images)
    return Run(name, model, decode_keypoints(maps), maps[:keep_maps], dict(history.history))


def soft_argmax_readout(run: Run, test: Poses) -> np.ndarray:
    """(n, K, 2) keypoints read from a variant's logit maps by soft-argmax (sub-pixel) instead of argmax."""
    return np.asarray(soft_argmax(predict_maps(run.model, test.images)))


def predict_maps(model: keras.Model, images: np.ndarray, batch_size: int = 64) -> np.ndarray:
    """The model's maps in inference mode, by direct calls (``predict`` retraces, and warns, for every new model)."""
    return np.concatenate([np.asarray(model(images[i : i + batch_size], training=False))
                           for i in range(0, len(images), batch_size)])
