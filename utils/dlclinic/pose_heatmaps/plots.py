"""The case's figures, drawn from a record: PCK over steps per head, and the reporter's run as fit prints it."""

from __future__ import annotations

from collections.abc import Mapping

import matplotlib.pyplot as plt
import numpy as np


def pck_curves(curves: Mapping[str, Mapping], floors: Mapping[str, float], labels: Mapping[str, str],
               smoke: Mapping[str, Mapping] | None = None):
    """Test PCK over Adam steps per head (``curves[name]``: steps, pck, spread), mean ± sd over seeds as a band;
    the learning-free ``floors`` as lines; ``smoke`` (this build's curves) thin and dotted beside them."""
    fig, ax = plt.subplots(figsize=(8, 4.2))
    for i, (name, curve) in enumerate(curves.items()):
        steps, pck, spread = (np.asarray(curve[key], dtype=float) for key in ("steps", "pck", "spread"))
        ax.plot(steps, pck, color=f"C{i}", marker="o", markersize=3, label=labels.get(name, name))
        ax.fill_between(steps, pck - spread, pck + spread, color=f"C{i}", alpha=0.15, linewidth=0)
        if smoke is not None and name in smoke:
            ax.plot(smoke[name]["steps"], smoke[name]["pck"], color=f"C{i}", linestyle=":", linewidth=1)
    for (label, value), style in zip(floors.items(), ("--", "-.", ":"), strict=False):
        ax.axhline(value, color="grey", linestyle=style, linewidth=0.9, label=label)
    if smoke is not None:
        ax.plot([], [], color="black", linestyle=":", linewidth=1, label="this build (quick), dotted")
    ax.set(xscale="log", xlabel="Adam steps (log scale)", ylabel="test PCK@0.2", ylim=(0, 1))
    ax.legend(fontsize=7, loc="upper left")
    fig.tight_layout()
    return fig


def reporter_picture(run: Mapping, smoke: Mapping | None = None):
    """The reporter's run over steps: "accuracy" as Keras builds it, binary accuracy and test PCK (left); the head
    BatchNorm's mean β, the training loss and the BCE floor that β and γ allow (right, log scale)."""
    fig, (left, right) = plt.subplots(1, 2, figsize=(10, 3.8))
    twin = right.twinx()
    for data, style, width in ((run, "-", 1.5), (smoke, ":", 1.0)):
        if data is None:
            continue
        steps = np.asarray(data["steps"], dtype=float)
        tag = "" if data is run else " (this build)"
        left.plot(steps, data["accuracy_metric"], "C0", linestyle=style, linewidth=width,
                  label=f"'accuracy' ({data['metric_class']}){tag}")
        left.plot(steps, data["binary_accuracy"], "C1", linestyle=style, linewidth=width, label=f"binary accuracy{tag}")
        left.plot(steps, data["pck"], "C2", linestyle=style, linewidth=width, label=f"test PCK@0.2{tag}")
        right.plot(steps, data["loss"], "C3", linestyle=style, linewidth=width, label=f"training loss{tag}")
        right.plot(steps, data["floor"], "C4", linestyle=style, linewidth=width, label=f"floor from β, γ{tag}")
        twin.plot(steps, data["beta"], "C5", linestyle=style, linewidth=width, label=f"mean β{tag}")
    right.axhline(run["prior_loss"], color="grey", linewidth=0.8, linestyle="--",
                  label="constant prediction at the positive share")
    left.set(xscale="log", xlabel="Adam steps (log scale)", ylabel="training batches / test figures", ylim=(0, 1.02))
    right.set(xscale="log", yscale="log", xlabel="Adam steps (log scale)", ylabel="training BCE")
    twin.set_ylabel("head BatchNorm β (mean over maps)", color="C5")
    twin.legend(fontsize=7, loc="upper right")
    left.legend(fontsize=7)
    right.legend(fontsize=7, loc="lower left")
    fig.tight_layout()
    return fig
