"""Case 1's figures: the class-weight sweep, the threshold overlay, per-class score histograms and a document's
boundary track."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import matplotlib.pyplot as plt
import numpy as np


def weight_sweep(weights: Sequence[float], positive_rate: Sequence[float], f1: Sequence[float], base_rate: float):
    """Predicted-positive rate and boundary F1 against the class-1 weight (log axis)."""
    fig, ax = plt.subplots(figsize=(6, 3.2))
    ax.plot(weights, positive_rate, "o-", label="predicted-positive rate")
    ax.plot(weights, f1, "s-", label="boundary F1")
    ax.axhline(base_rate, color="gray", ls=":", label=f"true boundary rate {base_rate:.2f}")
    ax.set_xscale("log")
    ax.set_xlabel("class_weight of class 1 (class 0 has weight 1)")
    ax.set_ylim(-0.03, 1.03)
    ax.legend(fontsize=8)
    fig.tight_layout()
    return fig


def score_histograms(scores: Mapping[str, np.ndarray], labels: np.ndarray, threshold: float = 0.5):
    """One panel per model: the histogram of its scores on boundaries and on other sentences."""
    fig, axes = plt.subplots(1, len(scores), figsize=(3.2 * len(scores), 2.8), squeeze=False)
    for ax, (name, s) in zip(axes[0], scores.items(), strict=True):
        bins = np.linspace(0, 1, 41)
        ax.hist(s[labels == 0], bins=bins, density=True, alpha=0.6, label="continues (0)")
        ax.hist(s[labels == 1], bins=bins, density=True, alpha=0.6, label="starts a segment (1)")
        ax.axvline(threshold, color="k", ls="--", lw=1)
        ax.set_title(name, fontsize=9)
        ax.set_xlabel("score")
    axes[0, 0].legend(fontsize=7)
    fig.tight_layout()
    return fig


def boundary_track(labels: np.ndarray, tracks: Mapping[str, np.ndarray]):
    """One document: true boundaries as vertical lines, each model's scores (or 0/1 labels) as a curve."""
    fig, ax = plt.subplots(figsize=(8, 2.8))
    for i in np.flatnonzero(labels):
        ax.axvline(i, color="gray", lw=0.8)
    for name, values in tracks.items():
        ax.plot(values, lw=1.2, label=name)
    ax.set_xlabel("sentence (grey lines: true segment starts)")
    ax.set_ylabel("score")
    ax.legend(fontsize=8, loc="upper right")
    fig.tight_layout()
    return fig


def threshold_overlay(
    weights: Sequence[float],
    measured: Sequence[float],
    predicted: Sequence[float],
    oversampled: Mapping[float, float],
    base_rate: float,
):
    """Predicted-positive rate against the class-1 weight: the weighted models (measured), the unweighted
    model's scores cut at 1/(1 + w) (the identity), and oversampling by the same factor."""
    fig, ax = plt.subplots(figsize=(6, 3.2))
    ax.plot(weights, measured, "o-", label="trained with class_weight w (measured)")
    ax.plot(weights, predicted, "k--", label="unweighted scores cut at 1/(1+w)")
    ax.plot(list(oversampled), list(oversampled.values()), "s", ms=8, mfc="none", label="oversampling ×w (measured)")
    ax.axhline(base_rate, color="gray", ls=":", label=f"true boundary rate {base_rate:.2f}")
    ax.set_xscale("log")
    ax.set_xlabel("class-1 weight w, or oversampling factor")
    ax.set_ylabel("predicted-positive rate")
    ax.set_ylim(-0.03, 1.03)
    ax.legend(fontsize=7)
    fig.tight_layout()
    return fig
