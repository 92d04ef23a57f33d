# replaces: diagnose_flip_weight
# mistake: right value, returned as a NumPy scalar instead of a Python float
def flip_weight(scores, base_rate):
    scores = np.asarray(scores, dtype=float).ravel()
    if scores.size == 0 or np.any((scores < 0) | (scores > 1)) or not 0 < base_rate < 1:
        raise ValueError("scores must be probabilities and base_rate in (0, 1)")
    t = max(c for c in np.unique(scores) if np.mean(scores >= c) >= base_rate)
    return np.inf if t == 0 else (1 - t) / t
