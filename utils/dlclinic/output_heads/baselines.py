"""Baselines that train no network: the labels of the nearest training pictures, and a bag-of-words logistic
regression per question (the classical answer for short texts, blind to word order and so to negation)."""

from __future__ import annotations

import numpy as np
from sklearn.linear_model import LogisticRegression

from dlclinic.checks import positive_int


def nearest_votes(train_images: np.ndarray, train_labels: np.ndarray, images: np.ndarray, k: int = 15) -> np.ndarray:
    """For each of ``images``, the mean of the (n, labels) ``train_labels`` of its ``k`` nearest training pictures
    (Euclidean distance on the pixels): a score per label with no training at all."""
    k = positive_int("k", k)
    reference = np.asarray(train_images, dtype="float32").reshape(len(train_images), -1)
    queries = np.asarray(images, dtype="float32").reshape(len(images), -1)
    if reference.shape[1] != queries.shape[1]:
        raise ValueError(f"images must have the training pictures' shape; got {images.shape[1:]} for "
                         f"{train_images.shape[1:]}")
    labels = np.asarray(train_labels, dtype="float32")
    votes = np.empty((len(queries), labels.shape[1]), dtype="float32")
    squared = (reference**2).sum(axis=1)
    for start in range(0, len(queries), 512):
        chunk = queries[start:start + 512]
        distance = squared[None, :] - 2 * chunk @ reference.T
        nearest = np.argpartition(distance, k - 1, axis=1)[:, :k]
        votes[start:start + 512] = labels[nearest].mean(axis=1)
    return votes


def word_counts(tokens: np.ndarray, vocabulary: int) -> np.ndarray:
    """(n, vocabulary) counts of each token id in each text."""
    tokens = np.asarray(tokens, dtype=int)
    counts = np.zeros((len(tokens), vocabulary), dtype="float32")
    np.add.at(counts, (np.repeat(np.arange(len(tokens)), tokens.shape[1]), tokens.ravel()), 1.0)
    return counts


def bag_of_words_scores(tokens: np.ndarray, labels: np.ndarray, test_tokens: np.ndarray, vocabulary: int) -> np.ndarray:
    """One logistic regression per question on word counts, each fitted on the texts labelled for it (NaN in
    ``labels`` where not); returns the (n_test, questions) probabilities."""
    counts, test_counts = word_counts(tokens, vocabulary), word_counts(test_tokens, vocabulary)
    labels = np.asarray(labels, dtype=float)
    scores = np.empty((len(test_counts), labels.shape[1]))
    for k in range(labels.shape[1]):
        known = np.isfinite(labels[:, k])
        model = LogisticRegression(C=0.3, max_iter=2000).fit(counts[known], labels[known, k])
        scores[:, k] = model.predict_proba(test_counts)[:, 1]
    return scores
