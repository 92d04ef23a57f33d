"""The reporter's plain U-Net (two poolings, ReLU convolutions, a sigmoid output), small enough for a CPU."""

from __future__ import annotations

import math

from dlclinic.backend import keras
from dlclinic.checks import positive_int


def build_unet(
    size: int = 48, channels: int = 3, filters: int = 8, depth: int = 2, output_bias: float | None = None
) -> keras.Model:
    """A plain U-Net: per level two 3×3 ReLU convolutions, then max-pooling; up-sampling with skip connections;
    a 1×1 sigmoid convolution to one mask channel. ``filters`` doubles per level. ``output_bias`` starts the
    output layer's bias there (e.g. log(p / (1 − p)) for a prior ``p`` of ship pixels); ``None`` is Keras' zero.
    Not compiled: the caller picks the loss."""
    size, channels, filters, depth = (positive_int(n, v) for n, v in
                                      (("size", size), ("channels", channels), ("filters", filters), ("depth", depth)))
    if size % 2**depth:
        raise ValueError(f"size must be divisible by 2**depth = {2**depth}; got {size}")
    if output_bias is not None and not math.isfinite(output_bias):
        raise ValueError(f"output_bias must be a finite number or None; got {output_bias!r}")

    def block(x, n: int):
        x = keras.layers.Conv2D(n, 3, padding="same", activation="relu")(x)
        return keras.layers.Conv2D(n, 3, padding="same", activation="relu")(x)

    inputs = keras.Input((size, size, channels))
    x, skips = inputs, []
    for level in range(depth):
        x = block(x, filters * 2**level)
        skips.append(x)
        x = keras.layers.MaxPooling2D()(x)
    x = block(x, filters * 2**depth)
    for level in reversed(range(depth)):
        x = keras.layers.UpSampling2D()(x)
        x = keras.layers.Concatenate()([x, skips[level]])
        x = block(x, filters * 2**level)
    bias = "zeros" if output_bias is None else keras.initializers.Constant(output_bias)
    outputs = keras.layers.Conv2D(1, 1, activation="sigmoid", bias_initializer=bias)(x)
    return keras.Model(inputs, outputs, name="unet")
