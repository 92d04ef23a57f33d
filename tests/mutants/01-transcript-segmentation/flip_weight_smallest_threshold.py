# replaces: diagnose_flip_weight
# mistake: takes the smallest score that marks enough positives (the all-1s end) instead of the largest
def flip_weight(scores, base_rate):
    """The smallest class-1 weight at which scores cut at 1/(1 + w) mark at least base_rate of them positive."""
    scores = np.asarray(scores, dtype=float).ravel()
    if scores.size == 0:
        raise ValueError("scores must hold at least one score")
    if np.any((scores < 0) | (scores > 1)) or np.any(np.isnan(scores)):
        raise ValueError("scores must be probabilities in [0, 1]")
    if not 0 < base_rate < 1:
        raise ValueError(f"base_rate must be in the open interval (0, 1); got {base_rate!r}")
    t = min(float(c) for c in np.unique(scores) if np.mean(scores >= c) >= base_rate)
    return float("inf") if t == 0 else float((1 - t) / t)
