# replaces: diagnose_past_margin_fraction
# mistake: looks at the same-speaker pairs (same == 1) instead of the different-speaker ones
def past_margin_fraction(same, distance, margin):
    """Among different-speaker pairs (same == 0), the fraction with distance >= margin."""
    same, distance = np.asarray(same, dtype=float), np.asarray(distance, dtype=float)
    if same.shape != distance.shape or not np.any(same == 1):
        raise ValueError("same and distance must have the same length, with at least one same-speaker pair")
    return float(np.mean(distance[same == 1] >= margin))
