"""Case 5's figures: spectrograms of two speakers, distance histograms, DET curves and 2-D maps of embeddings."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import matplotlib.pyplot as plt
import numpy as np
from scipy.stats import norm
from sklearn.decomposition import PCA


def spectrograms(features: Mapping[str, np.ndarray]):
    """One log-mel spectrogram (frames, bands) per panel, time on x and mel band on y."""
    fig, axes = plt.subplots(1, len(features), figsize=(3.2 * len(features), 2.6), squeeze=False)
    for ax, (title, f) in zip(axes[0], features.items(), strict=True):
        ax.imshow(np.asarray(f).T, origin="lower", aspect="auto", cmap="magma")
        ax.set_title(title, fontsize=9)
        ax.set_xlabel("frame (10 ms)")
    axes[0, 0].set_ylabel("mel band")
    fig.tight_layout()
    return fig


def distance_histograms(runs: Mapping[str, tuple[np.ndarray, np.ndarray]], bins: int = 40):
    """Per method, histograms of same- and different-speaker pair distances: (distances, same) per panel."""
    fig, axes = plt.subplots(1, len(runs), figsize=(3.0 * len(runs), 2.6), squeeze=False)
    for ax, (title, (d, same)) in zip(axes[0], runs.items(), strict=True):
        edges = np.histogram_bin_edges(d, bins=bins)
        ax.hist(d[same == 1], edges, alpha=0.6, density=True, label="same speaker")
        ax.hist(d[same == 0], edges, alpha=0.6, density=True, label="different")
        ax.set_title(title, fontsize=9)
        ax.set_yticks([])
        ax.set_xlabel("distance")
    axes[0, 0].legend(fontsize=7)
    fig.tight_layout()
    return fig


def embedding_maps(embeddings: Mapping[str, np.ndarray], labels: np.ndarray):
    """Each method's utterance embeddings projected on their first two principal components, coloured by speaker."""
    fig, axes = plt.subplots(1, len(embeddings), figsize=(3.0 * len(embeddings), 3.0), squeeze=False)
    for ax, (title, e) in zip(axes[0], embeddings.items(), strict=True):
        xy = PCA(2).fit_transform(np.asarray(e, dtype=float))
        ax.scatter(xy[:, 0], xy[:, 1], c=labels, cmap="tab20", s=10)
        ax.set_title(title, fontsize=9)
        ax.set_xticks([])
        ax.set_yticks([])
    fig.tight_layout()
    return fig


def det_curves(rates: Mapping[str, Mapping[str, Sequence[float]]], floor: float = 1e-3):
    """Detection error trade-off: false-reject against false-accept rate on normal-deviate axes, one curve per
    method from its ``{"far": …, "frr": …}`` points (:func:`~dlclinic.siamese_speakers.metrics.det_points`);
    rates below ``floor`` are drawn at the floor."""
    fig, ax = plt.subplots(figsize=(4.2, 4.0))
    for name, points in rates.items():
        far, frr = (np.clip(points[key], floor, 1 - floor) for key in ("far", "frr"))
        ax.plot(norm.ppf(far), norm.ppf(frr), label=name)
    ticks = np.array([0.01, 0.05, 0.2, 0.5, 0.8])
    ax.set_xticks(norm.ppf(ticks), [f"{t:g}" for t in ticks])
    ax.set_yticks(norm.ppf(ticks), [f"{t:g}" for t in ticks])
    ax.plot(norm.ppf([floor, 1 - floor]), norm.ppf([floor, 1 - floor]), color="grey", lw=0.5, ls=":")
    ax.set_xlim(norm.ppf(0.005), norm.ppf(0.95))
    ax.set_ylim(norm.ppf(0.005), norm.ppf(0.95))
    ax.set_xlabel("false-accept rate")
    ax.set_ylabel("false-reject rate")
    ax.legend(fontsize=7)
    fig.tight_layout()
    return fig
