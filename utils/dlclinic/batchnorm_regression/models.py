"""The fully convolutional density regressor of the report, with the knobs the case's differential turns.

The case's page writes the same builder out (the lesson's code); :func:`same_net` checks, in every run of the
page, that the two build the same layers with the same initial weights.
"""

from __future__ import annotations

import math

import numpy as np

from dlclinic.backend import keras

DILATIONS = (1, 2, 4, 1)  # receptive field 17 px: wide enough to see a whole σ = 4 blob
OPTIMIZERS = ("adam", "sgd")


def output_conv(filters: int, output_init: tuple[float, float] | None) -> keras.layers.Conv2D:
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
    bn_last: bool = True,
    bn_scale: bool = True,
    bn_momentum: float = 0.99,
    optimizer: str = "adam",
    learning_rate: float = 1e-3,
    output_init: tuple[float, float] | None = None,
    filters: int = 16,
) -> keras.Model:
    """Conv(3×3)→[BN]→ReLU blocks, then a linear 1×1 conv to one density channel; compiled with MSE.

    ``batchnorm=True`` is the reporter's net (BN after every hidden conv, Keras' defaults; the output has none).
    Knobs: ``bn_last=False`` drops BN from the last hidden block only; ``bn_scale=False`` drops BN's γ and
    ``bn_momentum=0.999`` is its moving-average decay (``tf.contrib.layers.batch_norm``'s defaults);
    ``bn_momentum=1.0`` never updates the moving statistics (TF1's ``UPDATE_OPS`` never run); ``optimizer``
    "adam" or "sgd" (momentum 0.9); ``output_init`` starts the output layer at the targets' scale
    (:func:`output_conv`).
    """
    if not (learning_rate > 0 and 0 < bn_momentum <= 1):
        raise ValueError(f"learning_rate must be > 0 and bn_momentum in (0, 1]; got {learning_rate}, {bn_momentum}")
    if optimizer not in OPTIMIZERS:
        raise ValueError(f"optimizer must be one of {OPTIMIZERS}; got {optimizer!r}")
    inputs = keras.Input((size, size, 1))
    x = inputs
    for i, dilation in enumerate(DILATIONS):
        norm = batchnorm and (bn_last or i < len(DILATIONS) - 1)
        x = keras.layers.Conv2D(filters, 3, padding="same", dilation_rate=dilation, use_bias=not norm)(x)
        if norm:
            x = keras.layers.BatchNormalization(momentum=bn_momentum, scale=bn_scale)(x)
        x = keras.layers.ReLU()(x)
    outputs = output_conv(filters, output_init)(x)
    model = keras.Model(inputs, outputs)
    step = (keras.optimizers.Adam(learning_rate) if optimizer == "adam"
            else keras.optimizers.SGD(learning_rate, momentum=0.9))
    model.compile(optimizer=step, loss="mse")
    return model


def _layout(model: keras.Model) -> list[tuple[str, dict]]:
    """Each layer's class and configuration, without the names Keras numbers per session."""
    return [(type(layer).__name__, {k: v for k, v in layer.get_config().items() if k != "name"})
            for layer in model.layers]


def same_net(a: keras.Model, b: keras.Model) -> bool:
    """Whether two built models have the same layers (class and configuration), the same weights, the same
    optimizer (class and configuration) and the same loss."""
    if _layout(a) != _layout(b) or len(a.weights) != len(b.weights):
        return False
    if not all(np.array_equal(np.asarray(u), np.asarray(v)) for u, v in zip(a.weights, b.weights, strict=True)):
        return False
    def optimizer(model: keras.Model) -> tuple:
        config = {k: v for k, v in model.optimizer.get_config().items() if k != "name"}
        return type(model.optimizer).__name__, config, model.loss
    return optimizer(a) == optimizer(b)
