"""The reporter's encoder–decoder and the heads that decide whether it learns."""

from __future__ import annotations

from dlclinic.backend import keras
from dlclinic.checks import positive_number

HEADS = {
    "reporter": "1×1 conv → BatchNorm → sigmoid (the report)",
    "sigmoid": "1×1 conv → sigmoid (BatchNorm removed)",
    "linear": "plain 1×1 conv, no BatchNorm, no activation (SimpleBaselines)",
}
KERAS_MOMENTUM = 0.99  # BatchNormalization's default, which the reporter kept


def conv_bn_relu(x, filters: int, kernel: int = 3, strides: int = 1, transpose: bool = False,
                 momentum: float = KERAS_MOMENTUM):
    """Conv (or transposed conv) → BatchNorm → ReLU, the reporter's block."""
    layer = keras.layers.Conv2DTranspose if transpose else keras.layers.Conv2D
    x = layer(filters, kernel, strides=strides, padding="same", use_bias=False)(x)
    x = keras.layers.BatchNormalization(momentum=momentum)(x)
    return keras.layers.Activation("relu")(x)


def build_pose_net(
    size: int, n_keypoints: int, head: str = "reporter", filters: int = 16, levels: int = 3,
    momentum: float = KERAS_MOMENTUM, output_std: float | None = None,
) -> keras.Model:
    """Encoder (stride-2 convs) and decoder (stride-2 transposed convs) with skip concatenations, then ``head``.

    Every hidden conv is followed by BatchNorm (``momentum``) and ReLU, as in the report; only the head differs
    (:data:`HEADS`). ``output_std`` initialises the head's 1×1 kernel from N(0, output_std²) with a zero bias
    (SimpleBaselines uses 0.001); ``None`` keeps Keras' Glorot default. The model is not compiled.
    """
    if head not in HEADS:
        raise ValueError(f"head must be one of {sorted(HEADS)}; got {head!r}")
    if size % 2**levels:
        raise ValueError(f"size must be divisible by 2**levels = {2**levels}; got {size}")
    momentum = positive_number("momentum", momentum)
    if momentum >= 1:
        raise ValueError(f"momentum must be below 1; got {momentum}")
    init = "glorot_uniform" if output_std is None else keras.initializers.RandomNormal(
        stddev=positive_number("output_std", output_std))
    inputs = keras.Input((size, size, 1))
    x, skips = inputs, []
    for level in range(levels):
        x = conv_bn_relu(x, filters * 2**level, kernel=2, strides=2, momentum=momentum)  # the report's 2×2, stride 2
        x = conv_bn_relu(x, filters * 2**level, momentum=momentum)
        skips.append(x)
    for level in reversed(range(levels - 1)):
        x = conv_bn_relu(x, filters * 2**level, kernel=2, strides=2, transpose=True, momentum=momentum)
        x = keras.layers.Concatenate()([x, skips[level]])
        x = conv_bn_relu(x, filters * 2**level, momentum=momentum)
    x = conv_bn_relu(x, filters, kernel=2, strides=2, transpose=True, momentum=momentum)  # back to the input's size
    x = keras.layers.Conv2D(n_keypoints, 1, kernel_initializer=init, name="head_conv")(x)
    if head == "reporter":
        x = keras.layers.BatchNormalization(momentum=momentum, name="head_bn")(x)
    if head != "linear":
        x = keras.layers.Activation("sigmoid", name="head_sigmoid")(x)
    return keras.Model(inputs, x, name=f"pose_net_{head}")
