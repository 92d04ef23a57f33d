"""The reporter's variational net and its fix (tfp.layers on tf_keras), plus the MC-dropout/ensemble nets.

Every model maps x to a ``tfd.Normal`` over y, so one loss (the negative log-likelihood) trains them all.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from dlclinic.backend import tf
from dlclinic.bnn_uncertainty.probability import tf_keras, tfd, tfp
from dlclinic.checks import positive_int, positive_number

POSTERIOR_SHIFT = float(np.log(np.expm1(1.0)))  # softplus(c) = 1: the TFP example's start for posterior scales


def posterior_mean_field(kernel_size: int, bias_size: int = 0, dtype=None) -> tf_keras.Sequential:
    """Independent Normal per weight, scales 1e-5 + 0.01·softplus(c + ρ) as in the report."""
    n = kernel_size + bias_size
    return tf_keras.Sequential([
        tfp.layers.VariableLayer(2 * n, dtype=dtype, initializer=tf_keras.initializers.RandomNormal(stddev=0.1)),
        tfp.layers.DistributionLambda(lambda t: tfd.Independent(
            tfd.Normal(loc=t[..., :n], scale=1e-5 + 0.01 * tf.nn.softplus(POSTERIOR_SHIFT + t[..., n:])),
            reinterpreted_batch_ndims=1)),
    ])


def prior_trainable(kernel_size: int, bias_size: int = 0, dtype=None) -> tf_keras.Sequential:
    """Independent Normal(m, 1) per weight with a trainable mean m, as in the TFP example."""
    n = kernel_size + bias_size
    return tf_keras.Sequential([
        tfp.layers.VariableLayer(n, dtype=dtype),
        tfp.layers.DistributionLambda(
            lambda t: tfd.Independent(tfd.Normal(loc=t, scale=1.0), reinterpreted_batch_ndims=1)),
    ])


def gaussian_head(offset: float = 1e-3, scale: float = 0.01, heteroscedastic: bool = True):
    """t → Normal(t₀, offset + softplus(scale·t₁)); with ``heteroscedastic=False`` the std is fixed at 1."""
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
    kl_multiplier: float = 1.0,
) -> tf_keras.Sequential:
    """DenseVariational layers (mean-field posterior, trainable prior, KL weight ``kl_multiplier / n_train``).

    ``last_activation="relu"`` is the reporter's net: neither unit can go negative. ``"relu_on_scale"`` clips
    only the scale unit (the floor alone); ``None``, a linear last layer, is the fix.
    """
    if last_activation not in LAST_ACTIVATIONS:
        raise ValueError(f"last_activation must be one of {list(LAST_ACTIVATIONS)}; got {last_activation!r}")
    n_features, n_train = positive_int("n_features", n_features), positive_int("n_train", n_train)
    weight = positive_number("kl_multiplier", kl_multiplier) / n_train
    layers = [tf_keras.Input((n_features,))]
    for units in hidden:
        layers.append(tfp.layers.DenseVariational(
            positive_int("hidden units", units), posterior_mean_field, prior_trainable, kl_weight=weight,
            activation="relu"))
    layers.append(tfp.layers.DenseVariational(
        2 if heteroscedastic else 1, posterior_mean_field, prior_trainable, kl_weight=weight,
        activation=LAST_ACTIVATIONS[last_activation]))
    layers.append(gaussian_head(heteroscedastic=heteroscedastic))
    return tf_keras.Sequential(layers, name="bnn_" + (last_activation or "linear"))


def build_gaussian_net(
    n_features: int,
    hidden: Sequence[int] = (32, 32),
    dropout: float = 0.0,
    heteroscedastic: bool = True,
) -> tf_keras.Sequential:
    """A plain net with a Gaussian head: mean and std (1e-3 + softplus) per input; ``dropout`` after each layer."""
    if not 0 <= dropout < 1:
        raise ValueError(f"dropout must lie in [0, 1); got {dropout!r}")
    layers = [tf_keras.Input((positive_int("n_features", n_features),))]
    for units in hidden:
        layers.append(tf_keras.layers.Dense(positive_int("hidden units", units), activation="relu"))
        if dropout:
            layers.append(tf_keras.layers.Dropout(dropout))
    layers.append(tf_keras.layers.Dense(2 if heteroscedastic else 1))
    layers.append(gaussian_head(scale=1.0, heteroscedastic=heteroscedastic))
    return tf_keras.Sequential(layers, name="dropout_net" if dropout else "gaussian_net")
