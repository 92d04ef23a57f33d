# replaces: decode_keypoints
# mistake: returns (row, column), i.e. (y, x), the order np.unravel_index gives
def decode_keypoints(heatmaps):
    """(K, 2) (x, y) of the maximum of each of the K maps in an (H, W, K) array."""
    heatmaps = np.asarray(heatmaps, dtype=float)
    return np.array([np.unravel_index(heatmaps[..., k].argmax(), heatmaps.shape[:2])
                     for k in range(heatmaps.shape[-1])], dtype=float)
