"""Evidence for the diagnosis: where the clip bites, which gradients vanish, which pairs a one-way KL calls
negative, and which pairs a hinge no longer pushes."""

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
) -> dict[str, object]:
    """Gradient of the mean pair loss ``loss(same, ea, eb)`` w.r.t. the two embeddings of each pair.

    Returns the embeddings (``ea``, ``eb``) and their gradients (``ga``, ``gb``) as arrays, and the fraction of
    embedding components whose gradient is exactly zero.
    """
    with tf.GradientTape() as tape:
        ea, eb = branch(a, training=False), branch(b, training=False)
        tape.watch([ea, eb])
        value = tf.reduce_mean(loss(tf.constant(same, ea.dtype), ea, eb))
    ga, gb = (np.asarray(g) for g in tape.gradient(value, [ea, eb]))
    zero = float(np.mean(np.concatenate([ga == 0, gb == 0])))
    return {"ea": np.asarray(ea), "eb": np.asarray(eb), "ga": ga, "gb": gb, "zero_gradient_fraction": zero}


def negative_pair_fraction(p: object, q: object) -> float:
    """Fraction of pairs (rows of ``p``, ``q``, shape (n, d), positive entries, not necessarily normalised) whose
    one-way KL Σ p·log(p/q) is negative: pairs that a same-speaker term ``same·KL`` rewards for moving apart."""
    p = as_float_array("p", p, ndim=2)
    q = as_float_array("q", q, ndim=2)
    if p.shape != q.shape or p.size == 0:
        raise ValueError(f"p and q must be non-empty arrays of the same shape (n, d); got {p.shape} and {q.shape}")
    if not (np.all(p > 0) and np.all(q > 0)):
        raise ValueError("p and q must hold only positive entries (clip or add epsilon first)")
    return float(np.mean(np.sum(p * np.log(p / q), axis=1) < 0))


def past_margin_fraction(same: object, distance: object, margin: float) -> float:
    """Fraction of different-speaker pairs (``same == 0``) whose distance is at least ``margin``: their hinge
    max(0, m − d) is zero, so they send no gradient back."""
    same = as_float_array("same", same, ndim=1)
    distance = as_float_array("distance", distance, ndim=1)
    if same.shape != distance.shape or not np.any(same == 0):
        raise ValueError("same and distance must be 1-D of equal length, with at least one different-speaker pair")
    return float(np.mean(distance[same == 0] >= margin))
