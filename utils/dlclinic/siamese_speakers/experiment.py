"""The case's variants (the factorial of outputs × directions × margins and its neighbours), trained for the
shared runner (:mod:`dlclinic.differential`): each training returns a :class:`~dlclinic.differential.Fit` with
its validation EER over steps and its test scores, every KL model scored with the symmetrised distance.

The page writes the branch and the pair loss; :class:`Trainer` trains them. Every siamese run and the speaker
classifier see the same number of utterance passes (:attr:`Budget.passes`)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from itertools import product

import numpy as np

from dlclinic.backend import keras
from dlclinic.differential import Fit
from dlclinic.progress import EpochBar
from dlclinic.seeding import seed_everything
from dlclinic.siamese_speakers import losses as ls
from dlclinic.siamese_speakers.metrics import (
    cluster,
    clustering_scores,
    equal_error_rate,
    min_dcf,
    verification_pairs,
)
from dlclinic.siamese_speakers.models import build_pair_model, pair_loss
from dlclinic.siamese_speakers.pairs import pair_dataset, sample_pairs, utterance_batches

OUTPUTS = {"prelu": "clipped PReLU", "softplus": "softplus", "softmax": "softmax"}
DIRECTIONS = ("one-way", "symmetric")
MARGINS = (1.0, 2.0)
P_TARGET = 0.05  # prior of a same-speaker trial for minDCF (as in VoxSRC)
TEST_KEYS = {"test EER": "eer", "minDCF": "min_dcf", "ARI": "ari", "MR": "mr", "NMI": "nmi"}


@dataclass(frozen=True)
class Setup:
    """One siamese variant: the branch's ``output``, the loss's KL ``direction`` ("one-way", "symmetric", or
    "both-orders": the one-way loss on each pair in both orders), its ``margin``, whether the target side of each
    KL is detached, the ``loss`` ("hinge"; "thread": both directions summed under one softplus hinge) and the
    ``pairs`` ("balanced" sampled pairs, or "all-in-batch": every pair of a minibatch of utterances)."""

    output: str
    direction: str
    margin: float
    stop_gradient: bool = False
    loss: str = "hinge"
    pairs: str = "balanced"

    @property
    def key(self) -> str:
        """ "softplus/symmetric/m2", with "/stop-gradient", "/thread" or "/all-pairs" where those differ."""
        key = f"{self.output}/{self.direction}/m{self.margin:g}"
        key += "/stop-gradient" if self.stop_gradient else ""
        key += "/thread" if self.loss == "thread" else ""
        return key + ("/all-pairs" if self.pairs == "all-in-batch" else "")

    @property
    def clip(self) -> bool:
        """The report's clip to [ε, 1] goes with its PReLU outputs; the others put ε inside the log."""
        return self.output == "prelu"

    def describe(self) -> str:
        """The setup in words, for the page: "softplus outputs, symmetric KL, m = 1"."""
        if self.loss == "thread":
            return "the thread's remedy (softplus outputs, summed KL under one softplus hinge, m = 2)"
        direction = "one-way KL on both orders of each pair" if self.direction == "both-orders" else (
            f"{self.direction} KL")
        text = f"{OUTPUTS[self.output]} outputs, {direction}, m = {self.margin:g}"
        text += ", target side detached" if self.stop_gradient else ""
        return text + (", every pair of a minibatch" if self.pairs == "all-in-batch" else "")

    def one_way(self) -> Callable:
        """The one-way distance of the loss: the report's clipped KL for PReLU outputs, else ε inside the log."""
        return ls.reporter_kl if self.clip else ls.kl_divergence


FACTORIAL = {s.key: s for s in (Setup(o, d, m) for m, o, d in product(MARGINS, OUTPUTS, DIRECTIONS))}
REPORTER = "prelu/one-way/m1"
HSU_KIRA = "softmax/symmetric/m2"
# Rows beyond the factorial, each with the cell it changes one thing from.
BOTH_ORDERS = Setup("softplus", "both-orders", 1.0)  # the one-way loss on (p, q) and (q, p) of every pair
STOP_GRADIENT = Setup("softmax", "symmetric", 2.0, stop_gradient=True)  # as public KCL code detaches
ALL_PAIRS = Setup("softmax", "symmetric", 2.0, pairs="all-in-batch")  # Lukic et al.'s minibatch form
THREAD = Setup("softplus", "symmetric", 2.0, loss="thread")  # the answer's remedy
EXTRA = {BOTH_ORDERS.key: (BOTH_ORDERS, "softplus/one-way/m1"), STOP_GRADIENT.key: (STOP_GRADIENT, HSU_KIRA),
         ALL_PAIRS.key: (ALL_PAIRS, HSU_KIRA), THREAD.key: (THREAD, "softplus/symmetric/m2")}


