"""The fully convolutional density regressor of the report, with and without BatchNorm."""

from __future__ import annotations

import math

from dlclinic.backend import keras

DILATIONS = (1, 2, 4, 1)  # receptive field 17 px: wide enough to see a whole σ = 4 blob


@keras.saving.register_keras_serializable(package="dlclinic")
class OutputScale(keras.layers.Layer):
    """Multiply by a learnable positive scale exp(s), started at ``initial``: lets a BN net emit tiny values."""

    def __init__(self, initial: float = 1.0, **kwargs) -> None:
        super().__init__(**kwargs)
        if initial <= 0:
            raise ValueError(f"initial scale must be positive; got {initial!r}")
        self.initial = float(initial)

    def build(self, input_shape) -> None:
        self.log_scale = self.add_weight(
            shape=(), initializer=keras.initializers.Constant(math.log(self.initial)), name="log_scale"
        )

    def call(self, inputs):
        return inputs * keras.ops.exp(self.log_scale)

    def get_config(self) -> dict:
        return {**super().get_config(), "initial": self.initial}


def build_density_net(
    size: int,
    batchnorm: bool,
    filters: int = 16,
    output_scale: float | None = None,
    learning_rate: float = 1e-3,
    bn_momentum: float = 0.9,
) -> keras.Model:
    """Conv(3×3)→[BN]→ReLU blocks, then a linear 1×1 conv to one density channel; compiled with Adam + MSE.

    ``batchnorm=True`` is the reporter's net (BN after every hidden conv; the last layer has none). BN momentum is
    0.9 rather than Keras' 0.99, so the moving statistics used at prediction settle within a short budget.
    ``output_scale`` appends an :class:`OutputScale` started at that value.
    """
    inputs = keras.Input((size, size, 1))
    x = inputs
    for dilation in DILATIONS:
        x = keras.layers.Conv2D(filters, 3, padding="same", dilation_rate=dilation, use_bias=not batchnorm)(x)
        if batchnorm:
            x = keras.layers.BatchNormalization(momentum=bn_momentum)(x)
        x = keras.layers.ReLU()(x)
    outputs = keras.layers.Conv2D(1, 1)(x)
    if output_scale is not None:
        outputs = OutputScale(output_scale)(outputs)
    model = keras.Model(inputs, outputs, name="density_net_bn" if batchnorm else "density_net")
    model.compile(optimizer=keras.optimizers.Adam(learning_rate), loss="mse")
    return model
