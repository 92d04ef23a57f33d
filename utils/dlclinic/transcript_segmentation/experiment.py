"""One run of the case: the lectures and their embeddings, and any scorer trained into what the shared runner
(:mod:`dlclinic.differential`) reads: a :class:`~dlclinic.differential.Fit` per learning rate and seed.

Every scorer, trained or not, is decoded the same way (:mod:`.decoding`) and judged on the test lectures; the
learning rate is picked on the row's own training objective measured on the validation lectures.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from functools import cache

import numpy as np

from dlclinic.backend import keras
from dlclinic.differential import Fit
from dlclinic.seeding import seed_everything
from dlclinic.transcript_segmentation.bag_of_words import ITERATIONS, BagOfWords
from dlclinic.transcript_segmentation.baselines import constant, random_boundaries, texttiling
from dlclinic.transcript_segmentation.corpus import topic_sentences
from dlclinic.transcript_segmentation.data import CUE_PHRASES, Documents, make_documents, split_topics
from dlclinic.transcript_segmentation.decoding import decode
from dlclinic.transcript_segmentation.embeddings import TfidfSvdEncoder, embed_documents
from dlclinic.transcript_segmentation.features import cosine_gap_scores, gap_features, gap_profile
from dlclinic.transcript_segmentation.metrics import segmentation_scores
from dlclinic.transcript_segmentation.models import build_bilstm_segmenter, pad_documents

PK = "test Pk"  # the differential's metric: its name in every Fit's test metrics
OTHERS = ("windowdiff", "f1", "pr_auc", "positive_rate", "val_pk", "val_pr_auc")  # also kept per row
ENCODER_FIT = "train"  # the encoder reads the training topics (and the cue phrases), never val or test text
GAP_WINDOWS = (1, 2, 3, 5, 8)  # the cosine gap control's windows, one picked on validation
PATIENCE = 3  # epochs without a better validation loss before a run stops (its best weights kept)


@dataclass
class Split:
    """Documents with their sentence embeddings (one (n_i, dim) array per document)."""

    documents: Documents
    embeddings: list[np.ndarray]

    @property
    def labels(self) -> list[np.ndarray]:
        return self.documents.labels

    @property
    def y(self) -> np.ndarray:
        return np.concatenate(self.labels).astype(np.float32)

    @property
    def sentences(self) -> list[str]:
        return [s for document in self.documents.sentences for s in document]

    def features(self, kind: str) -> np.ndarray:
        """Stacked per-sentence inputs of one :data:`FEATURES` kind."""
        return np.vstack([FEATURES[kind](e) for e in self.embeddings])


FEATURES: dict[str, Callable[[np.ndarray], np.ndarray]] = {
    "embedding": lambda e: e,  # the reporter's input: one sentence's embedding
    "context": gap_features,  # that embedding, the previous one's, and the similarity across the gap
    "profile": gap_profile,  # only similarities across the gap and its neighbours, at several widths
}


@cache
def encoder(seed: int = 0, dim: int = 64) -> TfidfSvdEncoder:
    """The sentence encoder every split shares, fitted without labels on the training topics' text and the cue
    phrases: it plays the part of the reporter's pretrained encoder, and it has never read a validation or test
    topic. The cue phrases are repeated so that their words weigh in the projection about as a marker heard in
    many lectures would. Cached: every cue rate's lectures are embedded by the same encoder."""
    corpus = topic_sentences()
    text = [s for topic in split_topics(seed)["train"] for s in corpus[topic]]
    return TfidfSvdEncoder(dim, seed=seed).fit(text + list(CUE_PHRASES) * 5)


def prepare(
    n_train: int, n_val: int, n_test: int, seed: int = 0, dim: int = 64, cue_rate: float = 0.0
) -> dict[str, Split]:
    """Topic-disjoint train/val/test lectures (with cue phrases at ``cue_rate``), embedded by :func:`encoder`."""
    topics = split_topics(seed)
    docs = {
        name: make_documents(n, topics[name], seed=seed + i, cue_rate=cue_rate)
        for i, (name, n) in enumerate([("train", n_train), ("val", n_val), ("test", n_test)])
    }
    encode = encoder(seed, dim).encode
    return {name: Split(d, embed_documents(encode, d.sentences)) for name, d in docs.items()}


