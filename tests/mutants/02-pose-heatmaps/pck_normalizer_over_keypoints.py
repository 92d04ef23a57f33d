# replaces: pck
# mistake: divides by the per-figure normalizer along the keypoint axis (no trailing axis)
def pck(pred, true, threshold, normalizer):
    """Fraction of keypoints with Euclidean error / normalizer <= threshold."""
    errors = np.linalg.norm(np.asarray(pred, dtype=float) - np.asarray(true, dtype=float), axis=-1)
    norm = np.asarray(normalizer, dtype=float)
    if norm.ndim:
        norm = np.resize(norm, errors.shape[-1])
    return float(np.mean(errors / norm <= threshold))
