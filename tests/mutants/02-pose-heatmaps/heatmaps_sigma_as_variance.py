# replaces: gaussian_heatmaps
# mistake: divides by 2σ instead of 2σ², treating σ as the variance
def gaussian_heatmaps(keypoints, height, width, sigma):
    """(height, width, K) maps, one Gaussian of peak 1 per (x, y) keypoint."""
    rows = np.arange(height)[:, None]
    cols = np.arange(width)[None, :]
    maps = [np.exp(-((cols - x) ** 2 + (rows - y) ** 2) / (2 * sigma))
            for x, y in np.asarray(keypoints, dtype=float)]
    return np.stack(maps, axis=-1)
