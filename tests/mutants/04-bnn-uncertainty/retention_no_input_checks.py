# replaces: diagnose_retention_curve
# mistake: never raises ValueError: a fraction of 0 or a negative std passes silently
def retention_curve(errors, stds, fractions):
    errors, stds = np.asarray(errors, dtype=float), np.asarray(stds, dtype=float)
    ranked = errors[np.argsort(stds, kind="stable")]
    kept = [max(1, math.ceil(f * len(errors))) for f in np.atleast_1d(fractions)]
    return np.array([math.sqrt(np.mean(ranked[:k] ** 2)) for k in kept])