def held_out(n: int, seed: int, lecture_seed: int, dim: int = 64) -> Split:
    """``n`` fresh lectures on the test topics of ``prepare(..., seed=seed)``, drawn with ``lecture_seed``
    (another draw than the test split's): for grading on lectures no one has seen."""
    docs = make_documents(n, split_topics(seed)["test"], seed=lecture_seed)
    return Split(docs, embed_documents(encoder(seed, dim).encode, docs.sentences))


def per_document(flat: np.ndarray, like: Sequence[np.ndarray]) -> list[np.ndarray]:
    """Split one flat array of per-sentence values into per-document arrays shaped like ``like``."""
    bounds = np.cumsum([0] + [len(a) for a in like])
    return [flat[a:b] for a, b in zip(bounds[:-1], bounds[1:], strict=True)]


@dataclass(frozen=True)
class Variant:
    """How one per-sentence scorer is trained: what it reads, its hidden layer, where its output bias starts
    ("zero" or "prior": log(w n_pos / n_neg), the best constant of its own, possibly weighted, objective), the
    class-1 weight (``None``, "balanced" for n / (2 n_c), or a number), the loss ("bce"; "focal": γ = 2 with
    α inactive; "focal_alpha": γ = 2 and α = 0.9 applied), oversampling of the positives, and the cue rate."""

    features: str = "embedding"
    hidden: int = 0
    bias: str = "zero"
    class_weight: float | str | None = None
    loss: str = "bce"
    oversample: float = 1.0
    cue_rate: float = 0.0

    def __post_init__(self) -> None:
        if self.features not in FEATURES or self.bias not in ("zero", "prior") or self.loss not in LOSSES:
            raise ValueError(f"unknown features, bias or loss in {self!r}")
        if self.oversample < 1 or (self.oversample > 1 and self.class_weight is not None):
            raise ValueError(f"oversample must be >= 1 and come without a class weight; got {self!r}")

    def weights(self, y: np.ndarray) -> dict[int, float]:
        """The class weights of the objective (oversampling ×k counts as a weight k, its expectation)."""
        pos, neg = float(y.sum()), float(y.size - y.sum())
        if self.class_weight == "balanced":
            return {0: y.size / (2 * neg), 1: y.size / (2 * pos)}
        return {0: 1.0, 1: float(self.oversample if self.class_weight is None else self.class_weight)}

    def initial_bias(self, y: np.ndarray) -> float:
        if self.bias == "zero":
            return 0.0
        w = self.weights(y)
        return float(np.log(w[1] * y.sum() / (w[0] * (y.size - y.sum()))))


LOSSES: dict[str, Callable[[], keras.losses.Loss | str]] = {
    "bce": lambda: "binary_crossentropy",
    "focal": lambda: keras.losses.BinaryFocalCrossentropy(gamma=2.0, alpha=0.9, apply_class_balancing=False),
    "focal_alpha": lambda: keras.losses.BinaryFocalCrossentropy(gamma=2.0, alpha=0.9, apply_class_balancing=True),
}


@dataclass
class Trained:
    """A trained scorer: its per-document scores on the validation and test lectures, its validation objective
    after each of ``steps``, and the model (where there is one)."""

    val_scores: list[np.ndarray]
    test_scores: list[np.ndarray]
    steps: list[int]
    validation: list[float]
    model: object = None


def oversampled_epoch(y: np.ndarray, factor: float, rng: np.random.Generator) -> np.ndarray:
    """Indices of one epoch drawn with replacement, each positive ``factor`` times as likely as each negative:
    oversampling the minority class, in expectation the objective of a class weight ``factor`` (an epoch of
    the same length)."""
    weight = np.where(y == 1, factor, 1.0)
    return rng.choice(len(y), size=len(y), p=weight / weight.sum())


