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


def utterance_batches(
    features: np.ndarray, labels: np.ndarray, batch_size: int, steps: int, rng: np.random.Generator
) -> tf.data.Dataset:
    """``steps`` minibatches of ``batch_size`` utterances ((features, labels)), drawn epoch by epoch: every
    utterance once per pass over the data in a fresh random order, as Keras' ``shuffle=True`` would."""
    steps, batch_size = positive_int("steps", steps), positive_int("batch_size", batch_size)
    n = len(features)
    if n < batch_size or len(labels) != n:
        raise ValueError(f"features and labels must be as long as each other and hold at least batch_size "
                         f"({batch_size}) utterances; got {n} and {len(labels)}")
    passes = -(-steps * batch_size // n)
    order = np.concatenate([rng.permutation(n) for _ in range(passes)])[: steps * batch_size]
    table = tf.constant(features, tf.float32)
    targets = tf.constant(np.asarray(labels), tf.int32)
    return tf.data.Dataset.from_tensor_slices(order).batch(batch_size).map(
        lambda k: (tf.gather(table, k), tf.gather(targets, k)))
