"""Balanced same/different-speaker pairs, streamed with ``tf.data`` so pairs never copy the spectrograms."""

from __future__ import annotations

import numpy as np

from dlclinic.backend import tf
from dlclinic.checks import positive_int


def sample_pairs(labels: object, n_pairs: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``n_pairs`` index pairs (i, j), half from one speaker and half from two; returns (i, j, same)."""
    labels = np.asarray(labels)
    n_pairs = positive_int("n_pairs", n_pairs)
    speakers = np.unique(labels)
    if len(speakers) < 2:
        raise ValueError(f"labels must hold at least two speakers; got {len(speakers)}")
    by_speaker = {s: np.flatnonzero(labels == s) for s in speakers}
    same = (np.arange(n_pairs) % 2 == 0).astype(np.float32)
    i, j = np.empty(n_pairs, int), np.empty(n_pairs, int)
    for k in range(n_pairs):
        if same[k]:
            i[k], j[k] = rng.choice(by_speaker[rng.choice(speakers)], 2, replace=False)
        else:
            s, t = rng.choice(speakers, 2, replace=False)
            i[k], j[k] = rng.choice(by_speaker[s]), rng.choice(by_speaker[t])
    order = rng.permutation(n_pairs)
    return i[order], j[order], same[order]


def pair_dataset(
    features: np.ndarray, i: np.ndarray, j: np.ndarray, same: np.ndarray, batch_size: int = 64
) -> tf.data.Dataset:
    """Batches of ((features[i], features[j]), same) gathered on the fly from one copy of ``features``."""
    table = tf.constant(features, tf.float32)
    pairs = tf.data.Dataset.from_tensor_slices(((i, j), same.astype(np.float32))).batch(batch_size)
    return pairs.map(lambda ij, s: ((tf.gather(table, ij[0]), tf.gather(table, ij[1])), s))
