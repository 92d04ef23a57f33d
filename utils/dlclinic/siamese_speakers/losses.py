"""Distances between embeddings and the pairwise losses built on them, in ``keras.ops`` (NumPy or tensors)."""

from __future__ import annotations

from dlclinic.backend import keras

ops = keras.ops


def kl_divergence(p, q, eps: float = 1e-7):
    """Row-wise KL(p‖q) = Σ p log((p + ε)/(q + ε)) along the last axis of two probability arrays."""
    return ops.sum(p * ops.log((p + eps) / (q + eps)), axis=-1)


def symmetric_kl(p, q, eps: float = 1e-7):
    """KL(p‖q) + KL(q‖p): zero only when p = q, and the same whichever comes first."""
    return kl_divergence(p, q, eps) + kl_divergence(q, p, eps)


def _pairwise_kl_loss(same, p, q, margin: float, push):
    """same·(KL(p‖q)+KL(q‖p)) + (1 − same)·(push(m − KL(p‖q)) + push(m − KL(q‖p))), one value per pair."""
    p, q = ops.convert_to_tensor(p), ops.convert_to_tensor(q)
    same = ops.cast(same, p.dtype)
    forward, backward = kl_divergence(p, q), kl_divergence(q, p)
    apart = push(margin - forward) + push(margin - backward)
    return same * (forward + backward) + (1 - same) * apart


def kl_hinge_loss(same, p, q, margin: float = 2.0):
    """Per pair: same·(KL(p‖q)+KL(q‖p)) + (1 − same)·(max(0, m − KL(p‖q)) + max(0, m − KL(q‖p))) (Hsu & Kira)."""
    return _pairwise_kl_loss(same, p, q, margin, ops.relu)


def softplus_kl_hinge_loss(same, p, q, margin: float = 2.0):
    """:func:`kl_hinge_loss` with softplus(m − KL) for max(0, m − KL): pairs past the margin still get a gradient."""
    return _pairwise_kl_loss(same, p, q, margin, ops.softplus)


def reporter_kl(p, q):
    """The report's distance layer: both inputs clipped to [ε, 1] (Keras' ε = 1e-7), then one-way KL(p‖q)."""
    eps = keras.config.epsilon()
    p, q = ops.clip(p, eps, 1.0), ops.clip(q, eps, 1.0)
    return ops.sum(p * ops.log(p / q), axis=-1)


def reporter_hinge_loss(same, distance, margin: float = 1.0):
    """The report's loss on a distance: same·d + (1 − same)·max(margin − d, 0)."""
    return same * distance + (1 - same) * ops.relu(margin - distance)


def cosine_distance(a, b):
    """1 − cos(a, b) along the last axis: 0 for the same direction, 2 for opposite ones."""
    a = a / (ops.norm(a, axis=-1, keepdims=True) + 1e-12)
    b = b / (ops.norm(b, axis=-1, keepdims=True) + 1e-12)
    return 1.0 - ops.sum(a * b, axis=-1)


def contrastive_loss(same, distance, margin: float = 0.5):
    """Hadsell et al.'s contrastive loss on a distance: same·d² + (1 − same)·max(margin − d, 0)²."""
    return same * distance**2 + (1 - same) * ops.relu(margin - distance) ** 2
