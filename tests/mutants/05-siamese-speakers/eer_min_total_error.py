# replaces: equal_error_rate
# mistake: returns the threshold with the fewest errors overall, not where the two error rates meet
def equal_error_rate(same, distance):
    """(EER, threshold) for accepting a pair as same-speaker when distance <= threshold."""
    same, distance = np.asarray(same, dtype=float), np.asarray(distance, dtype=float)
    errors = [np.mean((distance <= t) != (same == 1)) for t in np.unique(distance)]
    best = int(np.argmin(errors))
    return float(errors[best]), float(np.unique(distance)[best])
