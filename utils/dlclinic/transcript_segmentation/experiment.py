"""One run of the case: the data bundle, and training any variant to per-document scores on val and test."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from dlclinic.backend import keras
from dlclinic.progress import EpochBar
from dlclinic.seeding import seed_everything
from dlclinic.transcript_segmentation.corpus import topic_sentences
from dlclinic.transcript_segmentation.data import Documents, make_documents, split_topics
from dlclinic.transcript_segmentation.embeddings import TfidfSvdEncoder, embed_documents
from dlclinic.transcript_segmentation.features import gap_features
from dlclinic.transcript_segmentation.metrics import segmentation_scores
from dlclinic.transcript_segmentation.models import build_bilstm_segmenter, build_sentence_classifier, pad_documents
from dlclinic.transcript_segmentation.treatments import output_bias_init


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


def prepare(n_train: int, n_val: int, n_test: int, seed: int = 0, dim: int = 64) -> dict[str, Split]:
    """Topic-disjoint train/val/test lectures, embedded by a TF-IDF + SVD encoder.

    The encoder plays the part of a pretrained one (the reporter's USE had read far more than this corpus):
    it is fitted, without labels, on every sentence of the corpus, so that unseen topics still get embeddings.
    """
    topics = split_topics(seed)
    docs = {
        name: make_documents(n, topics[name], seed=seed + i)
        for i, (name, n) in enumerate([("train", n_train), ("val", n_val), ("test", n_test)])
    }
    encoder = TfidfSvdEncoder(dim, seed=seed).fit([s for text in topic_sentences().values() for s in text])
    return {name: Split(d, embed_documents(encoder.encode, d.sentences)) for name, d in docs.items()}


@dataclass
class Run:
    """Per-document scores of one trained variant, and its training (and, where it validates, validation) loss
    per epoch."""

    name: str
    val_scores: list[np.ndarray]
    test_scores: list[np.ndarray]
    loss: list[float] = field(default_factory=list)
    val_loss: list[float] = field(default_factory=list)


def _per_document(flat: np.ndarray, like: list[np.ndarray]) -> list[np.ndarray]:
    bounds = np.cumsum([0] + [len(a) for a in like])
    return [flat[a:b] for a, b in zip(bounds[:-1], bounds[1:], strict=True)]


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
    verbose: bool = True,
) -> Run:
    """A per-sentence classifier (the reporter's head, or a small MLP on context features) and its scores."""
    seed_everything(seed)
    x, y = data["train"].features(context), data["train"].y
    bias = output_bias_init(y) if bias_init else 0.0
    model = build_sentence_classifier(x.shape[1], hidden=32 if context else 0, bias=bias, loss=loss)
    bar = [EpochBar(epochs, name)] if verbose else []
    history = model.fit(x, y, batch_size=256, epochs=epochs, class_weight=class_weight, verbose=0, callbacks=bar)
    scores = {s: model.predict(data[s].features(context), batch_size=4096, verbose=0)[:, 0] for s in ("val", "test")}
    return Run(
        name,
        _per_document(scores["val"], data["val"].labels),
        _per_document(scores["test"], data["test"].labels),
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
