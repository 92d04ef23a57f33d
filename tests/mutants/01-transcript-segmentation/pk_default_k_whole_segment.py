# replaces: pk
# mistake: default k off: the mean segment length instead of half of it
def pk(reference, hypothesis, k=None):
    """Pk: the share of width-k windows where reference and hypothesis disagree on "a boundary inside"."""
    ref = np.array([int(v) for v in reference])
    hyp = np.array([int(v) for v in hypothesis])
    if k is None:
        k = int(round(len(ref) / max(ref.sum(), 1)))
    positions = len(ref) - k + 1
    errors = sum((ref[i : i + k].sum() > 0) != (hyp[i : i + k].sum() > 0) for i in range(positions))
    return float(errors / positions)
