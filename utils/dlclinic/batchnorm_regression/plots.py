"""The mechanism figure: the recorded curves of a few rows, one panel per quantity, against the training step."""

from __future__ import annotations

from collections.abc import Mapping

import matplotlib.pyplot as plt
import numpy as np

PANELS = {  # curve key: (axis label, log scale)
    "nmse": ("validation NMSE (1 = the mean map)\ndashed: with batch statistics", True),
    "output_scale_ratio": ("std(prediction) / std(target)", True),
    "kernel_norm": ("output kernel norm ‖w‖", False),
    "feature_std": ("std of the features reaching the output", True),
    "alignment": ("alignment of w with the features", True),
    "gamma": ("mean γ of the last BatchNorm", False),
    "beta": ("mean β of the last BatchNorm", False),
}


def mechanism_curves(curves: Mapping[str, Mapping], labels: Mapping[str, str]):
    """One panel per quantity of :data:`PANELS` (the NMSE panel also dashes the NMSE with batch statistics);
    ``curves`` maps a row name to its record (``steps`` and one list per quantity, ``None`` where it does not
    apply), ``labels`` a row name to its legend label."""
    fig, axes = plt.subplots(2, 4, figsize=(14, 6.4))
    for ax, (key, (label, log)) in zip(axes.flat, PANELS.items(), strict=False):
        for name, legend in labels.items():
            record = curves[name]
            values = np.array([np.nan if v is None else v for v in record[key]], dtype=float)
            if np.isfinite(values).any():
                line, = ax.plot(record["steps"], values, marker="o", markersize=2.5, label=legend)
                if key == "nmse" and "nmse_batch_statistics" in record:
                    batch = np.array([np.nan if v is None else v for v in record["nmse_batch_statistics"]], float)
                    ax.plot(record["steps"], batch, linestyle="--", color=line.get_color(), linewidth=1)
        if key == "nmse":
            ax.axhline(1.0, color="grey", linestyle="--", linewidth=1)
        ax.set(xscale="log", yscale="log" if log else "linear", xlabel="training step", ylabel=label)
    axes.flat[-1].axis("off")
    axes.flat[0].legend(fontsize=8)
    fig.tight_layout()
    return fig
