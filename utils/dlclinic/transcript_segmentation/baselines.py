"""Segmenters that learn nothing: TextTiling (Hearst 1997, via nltk), the cosine gap between neighbouring
sentence embeddings, and the trivial all-0 / all-1 / random."""

from __future__ import annotations

import math

import numpy as np
from nltk.tokenize.texttiling import TextTilingTokenizer
from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

from dlclinic.checks import positive_int
from dlclinic.transcript_segmentation.features import cosine_gap_scores

__all__ = ["constant", "cosine_gap_scores", "random_boundaries", "texttiling"]


class _TextTilingTokenizer(TextTilingTokenizer):
    """nltk's TextTiling with its block comparison computed from a token-count matrix: the same integer sums,
    so the same gap scores, without nltk's Python loop over every token for every gap."""

    def _block_comparison(self, tokseqs, token_table):
        counts = np.zeros((len(tokseqs), len(token_table)), dtype=np.int64)
        for column, field in enumerate(token_table.values()):
            for sequence, count in field.ts_occurences:
                counts[sequence, column] += count
        gaps = len(tokseqs) - 1
        scores = []
        for gap in range(gaps):
            window = gap + 1 if gap < self.k - 1 else gaps - gap if gap > gaps - self.k else self.k
            before = counts[[int(ts.index) for ts in tokseqs[gap - window + 1 : gap + 1]]].sum(axis=0)
            after = counts[[int(ts.index) for ts in tokseqs[gap + 1 : gap + window + 1]]].sum(axis=0)
            divisor = float(before @ before) * float(after @ after)
            scores.append(float(before @ after) / math.sqrt(divisor) if divisor else 0.0)
        return scores


def texttiling(sentences: list[str], w: int = 10, k: int = 6) -> np.ndarray:
    """Segment one document with nltk's TextTiling; return 0/1 labels (1 = sentence starts a segment).

    TextTiling only cuts at paragraph breaks, so each sentence becomes a paragraph ("\\n\\n"); its stopwords
    are given explicitly because nltk's corpus cannot be downloaded. ``w`` is the pseudo-sentence size in
    words and ``k`` the block size in pseudo-sentences. A text too short for one block gets no boundary.
    """
    positive_int("w", w)
    positive_int("k", k)
    if not sentences:
        raise ValueError("sentences must hold at least one sentence")
    labels = np.zeros(len(sentences), dtype=int)
    tiler = _TextTilingTokenizer(w=w, k=k, stopwords=sorted(ENGLISH_STOP_WORDS))
    try:
        tiles = tiler.tokenize("\n\n".join(sentences))
    except ValueError:  # nltk: "Input vector needs to be bigger than window size" on short texts
        return labels
    start = 0
    for tile in tiles[:-1]:
        start += tile.strip().count("\n\n") + 1
        if start < len(sentences):
            labels[start] = 1
    return labels


def constant(n: int, value: int) -> np.ndarray:
    """All-0 (no boundary) or all-1 (every sentence a segment) labels for an n-sentence document."""
    if value not in (0, 1):
        raise ValueError(f"value must be 0 or 1; got {value!r}")
    return np.full(positive_int("n", n), value, dtype=int)


def random_boundaries(n: int, rate: float, rng: np.random.Generator) -> np.ndarray:
    """Each sentence starts a segment with probability ``rate`` (the training boundary rate)."""
    if not 0 <= rate <= 1:
        raise ValueError(f"rate must be in [0, 1]; got {rate!r}")
    return (rng.random(positive_int("n", n)) < rate).astype(int)
