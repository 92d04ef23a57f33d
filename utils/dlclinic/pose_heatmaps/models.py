"""The reporter's encoder–decoder and the heads that decide whether it learns."""

from __future__ import annotations

from dlclinic.backend import keras
from dlclinic.checks import positive_number

HEADS = {
    "reporter": "1×1 conv → BatchNorm → sigmoid (the report)",
    "sigmoid": "1×1 conv → sigmoid (BatchNorm removed)",
    "linear": "plain 1×1 conv, no BatchNorm, no activation (SimpleBaselines)",
}


def conv_bn_relu(x, filters: int, kernel: int = 3, strides: int = 1, transpose: bool = False):
    """Conv (or transposed conv) → BatchNorm (Keras' defaults, as the reporter kept them) → ReLU."""
    layer = keras.layers.Conv2DTranspose if transpose else keras.layers.Conv2D
    x = layer(filters, kernel, strides=strides, padding="same", use_bias=False)(x)
    x = keras.layers.BatchNormalization()(x)
    return keras.layers.Activation("relu")(x)


def build_pose_net(
    size: int, n_keypoints: int, head: str = "reporter", filters: int = 16, levels: int = 3,
    output_std: float | None = None,
) -> keras.Model:
    """Encoder (stride-2 convs) and decoder (stride-2 transposed convs) with skip concatenations, then ``head``.

    Every hidden conv is followed by BatchNorm and ReLU, as in the report; only the head differs
    (:data:`HEADS`). ``output_std`` initialises the head's 1×1 kernel from N(0, output_std²) with a zero bias
    (SimpleBaselines uses 0.001); ``None`` keeps Keras' Glorot default. The model is not compiled.
    """
    if head not in HEADS:
        raise ValueError(f"head must be one of {sorted(HEADS)}; got {head!r}")
    if size % 2**levels:
        raise ValueError(f"size must be divisible by 2**levels = {2**levels}; got {size}")
    if output_std is not None:
        output_std = positive_number("output_std", output_std)
    inputs = keras.Input((size, size, 1))
    x, skips = inputs, []
    for level in range(levels):
        x = conv_bn_relu(x, filters * 2**level, kernel=2, strides=2)  # the report's 2×2, stride 2
        x = conv_bn_relu(x, filters * 2**level)
        skips.append(x)
    for level in reversed(range(levels - 1)):
        x = conv_bn_relu(x, filters * 2**level, kernel=2, strides=2, transpose=True)
        x = keras.layers.Concatenate()([x, skips[level]])
        x = conv_bn_relu(x, filters * 2**level)
    x = conv_bn_relu(x, filters, kernel=2, strides=2, transpose=True)  # back to the input's size
    # made here, after the body: an unseeded initializer draws its seed when it is made, so the order matters
    init = "glorot_uniform" if output_std is None else keras.initializers.RandomNormal(stddev=output_std)
    x = keras.layers.Conv2D(n_keypoints, 1, kernel_initializer=init, name="head_conv")(x)
    if head == "reporter":
        x = keras.layers.BatchNormalization(name="head_bn")(x)
    if head != "linear":
        x = keras.layers.Activation("sigmoid", name="head_sigmoid")(x)
    return keras.Model(inputs, x, name=f"pose_net_{head}")
