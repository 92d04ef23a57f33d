"""The head figure: BatchNorm's β and γ over training, and the BCE floor they allow beside the measured loss."""

from __future__ import annotations

from collections.abc import Mapping

import matplotlib.pyplot as plt
import numpy as np

from dlclinic.pose_heatmaps.diagnosis import HeadTrace


def head_traces(traces: Mapping[str, HeadTrace], positive_fraction: np.ndarray, prior_loss: float):
    """Two panels over Adam steps: mean β and mean |γ| of the head BN; its BCE floor and the measured loss."""
    fig, (left, right) = plt.subplots(1, 2, figsize=(10, 3.6))
    for (label, trace), colour in zip(traces.items(), ("C0", "C1", "C2"), strict=False):
        steps = np.asarray(trace.steps)
        left.plot(steps, [b.mean() for b in trace.beta], color=colour, label=f"β, {label}")
        left.plot(steps, [np.abs(g).mean() for g in trace.gamma], color=colour, ls="--", label=f"|γ|, {label}")
        right.plot(steps, trace.floor(positive_fraction), color=colour, ls="--", label=f"floor from β, γ, {label}")
        right.plot(steps[1:], trace.loss[1:], color=colour, marker=".", label=f"measured loss, {label}")
    right.axhline(prior_loss, color="grey", lw=0.8, ls=":", label="constant prediction at the positive share")
    left.set(xlabel="Adam step", ylabel="head BatchNorm (mean over maps)")
    right.set(xlabel="Adam step", ylabel="training BCE", yscale="log")
    left.legend(fontsize=7)
    right.legend(fontsize=7)
    fig.tight_layout()
    return fig
