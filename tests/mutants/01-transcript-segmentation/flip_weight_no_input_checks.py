# replaces: diagnose_flip_weight
# mistake: right arithmetic, but no ValueError for bad input (an empty list crashes, scores above 1 pass silently)
def flip_weight(scores, base_rate):
    """The smallest class-1 weight at which scores cut at 1/(1 + w) mark at least base_rate of them positive."""
    scores = np.asarray(scores, dtype=float).ravel()
    t = max([float(c) for c in np.unique(scores) if np.mean(scores >= c) >= base_rate] + [0.0])
    return float("inf") if t == 0 else float((1 - t) / t)
