"""Context for a sentence-level classifier: how much the text changes across the gap before each sentence."""

from __future__ import annotations

import numpy as np

from dlclinic.checks import as_float_array, positive_int


def _unit(x: np.ndarray) -> np.ndarray:
    return x / np.maximum(np.linalg.norm(x, axis=-1, keepdims=True), 1e-8)


def gap_features(embeddings: object, window: int = 3) -> np.ndarray:
    """Per sentence i: its embedding, the previous one's, and the cosine similarity across the gap before i,
    both sentence to sentence and between the mean of ``window`` sentences on either side (0 at the start)."""
    e = as_float_array("embeddings", embeddings, ndim=2)
    positive_int("window", window)
    n = e.shape[0]
    previous = np.vstack([np.zeros((1, e.shape[1])), e[:-1]])
    near = np.sum(_unit(previous) * _unit(e), axis=1)
    cumulative = np.vstack([np.zeros((1, e.shape[1])), np.cumsum(e, axis=0)])
    idx = np.arange(n)
    before = cumulative[idx] - cumulative[np.maximum(idx - window, 0)]
    after = cumulative[np.minimum(idx + window, n)] - cumulative[idx]
    wide = np.sum(_unit(before) * _unit(after), axis=1)
    return np.hstack([e, previous, near[:, None], wide[:, None]]).astype(np.float32)
