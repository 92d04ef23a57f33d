"""Choi-style synthetic lectures: runs of consecutive sentences from different topics, labelled per sentence,
optionally with spoken cue phrases ("Okay, moving on.") at a controlled rate."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from dlclinic.checks import positive_int
from dlclinic.transcript_segmentation.corpus import topic_sentences

# Discourse markers a lecturer says when the topic changes; fillers like them also occur mid-topic.
CUE_PHRASES: tuple[str, ...] = (
    "Okay, moving on.",
    "Alright, a different topic now.",
    "Right, let's switch to the next subject.",
    "Let's turn to something new.",
    "Now, changing topics.",
    "Okay, next section of the lecture.",
)


@dataclass(frozen=True)
class Documents:
    """``sentences[d]`` is document d's list of sentences; ``labels[d]`` its 0/1 array (1 = starts a segment)."""

    sentences: list[list[str]]
    labels: list[np.ndarray]
    topics: list[list[str]]

    def __len__(self) -> int:
        return len(self.labels)

    @property
    def boundary_rate(self) -> float:
        """Share of sentences labelled 1."""
        return float(np.concatenate(self.labels).mean())


def split_topics(seed: int = 0, fractions: tuple[float, float] = (0.6, 0.2)) -> dict[str, list[str]]:
    """Shuffle the topics and split them into disjoint train / val / test lists."""
    names = sorted(topic_sentences())
    order = np.random.default_rng(seed).permutation(len(names))
    n_train, n_val = int(fractions[0] * len(names)), int(fractions[1] * len(names))
    picked = [names[i] for i in order]
    return {"train": picked[:n_train], "val": picked[n_train : n_train + n_val], "test": picked[n_train + n_val :]}


def make_documents(
    n_documents: int,
    topics: list[str],
    seed: int = 0,
    segments: int = 10,
    min_length: int = 3,
    max_length: int = 15,
    cue_rate: float = 0.0,
    false_cues: float = 0.1,
) -> Documents:
    """Build ``n_documents`` lectures of ``segments`` segments, each a run of ``min_length``..``max_length``
    consecutive sentences of one topic, never the topic of the segment before.

    Label 1 marks the first sentence of every segment but the first (nothing precedes it to split from). With
    ``cue_rate`` > 0, each such sentence is prefixed with one of ``CUE_PHRASES`` with probability ``cue_rate``,
    and every other sentence with probability ``cue_rate * false_cues`` (a filler "okay" mid-topic); with the
    default 0.1 a cue opens a segment about half the time at any rate. ``cue_rate=0`` leaves the text as is
    and draws the same lectures as before cues existed.
    """
    positive_int("n_documents", n_documents)
    positive_int("segments", segments)
    if not 1 <= min_length <= max_length:
        raise ValueError(f"need 1 <= min_length <= max_length; got {min_length} and {max_length}")
    if not (0 <= cue_rate <= 1 and 0 <= false_cues <= 1):
        raise ValueError(f"cue_rate and false_cues must be in [0, 1]; got {cue_rate!r} and {false_cues!r}")
    corpus = topic_sentences()
    unknown = [t for t in topics if t not in corpus]
    if len(topics) < 2 or unknown:
        raise ValueError(f"topics must name at least two corpus topics; unknown: {unknown}, got {len(topics)}")
    short = [t for t in topics if len(corpus[t]) < max_length]
    if short:
        raise ValueError(f"topics {short} have fewer than max_length={max_length} sentences")
    rng = np.random.default_rng(seed)
    all_sentences, all_labels, all_topics = [], [], []
    for _ in range(n_documents):
        sentences, labels, names, previous = [], [], [], None
        for s in range(segments):
            topic = str(rng.choice([t for t in topics if t != previous]))
            length = int(rng.integers(min_length, max_length + 1))
            start = int(rng.integers(0, len(corpus[topic]) - length + 1))
            sentences += corpus[topic][start : start + length]
            labels += [int(s > 0)] + [0] * (length - 1)
            names.append(topic)
            previous = topic
        if cue_rate > 0:
            cue_rng = np.random.default_rng([seed, len(all_sentences)])  # the lectures stay those of cue_rate 0
            chance = np.where(np.array(labels) == 1, cue_rate, cue_rate * false_cues)
            sentences = [
                f"{CUE_PHRASES[cue_rng.integers(len(CUE_PHRASES))]} {s}" if cue else s
                for s, cue in zip(sentences, cue_rng.random(len(sentences)) < chance, strict=True)
            ]
        all_sentences.append(list(sentences))
        all_labels.append(np.array(labels, dtype=int))
        all_topics.append(names)
    return Documents(all_sentences, all_labels, all_topics)
