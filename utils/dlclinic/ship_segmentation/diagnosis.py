"""Evidence for the diagnosis: where a loss sends its gradient, how many pixels a model calls ship, and what
Keras does with ``class_weight`` on masks. Each function takes any loss, model or data a reader brings."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from dlclinic.backend import keras, tf
from dlclinic.checks import as_float_array, same_shape


def pixel_gradients(loss_fn: Callable, y_true: object, y_pred: object) -> np.ndarray:
    """d sum(loss_fn(y_true, y_pred)) / d y_pred, one value per pixel, same shape as ``y_pred``."""
    y_true = as_float_array("y_true", y_true)
    y_pred = as_float_array("y_pred", y_pred)
    same_shape("y_true", y_true, "y_pred", y_pred)
    truth = tf.constant(y_true, tf.float32)
    pred = tf.Variable(y_pred.astype("float32"))
    with tf.GradientTape() as tape:
        loss = tf.reduce_sum(loss_fn(truth, pred))
    grad = tape.gradient(loss, pred)
    return np.zeros_like(y_pred) if grad is None else grad.numpy().astype(float)


def positive_gradient_share(loss_fn: Callable, y_true: object, y_pred: object, wrt: str = "probability") -> float:
    """Share of the total absolute gradient of sum(loss_fn(y_true, y_pred)) that falls on ship pixels
    (``y_true == 1``), with respect to the probabilities ``y_pred`` or (``wrt="logit"``) to the logits behind
    them, which is what the net's last layer receives (p(1 − p) times the first); NaN when it is zero everywhere."""
    if wrt not in ("probability", "logit"):
        raise ValueError(f"wrt must be 'probability' or 'logit'; got {wrt!r}")
    grad = np.abs(pixel_gradients(loss_fn, y_true, y_pred))
    if wrt == "logit":
        p = np.asarray(y_pred, dtype=float)
        grad = grad * p * (1 - p)
    grad = np.nan_to_num(grad, nan=0.0, posinf=0.0)
    total = float(grad.sum())
    if total == 0:
        return float("nan")
    return float(grad[np.asarray(y_true) == 1].sum() / total)


def predicted_positive_rate(probabilities: object, threshold: float = 0.5) -> float:
    """Share of pixels whose probability is above ``threshold``: 0 is the report's all-zero mask."""
    probabilities = as_float_array("probabilities", probabilities)
    if not 0 < threshold < 1:
        raise ValueError(f"threshold must be in (0, 1); got {threshold!r}")
    return float((probabilities > threshold).mean())


def fit_outcome(model: keras.Model, x: object, y: object, **fit_kwargs) -> str:
    """Fit ``model`` (compiled) for one step on ``x``, ``y`` with ``fit_kwargs`` (``class_weight=...``,
    ``sample_weight=...``): "accepted", or the first line of the error Keras raises. For (n, H, W, 1) masks,
    Keras 3 turns ``class_weight`` into one weight per *sample* and fails."""
    x = as_float_array("x", x)
    y = as_float_array("y", y)
    try:
        model.fit(x, y, batch_size=len(x), epochs=1, verbose=0, **fit_kwargs)
    except (TypeError, ValueError) as error:
        return f"{type(error).__name__}: {str(error).splitlines()[0]}"
    return "accepted"
