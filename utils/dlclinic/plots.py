"""Figures that recur across cases: image grids, learning curves and grouped bars."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import matplotlib.pyplot as plt
import numpy as np


def image_rows(
    rows: Mapping[str, np.ndarray],
    columns: Sequence[str] | None = None,
    cmap: str = "magma",
    gray_rows: Sequence[str] = ("image",),
):
    """One row per entry of ``rows`` (each an (n, H, W[, 1]) stack), sharing a colour scale within the row.

    Rows named in ``gray_rows`` (the input images) are drawn in grey, the others with ``cmap``.
    """
    n = min(len(images) for images in rows.values())
    fig, axes = plt.subplots(len(rows), n, figsize=(1.9 * n, 1.9 * len(rows)), squeeze=False)
    for r, (label, images) in enumerate(rows.items()):
        images = np.asarray(images)[:n]
        vmin, vmax = float(images.min()), float(images.max())
        for c in range(n):
            axes[r, c].imshow(np.squeeze(images[c]), cmap="gray" if label in gray_rows else cmap, vmin=vmin, vmax=vmax)
            axes[r, c].set_xticks([])
            axes[r, c].set_yticks([])
            if columns is not None and r == 0:
                axes[r, c].set_title(columns[c], fontsize=9)
        axes[r, 0].set_ylabel(label, fontsize=9)
    fig.tight_layout()
    return fig


def curves(
    series: Mapping[str, Sequence[float]],
    ylabel: str,
    xlabel: str = "epoch",
    log: bool = True,
    reference: tuple[float, str] | None = None,
):
    """Line plot of several series against their index (epochs from 1), with an optional reference line."""
    fig, ax = plt.subplots(figsize=(6.5, 3.6))
    for label, values in series.items():
        ax.plot(np.arange(1, len(values) + 1), values, marker="o", markersize=3, label=label)
    if reference is not None:
        ax.axhline(reference[0], color="grey", linestyle="--", label=reference[1])
    if log:
        ax.set_yscale("log")
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.legend(fontsize=8)
    fig.tight_layout()
    return fig


def grouped_bars(groups: Mapping[str, Mapping[str, float]], ylabel: str, log: bool = False):
    """Bars for each inner key, grouped by outer key: ``{"layer 1": {"BN": 0.6, "no BN": 0.2}, ...}``."""
    labels = list(groups)
    names = list(next(iter(groups.values())))
    width = 0.8 / len(names)
    fig, ax = plt.subplots(figsize=(6.5, 3.4))
    for i, name in enumerate(names):
        x = np.arange(len(labels)) + (i - (len(names) - 1) / 2) * width
        ax.bar(x, [groups[g][name] for g in labels], width, label=name)
    ax.set_xticks(np.arange(len(labels)), labels)
    if log:
        ax.set_yscale("log")
    ax.set_ylabel(ylabel)
    ax.legend(fontsize=8)
    fig.tight_layout()
    return fig


def keypoint_overlays(images: np.ndarray, keypoints: Mapping[str, np.ndarray], n: int = 6):
    """Images in grey with several sets of (n, K, 2) (x, y) keypoints drawn on top, one marker style per set."""
    images = np.asarray(images)[:n]
    fig, axes = plt.subplots(1, len(images), figsize=(2.2 * len(images), 2.7), squeeze=False)
    styles = [{"marker": "o", "facecolors": "none", "edgecolors": "C0"}, {"marker": "x", "color": "C1"},
              {"marker": "+", "color": "C2"}, {"marker": "^", "facecolors": "none", "edgecolors": "C3"}]
    for c, ax in enumerate(axes[0]):
        ax.imshow(np.squeeze(images[c]), cmap="gray", vmin=0, vmax=1)
        for i, (label, points) in enumerate(keypoints.items()):
            xy = np.asarray(points)[c]
            ax.scatter(xy[:, 0], xy[:, 1], s=14, label=label, **styles[i % len(styles)])
        ax.set_xticks([])
        ax.set_yticks([])
    handles, labels = axes[0, 0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="lower center", ncol=len(labels), fontsize=8)
    fig.tight_layout(rect=(0, 0.1, 1, 1))
    return fig
