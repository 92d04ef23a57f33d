"""One training run as the differential runner wants it: a model trained for a number of Adam steps on shuffled
mini-batches, with a validation reading at evenly spaced steps (the runner's convergence check reads the curve);
and timing of a model's forward pass.

Tracing a Keras train step costs more CPU than a short run's steps, so runs that share an architecture and a loss
share one compiled model (:class:`Trainers`): each run copies its own initial weights into it, starts a fresh
Adam, trains, and copies the result back into its own model. The arithmetic is that of a fresh model per run.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Hashable

import numpy as np

from dlclinic.backend import keras, tf
from dlclinic.checks import positive_int
from dlclinic.seeding import seed_everything


class _Readings(keras.callbacks.Callback):
    def __init__(self, every: int, validate: Callable[[keras.Model], float]) -> None:
        super().__init__()
        self.every, self.validate = every, validate
        self.steps: list[int] = []
        self.values: list[float] = []

    def on_epoch_end(self, epoch, logs=None):
        self.steps.append((epoch + 1) * self.every)
        self.values.append(float(self.validate(self.model)))


def predict(model: keras.Model, inputs: np.ndarray, batch_size: int = 512) -> np.ndarray:
    """The model's outputs on ``inputs`` as one NumPy array, from eager calls in inference mode (no predict
    function to trace); several outputs are concatenated on the last axis."""

    def call(batch):
        out = model(batch, training=False)
        if isinstance(out, list | tuple):
            return np.concatenate([np.asarray(o) for o in out], axis=-1)
        return np.asarray(out)

    return np.concatenate([call(inputs[i:i + batch_size]) for i in range(0, len(inputs), batch_size)])


class Trainers:
    """Compiled models shared by the runs with the same ``key`` (architecture and loss)."""

    def __init__(self) -> None:
        self._compiled: dict[Hashable, keras.Model] = {}

    def train(
        self,
        key: Hashable,
        build: Callable[[], keras.Model],
        loss: object,
        inputs: np.ndarray,
        targets: np.ndarray,
        *,
        learning_rate: float,
        seed: int,
        steps: int,
        batch_size: int,
        validate: Callable[[keras.Model], float],
        points: int = 6,
        sample_weight: np.ndarray | None = None,
    ) -> tuple[keras.Model, list[int], list[float]]:
        """Train a model made by ``build()`` after ``seed_everything(seed)`` with Adam at ``learning_rate`` for
        ``steps`` mini-batches of ``batch_size`` (shuffled with ``seed``, the data repeated as needed), reading
        ``validate(model)`` every ``steps // points`` steps. Returns the trained model, the steps and the readings."""
        steps, batch_size, points = (positive_int(name, value) for name, value in
                                     (("steps", steps), ("batch_size", batch_size), ("points", points)))
        if steps < points:
            raise ValueError(f"steps must be at least points ({points}); got {steps}")
        if len(inputs) != len(targets):
            raise ValueError(f"inputs and targets must have as many rows; got {len(inputs)} and {len(targets)}")
        seed_everything(seed)
        model = build()  # this run's initial weights
        if key not in self._compiled:
            trainer = build()
            trainer.compile(optimizer=keras.optimizers.Adam(), loss=loss)
            trainer.optimizer.build(trainer.trainable_variables)
            self._compiled[key] = trainer
        trainer = self._compiled[key]
        trainer.set_weights(model.get_weights())
        for variable in trainer.optimizer.variables:  # a fresh Adam: zero moments and step count
            variable.assign(keras.ops.zeros_like(variable))
        trainer.optimizer.learning_rate = learning_rate
        columns = (inputs, targets) if sample_weight is None else (inputs, targets, sample_weight)
        data = (tf.data.Dataset.from_tensor_slices(columns).shuffle(len(inputs), seed=seed)
                .repeat().batch(batch_size, drop_remainder=True))
        readings = _Readings(steps // points, validate)
        trainer.fit(data, steps_per_epoch=steps // points, epochs=points, verbose=0, shuffle=False,
                    callbacks=[readings])
        model.set_weights(trainer.get_weights())
        return model, readings.steps, readings.values


def forward_ms(models: list[keras.Model], inputs: np.ndarray, repeats: int = 30) -> float:
    """Median wall-clock milliseconds for one forward pass of every model in ``models`` on the batch ``inputs``
    (each model compiled into a graph and run once before timing)."""
    calls = [tf.function(lambda x, m=m: m(x, training=False)) for m in models]
    batch = tf.constant(inputs)
    for call in calls:
        call(batch)
    times = []
    for _ in range(positive_int("repeats", repeats)):
        start = time.perf_counter()
        for call in calls:
            out = call(batch)
        np.asarray(tf.nest.flatten(out)[0])  # wait for the last result
        times.append(1000 * (time.perf_counter() - start))
    return float(np.median(times))
