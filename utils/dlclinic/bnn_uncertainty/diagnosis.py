"""Look inside the last variational layer: what its scale unit emits before the softplus."""

from __future__ import annotations

import numpy as np

from dlclinic.backend import tf
from dlclinic.bnn_uncertainty.probability import tf_keras
from dlclinic.checks import as_float_array, positive_int


def last_layer_outputs(model: tf_keras.Model, x: object, n_samples: int = 20) -> np.ndarray:
    """The last DenseVariational layer's outputs (after its activation) for x: shape (n_samples, n_points, units).

    Column 1 is the ``t`` that the head turns into a std via 1e-3 + softplus(0.01·t).
    """
    x = tf.constant(as_float_array("x", x, ndim=2).astype("float32"))
    draws = []
    for _ in range(positive_int("n_samples", n_samples)):
        h = x
        for layer in model.layers[:-1]:  # everything but the DistributionLambda head
            h = layer(h)
        draws.append(h.numpy())
    return np.stack(draws)
