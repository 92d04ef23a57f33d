# replaces: windowdiff
# mistake: compares whether each window holds a boundary (that is Pk) instead of how many it holds
def windowdiff(reference, hypothesis, k=None):
    """WindowDiff: the share of width-k windows whose boundary counts differ (k=None: pk's default)."""
    ref = np.array([int(v) for v in reference])
    hyp = np.array([int(v) for v in hypothesis])
    if k is None:
        k = int(round(len(ref) / (max(ref.sum(), 1) * 2.0)))
    positions = len(ref) - k + 1
    errors = sum((ref[i : i + k].sum() > 0) != (hyp[i : i + k].sum() > 0) for i in range(positions))
    return float(errors / positions)
