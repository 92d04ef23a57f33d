"""The collapse figure: the share of pixels a model calls ship, step by step, one line per loss."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import matplotlib.pyplot as plt


def positive_rate_curves(traces: Mapping[str, tuple[Sequence[int], Sequence[float]]], ship_share: float):
    """``{label: (steps, predicted-positive rates)}`` against the true share of ship pixels (dashed)."""
    fig, ax = plt.subplots(figsize=(6.5, 3.4))
    for label, (steps, rates) in traces.items():
        ax.plot(steps, rates, marker="o", markersize=3, label=label)
    ax.axhline(ship_share, color="grey", linestyle="--", label="true share of ship pixels")
    ax.set_yscale("symlog", linthresh=1e-3)
    ax.set_xlabel("training step")
    ax.set_ylabel("pixels predicted ship (p > 0.5)")
    ax.legend(fontsize=8)
    fig.tight_layout()
    return fig
