# replaces: density_map
# mistake: x taken as the row and y as the column
def density_map(points, height, width, sigma):
    """Return the (height, width) density map of the (x, y) points: a Gaussian per point, each summing to 1."""
    rows = np.arange(height)[:, None]
    cols = np.arange(width)[None, :]
    density = np.zeros((height, width))
    for x, y in np.asarray(points, dtype=float).reshape(-1, 2):
        density += np.exp(-((rows - x) ** 2 + (cols - y) ** 2) / (2 * sigma**2))
    return density / (2 * np.pi * sigma**2)
