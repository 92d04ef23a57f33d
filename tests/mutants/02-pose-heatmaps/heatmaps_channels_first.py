# replaces: gaussian_heatmaps
# mistake: returns (K, height, width), keypoints first, instead of channels last
def gaussian_heatmaps(keypoints, height, width, sigma):
    """(height, width, K) maps, one Gaussian of peak 1 per (x, y) keypoint."""
    rows = np.arange(height)[:, None]
    cols = np.arange(width)[None, :]
    return np.stack([np.exp(-((cols - x) ** 2 + (rows - y) ** 2) / (2 * sigma**2))
                     for x, y in np.asarray(keypoints, dtype=float)])
