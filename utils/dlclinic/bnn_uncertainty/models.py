"""The reporter's variational net and its variants (tfp.layers on tf_keras), plus the MC-dropout/ensemble nets.

Every model maps x to a ``tfd.Normal`` over y, so one loss (the negative log-likelihood) trains them all. The
knobs of the reporter's net that set its std are arguments here, so each can be changed alone: the last
layer's activation, the head's offset and scale (σ = offset + softplus(head_scale·t₁)), the posterior's scale
factor (σ_w = 1e-5 + posterior_scale·softplus(c + ρ)), the KL weight and whether the prior's mean is trained.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

from dlclinic.backend import tf
from dlclinic.bnn_uncertainty.probability import tf_keras, tfd, tfp
from dlclinic.checks import positive_int, positive_number

POSTERIOR_SHIFT = float(np.log(np.expm1(1.0)))  # softplus(c) = 1: the TFP example's start for posterior scales
PRIORS = ("trainable", "fixed")


def make_posterior(scale: float = 0.01) -> Callable:
    """A mean-field posterior: independent Normal per weight, scales 1e-5 + ``scale``·softplus(c + ρ).

    ``scale=0.01`` is the report's (from a neighbouring thread): every weight's σ starts near 0.01.
    """
    scale = positive_number("posterior scale", scale)

    def posterior(kernel_size: int, bias_size: int = 0, dtype=None) -> tf_keras.Sequential:
        n = kernel_size + bias_size
        return tf_keras.Sequential([
            tfp.layers.VariableLayer(2 * n, dtype=dtype, initializer=tf_keras.initializers.RandomNormal(stddev=0.1)),
            tfp.layers.DistributionLambda(lambda t: tfd.Independent(
                tfd.Normal(loc=t[..., :n], scale=1e-5 + scale * tf.nn.softplus(POSTERIOR_SHIFT + t[..., n:])),
                reinterpreted_batch_ndims=1)),
        ])

    return posterior


def prior_trainable(kernel_size: int, bias_size: int = 0, dtype=None) -> tf_keras.Sequential:
    """Independent Normal(m, 1) per weight with a trainable mean m (starting at 0), as in the TFP example."""
    n = kernel_size + bias_size
    return tf_keras.Sequential([
        tfp.layers.VariableLayer(n, dtype=dtype),
        tfp.layers.DistributionLambda(
            lambda t: tfd.Independent(tfd.Normal(loc=t, scale=1.0), reinterpreted_batch_ndims=1)),
    ])


def prior_fixed(kernel_size: int, bias_size: int = 0, dtype=None) -> tf_keras.Sequential:
    """Independent Normal(0, 1) per weight, nothing trained."""
    n = kernel_size + bias_size
    return tf_keras.Sequential([
        tfp.layers.DistributionLambda(
            lambda t: tfd.Independent(tfd.Normal(loc=tf.zeros(n, dtype=dtype), scale=1.0),
                                      reinterpreted_batch_ndims=1)),
    ])


def gaussian_head(offset: float = 1e-3, scale: float = 0.01, heteroscedastic: bool = True):
    """t → Normal(t₀, offset + softplus(scale·t₁)); with ``heteroscedastic=False`` the std is fixed at 1."""
    if offset < 0:
        raise ValueError(f"offset must be non-negative (it is added to a std); got {offset!r}")
    scale = positive_number("head scale", scale)
    if heteroscedastic:
        return tfp.layers.DistributionLambda(
            lambda t: tfd.Normal(loc=t[..., :1], scale=offset + tf.nn.softplus(scale * t[..., 1:])))
    return tfp.layers.DistributionLambda(lambda t: tfd.Normal(loc=t[..., :1], scale=1.0))


def relu_on_scale(t):
    """Identity on the mean unit, ReLU on the scale unit: the reporter's floor without a clipped mean."""
    return tf.concat([t[..., :1], tf.nn.relu(t[..., 1:])], axis=-1)


LAST_ACTIVATIONS = {"relu": "relu", "relu_on_scale": relu_on_scale, None: None}


def build_bnn(
    n_features: int,
    n_train: int,
    hidden: Sequence[int] = (16, 16),
    last_activation: str | None = None,
    heteroscedastic: bool = True,
    kl_weight: float | None = None,
    posterior_scale: float = 0.01,
    head_offset: float = 1e-3,
    head_scale: float = 0.01,
    prior: str = "trainable",
) -> tf_keras.Sequential:
    """DenseVariational layers (mean-field posterior, Normal prior), KL weight ``kl_weight`` (default 1/n_train).

    ``last_activation="relu"`` is the reporter's net: neither unit can go negative. ``"relu_on_scale"`` clips
    only the scale unit (the floor alone); ``None``, a linear last layer, is the fix.
    """
    if last_activation not in LAST_ACTIVATIONS:
        raise ValueError(f"last_activation must be one of {list(LAST_ACTIVATIONS)}; got {last_activation!r}")
    if prior not in PRIORS:
        raise ValueError(f"prior must be one of {PRIORS}; got {prior!r}")
    n_features, n_train = positive_int("n_features", n_features), positive_int("n_train", n_train)
    weight = 1.0 / n_train if kl_weight is None else positive_number("kl_weight", kl_weight)
    posterior, prior_fn = make_posterior(posterior_scale), prior_trainable if prior == "trainable" else prior_fixed
    layers = [tf_keras.Input((n_features,))]
    for units in hidden:
        layers.append(tfp.layers.DenseVariational(
            positive_int("hidden units", units), posterior, prior_fn, kl_weight=weight, activation="relu"))
    layers.append(tfp.layers.DenseVariational(
        2 if heteroscedastic else 1, posterior, prior_fn, kl_weight=weight,
        activation=LAST_ACTIVATIONS[last_activation]))
    layers.append(gaussian_head(head_offset, head_scale, heteroscedastic))
    return tf_keras.Sequential(layers, name="bnn_" + (last_activation or "linear"))


def build_gaussian_net(
    n_features: int,
    hidden: Sequence[int] = (16, 16),
    dropout: float = 0.0,
    heteroscedastic: bool = True,
    head_scale: float = 1.0,
) -> tf_keras.Sequential:
    """A plain net with a Gaussian head (mean, std 1e-3 + softplus(head_scale·t)); ``dropout`` after each layer."""
    if not 0 <= dropout < 1:
        raise ValueError(f"dropout must lie in [0, 1); got {dropout!r}")
    layers = [tf_keras.Input((positive_int("n_features", n_features),))]
    for units in hidden:
        layers.append(tf_keras.layers.Dense(positive_int("hidden units", units), activation="relu"))
        if dropout:
            layers.append(tf_keras.layers.Dropout(dropout))
    layers.append(tf_keras.layers.Dense(2 if heteroscedastic else 1))
    layers.append(gaussian_head(scale=head_scale, heteroscedastic=heteroscedastic))
    return tf_keras.Sequential(layers, name="dropout_net" if dropout else "gaussian_net")
