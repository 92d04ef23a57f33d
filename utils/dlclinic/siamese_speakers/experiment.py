"""Train the case's siamese variants on the same pairs and budget, and score their embeddings."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from dlclinic.backend import keras
from dlclinic.progress import EpochBar
from dlclinic.seeding import seed_everything
from dlclinic.siamese_speakers import losses as dv
from dlclinic.siamese_speakers.metrics import cluster, clustering_scores, equal_error_rate, verification_pairs
from dlclinic.siamese_speakers.models import build_branch, build_pair_model, build_reporter, pair_loss
from dlclinic.siamese_speakers.pairs import pair_dataset, sample_pairs

VARIANTS = {
    "reporter": "PReLU outputs, clipped one-way KL, hinge with margin 1 (the report)",
    "softmax_one_way": "softmax outputs, one-way KL, hinge with margin 1",
    "fixed": "softmax outputs, symmetric KL, hinge with margin 2 (Hsu & Kira)",
    "softplus_hinge": "softmax outputs, symmetric KL, softplus hinge with margin 2",
    "cosine": "free outputs, cosine distance, contrastive loss with margin 0.5",
}
DISTANCES: dict[str, Callable] = {
    "reporter": dv.reporter_kl,
    "softmax_one_way": dv.kl_divergence,
    "fixed": dv.symmetric_kl,
    "softplus_hinge": dv.symmetric_kl,
    "cosine": dv.cosine_distance,
}


@dataclass
class Run:
    """One trained variant: its branch (the embedding extractor), its distance and its loss per epoch."""

    name: str
    branch: keras.Model
    model: keras.Model
    distance: Callable
    train_loss: list[float] = field(default_factory=list)
    accuracy: list[float] = field(default_factory=list)

    def embed(self, features: np.ndarray, batch_size: int = 256) -> np.ndarray:
        """Embeddings of ``features``, by direct calls (no ``predict``: nothing to retrace for each model)."""
        parts = [self.branch(features[k : k + batch_size], training=False) for k in range(0, len(features), batch_size)]
        return np.concatenate([np.asarray(part) for part in parts])

    def distances(self, embeddings: np.ndarray) -> np.ndarray:
        """(n, n) matrix of distance(e_i, e_j): row i is the first argument."""
        return np.asarray(self.distance(embeddings[:, None, :], embeddings[None, :, :]))


def build_variant(name: str, learning_rate: float = 1e-3, **branch_kwargs) -> tuple[keras.Model, keras.Model]:
    """The compiled siamese model and its branch for one of :data:`VARIANTS`."""
    if name not in VARIANTS:
        raise ValueError(f"name must be one of {sorted(VARIANTS)}; got {name!r}")
    optimizer = keras.optimizers.Adam(learning_rate)
    if name == "reporter":
        model, branch = build_reporter(**branch_kwargs)
        model.compile(optimizer, loss=dv.reporter_hinge_loss, metrics=["accuracy"])
        return model, branch
    branch = build_branch("linear" if name == "cosine" else "softmax", **branch_kwargs)
    if name in ("softmax_one_way", "cosine"):
        model = build_pair_model(branch, DISTANCES[name])
        loss = dv.reporter_hinge_loss if name == "softmax_one_way" else dv.contrastive_loss
    else:
        model = build_pair_model(branch)
        loss = pair_loss(dv.kl_hinge_loss if name == "fixed" else dv.softplus_kl_hinge_loss)
    model.compile(optimizer, loss=loss)
    return model, branch


def train_variant(
    name: str, features: np.ndarray, labels: np.ndarray, epochs: int, seed: int, pairs_per_epoch: int = 2048
) -> Run:
    """Build and train one variant from ``seed`` on fresh balanced pairs of the training speakers."""
    seed_everything(seed)
    model, branch = build_variant(name, frames=features.shape[1], bands=features.shape[2])
    i, j, same = sample_pairs(labels, pairs_per_epoch * epochs, np.random.default_rng(seed))
    data = pair_dataset(features, i, j, same)
    history = model.fit(
        data,
        epochs=epochs,
        steps_per_epoch=int(np.ceil(pairs_per_epoch / 64)),
        shuffle=False,
        verbose=0,
        callbacks=[EpochBar(epochs, name)],
    )
    return Run(
        name, branch, model, DISTANCES[name], history.history["loss"], history.history.get("accuracy", [])
    )


def score(distances: np.ndarray, labels: np.ndarray, n_speakers: int) -> dict[str, float]:
    """EER over every pair of utterances (distance of the first to the second) and clustering scores."""
    i, j, same = verification_pairs(labels)
    eer, threshold = equal_error_rate(same, distances[i, j])
    return {"eer": eer, "threshold": threshold, **clustering_scores(labels, cluster(distances, n_speakers))}
