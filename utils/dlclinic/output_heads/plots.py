"""Figures and small tables of Case 7: pictures with their labels, a model's outputs per label, per-head scores."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import matplotlib.pyplot as plt
import numpy as np
from IPython.display import Markdown

from dlclinic.tables import markdown_rows


def picture_grid(images: np.ndarray, titles: Sequence[str]):
    """The pictures in one row, each with its title."""
    fig, axes = plt.subplots(1, len(images), figsize=(1.6 * len(images), 1.9), squeeze=False)
    for ax, image, title in zip(axes[0], images, titles, strict=True):
        ax.imshow(np.clip(image, 0, 1))
        ax.set_title(title, fontsize=8)
        ax.set_xticks([])
        ax.set_yticks([])
    fig.tight_layout()
    return fig


def output_bars(outputs: np.ndarray, labels: Sequence[str], titles: Sequence[str]):
    """One bar chart per picture of a model's output for every label, with the 0.5 line."""
    fig, axes = plt.subplots(1, len(outputs), figsize=(2.6 * len(outputs), 2.4), sharey=True, squeeze=False)
    for ax, values, title in zip(axes[0], outputs, titles, strict=True):
        ax.bar(range(len(labels)), values, color=["#4c72b0"] * 4 + ["#dd8452"] * (len(labels) - 4))
        ax.axhline(0.5, color="grey", linestyle="--", linewidth=0.8)
        ax.set_xticks(range(len(labels)), labels, rotation=90, fontsize=7)
        ax.set_ylim(0, 1)
        ax.set_title(title, fontsize=8)
    axes[0, 0].set_ylabel("output")
    fig.tight_layout()
    return fig


def per_head_table(results: Mapping[str, Mapping], heads: Sequence[str]) -> Markdown:
    """ROC-AUC and F1 of each head for each row of the masked-heads comparison (rows with ``roc_auc`` lists)."""
    rows = [[name, *(f"{auc:.3f} / {f1:.3f}" for auc, f1 in zip(entry["roc_auc"], entry["f1"], strict=True))]
            for name, entry in results.items() if isinstance(entry, Mapping) and "roc_auc" in entry]
    return Markdown(markdown_rows(["row", *(f"head {h}: ROC-AUC / F1" for h in heads)], rows,
                                  align="l" + "r" * len(heads)))
