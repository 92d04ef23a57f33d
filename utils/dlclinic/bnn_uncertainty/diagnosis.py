"""Diagnosis functions for any variational or Gaussian-output model a reader brings: what the last layer emits,
where the KL comes from, and whether the predicted std can filter out the bad predictions."""

from __future__ import annotations

import math

import numpy as np

from dlclinic.backend import tf
from dlclinic.bnn_uncertainty.probability import tf_keras, tfd, tfp
from dlclinic.checks import as_float_array, positive_int


def last_layer_outputs(model: tf_keras.Model, x: object, n_samples: int = 20) -> np.ndarray:
    """The outputs of the layer before the distribution head (after its activation) for x, drawn ``n_samples``
    times: shape (n_samples, n_points, units). For the case's head, column 1 is the ``t`` of offset +
    softplus(scale·t)."""
    x = tf.constant(as_float_array("x", x, ndim=2).astype("float32"))
    draws = []
    for _ in range(positive_int("n_samples", n_samples)):
        h = x
        for layer in model.layers[:-1]:  # everything but the DistributionLambda head
            h = layer(h)
        draws.append(h.numpy())
    return np.stack(draws)


def _normal_of(distribution) -> tfd.Normal:
    distribution = getattr(distribution, "tensor_distribution", distribution)  # unwrap DistributionLambda output
    inner = distribution.distribution if isinstance(distribution, tfd.Independent) else distribution
    if not isinstance(inner, tfd.Normal):
        raise ValueError(f"kl_parts needs Normal (mean-field) posteriors and priors; got {type(inner).__name__}")
    return inner


def _kl_weight_of(layer: tfp.layers.DenseVariational) -> float:
    """The ``kl_weight`` a DenseVariational layer was built with (TFP keeps it in its penalty's closure)."""
    penalty = layer._kl_divergence_fn
    cells = dict(zip(penalty.__code__.co_freevars, penalty.__closure__ or (), strict=True))
    weight = cells["weight"].cell_contents if "weight" in cells else None
    return 1.0 if weight is None else float(weight)


def kl_parts(model: tf_keras.Model) -> dict[str, float]:
    """KL(q ‖ p) of every ``DenseVariational`` layer of ``model``, split per weight into a scale part and a mean part.

    For q = N(m, s²) and p = N(μ, σ²): KL = [log(σ/s) + s²/(2σ²) − ½] + (m − μ)²/(2σ²). Returns the sums of the
    two parts (in nats, unweighted), their total, the KL term the loss sees (each layer's sum times its
    ``kl_weight``), the number of weights and the median posterior std s.
    """
    layers = [layer for layer in model.layers if isinstance(layer, tfp.layers.DenseVariational)]
    if not layers:
        raise ValueError("model must contain at least one tfp.layers.DenseVariational layer")
    dummy = tf.zeros((1, 1))
    scale_part = mean_part = weighted = 0.0
    n_weights, stds = 0, []
    for layer in layers:
        q, p = _normal_of(layer._posterior(dummy)), _normal_of(layer._prior(dummy))
        m, s = q.loc.numpy().astype(float), q.scale.numpy().astype(float)
        mu = np.broadcast_to(p.loc.numpy(), m.shape).astype(float)
        sigma = np.broadcast_to(p.scale.numpy(), m.shape).astype(float)
        scale_nats = float(np.sum(np.log(sigma / s) + s**2 / (2 * sigma**2) - 0.5))
        mean_nats = float(np.sum((m - mu) ** 2 / (2 * sigma**2)))
        scale_part, mean_part = scale_part + scale_nats, mean_part + mean_nats
        weighted += _kl_weight_of(layer) * (scale_nats + mean_nats)
        n_weights += m.size
        stds.append(s)
    return {"scale_part": scale_part, "mean_part": mean_part, "total": scale_part + mean_part,
            "weighted_total": weighted, "n_weights": n_weights,
            "median_posterior_std": float(np.median(np.concatenate(stds)))}


def scale_mismatch_per_weight(posterior_std: float, prior_std: float = 1.0) -> float:
    """The scale part of KL(N(m, s²) ‖ N(μ, σ²)) for one weight: log(σ/s) + s²/(2σ²) − ½ (log 100 − ½ at s = 0.01)."""
    if not (posterior_std > 0 and prior_std > 0):
        raise ValueError(f"both stds must be positive; got {posterior_std!r} and {prior_std!r}")
    return math.log(prior_std / posterior_std) + posterior_std**2 / (2 * prior_std**2) - 0.5


def retention_curve(errors: object, stds: object, fractions: object) -> np.ndarray:
    """RMSE of the errors of the ⌈f·n⌉ points with the smallest predicted std, for each fraction f in (0, 1].

    Ties in the std keep the points' original order (a stable sort), so a constant std filters nothing. A
    curve that falls as fewer points are kept means the std can filter out bad predictions.
    """
    errors = as_float_array("errors", errors, ndim=1)
    stds = as_float_array("stds", stds, ndim=1)
    fractions = as_float_array("fractions", fractions, ndim=1)
    if len(errors) != len(stds) or len(errors) == 0:
        raise ValueError(f"errors and stds must be non-empty and of the same length; got {len(errors)} and {len(stds)}")
    if np.any(stds < 0):
        raise ValueError("stds must be non-negative (they are standard deviations)")
    if np.any((fractions <= 0) | (fractions > 1)):
        raise ValueError(f"every fraction must lie in (0, 1]; got {fractions.tolist()}")
    ranked = errors[np.argsort(stds, kind="stable")]
    kept = np.ceil(fractions * len(errors) - 1e-9).astype(int)
    return np.array([math.sqrt(np.mean(ranked[:k] ** 2)) for k in kept])
