"""Train the case's variants on the same figures and budget, each at its own learning rate, over seeds."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from dlclinic.backend import keras, tf
from dlclinic.pose_heatmaps.data import Poses
from dlclinic.pose_heatmaps.diagnosis import HeadTrace
from dlclinic.pose_heatmaps.heatmaps import batch_maps, decode_keypoints
from dlclinic.pose_heatmaps.losses import spatial_softmax_crossentropy
from dlclinic.pose_heatmaps.metrics import mean_error_px, pck
from dlclinic.pose_heatmaps.models import KERAS_MOMENTUM, build_pose_net
from dlclinic.second_edition import best_learning_rate, summarise
from dlclinic.seeding import seed_everything

SIGMA = 2.0  # Gaussian targets, as SimpleBaselines uses on its 64×48 maps
RADIUS = 2.0  # the reporter's binary discs
PCK_THRESHOLD = 0.2  # PCK@0.2 of the torso length, the LSP convention
SIMPLE_BASELINES_STD = 1e-3  # SimpleBaselines' initial std of the final 1×1 conv


@dataclass(frozen=True)
class Variant:
    """One setup: the head, the targets it learns, the loss, BatchNorm's momentum and the head's initial std."""

    label: str
    head: str = "reporter"
    targets: str = "disc"
    loss: str = "bce"
    momentum: float = KERAS_MOMENTUM
    output_std: float | None = None


_SB = {"head": "linear", "targets": "gaussian", "loss": "mse", "output_std": SIMPLE_BASELINES_STD}
VARIANTS = {
    # the reporter's setup, and one change from it per row
    "reporter": Variant("the report: BN + sigmoid head, discs, BCE"),
    "no_head_bn": Variant("no BatchNorm before the sigmoid", head="sigmoid"),
    "momentum_09": Variant("BatchNorm momentum 0.9 instead of 0.99", momentum=0.9),
    # SimpleBaselines' recipe, and one change from it per row
    "simple_baselines": Variant("SimpleBaselines: plain head, Gaussians, MSE, output std 0.001", **_SB),
    "default_init": Variant("Keras' default output initialisation", **{**_SB, "output_std": None}),
    "sigmoid_bce": Variant("sigmoid + BCE instead of MSE", **{**_SB, "head": "sigmoid", "loss": "bce"}),
    "spatial_softmax": Variant("softmax over each map's pixels instead of MSE", **{**_SB, "loss": "spatial"}),
    "disc_targets": Variant("disc targets instead of Gaussians", **{**_SB, "targets": "disc"}),
}
FROM_REPORTER = ("no_head_bn", "momentum_09")
FROM_RECIPE = ("default_init", "sigmoid_bce", "spatial_softmax", "disc_targets")


def make_loss(name: str):
    """The loss object for a variant's ``loss`` key."""
    losses = {
        "bce": keras.losses.BinaryCrossentropy,
        "mse": keras.losses.MeanSquaredError,
        "spatial": lambda: spatial_softmax_crossentropy,
    }
    if name not in losses:
        raise ValueError(f"loss must be one of {sorted(losses)}; got {name!r}")
    return losses[name]()


def targets_for(variant: Variant, poses: Poses) -> np.ndarray:
    """(n, H, W, K) maps for ``poses`` in the form ``variant`` learns."""
    size = poses.images.shape[1]
    return batch_maps(poses.keypoints, size, size, variant.targets, RADIUS if variant.targets == "disc" else SIGMA)


def predict_maps(model: keras.Model, images: np.ndarray, batch_size: int = 256) -> np.ndarray:
    """The model's maps in inference mode, by direct calls (``predict`` retraces, and warns, for every new model)."""
    return np.concatenate([np.asarray(model(images[i : i + batch_size], training=False))
                           for i in range(0, len(images), batch_size)])


def scores(model: keras.Model, poses: Poses) -> dict[str, float]:
    """PCK@0.2 of the torso and mean error (px) of the argmax keypoints of ``model`` on ``poses``."""
    keypoints = decode_keypoints(predict_maps(model, poses.images))
    return {"pck": pck(keypoints, poses.keypoints, PCK_THRESHOLD, poses.torso),
            "mean_error_px": mean_error_px(keypoints, poses.keypoints)}


@dataclass
class Run:
    """One training of one variant at one learning rate and seed: the model, its logs and its scores."""

    name: str
    learning_rate: float
    seed: int
    model: keras.Model
    history: dict[str, list[float]]
    val: dict[str, float]
    test: dict[str, float]
    trace: HeadTrace | None = None


