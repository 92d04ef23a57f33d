"""The VAE thread's problem in numbers: a rare class (20,000 against 500 in the report) of 16 numeric features,
and a small variational autoencoder (Kingma and Welling, 2014) trained on the rare class alone to make more of it.

The majority is a mixture of four Gaussian clusters; the minority lies near a curved two-dimensional sheet that
passes between them, so the classes overlap and the rare class has a shape a generator may or may not learn. The
clusters and the sheet are fixed (``STRUCTURE_SEED``); ``seed`` only draws the points.
"""

from __future__ import annotations

import numpy as np

from dlclinic.backend import keras, tf
from dlclinic.checks import positive_int

FEATURES = 16
STRUCTURE_SEED = 7


def _structure() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(STRUCTURE_SEED)
    centres = rng.normal(scale=1.0, size=(4, FEATURES))
    sheet = rng.normal(scale=1.0, size=(4, FEATURES))
    offset = centres.mean(axis=0)
    return centres, sheet, offset


def make_imbalanced(n_major: int, n_minor: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """``(x, y)``: ``n_major`` majority points (y = 0) and ``n_minor`` rare points (y = 1), shuffled, float32."""
    n_major, n_minor = positive_int("n_major", n_major), positive_int("n_minor", n_minor)
    centres, sheet, offset = _structure()
    rng = np.random.default_rng(seed)
    major = centres[rng.integers(4, size=n_major)] + rng.normal(size=(n_major, FEATURES))
    t, s = rng.uniform(0, 2 * np.pi, n_minor), rng.uniform(-1, 1, n_minor)
    basis = np.stack([np.cos(t), np.sin(t), np.cos(2 * t) * s, s], axis=1) * 0.8
    minor = offset + basis @ sheet + rng.normal(scale=1.0, size=(n_minor, FEATURES))
    x = np.concatenate([major, minor]).astype("float32")
    y = np.r_[np.zeros(n_major), np.ones(n_minor)].astype("float32")
    order = rng.permutation(len(y))
    return x[order], y[order]


class VariationalAutoencoder(keras.Model):
    def __init__(self, features: int, latent: int, hidden: int) -> None:
        super().__init__()
        self.latent = latent
        self.encoder = keras.Sequential([keras.layers.Dense(hidden, activation="relu"), keras.layers.Dense(2 * latent)])
        self.decoder = keras.Sequential([keras.layers.Dense(hidden, activation="relu"), keras.layers.Dense(features)])

    def call(self, x):
        mean, log_var = tf.split(self.encoder(x), 2, axis=-1)
        z = mean + tf.exp(0.5 * log_var) * tf.random.normal(tf.shape(mean))
        kl = -0.5 * tf.reduce_sum(1 + log_var - mean**2 - tf.exp(log_var), axis=-1)
        self.add_loss(tf.reduce_mean(kl))
        return self.decoder(z)


def fit_vae(x: np.ndarray, steps: int = 1500, latent: int = 4, hidden: int = 32, seed: int = 0,
            learning_rate: float = 3e-3) -> keras.Model:
    """A VAE trained on ``x`` alone (the rare class): summed squared reconstruction error plus the KL term."""
    steps = positive_int("steps", steps)
    x = np.asarray(x, dtype="float32")
    keras.utils.set_random_seed(seed)
    vae = VariationalAutoencoder(x.shape[1], latent, hidden)
    vae.compile(optimizer=keras.optimizers.Adam(learning_rate),
                loss=lambda a, b: tf.reduce_sum(tf.square(a - b), axis=-1))
    epochs = max(1, steps * 64 // len(x))
    vae.fit(x, x, batch_size=64, epochs=epochs, verbose=0)
    return vae


def vae_samples(vae: keras.Model, n: int, seed: int = 0) -> np.ndarray:
    """``n`` new points decoded from the prior N(0, I) of the VAE's latent space."""
    z = np.random.default_rng(seed).normal(size=(positive_int("n", n), vae.latent)).astype("float32")
    return np.asarray(vae.decoder(z))
