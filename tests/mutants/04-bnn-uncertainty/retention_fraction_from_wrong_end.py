# replaces: diagnose_retention_curve
# mistake: reads the fraction as the share to DROP, keeping ceil((1 - f) n) points
def retention_curve(errors, stds, fractions):
    errors, stds = np.asarray(errors, dtype=float), np.asarray(stds, dtype=float)
    fractions = np.atleast_1d(np.asarray(fractions, dtype=float))
    if errors.shape != stds.shape or np.any(stds < 0) or np.any((fractions <= 0) | (fractions > 1)):
        raise ValueError("bad input")
    ranked = errors[np.argsort(stds, kind="stable")]
    return np.array([math.sqrt(np.mean(ranked[: max(1, math.ceil((1 - f) * len(errors)))] ** 2)) for f in fractions])
