# replaces: diagnose_past_margin_fraction
# mistake: a pair exactly at the margin still counts as pushed (> instead of >=), though its hinge gradient is 0
def past_margin_fraction(same, distance, margin):
    """Among different-speaker pairs (same == 0), the fraction with distance >= margin."""
    same, distance = np.asarray(same, dtype=float), np.asarray(distance, dtype=float)
    if same.shape != distance.shape or not np.any(same == 0):
        raise ValueError("same and distance must have the same length, with at least one different-speaker pair")
    return float(np.mean(distance[same == 0] > margin))
