"""Generated short texts for the four binary questions of the BERT thread: token ids from a small vocabulary,
each text from one of four sources (its own style words), holding any of four properties A-D ("class A vs the
base class": a text with none of them is the base class). A property shows as its keywords, but a keyword after
a negation word ("not", "no", "never") says the opposite, so counting words is not enough.

The reporter's data are four datasets, dataset k collected for question k from source k: about half its texts
have property k, and only property k is labelled (:func:`make_datasets`); the other properties occur there too,
at their background rate, unlabelled. The test set is labelled for every question (:func:`make_texts` with
``labelled="all"``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from dlclinic.checks import positive_int

HEADS = ("A", "B", "C", "D")
LENGTH = 32  # tokens per text
PAD, MASK = 0, 1
FILLER = np.arange(2, 202)  # common words
STYLE = np.arange(202, 282).reshape(4, 20)  # each source's own words
KEYWORDS = np.arange(282, 330).reshape(4, 12)  # each property's keywords
NEGATIONS = np.arange(330, 333)
VOCABULARY = 333
ENRICHED, BACKGROUND = 0.5, 0.2  # share of texts with property k in source k, and in the other sources
NEGATED = 0.5  # chance that a text without property k mentions one of its keywords after a negation


@dataclass(frozen=True)
class Texts:
    """Token ids ``tokens`` (n, LENGTH), the ``source`` (n,) each text comes from, the true properties ``truth``
    (n, 4) of 0/1, and ``labels`` (n, 4): the truth where a label was given, NaN where none was."""

    tokens: np.ndarray
    source: np.ndarray
    truth: np.ndarray
    labels: np.ndarray

    def __len__(self) -> int:
        return len(self.tokens)

    @property
    def mask(self) -> np.ndarray:
        """(n, 4) float32: 1 where a label was given, 0 where it is missing."""
        return np.isfinite(self.labels).astype("float32")

    def subset(self, keep: np.ndarray) -> Texts:
        return Texts(self.tokens[keep], self.source[keep], self.truth[keep], self.labels[keep])


def _text(rng: np.random.Generator, source: int, truth: np.ndarray) -> np.ndarray:
    words = list(rng.choice(FILLER, size=LENGTH, p=_ZIPF))
    for position in rng.choice(LENGTH, size=rng.binomial(LENGTH, 0.2), replace=False):
        words[position] = rng.choice(STYLE[source])
    phrases = []
    for k, present in enumerate(truth):
        if present:
            phrases += [[rng.choice(KEYWORDS[k])] for _ in range(1 + rng.poisson(0.6))]
        elif rng.random() < NEGATED:
            phrases.append([rng.choice(NEGATIONS), rng.choice(KEYWORDS[k])])
    for phrase in phrases:
        start = int(rng.integers(0, LENGTH - len(phrase) + 1))
        words[start:start + len(phrase)] = phrase
    return np.array(words[:LENGTH])


_ZIPF = 1.0 / np.arange(1, len(FILLER) + 1)
_ZIPF /= _ZIPF.sum()


def make_texts(n: int, sources: tuple[int, ...] = (0, 1, 2, 3), enriched: int | None = None,
               labelled: str = "all", seed: int = 0) -> Texts:
    """``n`` texts drawn evenly from ``sources``. Property k has prevalence :data:`ENRICHED` in texts whose source
    is ``enriched`` (or k when ``enriched`` is None, the reporter's collection), else :data:`BACKGROUND`.
    ``labelled``: "all" (every property labelled: a test set) or "own" (only the property of the text's source)."""
    n = positive_int("n", n)
    if labelled not in ("all", "own"):
        raise ValueError(f"labelled must be 'all' or 'own'; got {labelled!r}")
    if not sources or any(s not in range(4) for s in sources):
        raise ValueError(f"sources must be a non-empty tuple of 0..3; got {sources!r}")
    rng = np.random.default_rng(seed)
    source = np.array(sources)[np.arange(n) % len(sources)]
    rng.shuffle(source)
    own = source if enriched is None else np.full(n, enriched)
    rate = np.where(np.arange(4)[None, :] == own[:, None], ENRICHED, BACKGROUND)
    truth = (rng.random((n, 4)) < rate).astype("float32")
    tokens = np.stack([_text(rng, int(s), t) for s, t in zip(source, truth, strict=True)]).astype("int32")
    labels = truth.copy()
    if labelled == "own":
        labels[np.arange(4)[None, :] != source[:, None]] = np.nan
    return Texts(tokens, source, truth, labels)


def make_datasets(per_head: int, seed: int = 0) -> Texts:
    """The reporter's four datasets, merged: ``per_head`` texts from each source k, labelled for property k only."""
    per_head = positive_int("per_head", per_head)
    return make_texts(4 * per_head, labelled="own", seed=seed)


def masked_tokens(tokens: np.ndarray, rng: np.random.Generator, rate: float = 0.15) -> tuple[np.ndarray, np.ndarray]:
    """BERT's pretraining task on ``tokens``: a copy with ``rate`` of the positions replaced by :data:`MASK`, and a
    0/1 weight per position (1 where a token was masked, the positions the loss is taken on)."""
    chosen = rng.random(tokens.shape) < rate
    corrupted = np.where(chosen, MASK, tokens).astype("int32")
    return corrupted, chosen.astype("float32")