Builder = Callable[..., keras.Model]  # build(n_features, hidden=, bias=, loss=, learning_rate=) -> compiled model


def kept_curve(val_loss: Sequence[float], epochs: int, steps_per_epoch: int) -> tuple[list[int], list[float]]:
    """The validation curve of a run that keeps its best weights, over its whole budget of ``epochs``: after
    each epoch, the loss of the weights it keeps (the best so far); once early stopping ends the run, those
    weights stay, so the curve stays flat to the budget and every seed of a row is read at the same steps."""
    if not val_loss:
        raise ValueError("a run must record its validation loss after at least one epoch")
    best = [float(v) for v in np.minimum.accumulate(np.asarray(val_loss, dtype=float))]
    best += [best[-1]] * (epochs - len(best))
    return [steps_per_epoch * (e + 1) for e in range(len(best))], best


class Trainer:
    """Trains scorers on the case's lectures (``bundles``: the splits of each cue rate) and hands the runner a
    :class:`Fit` per learning rate and seed. Every run stops once its own objective on the validation lectures
    has not improved for :data:`PATIENCE` epochs and keeps its best weights; its validation curve is the best
    loss so far (the loss of the weights it keeps). Runs are cached by what they train, so rows that decode the
    same model differently (a cut at 0.5, a validation cut, peak picking) share it. ``build`` is the page's
    builder."""

    def __init__(self, build: Builder, bundles: Mapping[float, dict[str, Split]], epochs: int,
                 lstm_epochs: int | None = None, batch_size: int = 256) -> None:
        if 0.0 not in bundles:
            raise ValueError("bundles must hold the lectures without cue phrases (cue rate 0.0)")
        self.build, self.bundles, self.epochs, self.batch_size = build, dict(bundles), epochs, batch_size
        self.lstm_epochs = lstm_epochs or epochs
        self.runs: dict[tuple, Trained] = {}

    def bundle(self, cue_rate: float) -> dict[str, Split]:
        if cue_rate not in self.bundles:
            raise KeyError(f"no lectures at cue rate {cue_rate:g}; give them to the Trainer")
        return self.bundles[cue_rate]

    def train(self, variant: Variant, learning_rate: float, seed: int) -> Trained:
        """The per-sentence scorer ``variant`` trained at ``learning_rate`` with ``seed`` (cached)."""
        key = ("sentence", variant, learning_rate, seed)
        if key not in self.runs:
            self.runs[key] = self._train(variant, learning_rate, seed)
        return self.runs[key]

    def _train(self, variant: Variant, learning_rate: float, seed: int) -> Trained:
        data = self.bundle(variant.cue_rate)
        seed_everything(seed)
        x, y = data["train"].features(variant.features), data["train"].y
        x_val, y_val = data["val"].features(variant.features), data["val"].y
        weights = variant.weights(y)
        model = self.build(x.shape[1], hidden=variant.hidden, bias=variant.initial_bias(y),
                           loss=LOSSES[variant.loss](), learning_rate=learning_rate)
        unweighted = weights == {0: 1.0, 1: 1.0}
        val_weight = np.where(y_val == 1, weights[1], weights[0]).astype(np.float32)
        validation = (x_val, y_val) if unweighted else (x_val, y_val, val_weight)
        if variant.oversample > 1:  # each epoch redrawn, the optimiser's state carried over
            val_loss = self._oversampled_fit(model, x, y, variant.oversample, validation, seed)
        else:
            stop = keras.callbacks.EarlyStopping(monitor="val_loss", patience=PATIENCE, restore_best_weights=True)
            history = model.fit(x, y, batch_size=self.batch_size, epochs=self.epochs,
                                class_weight=None if unweighted else weights, validation_data=validation, verbose=0,
                                callbacks=[stop])
            val_loss = history.history["val_loss"]
        scores = {s: model.predict(data[s].features(variant.features), batch_size=4096, verbose=0)[:, 0]
                  for s in ("val", "test")}
        return Trained(per_document(scores["val"], data["val"].labels),
                       per_document(scores["test"], data["test"].labels),
                       *kept_curve(val_loss, self.epochs, -(-len(y) // self.batch_size)), model)

    def _oversampled_fit(self, model: keras.Model, x: np.ndarray, y: np.ndarray, factor: float,
                         validation: tuple, seed: int) -> list[float]:
        """Epochs of oversampled draws (:func:`oversampled_epoch`), stopped as ``EarlyStopping`` stops the
        others (best weights kept); the validation loss after each epoch."""
        rng, val_loss, best, waited = np.random.default_rng(seed), [], (np.inf, None), 0
        for epoch in range(self.epochs):
            order = oversampled_epoch(y, factor, rng)
            history = model.fit(x[order], y[order], batch_size=self.batch_size, initial_epoch=epoch,
                                epochs=epoch + 1, validation_data=validation, verbose=0)
            val_loss.append(float(history.history["val_loss"][-1]))
            if val_loss[-1] < best[0]:
                best, waited = (val_loss[-1], model.get_weights()), 0
            else:
                waited += 1
                if waited >= PATIENCE:
                    break
        model.set_weights(best[1])
        return val_loss

    def bilstm(self, learning_rate: float, seed: int, units: int = 32, patience: int = PATIENCE) -> Trained:
        """A BiLSTM over each lecture's per-sentence context features (:func:`gap_features`), its bias at the
        base rate, stopped once the validation loss has not improved for ``patience`` epochs (best weights
        kept). Its validation curve is the best loss so far: the loss of the weights it keeps (cached)."""
        key = ("bilstm", learning_rate, seed, units, patience)
        if key in self.runs:
            return self.runs[key]
        data = self.bundle(0.0)
        seed_everything(seed)
        padded = {s: pad_documents([gap_features(e) for e in data[s].embeddings]) for s in ("train", "val", "test")}
        labels = {s: pad_documents([label[:, None] for label in data[s].labels])[0] for s in ("train", "val")}
        (x, mask), (x_val, mask_val) = padded["train"], padded["val"]
        y = data["train"].y
        model = build_bilstm_segmenter(x.shape[2], units=units, bias=float(np.log(y.sum() / (y.size - y.sum()))),
                                       learning_rate=learning_rate)
        stop = keras.callbacks.EarlyStopping(monitor="val_loss", patience=patience, restore_best_weights=True)
        history = model.fit(x, labels["train"], sample_weight=mask, validation_data=(x_val, labels["val"], mask_val),
                            batch_size=32, epochs=self.lstm_epochs, verbose=0, callbacks=[stop])
        scores = {}
        for s in ("val", "test"):
            out = model.predict(padded[s][0], batch_size=64, verbose=0)[..., 0]
            scores[s] = [out[i, : len(e)] for i, e in enumerate(data[s].embeddings)]
        self.runs[key] = Trained(scores["val"], scores["test"],
                                 *kept_curve(history.history["val_loss"], self.lstm_epochs, -(-len(x) // 32)), model)
        return self.runs[key]

    def bag_of_words(self, cue_rate: float = 0.0) -> Trained:
        """The bag-of-words control (:class:`BagOfWords`) at ``cue_rate``; deterministic, so cached per rate."""
        key = ("bag of words", cue_rate)
        if key not in self.runs:
            data = self.bundle(cue_rate)
            control = BagOfWords().fit(data["train"].sentences, data["train"].y, data["val"].sentences, data["val"].y)
            self.runs[key] = Trained(*(per_document(control.scores(data[s].sentences), data[s].labels)
                                       for s in ("val", "test")), list(ITERATIONS), control.curve, control)
        return self.runs[key]

    def fit_of(self, trained: Trained, how: str, seed: int, learning_rate: float | None,
               cue_rate: float = 0.0) -> Fit:
        """What the runner reads of one trained scorer decoded ``how`` (:func:`decode`)."""
        data = self.bundle(cue_rate)
        val, test_split = data["val"], data["test"]
        found = decode(val.labels, trained.val_scores, test_split.labels, trained.test_scores, how)
        on_val = decode(val.labels, trained.val_scores, val.labels, trained.val_scores, how).metrics
        test = {PK: found.metrics["pk"], "val_pk": on_val["pk"], "val_pr_auc": on_val["pr_auc"]} | {
            key: found.metrics[key] for key in OTHERS if key in found.metrics}
        flat = np.concatenate(trained.test_scores)
        return Fit(seed, learning_rate, trained.steps, trained.validation, test,
                   constant=bool(np.ptp(flat) < 1e-6), detail=(trained, found))

    def scorer(self, variant: Variant, how: str = "peaks") -> Callable[[float | None, int], Fit]:
        """The runner's ``train(learning_rate, seed)`` for a per-sentence scorer decoded ``how``."""
        return lambda rate, seed: self.fit_of(self.train(variant, rate, seed), how, seed, rate, variant.cue_rate)

    def sequence(self, how: str = "peaks") -> Callable[[float | None, int], Fit]:
        """The runner's ``train(learning_rate, seed)`` for the BiLSTM decoded ``how``."""
        return lambda rate, seed: self.fit_of(self.bilstm(rate, seed), how, seed, rate)

    def words(self, how: str = "peaks", cue_rate: float = 0.0) -> Callable[[float | None, int], Fit]:
        """The runner's ``train(None, seed)`` for the bag-of-words control (the same run for every seed)."""
        return lambda rate, seed: self.fit_of(self.bag_of_words(cue_rate), how, seed, rate, cue_rate)


def cosine_gap(data: Mapping[str, Split], how: str = "peaks", windows: Sequence[int] = GAP_WINDOWS) -> dict:
    """The learning-free control: the cosine gap at the window (of ``windows``) whose decoded validation Pk is
    lowest, decoded ``how`` with its cut chosen on validation; its test metrics, the window and the cut."""
    val, test = data["val"], data["test"]

    def scores(split: Split, window: int) -> list[np.ndarray]:
        return [cosine_gap_scores(e, window) for e in split.embeddings]

    on_val = {w: decode(val.labels, scores(val, w), val.labels, scores(val, w), how).metrics for w in windows}
    window = min(on_val, key=lambda w: on_val[w]["pk"])
    found = decode(val.labels, scores(val, window), test.labels, scores(test, window), how)
    return found.metrics | {"window": window, "threshold": found.threshold, "val_pk": on_val[window]["pk"],
                            "val_pr_auc": on_val[window]["pr_auc"]}


def hard_segmenters(data: Mapping[str, Split], seed: int, base_rate: float) -> dict[str, dict[str, float]]:
    """TextTiling (nltk, w = 20, k = 6) and the trivial segmenters on the test lectures."""
    test, rng = data["test"], np.random.default_rng(seed)
    found = {
        "texttiling": [texttiling(sentences, w=20, k=6) for sentences in test.documents.sentences],
        "all_zero": [constant(len(y), 0) for y in test.labels],
        "all_one": [constant(len(y), 1) for y in test.labels],
        "random": [random_boundaries(len(y), base_rate, rng) for y in test.labels],
    }
    return {name: segmentation_scores(test.labels, labels) | {"positive_rate": float(np.concatenate(labels).mean())}
            for name, labels in found.items()}


def shares(scores: Sequence[np.ndarray]) -> tuple[float, float]:
    """Mean and standard deviation of a scorer's scores, pooled over documents."""
    flat = np.concatenate(scores)
    return float(flat.mean()), float(flat.std())


def constant_loss(y: np.ndarray, rate: float) -> float:
    """The binary cross-entropy of predicting ``rate`` for every label in ``y``: the loss a scorer without
    signal ends at."""
    if not 0 < rate < 1:
        raise ValueError(f"rate must be in (0, 1); got {rate!r}")
    p = float(np.mean(y))
    return float(-(p * math.log(rate) + (1 - p) * math.log(1 - rate)))


def with_cue_rate(variant: Variant, cue_rate: float) -> Variant:
    """The same variant trained on lectures with cue phrases at ``cue_rate``."""
    return replace(variant, cue_rate=cue_rate)
