# replaces: gaussian_heatmaps
# mistake: normalises each map to sum 1 (a density) instead of peak 1
def gaussian_heatmaps(keypoints, height, width, sigma):
    """(height, width, K) maps, one Gaussian of peak 1 per (x, y) keypoint."""
    rows = np.arange(height)[:, None]
    cols = np.arange(width)[None, :]
    maps = [np.exp(-((cols - x) ** 2 + (rows - y) ** 2) / (2 * sigma**2))
            for x, y in np.asarray(keypoints, dtype=float)]
    maps = [m / m.sum() for m in maps]
    return np.stack(maps, axis=-1)
