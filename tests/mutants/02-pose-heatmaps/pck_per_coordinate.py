# replaces: pck
# mistake: thresholds |dx| and |dy| separately instead of the Euclidean distance
def pck(pred, true, threshold, normalizer):
    """Fraction of keypoints with Euclidean error / normalizer <= threshold."""
    errors = np.abs(np.asarray(pred, dtype=float) - np.asarray(true, dtype=float))
    norm = np.asarray(normalizer, dtype=float)
    if norm.ndim:
        norm = norm[..., None, None]
    return float(np.mean(errors / norm <= threshold))
