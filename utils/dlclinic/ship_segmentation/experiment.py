"""Train one setup of the case (a loss, the tiles it sees, where its output bias starts) on the same tiles and
budget, and hand the runner (:mod:`dlclinic.differential`) what it judges: validation F2 over steps and the
test metrics, every model at its own threshold picked on validation tiles."""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

import numpy as np

from dlclinic.backend import keras
from dlclinic.differential import Fit
from dlclinic.seeding import seed_everything
from dlclinic.ship_segmentation.data import Tiles
from dlclinic.ship_segmentation.diagnosis import predicted_positive_rate
from dlclinic.ship_segmentation.metrics import airbus_f2, dice_per_image, f2_parts, pixel_pr_auc
from dlclinic.ship_segmentation.models import build_unet

Loss = Callable[[object, object], object]
# Thresholds on the probability, evenly spaced in logit from -8 to 8: a weighted loss moves the decision
# threshold to w / (1 + w) (0.001 for a weight of 1/1000 on the ship pixels, 0.97 for 35), far from 0.5.
THRESHOLDS = tuple(float(1 / (1 + math.exp(-z))) for z in np.arange(-8.0, 8.5, 1.0))
TEST_METRIC = "test F2"


@dataclass(frozen=True)
class Setup:
    """What a row trains: its ``loss``, the training tiles it draws from ("ships": only tiles with a ship, the
    reporter's choice; "all"; "balanced": half of each batch with ships, half without), whether the output bias
    starts at the prior share of ship pixels, and the share of the budget's steps it trains for (``exposure``)."""

    loss: Loss
    tiles: str = "ships"
    prior_bias: bool = False
    exposure: float = 1.0

    def __post_init__(self) -> None:
        if self.tiles not in ("ships", "all", "balanced"):
            raise ValueError(f"tiles must be 'ships', 'all' or 'balanced'; got {self.tiles!r}")
        if not 0 < self.exposure <= 1:
            raise ValueError(f"exposure must be in (0, 1]; got {self.exposure!r}")

    def training_tiles(self, train: Tiles) -> Tiles:
        """The tiles this setup trains on ("balanced" keeps them all: the sampler balances the batches)."""
        return train.subset(train.has_ship) if self.tiles == "ships" else train


@dataclass
class Run:
    """What one training keeps: the model, its validation and test probabilities, the loss per step and the
    share of probe pixels above 0.5 every few steps."""

    model: keras.Model
    val_prob: np.ndarray
    test_prob: np.ndarray
    threshold: float
    loss: list[float] = field(default_factory=list)
    rate_steps: list[int] = field(default_factory=list)
    positive_rate: list[float] = field(default_factory=list)


def batches(tiles: Tiles, steps: int, batch_size: int, balanced: bool, rng: np.random.Generator
            ) -> Iterator[np.ndarray]:
    """``steps`` index batches, shuffled epochs; ``balanced`` draws half of each batch from tiles with ships."""
    if balanced:
        ships, empty = np.flatnonzero(tiles.has_ship), np.flatnonzero(~tiles.has_ship)
        half = batch_size // 2
        for _ in range(steps):
            yield np.concatenate([rng.choice(ships, half), rng.choice(empty, batch_size - half)])
        return
    order = np.array([], dtype=int)
    for _ in range(steps):
        if len(order) < batch_size:
            order = np.concatenate([order, rng.permutation(len(tiles))])
        yield order[:batch_size]
        order = order[batch_size:]


def predict(model: keras.Model, images: np.ndarray, batch_size: int = 256) -> np.ndarray:
    """Probabilities (n, H, W, 1), eager calls in inference mode (no predict function to trace)."""
    return np.concatenate([np.asarray(model(images[i:i + batch_size], training=False))
                           for i in range(0, len(images), batch_size)])


def best_threshold(masks: np.ndarray, probabilities: np.ndarray) -> tuple[float, float]:
    """The threshold of :data:`THRESHOLDS` with the best F2 on ``masks`` (ties: the one nearest 0.5), and that F2."""
    found = {t: airbus_f2(masks, (probabilities > t).astype("float32"))
             for t in sorted(THRESHOLDS, key=lambda t: abs(t - 0.5))}
    threshold = max(found, key=found.get)
    return threshold, found[threshold]


