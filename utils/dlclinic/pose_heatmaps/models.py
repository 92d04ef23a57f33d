"""The reporter's encoder–decoder and the heads that decide whether it learns."""

from __future__ import annotations

from dlclinic.backend import keras

HEADS = {
    "reporter": "1×1 conv → BatchNorm → sigmoid (the report)",
    "sigmoid": "1×1 conv → sigmoid (BatchNorm removed)",
    "linear": "plain 1×1 conv, no BatchNorm, no activation (SimpleBaselines)",
}


BN_MOMENTUM = 0.9  # Keras' 0.99 leaves the moving statistics stale after a few hundred steps (see Case 3)


def conv_bn_relu(x, filters: int, kernel: int = 3, strides: int = 1, transpose: bool = False):
    """Conv (or transposed conv) → BatchNorm → ReLU, the reporter's block."""
    layer = keras.layers.Conv2DTranspose if transpose else keras.layers.Conv2D
    x = layer(filters, kernel, strides=strides, padding="same", use_bias=False)(x)
    x = keras.layers.BatchNormalization(momentum=BN_MOMENTUM)(x)
    return keras.layers.ReLU()(x)


def build_pose_net(
    size: int, n_keypoints: int, head: str = "reporter", filters: int = 16, levels: int = 3
) -> keras.Model:
    """Encoder (stride-2 convs) and decoder (stride-2 transposed convs) with skip concatenations, then ``head``.

    Every hidden conv is followed by BatchNorm and ReLU, as in the report; only the head differs (:data:`HEADS`).
    The model is not compiled: the experiment pairs each head with its targets and loss.
    """
    if head not in HEADS:
        raise ValueError(f"head must be one of {sorted(HEADS)}; got {head!r}")
    if size % 2**levels:
        raise ValueError(f"size must be divisible by 2**levels = {2**levels}; got {size}")
    inputs = keras.Input((size, size, 1))
    x, skips = inputs, []
    for level in range(levels):
        x = conv_bn_relu(x, filters * 2**level, kernel=2, strides=2)  # the report's encoder: 2×2, stride 2
        x = conv_bn_relu(x, filters * 2**level)
        skips.append(x)
    for level in reversed(range(levels - 1)):
        x = conv_bn_relu(x, filters * 2**level, kernel=2, strides=2, transpose=True)
        x = keras.layers.Concatenate()([x, skips[level]])
        x = conv_bn_relu(x, filters * 2**level)
    x = conv_bn_relu(x, filters, kernel=2, strides=2, transpose=True)  # back to the input's size
    x = keras.layers.Conv2D(n_keypoints, 1, name="head_conv")(x)
    if head == "reporter":
        x = keras.layers.BatchNormalization(momentum=BN_MOMENTUM, name="head_bn")(x)
    if head != "linear":
        x = keras.layers.Activation("sigmoid", name="head_sigmoid")(x)
    return keras.Model(inputs, x, name=f"pose_net_{head}")
