"""One call that makes a run repeatable: Python, NumPy and TensorFlow seeds plus deterministic ops."""

from __future__ import annotations

from dlclinic.backend import keras, tf


def seed_everything(seed: int, deterministic: bool = True) -> None:
    """Seed every random generator Keras uses and, by default, make TensorFlow ops deterministic."""
    if not isinstance(seed, int) or isinstance(seed, bool) or seed < 0:
        raise ValueError(f"seed must be a non-negative int; got {seed!r}")
    keras.utils.set_random_seed(seed)
    if deterministic:
        tf.config.experimental.enable_op_determinism()
