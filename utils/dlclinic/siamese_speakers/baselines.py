"""The classical baseline: an utterance's mean log-mel vector, standardised, compared by cosine distance."""

from __future__ import annotations

import numpy as np

from dlclinic.checks import as_float_array


def _mean_spectrum(features: object) -> np.ndarray:
    """Each band averaged over time, less the average over bands: the spectral shape without the loudness."""
    means = as_float_array("features", features, ndim=3).mean(axis=1)
    return means - means.mean(axis=1, keepdims=True)


class MeanLogMel:
    """An utterance's average log-mel spectrum (loudness removed), standardised with training statistics."""

    def fit(self, features: np.ndarray) -> MeanLogMel:
        means = _mean_spectrum(features)
        self.mean_, self.std_ = means.mean(axis=0), means.std(axis=0) + 1e-6
        return self

    def embed(self, features: np.ndarray) -> np.ndarray:
        return (_mean_spectrum(features) - self.mean_) / self.std_

    @staticmethod
    def distances(embeddings: np.ndarray) -> np.ndarray:
        """(n, n) cosine distances between rows."""
        unit = embeddings / (np.linalg.norm(embeddings, axis=1, keepdims=True) + 1e-12)
        return 1.0 - unit @ unit.T
