# replaces: pck
# mistake: counts errors strictly below the threshold, dropping those exactly at it
def pck(pred, true, threshold, normalizer):
    """Fraction of keypoints with Euclidean error / normalizer <= threshold."""
    errors = np.linalg.norm(np.asarray(pred, dtype=float) - np.asarray(true, dtype=float), axis=-1)
    norm = np.asarray(normalizer, dtype=float)
    if norm.ndim:
        norm = norm[..., None]
    return float(np.mean(errors / norm < threshold))
