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


def _loop(model: tf_keras.Model, batch_size: int, learning_rate: float):
    """The model's compiled training loop, made once per model and batch size and kept on the model, so that
    training it again (another chunk of steps) continues its optimizer's state without tracing again."""
    loops = model.__dict__.setdefault("_dlclinic_loops", {})
    if batch_size in loops:
        return loops[batch_size]
    compiled = getattr(model, "optimizer", None) is not None and callable(getattr(model, "loss", None))
    optimizer = model.optimizer if compiled else model.__dict__.setdefault(
        "_dlclinic_optimizer", tf_keras.optimizers.Adam(learning_rate))
    loss_fn = model.loss if compiled else negative_loglikelihood

    @tf.function(reduce_retracing=True)
    def run(x_all: tf.Tensor, y_all: tf.Tensor, steps: tf.Tensor) -> tuple[tf.Tensor, tf.Tensor]:
        nlls = tf.TensorArray(tf.float32, size=steps)
        kls = tf.TensorArray(tf.float32, size=steps)
        for step in tf.range(steps):
            batch = tf.random.shuffle(tf.range(tf.shape(x_all)[0]))[:batch_size]
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

    loops[batch_size] = (run, optimizer)
    return loops[batch_size]


def fit(
    model: tf_keras.Model,
    x: object,
    y: object,
    steps: int,
    batch_size: int = 32,
    learning_rate: float = 0.01,
) -> History:
    """``steps`` optimizer steps on random mini-batches: loss = mean loss of the batch + sum(model.losses).

    Uses the model's compiled optimizer and loss where it has them (``learning_rate`` is then ignored). A second
    call continues the same training (the optimizer keeps its state), so a run can be trained in chunks and
    evaluated between them.
    """
    x = as_float_array("x", x, ndim=2).astype("float32")
    y = as_float_array("y", y, ndim=1).astype("float32")
    if len(x) != len(y):
        raise ValueError(f"x and y must have the same number of rows; got {len(x)} and {len(y)}")
    steps, batch_size = positive_int("steps", steps), min(positive_int("batch_size", batch_size), len(x))
    rate = positive_number("learning_rate", learning_rate)
    if batch_size not in model.__dict__.get("_dlclinic_loops", {}):
        model(x[:1])  # build the variables before the graph loop uses them
    run, optimizer = _loop(model, batch_size, rate)
    optimizer.build(model.trainable_variables)
    nll, kl = run(tf.constant(x), tf.constant(y[:, None]), tf.constant(steps))
    return History(nll.numpy(), kl.numpy())


def sample_predictions(
    model: tf_keras.Model, x: object, n_samples: int = 100, training: bool = False
) -> tuple[np.ndarray, np.ndarray]:
    """μ and σ of ``n_samples`` forward passes, each of shape (n_samples, n_points).

    A variational net draws new weights on every call; a dropout net needs ``training=True`` to drop units.
    """
    x = tf.constant(as_float_array("x", x, ndim=2).astype("float32"))
    n_samples = positive_int("n_samples", n_samples)
    draws = model.__dict__.setdefault("_dlclinic_draws", {})
    if training not in draws:

        @tf.function(reduce_retracing=True)
        def draw(x: tf.Tensor, n_samples: tf.Tensor) -> tuple[tf.Tensor, tf.Tensor]:
            mus = tf.TensorArray(tf.float32, size=n_samples)
            sigmas = tf.TensorArray(tf.float32, size=n_samples)
            for s in tf.range(n_samples):
                distribution = model(x, training=training)
                mus = mus.write(s, distribution.mean()[:, 0])
                sigmas = sigmas.write(s, distribution.stddev()[:, 0])
            return mus.stack(), sigmas.stack()

        draws[training] = draw
    mu, sigma = draws[training](x, tf.constant(n_samples))
    return mu.numpy().astype(float), sigma.numpy().astype(float)