def train_variant(
    name: str, train: Poses, val: Poses, test: Poses, steps: int, learning_rate: float, seed: int,
    batch_size: int = 16, filters: int = 16, steps_per_epoch: int | None = None,
) -> Run:
    """Build, compile and train one of :data:`VARIANTS` for ``steps`` Adam steps, then score it.

    Batches are drawn from the shuffled, repeated training set, so a budget is a number of steps whatever the
    batch size. A BatchNorm head is traced (:class:`HeadTrace`) once per ``steps_per_epoch`` steps.
    """
    if name not in VARIANTS:
        raise ValueError(f"name must be one of {sorted(VARIANTS)}; got {name!r}")
    variant = VARIANTS[name]
    per_epoch = steps_per_epoch or max(1, len(train) // batch_size)
    if steps < 1 or steps % per_epoch:
        raise ValueError(f"steps must be a positive multiple of steps_per_epoch ({per_epoch}); got {steps}")
    seed_everything(seed)
    model = build_pose_net(train.images.shape[1], train.keypoints.shape[1], variant.head, filters=filters,
                           momentum=variant.momentum, output_std=variant.output_std)  # this run's initial weights
    trainer = _trainer(variant, train.images.shape[1], train.keypoints.shape[1], filters)
    trainer.set_weights(model.get_weights())
    for variable in trainer.optimizer.variables:  # a fresh Adam: zero moments and step count
        variable.assign(tf.zeros_like(variable))
    trainer.optimizer.learning_rate = learning_rate
    data = (tf.data.Dataset.from_tensor_slices((train.images, targets_for(variant, train)))
            .shuffle(len(train), seed=seed).repeat().batch(batch_size, drop_remainder=True))
    trace = HeadTrace() if variant.head == "reporter" else None
    history = trainer.fit(data, epochs=steps // per_epoch, steps_per_epoch=per_epoch, verbose=0, shuffle=False,
                          callbacks=[trace] if trace else [])
    model.set_weights(trainer.get_weights())  # the run keeps its own trained model
    return Run(name, learning_rate, seed, model, dict(history.history), scores(model, val), scores(model, test), trace)


_TRAINERS: dict[tuple, keras.Model] = {}


def _trainer(variant: Variant, size: int, n_keypoints: int, filters: int) -> keras.Model:
    """One compiled model per architecture and loss, whose ``fit`` traces its training step once for every run.

    Tracing and optimising the step costs about ten times the CPU of a quick run's 128 steps; the variants that
    differ only in targets or initialisation share it (their weights and Adam's state are reset for every run).
    """
    key = (variant.head, variant.momentum, variant.loss, size, n_keypoints, filters)
    if key not in _TRAINERS:
        model = build_pose_net(size, n_keypoints, variant.head, filters=filters, momentum=variant.momentum)
        model.compile(optimizer=keras.optimizers.Adam(), loss=make_loss(variant.loss))
        _TRAINERS[key] = model
    return _TRAINERS[key]


@dataclass
class Sweep:
    """A variant over a learning-rate sweep (one seed), then at its picked rate over further seeds."""

    name: str
    by_rate: dict[float, Run]
    seed_runs: list[Run] = field(default_factory=list)

    @property
    def best_rate(self) -> float:
        """The rate with the highest validation PCK."""
        return best_learning_rate({rate: run.val["pck"] for rate, run in self.by_rate.items()}, False)[0]

    @property
    def best(self) -> Run:
        return self.by_rate[self.best_rate]

    def runs(self) -> list[Run]:
        """The picked rate's run followed by the extra seeds' runs."""
        return [self.best, *self.seed_runs]

    def summary(self, metric: str = "pck") -> tuple[float, float]:
        """Mean and spread of a test metric over the seeds at the picked rate."""
        return summarise([run.test[metric] for run in self.runs()])


def sweep_variant(
    name: str, data: tuple[Poses, Poses, Poses], steps: int, rates: Sequence[float], seeds: Sequence[int],
    done: dict[float, Run] | None = None, **kwargs,
) -> Sweep:
    """Train ``name`` at every rate with ``seeds[0]``, pick the rate on validation, repeat it with ``seeds[1:]``.

    ``done`` holds runs already made with ``seeds[0]`` and the same budget (the page's own), by rate.
    """
    train, val, test = data
    done = done or {}
    if any(run.name != name or run.seed != seeds[0] for run in done.values()):
        raise ValueError(f"done must hold runs of {name!r} with seed {seeds[0]}")
    by_rate = {rate: done[rate] if rate in done else train_variant(name, train, val, test, steps, rate, seeds[0],
                                                                   **kwargs) for rate in rates}
    sweep = Sweep(name, by_rate)
    sweep.seed_runs = [train_variant(name, train, val, test, steps, sweep.best_rate, s, **kwargs) for s in seeds[1:]]
    return sweep
