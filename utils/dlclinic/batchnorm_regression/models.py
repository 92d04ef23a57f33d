"""The fully convolutional density regressor of the report, and the one-change variants the case compares."""

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


def output_layer(filters: int, output_init: tuple[float, float] | None) -> keras.layers.Conv2D:
    """The linear 1×1 output conv: Keras' defaults, or bias = mean and kernel std = std / √filters.

    With ``output_init=(mean, std)`` the untrained net already emits values of the targets' mean and (roughly)
    their spread; ``std = 0`` gives a zero kernel, so the net starts by predicting the mean everywhere.
    """
    if output_init is None:
        return keras.layers.Conv2D(1, 1)
    mean, std = output_init
    if not (math.isfinite(mean) and math.isfinite(std)) or std < 0:
        raise ValueError(f"output_init must be (mean, std) with finite values and std >= 0; got {output_init!r}")
    kernel = keras.initializers.Zeros() if std == 0 else keras.initializers.RandomNormal(0.0, std / math.sqrt(filters))
    return keras.layers.Conv2D(1, 1, kernel_initializer=kernel, bias_initializer=keras.initializers.Constant(mean))


def build_density_net(
    size: int,
    batchnorm: bool = True,
    filters: int = 16,
    output_scale: float | None = None,
    learning_rate: float = 1e-3,
    bn_momentum: float = 0.9,
    bn_last: bool = True,
    bn_scale: bool = True,
    output_init: tuple[float, float] | None = None,
) -> keras.Model:
    """Conv(3×3)→[BN]→ReLU blocks, then a linear 1×1 conv to one density channel; compiled with Adam + MSE.

    ``batchnorm=True`` is the reporter's net (BN after every hidden conv; the output has none). BN momentum is
    0.9 rather than Keras' 0.99, so the moving statistics used at prediction settle within a short budget.
    One-change variants: ``bn_last=False`` drops BN from the last hidden block only; ``bn_scale=False`` drops
    BN's γ (``tf.contrib.layers.batch_norm``'s default); ``output_scale`` appends an :class:`OutputScale`
    started at that value; ``output_init`` starts the output layer at the targets' scale (:func:`output_layer`).
    """
    if learning_rate <= 0 or not 0 < bn_momentum < 1:
        raise ValueError(f"learning_rate must be > 0 and bn_momentum in (0, 1); got {learning_rate}, {bn_momentum}")
    inputs = keras.Input((size, size, 1))
    x = inputs
    for i, dilation in enumerate(DILATIONS):
        norm = batchnorm and (bn_last or i < len(DILATIONS) - 1)
        x = keras.layers.Conv2D(filters, 3, padding="same", dilation_rate=dilation, use_bias=not norm)(x)
        if norm:
            x = keras.layers.BatchNormalization(momentum=bn_momentum, scale=bn_scale)(x)
        x = keras.layers.ReLU()(x)
    outputs = output_layer(filters, output_init)(x)
    if output_scale is not None:
        outputs = OutputScale(output_scale)(outputs)
    model = keras.Model(inputs, outputs, name="density_net_bn" if batchnorm else "density_net")
    model.compile(optimizer=keras.optimizers.Adam(learning_rate), loss="mse")
    return model
