"""Sentence embeddings: an offline TF-IDF + truncated SVD encoder (default) and an optional online USE."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
from sklearn.decomposition import TruncatedSVD
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import Normalizer

from dlclinic.checks import positive_int


class TfidfSvdEncoder:
    """TF-IDF of words, reduced by truncated SVD (latent semantic analysis) and L2-normalised."""

    def __init__(self, dim: int = 64, seed: int = 0) -> None:
        self.dim = positive_int("dim", dim)
        self.pipeline = make_pipeline(
            TfidfVectorizer(sublinear_tf=True, stop_words="english", min_df=2),
            TruncatedSVD(n_components=self.dim, random_state=seed),
            Normalizer(),
        )

    def fit(self, sentences: Sequence[str]) -> TfidfSvdEncoder:
        """Fit the vocabulary and the projection on training sentences only."""
        if len(sentences) <= self.dim:
            raise ValueError(f"need more than dim={self.dim} sentences to fit; got {len(sentences)}")
        self.pipeline.fit(list(sentences))
        return self

    def encode(self, sentences: Sequence[str]) -> np.ndarray:
        """Return an (n, dim) float32 array of unit-length embeddings."""
        return self.pipeline.transform(list(sentences)).astype(np.float32)


def load_universal_sentence_encoder(
    url: str = "https://tfhub.dev/google/universal-sentence-encoder/4",
) -> Callable[[Sequence[str]], np.ndarray]:
    """The reporter's encoder, for learners who are online: returns ``encode(sentences) -> (n, 512)``.

    Needs ``tensorflow_hub`` (not a course dependency) and a download; the course never calls it by default.
    """
    try:
        import tensorflow_hub as hub
    except ImportError:
        raise ImportError(
            "load_universal_sentence_encoder needs tensorflow_hub: pip install tensorflow-hub (and network access)"
        ) from None
    model = hub.load(url)

    def encode(sentences: Sequence[str]) -> np.ndarray:
        return np.asarray(model(list(sentences)), dtype=np.float32)

    return encode


def embed_documents(encode: Callable[[Sequence[str]], np.ndarray], sentences: list[list[str]]) -> list[np.ndarray]:
    """Encode every document in one call; return one (n_sentences, dim) array per document."""
    flat = [s for doc in sentences for s in doc]
    vectors = encode(flat)
    bounds = np.cumsum([0] + [len(doc) for doc in sentences])
    return [vectors[a:b] for a, b in zip(bounds[:-1], bounds[1:], strict=True)]
