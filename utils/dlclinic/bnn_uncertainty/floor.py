"""The two numbers behind the report: the smallest std a softplus head can emit, and the KL weight."""

from __future__ import annotations

import math

from dlclinic.checks import positive_int


def softplus(x: float) -> float:
    """log(1 + e^x), computed without overflow."""
    return max(x, 0.0) + math.log1p(math.exp(-abs(x)))


def std_floor(offset: float, scale: float) -> float:
    """The smallest std ``offset + softplus(scale * relu(t))`` can produce (its infimum when scale < 0).

    relu(t) ≥ 0, so for scale ≥ 0 the argument of softplus is never negative and the std never drops below
    ``offset + softplus(0) = offset + log 2``, whatever the network learns.
    """
    for name, value in (("offset", offset), ("scale", scale)):
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
            raise ValueError(f"{name} must be a finite number; got {value!r}")
    if offset < 0:
        raise ValueError(f"offset must be non-negative (it is added to a std); got {offset!r}")
    return float(offset + (softplus(0.0) if scale >= 0 else 0.0))


def kl_weight(n_train: int, batch_size: int) -> float:
    """Weight of the KL term when Keras averages the likelihood per example: 1 / n_train.

    The ELBO per example is mean NLL + KL / N. Blundell et al. (2015) weight the KL by 1/M per mini-batch because
    their likelihood is *summed* over a batch; dividing that by the batch size B gives 1/(M·B) = 1/N again, so the
    batch size does not enter (it is checked only for being a valid size).
    """
    n_train = positive_int("n_train", n_train)
    batch_size = positive_int("batch_size", batch_size)
    if batch_size > n_train:
        raise ValueError(f"batch_size must not exceed n_train ({n_train}); got {batch_size}")
    return 1.0 / n_train
