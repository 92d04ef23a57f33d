# replaces: gaussian_heatmaps
# mistake: x taken as the row and y as the column
def gaussian_heatmaps(keypoints, height, width, sigma):
    """(height, width, K) maps, one Gaussian of peak 1 per (x, y) keypoint."""
    rows = np.arange(height)[:, None]
    cols = np.arange(width)[None, :]
    maps = [np.exp(-((rows - x) ** 2 + (cols - y) ** 2) / (2 * sigma**2))
            for x, y in np.asarray(keypoints, dtype=float)]
    return np.stack(maps, axis=-1)
