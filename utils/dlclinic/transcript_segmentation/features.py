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


def cosine_gap_scores(embeddings: object, window: int = 1) -> np.ndarray:
    """A learning-free boundary score: 1 - cosine similarity between the mean embeddings of the ``window``
    sentences before each gap and the ``window`` sentences after it (0 for the first sentence)."""
    scores = 1.0 - gap_features(embeddings, window)[:, -1]
    scores[0] = 0.0
    return scores


PROFILE_WINDOWS = (1, 2, 3, 5, 8)  # sentences averaged on either side of a gap


def gap_profile(embeddings: object, windows: tuple[int, ...] = PROFILE_WINDOWS, radius: int = 2) -> np.ndarray:
    """Per sentence i: 1 - the cosine similarity across the gap before i, between the means of w sentences on
    either side, for every w in ``windows``, at the gap itself and at the ``radius`` gaps before and after it
    (0 outside the lecture). Only similarities: nothing that names the topic, so it reads any lecture alike."""
    e = as_float_array("embeddings", embeddings, ndim=2)
    if not windows or any(isinstance(w, bool) or not isinstance(w, int) or w < 1 for w in windows):
        raise ValueError(f"windows must be a non-empty tuple of ints >= 1; got {windows!r}")
    if isinstance(radius, bool) or not isinstance(radius, int) or radius < 0:
        raise ValueError(f"radius must be an int >= 0; got {radius!r}")
    gaps = np.stack([cosine_gap_scores(e, w) for w in windows], axis=1)
    n = gaps.shape[0]
    padded = np.vstack([np.zeros((radius, len(windows))), gaps, np.zeros((radius, len(windows)))])
    return np.hstack([padded[i : i + n] for i in range(2 * radius + 1)]).astype(np.float32)
