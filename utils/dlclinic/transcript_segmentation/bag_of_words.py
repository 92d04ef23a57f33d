"""The per-sentence control that reads words, not an embedding: logistic regression on a sentence's TF-IDF.

It sees one sentence at a time, like the reporter's model, but every word of it (stop words and discourse
markers such as "okay" included), so it finds a cue phrase wherever a sentence carries one. Its validation
PR-AUC says how much a sentence on its own tells about a boundary: near the base rate in lectures without
cues, well above it where speakers announce their topic changes.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
from sklearn.exceptions import ConvergenceWarning
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import log_loss

ITERATIONS = (5, 10, 20, 40, 80, 160)  # L-BFGS iterations after which the validation loss is read


@dataclass
class BagOfWords:
    """TF-IDF of a sentence's words (vocabulary of the training sentences) and a logistic regression on it,
    fitted by L-BFGS; ``curve`` holds the validation log-loss after each count of :data:`ITERATIONS`."""

    c: float = 1.0
    vectorizer: TfidfVectorizer = field(init=False)
    model: LogisticRegression = field(init=False)
    curve: list[float] = field(init=False, default_factory=list)

    def fit(
        self, sentences: Sequence[str], labels: object, val_sentences: Sequence[str], val_labels: object
    ) -> BagOfWords:
        """Fit on the training sentences, reading the validation loss along the way (deterministic)."""
        y, y_val = np.asarray(labels).astype(int), np.asarray(val_labels).astype(int)
        if len(sentences) != y.size or len(val_sentences) != y_val.size or len(set(y.tolist())) < 2:
            raise ValueError("need one 0/1 label per sentence in each split, and both classes in training")
        self.vectorizer = TfidfVectorizer(sublinear_tf=True, min_df=2).fit(sentences)
        x, x_val = self.vectorizer.transform(sentences), self.vectorizer.transform(val_sentences)
        self.model, self.curve, done = LogisticRegression(C=self.c, warm_start=True), [], 0
        for total in ITERATIONS:
            self.model.max_iter = total - done  # warm start: each call continues from the last
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", ConvergenceWarning)
                self.model.fit(x, y)
            done = total
            self.curve.append(float(log_loss(y_val, self.model.predict_proba(x_val)[:, 1], labels=[0, 1])))
        return self

    def scores(self, sentences: Sequence[str]) -> np.ndarray:
        """The probability that each sentence opens a segment."""
        return self.model.predict_proba(self.vectorizer.transform(list(sentences)))[:, 1]
