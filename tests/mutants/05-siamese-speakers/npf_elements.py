# replaces: diagnose_negative_pair_fraction
# mistake: the fraction of negative terms p_k log(p_k / q_k) over all elements, not of negative pairs
def negative_pair_fraction(p, q):
    """Fraction of rows whose one-way KL sum(p * log(p / q)) is below zero (positive, unnormalised rows)."""
    p, q = np.asarray(p, dtype=float), np.asarray(q, dtype=float)
    if p.shape != q.shape or p.ndim != 2:
        raise ValueError(f"p and q must be (n, d) arrays of the same shape; got {p.shape} and {q.shape}")
    if not (np.all(p > 0) and np.all(q > 0)):
        raise ValueError("p and q must hold only positive entries")
    return float(np.mean(p * np.log(p / q) < 0))
