"""Related symptoms: how the KL term at initialisation grows with the number of weights."""

from __future__ import annotations

from collections.abc import Sequence

from dlclinic.bnn_uncertainty.diagnosis import kl_parts
from dlclinic.bnn_uncertainty.models import build_bnn


def kl_at_start_by_width(
    n_features: int, n_train: int, widths: Sequence[tuple[int, ...]]
) -> dict[str, dict[str, float]]:
    """For each hidden-layer tuple, the untrained reporter-style net's weights and KL parts (unweighted and 1/N)."""
    rows = {}
    for hidden in widths:
        parts = kl_parts(build_bnn(n_features, n_train, hidden))
        rows[f"hidden {tuple(hidden)}"] = {
            "weights": parts["n_weights"], "KL scale part (nats)": parts["scale_part"],
            "KL mean part (nats)": parts["mean_part"], "KL term in the loss (× 1/N)": parts["weighted_total"]}
    return rows
