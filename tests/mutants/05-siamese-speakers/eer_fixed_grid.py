# replaces: equal_error_rate
# mistake: scans a fixed grid of thresholds, np.linspace(0, 1, 101), instead of the observed distances: wrong on
# KL-scale distances (the report's thread) and on tiny ones
def equal_error_rate(same, distance):
    """(EER, threshold) for accepting a pair as same-speaker when distance <= threshold."""
    same, distance = np.asarray(same, dtype=float), np.asarray(distance, dtype=float)
    best = None
    for t in np.linspace(0, 1, 101):
        far = np.mean(distance[same == 0] <= t)
        frr = np.mean(distance[same == 1] > t)
        if best is None or abs(far - frr) < best[0]:
            best = (abs(far - frr), (far + frr) / 2, t)
    return float(best[1]), float(best[2])
