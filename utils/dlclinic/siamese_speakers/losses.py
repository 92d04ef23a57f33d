"""The distances the case scores embeddings with, in ``keras.ops`` (NumPy arrays or tensors). The pair losses
are the lesson, written on the page."""

from __future__ import annotations

from dlclinic.backend import keras

ops = keras.ops


def kl_divergence(p, q, eps: float = 1e-7):
    """Row-wise KL(p‖q) = Σ p log((p + ε)/(q + ε)) along the last axis (ε inside the log, no clip)."""
    return ops.sum(p * ops.log((p + eps) / (q + eps)), axis=-1)


def reporter_kl(p, q):
    """The report's distance layer: both inputs clipped to [ε, 1] (Keras' ε = 1e-7), then one-way KL(p‖q)."""
    eps = keras.config.epsilon()
    p, q = ops.clip(p, eps, 1.0), ops.clip(q, eps, 1.0)
    return ops.sum(p * ops.log(p / q), axis=-1)


def cosine_distance(a, b):
    """1 − cos(a, b) along the last axis: 0 for the same direction, 2 for opposite ones."""
    a = a / (ops.norm(a, axis=-1, keepdims=True) + 1e-12)
    b = b / (ops.norm(b, axis=-1, keepdims=True) + 1e-12)
    return 1.0 - ops.sum(a * b, axis=-1)
