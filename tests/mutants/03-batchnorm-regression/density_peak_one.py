# replaces: density_map
# mistake: Gaussian normalised to peak 1 (no 1 / (2 pi sigma^2) factor), so each person sums to 2 pi sigma^2
def density_map(points, height, width, sigma):
    """Return the (height, width) density map of the (x, y) points: a Gaussian per point, each summing to 1."""
    rows = np.arange(height)[:, None]
    cols = np.arange(width)[None, :]
    density = np.zeros((height, width))
    for x, y in np.asarray(points, dtype=float).reshape(-1, 2):
        density += np.exp(-((cols - x) ** 2 + (rows - y) ** 2) / (2 * sigma**2))
    return density
