"""Train any of the case's models on the negative log-likelihood (+ the KL its layers add) and sample them.

The loop runs inside one ``tf.function`` (a graph ``while`` loop over steps): on data this small, Keras'
per-epoch overhead would cost far more than the arithmetic. A model compiled with a loss and an optimizer
(``model.compile(optimizer=..., loss=...)``, as the reporter wrote it) is trained with those; otherwise with
Adam at ``learning_rate`` on the mean negative log-likelihood.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from dlclinic.backend import tf
from dlclinic.bnn_uncertainty.probability import tf_keras
from dlclinic.checks import as_float_array, positive_int, positive_number


@dataclass
class History:
    """Per-step training loss, split into the mean NLL of the batch and the weighted KL term."""

    nll: np.ndarray
    kl: np.ndarray


def negative_loglikelihood(y, distribution):
    """−log p(y) under the model's output distribution, per example (the reporter's loss)."""
    return -distribution.log_prob(y)


def fit(
    model: tf_keras.Model,
    x: object,
    y: object,
    steps: int,
    batch_size: int = 32,
    learning_rate: float = 0.01,
) -> History:
    """``steps`` optimizer steps on random mini-batches: loss = mean loss of the batch + sum(model.losses).

    Uses the model's compiled optimizer and loss where it has them (``learning_rate`` is then ignored).
    """
    x = as_float_array("x", x, ndim=2).astype("float32")
    y = as_float_array("y", y, ndim=1).astype("float32")
    if len(x) != len(y):
        raise ValueError(f"x and y must have the same number of rows; got {len(x)} and {len(y)}")
    steps, batch_size = positive_int("steps", steps), min(positive_int("batch_size", batch_size), len(x))
    compiled = getattr(model, "optimizer", None) is not None and callable(getattr(model, "loss", None))
    rate = positive_number("learning_rate", learning_rate)
    optimizer = model.optimizer if compiled else tf_keras.optimizers.Adam(rate)
    loss_fn = model.loss if compiled else negative_loglikelihood
    model(x[:1])  # build the variables before the graph loop uses them
    optimizer.build(model.trainable_variables)
    x_all, y_all = tf.constant(x), tf.constant(y[:, None])

    @tf.function
    def run() -> tuple[tf.Tensor, tf.Tensor]:
        nlls = tf.TensorArray(tf.float32, size=steps)
        kls = tf.TensorArray(tf.float32, size=steps)
        for step in tf.range(steps):
            batch = tf.random.shuffle(tf.range(len(x)))[:batch_size]
            with tf.GradientTape() as tape:
                distribution = model(tf.gather(x_all, batch), training=True)
                nll = tf.reduce_mean(loss_fn(tf.gather(y_all, batch), distribution))
                kl = tf.add_n(model.losses) if model.losses else tf.constant(0.0)
                loss = nll + kl
            gradients = tape.gradient(loss, model.trainable_variables)
            optimizer.apply_gradients(zip(gradients, model.trainable_variables, strict=True))
            nlls = nlls.write(step, nll)
            kls = kls.write(step, kl)
        return nlls.stack(), kls.stack()

    nll, kl = run()
    return History(nll.numpy(), kl.numpy())


def sample_predictions(
    model: tf_keras.Model, x: object, n_samples: int = 100, training: bool = False
) -> tuple[np.ndarray, np.ndarray]:
    """μ and σ of ``n_samples`` forward passes, each of shape (n_samples, n_points).

    A variational net draws new weights on every call; a dropout net needs ``training=True`` to drop units.
    """
    x = tf.constant(as_float_array("x", x, ndim=2).astype("float32"))
    n_samples = positive_int("n_samples", n_samples)

    @tf.function
    def draw() -> tuple[tf.Tensor, tf.Tensor]:
        mus = tf.TensorArray(tf.float32, size=n_samples)
        sigmas = tf.TensorArray(tf.float32, size=n_samples)
        for s in tf.range(n_samples):
            distribution = model(x, training=training)
            mus = mus.write(s, distribution.mean()[:, 0])
            sigmas = sigmas.write(s, distribution.stddev()[:, 0])
        return mus.stack(), sigmas.stack()

    mu, sigma = draw()
    return mu.numpy().astype(float), sigma.numpy().astype(float)
