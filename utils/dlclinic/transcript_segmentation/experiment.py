"""One run of the case: the data bundle, and training any variant to per-document scores on val and test."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache

import numpy as np

from dlclinic.backend import keras
from dlclinic.progress import EpochBar
from dlclinic.second_edition import best_learning_rate
from dlclinic.seeding import seed_everything
from dlclinic.transcript_segmentation.corpus import topic_sentences
from dlclinic.transcript_segmentation.data import CUE_PHRASES, Documents, make_documents, split_topics
from dlclinic.transcript_segmentation.embeddings import TfidfSvdEncoder, embed_documents
from dlclinic.transcript_segmentation.features import gap_features
from dlclinic.transcript_segmentation.metrics import segmentation_scores
from dlclinic.transcript_segmentation.models import build_bilstm_segmenter, build_sentence_classifier, pad_documents
from dlclinic.transcript_segmentation.treatments import best_threshold, class_weights, output_bias_init


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

    def features(self, context: bool) -> np.ndarray:
        """Stacked per-sentence inputs: the embedding alone, or with the gap features."""
        return np.vstack([gap_features(e) if context else e for e in self.embeddings])


@cache
def encoder(seed: int = 0, dim: int = 64) -> TfidfSvdEncoder:
    """The sentence encoder every split shares, fitted without labels on the whole corpus and the cue phrases.

    It plays the part of a pretrained encoder (the reporter's USE had read far more than this corpus, spoken
    discourse markers included), so unseen topics and cue phrases still get embeddings. The cue phrases are
    repeated so that their words weigh in the projection about as a marker heard in many lectures would.
    Cached: every cue rate's lectures are embedded by the same encoder.
    """
    corpus = [s for text in topic_sentences().values() for s in text]
    return TfidfSvdEncoder(dim, seed=seed).fit(corpus + list(CUE_PHRASES) * 5)


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


@dataclass
class Run:
    """Per-document scores of one trained variant, and its training (and, where it validates, validation) loss
    per epoch."""

    name: str
    val_scores: list[np.ndarray]
    test_scores: list[np.ndarray]
    loss: list[float] = field(default_factory=list)
    val_loss: list[float] = field(default_factory=list)


def per_document(flat: np.ndarray, like: list[np.ndarray]) -> list[np.ndarray]:
    """Split one flat array of per-sentence values into per-document arrays shaped like ``like``."""
    bounds = np.cumsum([0] + [len(a) for a in like])
    return [flat[a:b] for a, b in zip(bounds[:-1], bounds[1:], strict=True)]


class _Oversampled(keras.utils.PyDataset):
    """Epochs drawn with replacement, each positive ``factor`` times as likely as each negative: oversampling the
    minority class, in expectation the objective of a class weight ``factor`` (the same number of steps)."""

    def __init__(self, x: np.ndarray, y: np.ndarray, factor: float, batch_size: int, seed: int) -> None:
        super().__init__()
        self.x, self.y, self.batch_size = x, y, batch_size
        self.p = np.where(y == 1, factor, 1.0) / np.where(y == 1, factor, 1.0).sum()
        self.rng = np.random.default_rng(seed)
        self.on_epoch_end()

    def __len__(self) -> int:
        return -(-len(self.y) // self.batch_size)

    def __getitem__(self, i: int) -> tuple[np.ndarray, np.ndarray]:
        batch = self.order[i * self.batch_size : (i + 1) * self.batch_size]
        return self.x[batch], self.y[batch]

    def on_epoch_end(self) -> None:
        self.order = self.rng.choice(len(self.y), size=len(self.y), p=self.p)


def train_sentence_model(
    name: str,
    data: dict[str, Split],
    epochs: int,
    seed: int = 0,
    *,
    context: bool = False,
    class_weight: dict[int, float] | None = None,
    bias_init: bool = False,
    loss: keras.losses.Loss | str = "binary_crossentropy",
    learning_rate: float = 3e-3,
    oversample: float = 1.0,
    verbose: bool = True,
) -> Run:
    """A per-sentence classifier (the reporter's head, or a small MLP on context features) and its scores.

    ``oversample`` > 1 draws each epoch's sentences with replacement, positives that many times as likely
    (the same number of steps as without it).
    """
    seed_everything(seed)
    x, y = data["train"].features(context), data["train"].y
    bias = output_bias_init(y) if bias_init else 0.0
    model = build_sentence_classifier(
        x.shape[1], hidden=32 if context else 0, bias=bias, loss=loss, learning_rate=learning_rate
    )
    bar = [EpochBar(epochs, name)] if verbose else []
    batch_size = 256
    if oversample == 1.0:
        history = model.fit(
            x, y, batch_size=batch_size, epochs=epochs, class_weight=class_weight, verbose=0, callbacks=bar
        )
    else:
        if class_weight is not None or oversample <= 0:
            raise ValueError(f"oversample must be > 0 and come without class_weight; got {oversample!r}")
        batches = _Oversampled(x, y, oversample, batch_size, seed)
        history = model.fit(batches, epochs=epochs, verbose=0, callbacks=bar)
    scores = {s: model.predict(data[s].features(context), batch_size=4096, verbose=0)[:, 0] for s in ("val", "test")}
    return Run(
        name,
        per_document(scores["val"], data["val"].labels),
        per_document(scores["test"], data["test"].labels),
        history.history["loss"],
    )


def train_bilstm(
    name: str,
    data: dict[str, Split],
    epochs: int,
    seed: int = 0,
    units: int = 32,
    patience: int = 3,
    verbose: bool = True,
) -> Run:
    """The sequence model: a BiLSTM over each lecture's per-sentence gap features, bias at the base rate.

    Training stops once the loss on the validation lectures has not improved for ``patience`` epochs and keeps
    the best weights: with many lectures and epochs the BiLSTM otherwise memorises the training topics.
    """
    seed_everything(seed)
    padded = {s: pad_documents([gap_features(e) for e in data[s].embeddings]) for s in ("train", "val", "test")}
    labels = {s: pad_documents([label[:, None] for label in data[s].labels])[0] for s in ("train", "val")}
    (x, mask), (x_val, mask_val) = padded["train"], padded["val"]
    model = build_bilstm_segmenter(x.shape[2], units=units, bias=output_bias_init(data["train"].y))
    stop = keras.callbacks.EarlyStopping(monitor="val_loss", patience=patience, restore_best_weights=True)
    callbacks = [stop, EpochBar(epochs, name)] if verbose else [stop]
    history = model.fit(
        x,
        labels["train"],
        sample_weight=mask,
        validation_data=(x_val, labels["val"], mask_val),
        batch_size=32,
        epochs=epochs,
        verbose=0,
        callbacks=callbacks,
    )
    scores = {}
    for s in ("val", "test"):
        out = model.predict(padded[s][0], batch_size=64, verbose=0)[..., 0]
        scores[s] = [out[i, : len(e)] for i, e in enumerate(data[s].embeddings)]
    return Run(name, scores["val"], scores["test"], history.history["loss"], history.history["val_loss"])


def hard(scores: list[np.ndarray], threshold: float = 0.5) -> list[np.ndarray]:
    """0/1 labels from per-document scores: 1 where the score reaches the threshold."""
    return [(s >= threshold).astype(int) for s in scores]


def evaluate(labels: list[np.ndarray], scores: list[np.ndarray], threshold: float = 0.5) -> dict[str, float]:
    """Pk, WindowDiff, F1 and PR-AUC of scores thresholded at ``threshold``, plus the predicted-positive rate."""
    predictions = hard(scores, threshold)
    return segmentation_scores(labels, predictions, scores) | {
        "positive_rate": float(np.concatenate(predictions).mean())
    }


# The differential diagnosis: one change per row from the reporter's setup (one sentence embedding in, one
# sigmoid out, binary cross-entropy, cut at 0.5). "threshold" reuses the reporter's models with a cut chosen on
# the validation lectures; "cue phrases" trains the reporter's model on lectures that carry cue phrases.
VARIANTS: dict[str, dict] = {
    "reporter's setup": {},
    "class weight n / (2 n_c)": {"class_weight": "balanced"},
    "output bias at log(pos/neg)": {"bias_init": True},
    "threshold chosen on validation": {"threshold": "validation"},
    "focal loss, γ = 2 (α inactive)": {"loss": ("focal", False)},
    "focal loss, γ = 2, α = 0.9 with class balancing": {"loss": ("focal", True)},
    "oversampling positives ×9": {"oversample": 9.0},
    "context window (gap features, small MLP)": {"context": True},
    "cue phrases in the lectures": {"data": "cues"},
}
# The rows repeated over seeds: the reference, the fix's ingredient, and the two the reporter's world turns on.
HEADLINE = (
    "reporter's setup",
    "threshold chosen on validation",
    "class weight n / (2 n_c)",
    "context window (gap features, small MLP)",
    "cue phrases in the lectures",
)


def _variant_kwargs(spec: dict, data: dict[str, Split]) -> dict:
    kwargs = {k: v for k, v in spec.items() if k not in ("threshold", "data")}
    if kwargs.get("class_weight") == "balanced":
        kwargs["class_weight"] = class_weights(data["train"].y)
    if "loss" in kwargs:
        _, balanced = kwargs["loss"]
        kwargs["loss"] = keras.losses.BinaryFocalCrossentropy(gamma=2.0, alpha=0.9, apply_class_balancing=balanced)
    return kwargs


@dataclass
class Row:
    """One differential row: the learning rate chosen on validation Pk, and the test metrics per seed there."""

    learning_rate: float
    val_pk: dict[float, float]
    test: list[dict[str, float]]


def differential(
    data: dict[str, Split],
    cue_data: dict[str, Split],
    epochs: int,
    learning_rates: list[float],
    seeds: list[int],
    known: dict[tuple[str, float, int], Run] | None = None,
    verbose: bool = True,
) -> dict[str, Row]:
    """Train every row of ``VARIANTS`` at each learning rate (first seed), keep the rate with the best
    validation Pk, then repeat that rate over the other seeds for the ``HEADLINE`` rows. ``known`` holds runs
    already trained, keyed (variant, learning rate, seed); "threshold" rows share the reporter's runs."""
    known = {} if known is None else known
    rows = {}
    for name, spec in VARIANTS.items():
        bundle = cue_data if spec.get("data") == "cues" else data
        trained = "reporter's setup" if "threshold" in spec else name

        def run(rate: float, seed: int, name=name, spec=spec, bundle=bundle, trained=trained) -> dict[str, dict]:
            key = (trained, rate, seed)
            if key not in known:
                label = f"{trained}, lr {rate:g}, seed {seed}"
                kwargs = _variant_kwargs(VARIANTS[trained], bundle)
                known[key] = train_sentence_model(
                    label, bundle, epochs, seed, learning_rate=rate, verbose=verbose, **kwargs
                )
            found = known[key]
            cut = 0.5
            if "threshold" in spec:
                cut = best_threshold(bundle["val"].y, np.concatenate(found.val_scores))
            return {
                "val": evaluate(bundle["val"].labels, found.val_scores, cut),
                "test": evaluate(bundle["test"].labels, found.test_scores, cut),
            }

        first = {rate: run(rate, seeds[0]) for rate in learning_rates}
        val_pk = {rate: result["val"]["pk"] for rate, result in first.items()}
        rate, _ = best_learning_rate(val_pk, lower_is_better=True)
        more = seeds[1:] if name in HEADLINE else []
        tests = [first[rate]["test"]] + [run(rate, seed)["test"] for seed in more]
        rows[name] = Row(rate, val_pk, tests)
    return rows
