# replaces: density_map
# mistake: indexes points as an (n, 2) array, which fails for a scene with nobody in it
def density_map(points, height, width, sigma):
    """Return the (height, width) density map of the (x, y) points: a Gaussian per point, each summing to 1."""
    points = np.asarray(points, dtype=float)
    xs, ys = points[:, 0], points[:, 1]
    rows = np.arange(height)[None, :, None]
    cols = np.arange(width)[None, None, :]
    bumps = np.exp(-((cols - xs[:, None, None]) ** 2 + (rows - ys[:, None, None]) ** 2) / (2 * sigma**2))
    return bumps.sum(axis=0) / (2 * np.pi * sigma**2)
