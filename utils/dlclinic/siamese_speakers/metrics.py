"""What speaker embeddings are for: verifying pairs (EER, DET, minDCF) and clustering utterances (MR, ARI, NMI)."""

from __future__ import annotations

import numpy as np
from scipy.optimize import linear_sum_assignment
from sklearn.cluster import AgglomerativeClustering
from sklearn.metrics import adjusted_rand_score, normalized_mutual_info_score

from dlclinic.checks import as_float_array, same_shape


def equal_error_rate(same: object, distance: object) -> tuple[float, float]:
    """EER and its threshold for accepting a pair as same-speaker when distance ≤ threshold.

    The threshold runs over the observed distances; the EER is the mean of the false-accept and false-reject
    rates where they are closest.
    """
    thresholds, far, frr = error_rates(same, distance)
    i = int(np.argmin(np.abs(far - frr)))
    return float((far[i] + frr[i]) / 2), float(thresholds[i])


def error_rates(same: object, distance: object) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """False-accept and false-reject rates (FAR, FRR) at every distinct distance used as the threshold.

    A pair is accepted as same-speaker when its distance is at most the threshold. Returns (thresholds, FAR, FRR).
    """
    same = as_float_array("same", same, ndim=1)
    distance = as_float_array("distance", distance, ndim=1)
    same_shape("same", same, "distance", distance)
    if not np.all((same == 0) | (same == 1)):
        raise ValueError("same must hold only 0 (different speakers) and 1 (same speaker)")
    n_same, n_diff = same.sum(), (1 - same).sum()
    if n_same == 0 or n_diff == 0:
        raise ValueError("same must hold both same-speaker (1) and different-speaker (0) pairs")
    order = np.argsort(distance, kind="stable")
    d, s = distance[order], same[order]
    last = np.r_[d[1:] != d[:-1], True]  # accept everything up to and including each distinct value
    accepted_same, accepted_diff = np.cumsum(s)[last], np.cumsum(1 - s)[last]
    return d[last], accepted_diff / n_diff, 1 - accepted_same / n_same


def det_points(same: object, distance: object, points: int = 80) -> dict[str, list[float]]:
    """At most ``points`` false-accept and false-reject rates (``far``, ``frr``) along the detection error
    trade-off, evenly spaced in the order of the thresholds (the curve's ends kept): small enough to store in a
    run's record and draw from it."""
    _, far, frr = error_rates(same, distance)
    keep = np.unique(np.linspace(0, len(far) - 1, min(points, len(far))).round().astype(int))
    return {"far": [float(v) for v in far[keep]], "frr": [float(v) for v in frr[keep]]}


def min_dcf(same: object, distance: object, p_target: float = 0.05, c_miss: float = 1.0, c_fa: float = 1.0) -> float:
    """Normalised minimum detection cost: min over thresholds of (C_miss·P_miss·P_t + C_fa·P_fa·(1 − P_t)),
    divided by the cost of the better of "accept all" and "reject all" (so 1 is no better than a fixed answer)."""
    if not 0 < p_target < 1 or c_miss <= 0 or c_fa <= 0:
        raise ValueError(f"p_target must lie in (0, 1) and the costs be positive; got {p_target}, {c_miss}, {c_fa}")
    _, far, frr = error_rates(same, distance)
    far, frr = np.r_[0.0, far], np.r_[1.0, frr]  # also the threshold that accepts nothing
    cost = c_miss * frr * p_target + c_fa * far * (1 - p_target)
    return float(cost.min() / min(c_miss * p_target, c_fa * (1 - p_target)))


def misclassification_rate(y_true: object, y_pred: object) -> float:
    """Kotti et al.'s MR: the fraction of utterances outside the cluster matched one-to-one to their speaker."""
    y_true = np.asarray(y_true).ravel()
    y_pred = np.asarray(y_pred).ravel()
    if y_true.shape != y_pred.shape or y_true.size == 0:
        raise ValueError(f"y_true and y_pred must be non-empty and of equal length; got {y_true.shape}, {y_pred.shape}")
    speakers, s = np.unique(y_true, return_inverse=True)
    clusters, c = np.unique(y_pred, return_inverse=True)
    counts = np.zeros((len(speakers), len(clusters)))
    np.add.at(counts, (s, c), 1)
    rows, cols = linear_sum_assignment(counts, maximize=True)
    return float(1 - counts[rows, cols].sum() / y_true.size)


def pair_indices(n: int) -> tuple[np.ndarray, np.ndarray]:
    """Every unordered pair (i < j) of ``n`` items, as two index arrays."""
    return np.triu_indices(n, k=1)


def verification_pairs(labels: object) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """All pairs of utterances: first indices, second indices and 1 where both come from the same speaker."""
    labels = np.asarray(labels)
    i, j = pair_indices(len(labels))
    return i, j, (labels[i] == labels[j]).astype(float)


def cluster(distances: object, n_clusters: int) -> np.ndarray:
    """Average-linkage agglomerative clustering of a precomputed (n, n) distance matrix (symmetrised)."""
    distances = as_float_array("distances", distances, ndim=2)
    distances = np.maximum((distances + distances.T) / 2, 0.0)
    np.fill_diagonal(distances, 0.0)
    model = AgglomerativeClustering(n_clusters=n_clusters, metric="precomputed", linkage="average")
    return model.fit_predict(distances)


def clustering_scores(labels: object, clusters: object) -> dict[str, float]:
    """MR, ARI and NMI of a clustering against the true speakers."""
    return {
        "mr": misclassification_rate(labels, clusters),
        "ari": float(adjusted_rand_score(labels, clusters)),
        "nmi": float(normalized_mutual_info_score(labels, clusters)),
    }
