"""Evidence for the diagnosis: the size of each layer's signal, what the loss values are worth, how far the
net's output scale is from the targets', and how hard each optimiser step shakes the output layer."""

from __future__ import annotations

import numpy as np

from dlclinic.backend import keras, tf
from dlclinic.checks import as_float_array


def activation_stds(model: keras.Model, images: np.ndarray) -> dict[str, float]:
    """Standard deviation of every ReLU block's output and of the model's output on ``images``."""
    taps = [layer.output for layer in model.layers if isinstance(layer, keras.layers.ReLU)] + [model.output]
    names = [f"block {i + 1}" for i in range(len(taps) - 1)] + ["output"]
    probe = keras.Model(model.input, taps)
    values = probe(images, training=False)  # a direct call: no tf.function to retrace for each probe
    return {name: float(np.std(np.asarray(value))) for name, value in zip(names, values, strict=True)}


def trivial_losses(y: object) -> dict[str, float]:
    """The MSE and MAE that predicting all zeros, or the mean everywhere, would score on targets ``y``."""
    y = as_float_array("y", y)
    return {
        "mse_zero": float(np.mean(y**2)),
        "mse_mean": float(np.var(y)),
        "mae_zero": float(np.mean(np.abs(y))),
        "mae_mean": float(np.mean(np.abs(y - y.mean()))),
    }


def output_scale_ratio(model: keras.Model, x: object, y: object) -> float:
    """std of ``model``'s predictions on ``x`` (inference mode) / std of ``y``: ≫ 1 means the targets sit far
    below the scale the net emits, ≈ 1 that the output speaks the targets' units."""
    x = as_float_array("x", x)
    y = as_float_array("y", y)
    spread = float(np.std(y))
    if spread == 0:
        raise ValueError("y must not be constant: its standard deviation is the denominator")
    return float(np.std(np.asarray(model(x, training=False)))) / spread


def output_kernel(model: keras.Model) -> tf.Variable:
    """The kernel of the model's last layer that has one (the output layer)."""
    for layer in reversed(model.layers):
        if getattr(layer, "kernel", None) is not None:
            return layer.kernel
    raise ValueError("model has no layer with a kernel")


class OutputLayerTracker(keras.callbacks.Callback):
    """Per step: the output kernel's update-to-weight ratio ‖ΔW‖/‖W‖; every ``every`` steps: the norm of the
    loss gradient with respect to that kernel on a fixed probe batch (BN's moving statistics are restored, so
    probing does not change the run)."""

    def __init__(self, probe_x: np.ndarray, probe_y: np.ndarray, every: int = 5) -> None:
        super().__init__()
        self.probe_x = tf.constant(probe_x)
        self.probe_y = tf.constant(probe_y)
        self.every = every
        self.update_ratio: list[float] = []
        self.grad_steps: list[int] = []
        self.grad_norm: list[float] = []
        self._before: np.ndarray | None = None

    def on_train_batch_begin(self, batch, logs=None) -> None:
        self._before = output_kernel(self.model).numpy()

    def on_train_batch_end(self, batch, logs=None) -> None:
        after = output_kernel(self.model).numpy()
        self.update_ratio.append(float(np.linalg.norm(after - self._before) / (np.linalg.norm(self._before) + 1e-12)))
        step = len(self.update_ratio)
        if step == 1 or step % self.every == 0:
            self.grad_steps.append(step)
            self.grad_norm.append(self._gradient_norm())

    def _gradient_norm(self) -> float:
        kernel = output_kernel(self.model)
        frozen = [w.numpy() for w in self.model.non_trainable_weights]
        with tf.GradientTape() as tape:
            loss = tf.reduce_mean(tf.square(self.model(self.probe_x, training=True) - self.probe_y))
        grad = tape.gradient(loss, kernel)
        for weight, value in zip(self.model.non_trainable_weights, frozen, strict=True):
            weight.assign(value)
        return float(tf.norm(grad))
