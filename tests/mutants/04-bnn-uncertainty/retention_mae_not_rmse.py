# replaces: diagnose_retention_curve
# mistake: returns the mean absolute error of the kept points instead of their RMSE
def retention_curve(errors, stds, fractions):
    errors, stds = np.asarray(errors, dtype=float), np.asarray(stds, dtype=float)
    fractions = np.atleast_1d(np.asarray(fractions, dtype=float))
    if errors.shape != stds.shape or np.any(stds < 0) or np.any((fractions <= 0) | (fractions > 1)):
        raise ValueError("bad input")
    ranked = errors[np.argsort(stds, kind="stable")]
    return np.array([np.mean(np.abs(ranked[: math.ceil(f * len(errors))])) for f in fractions])
