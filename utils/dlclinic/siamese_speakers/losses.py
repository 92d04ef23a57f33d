"""Distances between embeddings and the pairwise losses built on them, in ``keras.ops`` (NumPy or tensors)."""

from __future__ import annotations

from collections.abc import Callable

from dlclinic.backend import keras

ops = keras.ops
DIRECTIONS = ("one-way", "symmetric")


def kl_divergence(p, q, eps: float = 1e-7):
    """Row-wise KL(p‖q) = Σ p log((p + ε)/(q + ε)) along the last axis of two probability arrays."""
    return ops.sum(p * ops.log((p + eps) / (q + eps)), axis=-1)


def symmetric_kl(p, q, eps: float = 1e-7):
    """KL(p‖q) + KL(q‖p): zero only when p = q, and the same whichever comes first."""
    return kl_divergence(p, q, eps) + kl_divergence(q, p, eps)


def reporter_kl(p, q):
    """The report's distance layer: both inputs clipped to [ε, 1] (Keras' ε = 1e-7), then one-way KL(p‖q)."""
    eps = keras.config.epsilon()
    p, q = ops.clip(p, eps, 1.0), ops.clip(q, eps, 1.0)
    return ops.sum(p * ops.log(p / q), axis=-1)


def reporter_hinge_loss(same, distance, margin: float = 1.0):
    """The report's loss on a distance: same·d + (1 − same)·max(margin − d, 0)."""
    return same * distance + (1 - same) * ops.relu(margin - distance)


def pairwise_kl_loss(
    same,
    p,
    q,
    distance: Callable = kl_divergence,
    direction: str = "symmetric",
    margin: float = 2.0,
    push: Callable = ops.relu,
    stop_gradient: bool = False,
):
    """One loss per pair from a one-way ``distance(target, other)``.

    ``"one-way"``: same·d(p, q) + (1 − same)·push(m − d(p, q)) (the report's form).
    ``"symmetric"``: same·[d(p, q) + d(q, p)] + (1 − same)·[push(m − d(p, q)) + push(m − d(q, p))] (Hsu & Kira).
    ``stop_gradient`` detaches the first argument (the target) of every direction, as public
    re-implementations of Hsu & Kira's loss do.
    """
    if direction not in DIRECTIONS:
        raise ValueError(f"direction must be one of {DIRECTIONS}; got {direction!r}")
    p, q = ops.convert_to_tensor(p), ops.convert_to_tensor(q)
    same = ops.cast(same, p.dtype)
    target_p, target_q = (ops.stop_gradient(p), ops.stop_gradient(q)) if stop_gradient else (p, q)
    forward = distance(target_p, q)
    if direction == "one-way":
        return same * forward + (1 - same) * push(margin - forward)
    backward = distance(target_q, p)
    return same * (forward + backward) + (1 - same) * (push(margin - forward) + push(margin - backward))


def kl_hinge_loss(same, p, q, margin: float = 2.0):
    """Per pair: same·(KL(p‖q)+KL(q‖p)) + (1 − same)·(max(0, m − KL(p‖q)) + max(0, m − KL(q‖p))) (Hsu & Kira)."""
    return pairwise_kl_loss(same, p, q, kl_divergence, "symmetric", margin)


def thread_remedy_loss(same, p, q, margin: float = 2.0):
    """The answer's remedy: d = KL(p‖q) + KL(q‖p) (ε added, no clip), same·d + (1 − same)·softplus(m − d)."""
    p, q = ops.convert_to_tensor(p), ops.convert_to_tensor(q)
    d = symmetric_kl(p, q)
    same = ops.cast(same, d.dtype)
    return same * d + (1 - same) * ops.softplus(margin - d)


def blended_pair_loss(same, p, q, clip, detach, symmetric, margin, soft, thread, eps: float = 1e-7):
    """Every KL pair loss of this module in one formula, the choice made by numbers (0 or 1) rather than code,
    so that one traced training step serves them all (the numbers may be variables):
    ``clip`` the report's clipped KL (else ε inside the log), ``detach`` the target side, ``symmetric`` both
    directions, ``margin``, ``soft`` a softplus hinge (else ReLU), ``thread`` :func:`thread_remedy_loss`.
    With 0/1 switches each value equals its own function's (a term times 0 adds exactly 0)."""
    p, q = ops.convert_to_tensor(p), ops.convert_to_tensor(q)
    same = ops.cast(same, p.dtype)
    floor = keras.config.epsilon()
    p = clip * ops.clip(p, floor, 1.0) + (1 - clip) * p
    q = clip * ops.clip(q, floor, 1.0) + (1 - clip) * q
    e = (1 - clip) * eps

    def kl(u, v):
        u = detach * ops.stop_gradient(u) + (1 - detach) * u
        return ops.sum(u * ops.log((u + e) / (v + e)), axis=-1)

    def push(x):
        return soft * ops.softplus(x) + (1 - soft) * ops.relu(x)

    forward, backward = kl(p, q), kl(q, p)
    hinge = same * (forward + symmetric * backward) + (1 - same) * (
        push(margin - forward) + symmetric * push(margin - backward)
    )
    summed = forward + backward
    remedy = same * summed + (1 - same) * ops.softplus(margin - summed)
    return (1 - thread) * hinge + thread * remedy


def cosine_distance(a, b):
    """1 − cos(a, b) along the last axis: 0 for the same direction, 2 for opposite ones."""
    a = a / (ops.norm(a, axis=-1, keepdims=True) + 1e-12)
    b = b / (ops.norm(b, axis=-1, keepdims=True) + 1e-12)
    return 1.0 - ops.sum(a * b, axis=-1)


def contrastive_loss(same, distance, margin: float = 0.5):
    """Hadsell et al.'s contrastive loss on a distance: same·d² + (1 − same)·max(margin − d, 0)²."""
    return same * distance**2 + (1 - same) * ops.relu(margin - distance) ** 2
