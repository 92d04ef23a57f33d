# replaces: diagnose_retention_curve
# mistake: rounds the number of points kept down (floor), keeping too few (and none for small fractions)
def retention_curve(errors, stds, fractions):
    errors, stds = np.asarray(errors, dtype=float), np.asarray(stds, dtype=float)
    fractions = np.atleast_1d(np.asarray(fractions, dtype=float))
    if errors.shape != stds.shape or np.any(stds < 0) or np.any((fractions <= 0) | (fractions > 1)):
        raise ValueError("bad input")
    ranked = errors[np.argsort(stds, kind="stable")]
    return np.array([math.sqrt(np.mean(ranked[: max(1, int(f * len(errors)))] ** 2)) for f in fractions])
