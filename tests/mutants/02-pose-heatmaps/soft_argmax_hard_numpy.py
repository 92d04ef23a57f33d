# replaces: soft_argmax
# mistake: a hard argmax in NumPy: right on peaked maps, but neither soft nor differentiable
def soft_argmax(heatmaps):
    """(..., K, 2) expected (x, y) under softmax over the pixels of each map of an (..., H, W, K) array."""
    maps = np.asarray(heatmaps, dtype=float)
    *lead, height, width, k = maps.shape
    index = np.moveaxis(maps.reshape(*lead, height * width, k), -1, -2).argmax(axis=-1)
    return np.stack([index % width, index // width], axis=-1).astype("float32")