def test_metrics(test: Tiles, probabilities: np.ndarray, threshold: float) -> dict[str, float]:
    """The row's test metrics at its validation threshold (F2 and its two parts, Dice, PR-AUC) and F2 at 0.5."""
    predicted = (probabilities > threshold).astype("float32")
    parts = f2_parts(test.masks, predicted)
    return {TEST_METRIC: parts["f2"], "empty_fpr": 1 - parts["empty_tile_f2"], "ship_tile_f2": parts["ship_tile_f2"],
            "f2_at_half": airbus_f2(test.masks, (probabilities > 0.5).astype("float32")),
            "dice": dice_per_image(test.masks, predicted), "pr_auc": pixel_pr_auc(test.masks, probabilities),
            "threshold": threshold}


_TRAINERS: dict[tuple, keras.Model] = {}


def _trainer(loss: Loss, size: int, channels: int, filters: int) -> keras.Model:
    """One compiled U-Net per loss and architecture, whose ``train_on_batch`` traces its step once for every run
    that shares them (tracing costs several times the CPU of a quick run's steps). The step is compiled with XLA,
    about a third less CPU per step than TensorFlow's own kernels on these small convolutions."""
    key = (id(loss), size, channels, filters)
    if key not in _TRAINERS:
        model = build_unet(size, channels, filters=filters)
        model.compile(optimizer=keras.optimizers.Adam(), loss=loss)
        model.optimizer.build(model.trainable_variables)
        _TRAINERS[key] = model
    return _TRAINERS[key]


def train_setup(
    setup: Setup,
    data: tuple[Tiles, Tiles, Tiles],
    steps: int,
    learning_rate: float,
    seed: int,
    batch_size: int = 8,
    filters: int = 8,
    evaluations: int = 6,
    probe_every: int = 0,
) -> Fit:
    """Train ``setup`` from ``seed`` for ``steps`` × ``exposure`` Adam steps of ``batch_size`` tiles with
    ``train_on_batch`` (as the reporter did). Validation F2, each time at its best threshold, is measured at
    ``evaluations`` evenly spaced steps; ``probe_every`` > 0 also records the share of pixels above 0.5 on
    validation tiles with ships. The steps run on a compiled model shared by every run with the same loss
    (:func:`_trainer`), reset to this run's initial weights and a fresh Adam; the run keeps its own model."""
    train, val, test = data
    tiles = setup.training_tiles(train)
    steps = max(1, round(steps * setup.exposure))
    seed_everything(seed)
    prior = float(tiles.masks.mean())
    bias = math.log(prior / (1 - prior)) if setup.prior_bias else None
    size, channels = train.images.shape[1], train.images.shape[-1]
    model = build_unet(size, channels, filters=filters, output_bias=bias)  # this run's initial weights
    trainer = _trainer(setup.loss, size, channels, filters)
    trainer.set_weights(model.get_weights())
    for variable in trainer.optimizer.variables:  # a fresh Adam: zero moments and step count
        variable.assign(keras.ops.zeros_like(variable))
    trainer.optimizer.learning_rate = learning_rate
    checkpoints = set(np.linspace(steps / evaluations, steps, evaluations).round().astype(int))
    probe = val.images[val.has_ship][:16]
    run = Run(model, np.empty(0), np.empty(0), 0.5)
    at, curve = [], []
    rng = np.random.default_rng(seed)
    for step, index in enumerate(batches(tiles, steps, batch_size, setup.tiles == "balanced", rng), 1):
        run.loss.append(float(trainer.train_on_batch(tiles.images[index], tiles.masks[index])))
        if probe_every and (step == 1 or step % probe_every == 0):
            run.rate_steps.append(step)
            run.positive_rate.append(predicted_positive_rate(predict(trainer, probe)))
        if step in checkpoints:
            val_prob = predict(trainer, val.images)
            at.append(step)
            curve.append(best_threshold(val.masks, val_prob)[1] if np.isfinite(val_prob).all() else math.nan)
    model.set_weights(trainer.get_weights())
    run.val_prob, run.test_prob = predict(model, val.images), predict(model, test.images)
    if not (np.isfinite(run.val_prob).all() and np.isfinite(run.test_prob).all()):
        return Fit(seed, learning_rate, at, curve, {TEST_METRIC: math.nan}, detail=run)
    run.threshold = best_threshold(val.masks, run.val_prob)[0]
    constant = float(np.ptp(run.test_prob)) < 1e-6
    return Fit(seed, learning_rate, at, curve, test_metrics(test, run.test_prob, run.threshold), constant, run)
