"""The case's variants (the factorial of outputs × directions × margins and its neighbours), their training,
learning-rate sweeps chosen on validation speakers, seeds, and the scores of their embeddings."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from itertools import product

import numpy as np
from IPython.display import Markdown

from dlclinic.backend import keras, tf
from dlclinic.compare import compare
from dlclinic.progress import EpochBar
from dlclinic.second_edition import best_learning_rate, summarise
from dlclinic.seeding import seed_everything
from dlclinic.siamese_speakers import losses as ls
from dlclinic.siamese_speakers.metrics import (
    cluster,
    clustering_scores,
    equal_error_rate,
    min_dcf,
    verification_pairs,
)
from dlclinic.siamese_speakers.models import (
    build_branch,
    build_pair_model,
    build_speaker_classifier,
    build_switch_branch,
    copy_branch_weights,
    pair_loss,
)
from dlclinic.siamese_speakers.pairs import pair_dataset, sample_pairs

OUTPUTS = {"prelu": "clipped PReLU", "softplus": "softplus", "softmax": "softmax"}
MARGINS = (1.0, 2.0)
P_TARGET = 0.05  # prior of a same-speaker trial for minDCF (as in VoxSRC)
POOL = 16  # frames averaged before the BiLSTM: the case's many trainings stay affordable on a CPU


@dataclass(frozen=True)
class Setup:
    """One siamese variant: the branch's ``output``, the loss's ``direction`` and ``margin``, whether the target
    side of each KL is detached, and the loss family (``"hinge"``, ``"softplus_hinge"``, ``"thread"`` for the
    answer's remedy, ``"contrastive"`` for a cosine model)."""

    output: str
    direction: str
    margin: float
    stop_gradient: bool = False
    loss: str = "hinge"

    @property
    def key(self) -> str:
        """ "softplus/symmetric/m2", "+ stop-gradient" appended where the target side is detached."""
        key = f"{self.output}/{self.direction}/m{self.margin:g}"
        return key + "/stop-gradient" if self.stop_gradient else key

    def describe(self) -> str:
        """The setup in words, for the page."""
        if self.loss == "thread":
            return "the thread's remedy (softplus outputs, both KL directions summed under one softplus hinge)"
        if self.loss == "contrastive":
            return f"free outputs, cosine distance, contrastive loss with margin {self.margin:g}"
        text = f"{OUTPUTS[self.output]} outputs, {self.direction} KL, margin {self.margin:g}"
        text += ", target side detached" if self.stop_gradient else ""
        return text + (", softplus hinge" if self.loss == "softplus_hinge" else "")

    def one_way(self) -> Callable:
        """The one-way distance the loss is built on: the report's clipped KL for PReLU outputs."""
        if self.output == "linear":
            return ls.cosine_distance
        return ls.reporter_kl if self.output == "prelu" else ls.kl_divergence

    def distance(self) -> Callable:
        """The distance used to score pairs: the one the loss trains (both directions summed if symmetric)."""
        one_way = self.one_way()
        if self.direction == "one-way" or self.output == "linear":
            return one_way
        return lambda p, q: one_way(p, q) + one_way(q, p)

    def pair_loss(self) -> Callable:
        """``loss(same, p, q)``, one value per pair."""
        if self.loss == "contrastive":
            return lambda same, p, q: ls.contrastive_loss(same, ls.cosine_distance(p, q), self.margin)
        if self.loss == "thread":
            return lambda same, p, q: ls.thread_remedy_loss(same, p, q, self.margin)
        push = keras.ops.softplus if self.loss == "softplus_hinge" else keras.ops.relu
        return lambda same, p, q: ls.pairwise_kl_loss(
            same, p, q, self.one_way(), self.direction, self.margin, push, self.stop_gradient
        )

    def blend(self) -> dict[str, float] | None:
        """The numbers that make :func:`~dlclinic.siamese_speakers.losses.blended_pair_loss` this setup's loss,
        or None for a setup it does not cover (the cosine model)."""
        if self.loss == "contrastive" or self.output == "linear":
            return None
        return {"clip": float(self.output == "prelu"), "detach": float(self.stop_gradient),
                "symmetric": float(self.direction == "symmetric"), "margin": float(self.margin),
                "soft": float(self.loss == "softplus_hinge"), "thread": float(self.loss == "thread")}


FACTORIAL = {s.key: s for s in (Setup(o, d, m) for o, d, m in product(OUTPUTS, ls.DIRECTIONS, MARGINS))}
VARIANTS: dict[str, Setup] = {
    **FACTORIAL,
    "thread_remedy": Setup("softplus", "symmetric", 2.0, loss="thread"),
    "softplus_hinge": Setup("softmax", "symmetric", 2.0, loss="softplus_hinge"),
    "cosine": Setup("linear", "one-way", 0.5, loss="contrastive"),
}
REPORTER = "prelu/one-way/m1"
HSU_KIRA = "softmax/symmetric/m2"


@dataclass
class Run:
    """One trained model: its branch (the embedding extractor), its scoring distance and its loss per epoch."""

    name: str
    branch: keras.Model
    distance: Callable
    learning_rate: float
    seed: int
    train_loss: list[float] = field(default_factory=list)
    accuracy: list[float] = field(default_factory=list)

    def embed(self, features: np.ndarray, batch_size: int = 256) -> np.ndarray:
        """Embeddings of ``features``, by direct calls (no ``predict``: nothing to retrace for each model)."""
        parts = [self.branch(features[k : k + batch_size], training=False) for k in range(0, len(features), batch_size)]
        return np.concatenate([np.asarray(part) for part in parts])

    def distances(self, embeddings: np.ndarray) -> np.ndarray:
        """(n, n) matrix of distance(e_i, e_j): row i is the first argument."""
        return np.asarray(self.distance(embeddings[:, None, :], embeddings[None, :, :]))


# One compiled model per setup and input shape: later runs reset its weights and optimizer instead of building
# and tracing a new training step (the trace of a BiLSTM's step costs more than a quick run's training).
_COMPILED: dict[tuple, tuple[keras.Model, keras.Model]] = {}


def _fit_fresh(
    key: tuple,
    build: Callable[[], tuple[keras.Model, keras.Model, Callable]],
    learning_rate: float,
    seed: int,
    fit: Callable,
) -> tuple[keras.Model, keras.callbacks.History]:
    """Train ``build()``'s (model, branch, loss) from the initial weights ``seed`` gives, at ``learning_rate``, reusing
    the compiled model of ``key``; return a copy of the trained branch (later runs overwrite the shared one)."""
    seed_everything(seed)
    model, branch, loss = build()
    if key in _COMPILED:
        shared_model, shared_branch = _COMPILED[key]
        shared_model.set_weights(model.get_weights())
        for variable in shared_model.optimizer.variables:  # iterations, Adam's moments, the learning rate
            variable.assign(np.zeros(variable.shape, variable.dtype))
        model, branch = shared_model, shared_branch
    else:
        model.compile(keras.optimizers.Adam(learning_rate), loss=loss)
        _COMPILED[key] = model, branch
    next(v for v in model.optimizer.variables if v.name == "learning_rate").assign(learning_rate)
    history = fit(model)
    trained = keras.models.clone_model(branch)
    trained.set_weights(branch.get_weights())
    return trained, history


# With ``shared=True`` every KL setup trains in one compiled model: the switch branch of every output and the
# blended loss, whose choices are variables. Switching setups assigns them; nothing is traced again (quick mode:
# one trace instead of one per cell; the same losses, each unused term adding zero, gradients equal up to rounding).
_SHARED: dict[tuple, tuple[keras.Model, keras.Model, dict[str, tf.Variable]]] = {}


def _fit_shared(
    setup: Setup, features_shape: tuple, learning_rate: float, seed: int, fit: Callable
) -> tuple[keras.Model, keras.callbacks.History]:
    """Train ``setup``'s branch from the initial weights ``seed`` gives, at ``learning_rate``, in the shared
    switch model; return that branch (a plain :func:`build_branch`) holding the trained weights."""
    seed_everything(seed)
    frames, bands = features_shape
    branch = build_branch(setup.output, frames=frames, bands=bands, pool=POOL)
    if features_shape not in _SHARED:
        switch = build_switch_branch(frames=frames, bands=bands, pool=POOL)
        knobs = {name: tf.Variable(value, trainable=False) for name, value in setup.blend().items()}
        model = build_pair_model(switch)
        model.compile(keras.optimizers.Adam(learning_rate), loss=pair_loss(ls.blended_pair_loss, **knobs))
        _SHARED[features_shape] = model, switch, knobs
    model, switch, knobs = _SHARED[features_shape]
    for variable in model.optimizer.variables:  # iterations, Adam's moments, the learning rate
        variable.assign(np.zeros(variable.shape, variable.dtype))
    next(v for v in model.optimizer.variables if v.name == "learning_rate").assign(learning_rate)
    for name, value in setup.blend().items():
        knobs[name].assign(value)
    copy_branch_weights(branch, switch)
    history = fit(model)
    copy_branch_weights(switch, branch)
    return branch, history


def train_variant(
    name: str,
    features: np.ndarray,
    labels: np.ndarray,
    epochs: int,
    seed: int,
    pairs_per_epoch: int = 2048,
    learning_rate: float = 1e-3,
    setup: Setup | None = None,
    shared: bool = False,
) -> Run:
    """Train one of :data:`VARIANTS` (or ``setup``) from ``seed`` on fresh balanced pairs. ``shared``: train a
    KL setup in the one model all of them share (no new trace; quick mode), not in a model of its own."""
    if setup is None:
        if name not in VARIANTS:
            raise ValueError(f"name must be one of {sorted(VARIANTS)}; got {name!r}")
        setup = VARIANTS[name]

    def build() -> tuple[keras.Model, keras.Model, Callable]:
        branch = build_branch(setup.output, frames=features.shape[1], bands=features.shape[2], pool=POOL)
        return build_pair_model(branch), branch, pair_loss(setup.pair_loss())

    i, j, same = sample_pairs(labels, pairs_per_epoch * epochs, np.random.default_rng(seed))

    def fit(model: keras.Model) -> keras.callbacks.History:
        return model.fit(
            pair_dataset(features, i, j, same),
            epochs=epochs,
            steps_per_epoch=int(np.ceil(pairs_per_epoch / 64)),
            shuffle=False,
            verbose=0,
            callbacks=[EpochBar(epochs, f"{name} lr={learning_rate:g} seed={seed}")],
        )

    if shared and setup.blend() is not None:
        branch, history = _fit_shared(setup, features.shape[1:], learning_rate, seed, fit)
    else:
        branch, history = _fit_fresh(("pairs", setup, features.shape[1:]), build, learning_rate, seed, fit)
    return Run(name, branch, setup.distance(), learning_rate, seed, history.history["loss"])


def train_classifier(
    features: np.ndarray, labels: np.ndarray, epochs: int, seed: int, learning_rate: float = 1e-3
) -> Run:
    """The cross-entropy speaker classifier on the training speakers; its penultimate layer, scored by cosine."""
    speakers, y = np.unique(labels, return_inverse=True)

    def build() -> tuple[keras.Model, keras.Model, Callable]:
        model, branch = build_speaker_classifier(
            len(speakers), frames=features.shape[1], bands=features.shape[2], pool=POOL
        )
        return model, branch, keras.losses.SparseCategoricalCrossentropy(from_logits=True)

    branch, history = _fit_fresh(
        ("classifier", len(speakers), features.shape[1:]),
        build,
        learning_rate,
        seed,
        lambda model: model.fit(
            features,
            y,
            epochs=epochs,
            batch_size=64,
            verbose=0,
            callbacks=[EpochBar(epochs, f"xent lr={learning_rate:g} seed={seed}")],
        ),
    )
    return Run("xent_baseline", branch, ls.cosine_distance, learning_rate, seed, history.history["loss"])


def score(distances: np.ndarray, labels: np.ndarray, n_speakers: int) -> dict[str, float]:
    """EER and minDCF over every pair of utterances (distance of the first to the second), clustering scores."""
    i, j, same = verification_pairs(labels)
    eer, threshold = equal_error_rate(same, distances[i, j])
    return {
        "eer": eer,
        "threshold": threshold,
        "min_dcf": min_dcf(same, distances[i, j], P_TARGET),
        **clustering_scores(labels, cluster(distances, n_speakers)),
    }


def validation_eer(run: Run, features: np.ndarray, labels: np.ndarray) -> float:
    """EER of ``run``'s distance over every pair of the validation utterances."""
    i, j, same = verification_pairs(labels)
    return equal_error_rate(same, run.distances(run.embed(features))[i, j])[0]


@dataclass
class Cell:
    """One variant over a learning-rate sweep (on the first seed, chosen on validation EER) and its seeds."""

    name: str
    learning_rate: float
    validation: dict[float, float]
    runs: list[Run]
    scores: list[dict[str, float]]

    @property
    def validation_eer(self) -> float:
        """Validation EER of the kept learning rate (first seed): what picks the fix."""
        return self.validation[self.learning_rate]

    def mean(self, key: str = "eer") -> float:
        return summarise([s[key] for s in self.scores])[0]

    def std(self, key: str = "eer") -> float:
        return summarise([s[key] for s in self.scores])[1]


def sweep(
    name: str,
    trainer: Callable[[float, int], Run],
    val: tuple[np.ndarray, np.ndarray],
    test: tuple[np.ndarray, np.ndarray],
    rates: Sequence[float],
    seeds: Sequence[int],
) -> Cell:
    """``trainer(learning_rate, seed)`` over ``rates`` on ``seeds[0]``; the rate with the lowest validation EER
    is kept and trained on the other seeds; every kept run is scored on the test speakers."""
    if not rates or not seeds:
        raise ValueError("rates and seeds must each hold at least one value")
    by_rate, runs_by_rate = {}, {}
    for rate in rates:
        runs_by_rate[rate] = trainer(rate, seeds[0])
        by_rate[rate] = validation_eer(runs_by_rate[rate], *val)
    rate = best_learning_rate(by_rate, lower_is_better=True)[0]
    runs = [runs_by_rate[rate]] + [trainer(rate, s) for s in seeds[1:]]
    x_test, y_test = test
    n_speakers = len(np.unique(y_test))
    scores = [score(run.distances(run.embed(x_test)), y_test, n_speakers) for run in runs]
    return Cell(name, rate, by_rate, runs, scores)


def negative_loss_fraction(setup: Setup, a: np.ndarray, b: np.ndarray, same: np.ndarray) -> float:
    """Fraction of pairs (embeddings ``a``, ``b`` and labels ``same``) whose loss under ``setup`` is below zero,
    computed in float64 so that rounding cannot make a zero negative."""
    loss = setup.pair_loss()(np.asarray(same, float), np.asarray(a, float), np.asarray(b, float))
    return float(np.mean(np.asarray(loss) < 0))


def factorial_table(cells: Mapping[str, Cell], negative: Mapping[str, float]) -> Markdown:
    """Every factorial cell as a row: output, direction, margin, test EER (mean ± std over seeds), the
    learning rate chosen on validation, and the measured fraction of negative pair losses."""
    lines = [
        "| outputs | KL direction | margin | test EER (lower is better) | learning rate | negative pair losses |",
        "|---|---|---:|---:|---:|---:|",
    ]
    for key, setup in FACTORIAL.items():
        cell = cells.get(key)
        if cell is None:
            value, rate, neg = "not run in this mode", "—", "—"
        else:
            seeds = len(cell.scores)
            value = f"{cell.mean():.3f}" + (f" ± {cell.std():.3f} ({seeds} seeds)" if seeds > 1 else "")
            rate, neg = f"{cell.learning_rate:g}", f"{100 * negative[key]:.1f}%"
        lines.append(f"| {OUTPUTS[setup.output]} | {setup.direction} | {setup.margin:g} | {value} | {rate} | {neg} |")
    return Markdown("\n".join(lines))


FACTORS = {
    "outputs: clipped PReLU → softplus": ("output", "prelu", "softplus"),
    "outputs: clipped PReLU → softmax": ("output", "prelu", "softmax"),
    "outputs: softplus → softmax": ("output", "softplus", "softmax"),
    "KL: one-way → symmetric": ("direction", "one-way", "symmetric"),
    "margin: 1 → 2": ("margin", 1.0, 2.0),
}


def factor_effects(cells: Mapping[str, Cell]) -> dict[str, dict[str, object]]:
    """For each change of one factor, every pair of run cells that differ only in it, compared on test EER
    (mean and spread over seeds, :func:`dlclinic.compare.compare`): counts of better / tie / worse and a
    verdict: "changes the outcome (better/worse)" when it helps (hurts) in most settings and never the other
    way, "depends on the other factors" when it does both, else "does not change it"."""
    effects = {}
    for label, (attribute, old, new) in FACTORS.items():
        counts = {"better": 0, "ties": 0, "worse": 0}
        changes = []
        for key, setup in FACTORIAL.items():
            if getattr(setup, attribute) != old or key not in cells:
                continue
            other = Setup(**{**setup.__dict__, attribute: new}).key
            if other not in cells:
                continue
            a, b = cells[other], cells[key]
            found = compare(a.mean(), b.mean(), True, a_spread=a.std(), b_spread=b.std())
            counts["ties" if found.verb == "ties" else "better" if found.better else "worse"] += 1
            changes.append(a.mean() - b.mean())
        n = sum(counts.values())
        if n == 0:
            continue
        if counts["better"] and counts["worse"]:
            verdict = "depends on the other factors"
        elif counts["better"] > n / 2:
            verdict = "changes the outcome (better)"
        elif counts["worse"] > n / 2:
            verdict = "changes the outcome (worse)"
        else:
            verdict = "does not change it"
        effects[label] = {**counts, "settings": n, "median_change": float(np.median(changes)), "verdict": verdict}
    return effects


def effects_table(effects: Mapping[str, Mapping[str, object]]) -> Markdown:
    """:func:`factor_effects` as Markdown: one row per factor change, the verdict last."""
    lines = [
        "| change (all else equal) | settings compared | better / ties / worse | median EER change | verdict |",
        "|---|---:|---:|---:|---|",
    ]
    for label, e in effects.items():
        lines.append(
            f"| {label} | {e['settings']} | {e['better']} / {e['ties']} / {e['worse']} "
            f"| {e['median_change']:+.3f} | {e['verdict']} |"
        )
    return Markdown("\n".join(lines))
