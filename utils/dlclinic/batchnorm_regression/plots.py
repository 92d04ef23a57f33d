"""The mechanism figure: how hard each Adam step shakes the output layer, and how large its gradient is."""

from __future__ import annotations

from collections.abc import Mapping

import matplotlib.pyplot as plt
import numpy as np

from dlclinic.batchnorm_regression.diagnosis import OutputLayerTracker


def smooth(values: list[float], window: int) -> np.ndarray:
    """Running mean over ``window`` steps (shorter at the start), so per-step noise does not hide the trend."""
    values = np.asarray(values, dtype=float)
    if window < 1:
        raise ValueError(f"window must be >= 1; got {window}")
    sums = np.cumsum(np.insert(values, 0, 0.0))
    starts = np.maximum(np.arange(1, len(values) + 1) - window, 0)
    return (sums[1:] - sums[starts]) / (np.arange(1, len(values) + 1) - starts)


def output_layer_traces(trackers: Mapping[str, OutputLayerTracker], window: int = 10):
    """Two panels over training steps: ‖ΔW‖/‖W‖ of the output kernel (running mean) and ‖∂loss/∂W‖."""
    fig, (left, right) = plt.subplots(1, 2, figsize=(10, 3.6))
    for label, tracker in trackers.items():
        steps = np.arange(1, len(tracker.update_ratio) + 1)
        left.plot(steps, smooth(tracker.update_ratio, window), label=label)
        right.plot(tracker.grad_steps, tracker.grad_norm, label=label)
    left.set(yscale="log", xlabel="training step", ylabel="update / weight, output kernel")
    right.set(yscale="log", xlabel="training step", ylabel="gradient norm, output kernel")
    right.set_title("(in the units each net is trained on)", fontsize=8)
    left.legend(fontsize=8)
    fig.tight_layout()
    return fig
