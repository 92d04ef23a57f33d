# replaces: diagnose_negative_pair_fraction
# mistake: no input checks: a zero entry gives NaN or inf silently, mismatched shapes broadcast
def negative_pair_fraction(p, q):
    """Fraction of rows whose one-way KL sum(p * log(p / q)) is below zero (positive, unnormalised rows)."""
    p, q = np.asarray(p, dtype=float), np.asarray(q, dtype=float)
    return float(np.mean(np.sum(p * np.log(p / q), axis=-1) < 0))
