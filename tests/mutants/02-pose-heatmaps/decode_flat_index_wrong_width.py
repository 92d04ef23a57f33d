# replaces: decode_keypoints
# mistake: splits the flat argmax with the height instead of the width
def decode_keypoints(heatmaps):
    """(K, 2) (x, y) of the maximum of each of the K maps in an (H, W, K) array."""
    heatmaps = np.asarray(heatmaps, dtype=float)
    height = heatmaps.shape[0]
    index = heatmaps.reshape(-1, heatmaps.shape[-1]).argmax(axis=0)
    return np.stack([index % height, index // height], axis=-1).astype(float)
