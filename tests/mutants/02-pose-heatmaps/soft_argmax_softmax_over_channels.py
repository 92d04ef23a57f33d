# replaces: soft_argmax
# mistake: the softmax runs over the K maps at each pixel instead of over each map's pixels
def soft_argmax(heatmaps):
    """(..., K, 2) expected (x, y) under softmax over the pixels of each map of an (..., H, W, K) array."""
    maps = keras.ops.convert_to_tensor(heatmaps, dtype="float32")
    height, width, k = maps.shape[-3:]
    probs = keras.ops.softmax(keras.ops.reshape(maps, (-1, height * width, k)), axis=-1)
    probs = probs / keras.ops.sum(probs, axis=1, keepdims=True)
    index = keras.ops.arange(height * width, dtype="float32")
    x = keras.ops.sum(probs * (index % width)[None, :, None], axis=1)
    y = keras.ops.sum(probs * keras.ops.floor(index / width)[None, :, None], axis=1)
    return keras.ops.reshape(keras.ops.stack([x, y], axis=-1), (*maps.shape[:-3], k, 2))