def neighbour(key: str, **change: object) -> str:
    """The key of the factorial cell that differs from ``key`` in the fields of ``change``."""
    return replace(FACTORIAL[key], **change).key


def factorial_reference(key: str) -> str | None:
    """The cell each factorial cell is judged against, differing from it in one factor: a symmetric cell against
    the one-way cell of its output and margin (the interaction), a one-way cell at margin 2 against margin 1,
    a one-way cell at margin 1 against the report's clipped PReLU; the report's cell has none."""
    setup = FACTORIAL[key]
    if setup.direction == "symmetric":
        return neighbour(key, direction="one-way")
    if setup.margin != 1.0:
        return neighbour(key, margin=1.0)
    return None if key == REPORTER else REPORTER


@dataclass(frozen=True)
class Budget:
    """One training: ``steps`` Adam steps of ``pairs_per_step`` pairs (two utterances each), the validation EER
    measured at ``checkpoints`` evenly spaced steps."""

    steps: int
    checkpoints: int
    pairs_per_step: int = 64

    def __post_init__(self) -> None:
        if self.checkpoints < 2 or self.steps % self.checkpoints:
            raise ValueError(f"steps ({self.steps}) must be a multiple of checkpoints ({self.checkpoints}) >= 2")

    @property
    def utterances_per_step(self) -> int:
        return 2 * self.pairs_per_step

    @property
    def passes(self) -> int:
        """Utterances through the branch in one training: the same for a siamese model and the classifier."""
        return self.utterances_per_step * self.steps

    @property
    def at(self) -> list[int]:
        """The steps at which the validation EER is measured."""
        every = self.steps // self.checkpoints
        return [every * (k + 1) for k in range(self.checkpoints)]


@dataclass
class Split:
    """Standardised features ``(n, frames, bands)`` and speaker labels of one set of speakers."""

    features: np.ndarray
    labels: np.ndarray

    @property
    def speakers(self) -> int:
        return len(np.unique(self.labels))


@dataclass
class Run:
    """A trained branch (the embedding extractor) and the distance its pairs are scored with."""

    branch: keras.Model
    distance: Callable

    def embed(self, features: np.ndarray, batch_size: int = 256) -> np.ndarray:
        """Embeddings of ``features``, by direct calls (no ``predict``: nothing to retrace for each model)."""
        parts = [self.branch(features[k : k + batch_size], training=False) for k in range(0, len(features), batch_size)]
        return np.concatenate([np.asarray(part, dtype=float) for part in parts])

    def distances(self, features: np.ndarray) -> np.ndarray:
        """The symmetrised (n, n) matrix ½(D + Dᵀ), D[i, j] = distance(e_i, e_j): every model is scored alike."""
        e = self.embed(features)
        d = np.asarray(self.distance(e[:, None, :], e[None, :, :]), dtype=float)
        return (d + d.T) / 2


def score(distances: np.ndarray, labels: np.ndarray) -> dict[str, float]:
    """EER, minDCF over every pair of utterances, and the clustering scores (MR, ARI, NMI) of a symmetric
    distance matrix; NaN everywhere when it is not finite (a diverged model)."""
    if not np.all(np.isfinite(distances)):
        return {"eer": np.nan, "threshold": np.nan, "min_dcf": np.nan, "mr": np.nan, "ari": np.nan, "nmi": np.nan}
    i, j, same = verification_pairs(labels)
    eer, threshold = equal_error_rate(same, distances[i, j])
    return {"eer": eer, "threshold": threshold, "min_dcf": min_dcf(same, distances[i, j], P_TARGET),
            **clustering_scores(labels, cluster(distances, len(np.unique(labels))))}


def validation_eer(run: Run, split: Split) -> float:
    """EER of ``run``'s symmetrised distance over every pair of ``split``'s utterances (NaN if not finite)."""
    return score_pairs(run.distances(split.features), split.labels)


def score_pairs(distances: np.ndarray, labels: np.ndarray) -> float:
    if not np.all(np.isfinite(distances)):
        return float("nan")
    i, j, same = verification_pairs(labels)
    return equal_error_rate(same, distances[i, j])[0]


def is_constant(distances: np.ndarray) -> bool:
    """Whether a distance matrix ignores its inputs: every off-diagonal entry the same (to rounding)."""
    off = distances[~np.eye(len(distances), dtype=bool)]
    return bool(np.all(np.isfinite(off)) and np.ptp(off) <= 1e-9 * max(1.0, float(np.max(np.abs(off)))))


class ValidationCurve(keras.callbacks.Callback):
    """The validation EER at the end of every epoch (one epoch = one checkpoint of the :class:`Budget`)."""

    def __init__(self, run: Run, split: Split) -> None:
        super().__init__()
        self.run, self.split, self.values = run, split, []

    def on_epoch_end(self, epoch: int, logs: Mapping | None = None) -> None:
        self.values.append(validation_eer(self.run, self.split))


