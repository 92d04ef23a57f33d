# replaces: pk
# mistake: wrong normalisation: divides by N - k (the formula in some papers) instead of the N - k + 1 windows
def pk(reference, hypothesis, k=None):
    """Pk: the share of width-k windows where reference and hypothesis disagree on "a boundary inside"."""
    ref = np.array([int(v) for v in reference])
    hyp = np.array([int(v) for v in hypothesis])
    if k is None:
        k = int(round(len(ref) / (max(ref.sum(), 1) * 2.0)))
    errors = sum((ref[i : i + k].sum() > 0) != (hyp[i : i + k].sum() > 0) for i in range(len(ref) - k + 1))
    return float(errors / (len(ref) - k))
