"""The case's variants (one change each from the reporter's setup, or from the fix), trained by steps on the
same tiles, with a learning-rate sweep per variant (picked on validation F2) and repeats over seeds."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np

from dlclinic import second_edition as differential
from dlclinic.backend import keras
from dlclinic.second_edition import best_learning_rate, summarise
from dlclinic.seeding import seed_everything
from dlclinic.ship_segmentation import losses
from dlclinic.ship_segmentation.data import Tiles
from dlclinic.ship_segmentation.diagnosis import predicted_positive_rate
from dlclinic.ship_segmentation.metrics import airbus_f2, scores
from dlclinic.ship_segmentation.models import build_unet


@dataclass(frozen=True)
class Setup:
    """What a variant trains: its loss, which training tiles it draws from ("ships" = only tiles with a ship,
    the reporter's choice; "all"; "balanced" = half with, half without), and whether the output bias starts
    at the prior of ship pixels."""

    loss: str
    tiles: str = "ships"
    prior_bias: bool = False


LOSSES = {
    "biased": losses.reporter_biased_loss,
    "iou": losses.reporter_iou_loss,
    "focal8": losses.reporter_focal8_loss,
    "bce": losses.bce_loss,
    "weighted_bce": None,  # built per training set: ship pixels weighted by background / ship pixel counts
    "bce_dice": losses.bce_dice_loss,
    "bce_batch_dice": losses.bce_batch_dice_loss,
    "focal2": losses.focal_loss(2.0, 0.75),
    "tversky": losses.tversky_loss(0.3, 0.7),
    "hard_negatives": losses.hard_negative_bce(3.0),
}

SETUPS = {
    "reporter_biased": Setup("biased"),
    "reporter_iou": Setup("iou"),
    "reporter_focal8": Setup("focal8"),
    "bce": Setup("bce"),
    "weighted_bce": Setup("weighted_bce"),
    "bce_dice": Setup("bce_dice"),
    "focal2": Setup("focal2"),
    "tversky": Setup("tversky"),
    "hard_negatives": Setup("hard_negatives"),
    "fix": Setup("bce_dice", tiles="all", prior_bias=True),
    "fix_ships_only": Setup("bce_dice", prior_bias=True),
    "fix_no_prior": Setup("bce_dice", tiles="all"),
    "fix_balanced": Setup("bce_dice", tiles="balanced", prior_bias=True),
    "fix_batch_dice": Setup("bce_batch_dice", tiles="all", prior_bias=True),
}
REPORTER = ("reporter_biased", "reporter_iou", "reporter_focal8")
FROM_REPORTER = ("weighted_bce", "bce_dice", "focal2", "tversky", "hard_negatives")  # the loss changed
FROM_FIX = ("fix_ships_only", "fix_no_prior", "fix_balanced")  # one thing undone from the fix
PAGE_ROWS = (*REPORTER, *FROM_REPORTER, "fix", *FROM_FIX)  # the rows the case page trains ("bce" and
# "fix_batch_dice" stay in the registry; the page leaves them out to keep its full run within 35 minutes)

VARIANTS = {
    "reporter_biased": "the report: \"biased\" BCE as written (background × 1000), ship tiles only",
    "reporter_iou": "the report: IoU loss as written (one IoU per pixel)",
    "reporter_focal8": "the report: focal BCE with γ = 8 as written",
    "bce": "plain BCE",
    "weighted_bce": "BCE with the weight on the ship pixels (the intent, corrected)",
    "bce_dice": "BCE + soft Dice per image",
    "focal2": "focal loss, γ = 2, α = 0.75",
    "tversky": "Tversky loss (α = 0.3, β = 0.7)",
    "hard_negatives": "BCE with hard-negative mining (3 background pixels per ship pixel)",
    "fix": "the fix: BCE + Dice per image, empty tiles kept, output bias at the prior",
    "fix_ships_only": "the fix trained on ship tiles only",
    "fix_no_prior": "the fix with Keras' zero output bias",
    "fix_balanced": "the fix with batches half with ships, half without",
    "fix_batch_dice": "the fix with the Dice over the batch, not per image",
}
LEARNING_RATES = (3e-4, 1e-3, 3e-3)


@dataclass
class Run:
    """One trained variant: validation and test probabilities, the loss per step and, every few steps, the
    predicted-positive rate (share of pixels above 0.5) on a fixed batch of validation tiles with ships."""

    name: str
    learning_rate: float
    seed: int
    model: keras.Model
    val_prob: np.ndarray
    test_prob: np.ndarray
    loss: list[float] = field(default_factory=list)
    rate_steps: list[int] = field(default_factory=list)
    positive_rate: list[float] = field(default_factory=list)

    def val_f2(self, val: Tiles, threshold: float = 0.5) -> float:
        """F2 on the validation tiles at ``threshold``."""
        return airbus_f2(val.masks, (self.val_prob > threshold).astype("float32"))

    def best_threshold(self, val: Tiles, grid: Sequence[float] = (0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9)) -> float:
        """The threshold in ``grid`` with the best validation F2 (ties: the one nearest 0.5)."""
        values = {t: self.val_f2(val, t) for t in sorted(grid, key=lambda t: abs(t - 0.5))}
        return max(values, key=values.get)

    def scores(self, test: Tiles, threshold: float = 0.5) -> dict[str, float]:
        """F2, per-image Dice, pixel PR-AUC and empty-image FPR on the test tiles."""
        return scores(test.masks, self.test_prob, threshold)


def ship_prior(train: Tiles) -> float:
    """Share of ship pixels in ``train``."""
    return float(train.masks.mean())


def build_loss(name: str, train: Tiles):
    """The loss of setup ``name``, built on the tiles it trains on."""
    setup = SETUPS[name]
    if setup.loss == "weighted_bce":
        prior = ship_prior(train)
        return losses.weighted_bce((1 - prior) / prior)
    return LOSSES[setup.loss]


def training_tiles(name: str, train: Tiles) -> Tiles:
    """The tiles setup ``name`` trains on ("balanced" keeps all tiles; the sampler balances the batches)."""
    return train.subset(train.has_ship) if SETUPS[name].tiles == "ships" else train


def batches(tiles: Tiles, steps: int, batch_size: int, balanced: bool, rng: np.random.Generator):
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


def predict(model: keras.Model, images: np.ndarray, batch_size: int = 128) -> np.ndarray:
    """Probabilities (n, H, W, 1), eager calls in inference mode (no predict function to trace)."""
    return np.concatenate([np.asarray(model(images[i:i + batch_size], training=False))
                           for i in range(0, len(images), batch_size)])


def train_variant(
    name: str,
    data: tuple[Tiles, Tiles, Tiles],
    steps: int,
    seed: int,
    learning_rate: float = 1e-3,
    batch_size: int = 8,
    filters: int = 8,
    every: int = 5,
) -> Run:
    """Build the U-Net of :data:`VARIANTS` ``name`` from ``seed`` and train it for ``steps`` Adam steps with
    ``train_on_batch`` (as the reporter did); record the predicted-positive rate every ``every`` steps.

    The steps run on a compiled model shared by every run with the same loss and architecture (:func:`_trainer`),
    which starts from this run's initial weights and a fresh Adam; the run keeps its own model."""
    if name not in VARIANTS:
        raise ValueError(f"name must be one of {sorted(VARIANTS)}; got {name!r}")
    train, val, test = data
    tiles = training_tiles(name, train)
    seed_everything(seed)
    prior = ship_prior(tiles)
    bias = math.log(prior / (1 - prior)) if SETUPS[name].prior_bias else None
    size, channels = train.images.shape[1], train.images.shape[-1]
    model = build_unet(size, channels, filters=filters, output_bias=bias)  # this run's initial weights
    trainer = _trainer(name, tiles, size, channels, filters)
    trainer.set_weights(model.get_weights())
    for variable in trainer.optimizer.variables:  # a fresh Adam: zero moments and step count
        variable.assign(keras.ops.zeros_like(variable))
    trainer.optimizer.learning_rate = learning_rate
    probe = val.images[val.has_ship][:16]
    run = Run(name, learning_rate, seed, model, np.empty(0), np.empty(0))
    rng = np.random.default_rng(seed)
    for step, index in enumerate(batches(tiles, steps, batch_size, SETUPS[name].tiles == "balanced", rng), 1):
        run.loss.append(float(trainer.train_on_batch(tiles.images[index], tiles.masks[index])))
        if step == 1 or step % every == 0:
            run.rate_steps.append(step)
            run.positive_rate.append(predicted_positive_rate(predict(trainer, probe)))
    model.set_weights(trainer.get_weights())
    run.val_prob, run.test_prob = predict(model, val.images), predict(model, test.images)
    return run


_TRAINERS: dict[tuple, keras.Model] = {}


def _trainer(name: str, tiles: Tiles, size: int, channels: int, filters: int) -> keras.Model:
    """One compiled U-Net per loss and architecture, whose ``train_on_batch`` traces its step once for all the
    runs that share them (tracing cost several times the CPU of a quick run's steps)."""
    weighted = SETUPS[name].loss == "weighted_bce"  # its weight depends on the tiles
    key = (SETUPS[name].loss, ship_prior(tiles) if weighted else None, size, channels, filters)
    if key not in _TRAINERS:
        model = build_unet(size, channels, filters=filters)
        model.compile(optimizer=keras.optimizers.Adam(), loss=build_loss(name, tiles))
        model.optimizer.build(model.trainable_variables)
        _TRAINERS[key] = model
    return _TRAINERS[key]


class Treatment(differential.Treatment[Run]):
    """A row after its sweep (:class:`dlclinic.differential.Treatment`) and its test metrics."""

    def test_scores(self, test: Tiles, threshold: float = 0.5) -> dict[str, float]:
        """Test metrics, means over seeds at the picked rate."""
        each = [run.scores(test, threshold) for run in self.seed_runs]
        return {key: float(np.mean([s[key] for s in each])) for key in each[0]}

    def test_f2(self, test: Tiles, threshold: float = 0.5) -> tuple[float, float]:
        """Mean and spread over seeds of the test F2 at the picked rate."""
        return summarise([run.scores(test, threshold)["f2"] for run in self.seed_runs])

    def tuned_scores(self, val: Tiles, test: Tiles) -> dict[str, float]:
        """Test metrics with each seed's threshold picked on validation F2, means over seeds, and the mean
        threshold; ``f2_spread`` is the F2's spread over seeds."""
        each = [run.scores(test, run.best_threshold(val)) | {"threshold": run.best_threshold(val)}
                for run in self.seed_runs]
        out = {key: float(np.mean([s[key] for s in each])) for key in each[0]}
        out["f2_spread"] = summarise([s["f2"] for s in each])[1]
        return out


def sweep_variant(
    name: str,
    data: tuple[Tiles, Tiles, Tiles],
    steps: int,
    rates: Sequence[float],
    seeds: Sequence[int],
    batch_size: int = 8,
    filters: int = 8,
    every: int = 5,
    done: Mapping[float, Run] | None = None,
) -> Treatment:
    """Train ``name`` at each rate (first seed), pick the rate with the best validation F2, then repeat it over
    the other ``seeds``. ``done`` holds runs already trained at some of the rates with the first seed and the
    same steps (the page's own runs), which are used instead of training them again."""
    if not rates or not seeds:
        raise ValueError("rates and seeds must each hold at least one value")
    done = dict(done or {})
    if any(run.seed != seeds[0] or len(run.loss) != steps for run in done.values()):
        raise ValueError(f"runs in done must be trained with the first seed ({seeds[0]}) for {steps} steps")
    val = data[1]
    by_rate = {rate: done[rate] if rate in done else train_variant(name, data, steps, seeds[0], rate, batch_size,
                                                                   filters, every)
               for rate in rates}
    best, _ = best_learning_rate({rate: run.val_f2(val) for rate, run in by_rate.items()}, lower_is_better=False)
    extra = [train_variant(name, data, steps, seed, best, batch_size, filters, every) for seed in seeds[1:]]
    return Treatment(name, by_rate, best, [by_rate[best], *extra])
