# replaces: density_map
# mistake: sigma used as the variance (2 sigma instead of 2 sigma^2, and 2 pi sigma in the normaliser)
def density_map(points, height, width, sigma):
    """Return the (height, width) density map of the (x, y) points: a Gaussian per point, each summing to 1."""
    rows = np.arange(height)[:, None]
    cols = np.arange(width)[None, :]
    density = np.zeros((height, width))
    for x, y in np.asarray(points, dtype=float).reshape(-1, 2):
        density += np.exp(-((cols - x) ** 2 + (rows - y) ** 2) / (2 * sigma))
    return density / (2 * np.pi * sigma)
