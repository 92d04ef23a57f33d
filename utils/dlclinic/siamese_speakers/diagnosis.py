"""Evidence for the diagnosis: where the clip bites, which gradients vanish, and how lopsided KL is."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from dlclinic.backend import keras, tf
from dlclinic.checks import as_float_array


def clipped_fraction(embeddings: object, low: float = 1e-7, high: float = 1.0) -> dict[str, float]:
    """Fractions of embedding components that a clip to [low, high] would change: below ``low``, above ``high``."""
    e = as_float_array("embeddings", embeddings, ndim=2)
    return {"below": float(np.mean(e < low)), "above": float(np.mean(e > high))}


def embedding_gradients(
    branch: keras.Model, loss: Callable, a: np.ndarray, b: np.ndarray, same: np.ndarray
) -> dict[str, float]:
    """Gradient of the mean pair loss ``loss(same, ea, eb)`` w.r.t. the embeddings and the branch's weights.

    Returns the fraction of embedding components whose gradient is exactly zero and the global norm of the
    weight gradient.
    """
    with tf.GradientTape(persistent=True) as tape:
        ea, eb = branch(a, training=False), branch(b, training=False)
        value = tf.reduce_mean(loss(tf.constant(same, ea.dtype), ea, eb))
    grads = tape.gradient(value, [ea, eb])
    weights = tape.gradient(value, branch.trainable_weights)
    del tape
    zero = float(np.mean(np.concatenate([np.asarray(g) == 0 for g in grads])))
    norm = float(tf.linalg.global_norm([w for w in weights if w is not None]))
    return {"zero_gradient_fraction": zero, "weight_gradient_norm": norm}


def kl_both_ways(p: object, q: object, distance: Callable) -> tuple[np.ndarray, np.ndarray]:
    """distance(p, q) and distance(q, p) row by row, to show how far apart the two directions are."""
    return np.asarray(distance(p, q)), np.asarray(distance(q, p))
