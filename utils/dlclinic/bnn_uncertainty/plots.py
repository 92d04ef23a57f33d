"""The case's figures: where the predicted std piles up, whether it tracks the error, bands, calibration and
retention (can the std filter out bad predictions?)."""

from __future__ import annotations

from collections.abc import Mapping

import matplotlib.pyplot as plt
import numpy as np


def std_and_error(predictions: Mapping[str, tuple[np.ndarray, np.ndarray]], floor: float):
    """Per model (|error|, std): a histogram of the predicted std and |error| against std, the floor marked."""
    fig, axes = plt.subplots(2, len(predictions), figsize=(3.4 * len(predictions), 5.6), squeeze=False)
    for c, (label, (error, std)) in enumerate(predictions.items()):
        axes[0, c].hist(std, bins=40, color=f"C{c}")
        axes[1, c].scatter(std, error, s=6, alpha=0.6, color=f"C{c}")
        for ax in axes[:, c]:
            ax.axvline(floor, color="grey", linestyle="--", linewidth=1)
        axes[0, c].set_title(label, fontsize=9)
        axes[1, c].set_xlabel("predicted std")
    axes[0, 0].set_ylabel("test points")
    axes[1, 0].set_ylabel("|error|")
    fig.tight_layout()
    return fig


def bands(x_train, y_train, x_grid, predictions: Mapping[str, tuple[np.ndarray, np.ndarray]], y_label: str = "y"):
    """1-D data with each model's mean ± 2 std, one panel per model."""
    order = np.argsort(x_grid)
    fig, axes = plt.subplots(1, len(predictions), figsize=(3.2 * len(predictions), 3.0), sharey=True, squeeze=False)
    for ax, (label, (mean, std)) in zip(axes[0], predictions.items(), strict=True):
        ax.scatter(x_train, y_train, s=4, color="grey")
        ax.plot(x_grid[order], mean[order], color="C0")
        ax.fill_between(x_grid[order], (mean - 2 * std)[order], (mean + 2 * std)[order], color="C0", alpha=0.25)
        ax.set_title(label, fontsize=9)
        ax.set_xlabel("x")
    axes[0, 0].set_ylabel(y_label)
    fig.tight_layout()
    return fig


def calibration(curves: Mapping[str, Mapping[str, np.ndarray]], title: str = ""):
    """Observed coverage against nominal level for each model; the diagonal is perfect calibration."""
    fig, ax = plt.subplots(figsize=(4.2, 3.8))
    ax.plot([0, 1], [0, 1], color="grey", linestyle="--", linewidth=1)
    for label, curve in curves.items():
        ax.plot(curve["level"], curve["coverage"], marker="o", markersize=3, label=label)
    ax.set_xlabel("nominal level")
    ax.set_ylabel("observed coverage (PICP)")
    ax.set_title(title, fontsize=9)
    ax.legend(fontsize=8)
    fig.tight_layout()
    return fig


def retention(entries: Mapping[str, Mapping], labels: Mapping[str, str], title: str = ""):
    """One panel per model: the RMSE of the points kept (most confident first) against the fraction kept, for the
    model's std, its own-mean oracle's std, its errors sorted (the floor) and a random order (the ceiling)."""
    styles = {"model": ("model's std", {"color": "C0"}), "own_oracle": ("own-mean oracle", {"color": "C1"}),
              "error_sorted": ("sorted by |error|", {"color": "grey", "linestyle": ":"}),
              "random": ("random order", {"color": "grey", "linestyle": "--"})}
    columns = min(3, len(entries))
    rows = -(-len(entries) // columns)
    fig, axes = plt.subplots(rows, columns, figsize=(3.3 * columns, 2.8 * rows), sharey=True, squeeze=False)
    for ax, (name, entry) in zip(axes.flat, entries.items(), strict=False):
        for key, (label, style) in styles.items():
            ax.plot(entry["fractions"], entry[key], label=label, **style)
        ax.set_title(labels.get(name, name), fontsize=9)
        ax.set_xlabel("fraction kept")
    for ax in list(axes.flat)[len(entries):]:
        ax.set_visible(False)
    for ax in axes[:, 0]:
        ax.set_ylabel("RMSE of the kept points")
    axes[0, 0].legend(fontsize=7)
    if title:
        fig.suptitle(title, fontsize=10)
    fig.tight_layout()
    return fig


def long_run(entry: Mapping, steps_short: int):
    """The fix trained four times longer: test NLL at the checkpoints and the weighted KL over steps, one line per
    learning rate (first seed), the short budget marked."""
    fig, axes = plt.subplots(1, 2, figsize=(9.5, 3.4))
    for c, (rate, curves) in enumerate(entry["by_rate"].items()):
        axes[0].plot(curves["checkpoints"], curves["test_nll"], marker="o", markersize=3, color=f"C{c}",
                     label=f"rate {rate}")
        axes[1].plot(curves["steps"], curves["weighted_kl"], color=f"C{c}", label=f"rate {rate}")
    for ax in axes:
        ax.axvline(steps_short, color="grey", linestyle="--", linewidth=1)
        ax.set_xlabel("Adam steps")
    axes[0].set_ylabel("test NLL (nats)")
    axes[1].set_ylabel("KL term of the loss (nats per example)")
    axes[1].set_yscale("log")
    axes[0].legend(fontsize=7)
    fig.tight_layout()
    return fig
