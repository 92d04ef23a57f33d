# replaces: pck
# mistake: compares the squared distance with threshold × normalizer
def pck(pred, true, threshold, normalizer):
    """Fraction of keypoints with Euclidean error / normalizer <= threshold."""
    errors = np.sum((np.asarray(pred, dtype=float) - np.asarray(true, dtype=float)) ** 2, axis=-1)
    norm = np.asarray(normalizer, dtype=float)
    if norm.ndim:
        norm = norm[..., None]
    return float(np.mean(errors / norm <= threshold))
