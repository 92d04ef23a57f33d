# replaces: diagnose_negative_pair_fraction
# mistake: measures the symmetric KL, which is never negative, instead of the one-way KL the report used
def negative_pair_fraction(p, q):
    """Fraction of rows whose one-way KL sum(p * log(p / q)) is below zero (positive, unnormalised rows)."""
    p, q = np.asarray(p, dtype=float), np.asarray(q, dtype=float)
    if p.shape != q.shape or p.ndim != 2:
        raise ValueError(f"p and q must be (n, d) arrays of the same shape; got {p.shape} and {q.shape}")
    if not (np.all(p > 0) and np.all(q > 0)):
        raise ValueError("p and q must hold only positive entries")
    return float(np.mean(np.sum((p - q) * np.log(p / q), axis=1) < 0))