@dataclass
class Trainer:
    """Trains the page's models on ``train`` and scores them on ``val`` (curve, rate picks) and ``test``.

    ``branch(output)`` builds a fresh branch ending in ``output``; ``pair_loss(same, p, q, setup)`` is one loss
    per pair; ``all_pairs_loss(labels, embeddings, setup)`` the loss of a minibatch of utterances. One compiled
    model is kept per setup and input shape: later runs load fresh weights and reset the optimizer instead of
    tracing a new training step."""

    branch: Callable[[str], keras.Model]
    pair_loss: Callable
    all_pairs_loss: Callable
    train: Split
    val: Split
    test: Split
    budget: Budget
    _compiled: dict = field(default_factory=dict, repr=False)

    def pairs(self, setup: Setup) -> Callable[[float | None, int], Fit]:
        """The runner's train function of one KL ``setup``: ``(learning_rate, seed) -> Fit``."""
        return lambda learning_rate, seed: self.fit_setup(setup, learning_rate, seed)

    def fit_setup(self, setup: Setup, learning_rate: float, seed: int) -> Fit:
        seed_everything(seed)
        branch = self.branch(setup.output)
        run = Run(branch, setup.one_way())
        rng = np.random.default_rng(seed)
        if setup.pairs == "all-in-batch":
            labels = self.train.labels
            loss = lambda y, e: self.all_pairs_loss(keras.ops.reshape(y, (-1,)), e, setup)  # noqa: E731
            data = utterance_batches(self.train.features, labels, self.budget.utterances_per_step,
                                     self.budget.steps, rng)
            model = branch
        else:
            i, j, same = sample_pairs(self.train.labels, self.budget.pairs_per_step * self.budget.steps, rng)
            data = pair_dataset(self.train.features, i, j, same, self.budget.pairs_per_step)
            model = build_pair_model(branch)
            loss = pair_loss(self.pair_loss, setup=setup)
        return self._fit(("pairs", setup), model, branch, loss, data, run, learning_rate, seed, setup.key,
                         setup.output)

    def classifier(self) -> Callable[[float | None, int], Fit]:
        """The runner's train function of the cross-entropy speaker classifier (the field's baseline): the
        ``"linear"`` branch and one Dense layer over the training speakers, on minibatches of as many utterances
        per step as a siamese step passes; its embedding (the branch's output) scored by cosine distance."""

        def train(learning_rate: float, seed: int) -> Fit:
            seed_everything(seed)
            branch = self.branch("linear")
            speakers, y = np.unique(self.train.labels, return_inverse=True)
            logits = keras.layers.Dense(len(speakers), name="speaker_logits")(branch.output)
            model = keras.Model(branch.input, logits, name="speaker_classifier")
            data = utterance_batches(self.train.features, y, self.budget.utterances_per_step, self.budget.steps,
                                     np.random.default_rng(seed))
            loss = keras.losses.SparseCategoricalCrossentropy(from_logits=True)
            return self._fit(("classifier", len(speakers)), model, branch, loss, data,
                             Run(branch, ls.cosine_distance), learning_rate, seed, "classifier", "linear")

        return train

    def _fit(self, key: tuple, model: keras.Model, branch: keras.Model, loss: Callable, data, run: Run,
             learning_rate: float, seed: int, name: str, output: str) -> Fit:
        key = (*key, self.train.features.shape[1:])
        if key in self._compiled:  # the compiled twin takes this run's fresh weights; Adam starts again
            twin, twin_branch = self._compiled[key]
            twin.set_weights(model.get_weights())
            for variable in twin.optimizer.variables:
                variable.assign(np.zeros(variable.shape, variable.dtype))
            model, branch = twin, twin_branch
        else:
            model.compile(keras.optimizers.Adam(learning_rate), loss=loss)
            self._compiled[key] = model, branch
        next(v for v in model.optimizer.variables if v.name == "learning_rate").assign(learning_rate)
        run = Run(branch, run.distance)
        curve = ValidationCurve(run, self.val)
        epochs = self.budget.checkpoints
        model.fit(data, epochs=epochs, steps_per_epoch=self.budget.steps // epochs, shuffle=False, verbose=0,
                  callbacks=[curve, EpochBar(epochs, f"{name} lr={learning_rate:g} seed={seed}")])
        trained = self.branch(output)  # a copy to keep: the next run of this setup overwrites the compiled one
        trained.set_weights(branch.get_weights())
        run = Run(trained, run.distance)
        distances = run.distances(self.test.features)
        scores = score(distances, self.test.labels)
        return Fit(seed, learning_rate, self.budget.at, curve.values,
                   {name: float(scores[key]) for name, key in TEST_KEYS.items()},
                   constant=is_constant(distances), detail=run)
