"""One training run of the case's differential: a net from the page's builder, trained for a fixed number of
optimiser steps on the raw or scaled maps, and measured at checkpoints along the way (validation NMSE in the
maps' units, and the quantities of the mechanism: the output-scale ratio, the output kernel's norm, the last
BatchNorm's γ and β, the spread of the features that reach the output layer and the kernel's alignment with
them). :func:`train_run` returns it as the shared runner's :class:`~dlclinic.differential.Fit`.

Two runs at a time on the two CPU cores, the shared runner none the wiser: TensorFlow runs a compiled training
loop without Python's lock, and on these small convolutions one thread per run does more work per CPU second
than two threads on one run (measured: about 17 against 26 CPU ms per step). So :func:`one_thread_per_op`
makes each operation single-threaded (call it before TensorFlow runs anything), and a :class:`RunPool` trains
runs on worker threads, remembered by ``(row, learning rate, seed)``. A row's :meth:`RunPool.trainer` is the
``train(learning_rate, seed)`` that :meth:`dlclinic.differential.Differential.train` calls one run after another;
it queues the row's first-seed grid runs at once, and all the other seeds of a rate as soon as the runner asks
for one of them (the pick is then final), so both workers stay busy. Runs stay deterministic: each run seeds and
builds its net under :data:`BUILD_LOCK` (seeding is global), and nothing after that depends on another run.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from functools import partial

import numpy as np

from dlclinic.backend import keras, tf
from dlclinic.batchnorm_regression.data import Scenes
from dlclinic.batchnorm_regression.diagnosis import decompose, last_batchnorm, output_features, output_layer
from dlclinic.batchnorm_regression.metrics import count_mae, nmse
from dlclinic.checks import positive_int
from dlclinic.differential import Fit, Grid
from dlclinic.seeding import seed_everything

BUILD_LOCK = threading.Lock()  # held by a run while it seeds and builds its net
CONSTANT_RATIO = 0.01  # predictions whose spread is below 1 % of the targets' ignore the input
FACTOR_SCENES = 128  # validation scenes on which the factors are measured in batch-statistics mode
TEST_NMSE, COUNT_MAE = "test NMSE", "count MAE"
CURVES = ("nmse", "nmse_batch_statistics", "output_scale_ratio", "kernel_norm", "gamma", "beta", "feature_std",
          "alignment")


@dataclass
class Curves:
    """The mechanism over training: at each checkpoint step, on the validation scenes in inference mode."""

    steps: list[int] = field(default_factory=list)
    values: dict[str, list[float | None]] = field(default_factory=lambda: {key: [] for key in CURVES})

    def add(self, step: int, measured: dict[str, float | None]) -> None:
        self.steps.append(int(step))
        for key in CURVES:
            self.values[key].append(measured[key])

    def record(self) -> dict:
        """``steps`` and one list per quantity, ``None`` where it does not apply (γ, β without BatchNorm) or the
        run diverged."""
        clean = {key: [None if v is None or not math.isfinite(v) else float(v) for v in values]
                 for key, values in self.values.items()}
        return {"steps": list(self.steps), **clean}


@dataclass
class RunDetail:
    """What the case keeps from a run beyond the runner's numbers: its curves and its test maps."""

    curves: Curves
    predictions: np.ndarray


class Identity:
    """No target scaling (the reporter's raw maps)."""

    def fit(self, y: object) -> Identity:
        return self

    def transform(self, y: object) -> np.ndarray:
        return np.asarray(y)

    def inverse_transform(self, z: object) -> np.ndarray:
        return np.asarray(z)


def checkpoints(steps: int, points: int = 16) -> list[int]:
    """Step 0 (before training), then about ``points`` log-spaced steps from about ``steps / 100`` to ``steps``
    (the last); at least six in all."""
    steps, points = positive_int("steps", steps), positive_int("points", points)
    if steps < 5 or points < 5:
        raise ValueError(f"steps and points must each be at least 5; got {steps} and {points}")
    spaced = np.geomspace(max(1, steps // 100), steps, points).round().astype(int)
    found = sorted(set(spaced.tolist()) | {steps})
    if len(found) < 5:
        found = np.linspace(1, steps, 5).round().astype(int).tolist()
    return [0, *found]


def batch_order(n: int, steps: int, batch_size: int, seed: int) -> np.ndarray:
    """(steps, batch_size) training indices: shuffled epochs from ``seed``, one after another."""
    rng = np.random.default_rng(seed)
    epochs = math.ceil(steps * batch_size / n)
    return np.concatenate([rng.permutation(n) for _ in range(epochs)])[: steps * batch_size].reshape(steps, batch_size)


def step_function(model: keras.Model) -> Callable:
    """A compiled loop of ``model.train_step`` (what ``fit`` runs per batch) over stacked batches (k, b, …)."""
    spec = tf.TensorSpec([None, None, *model.input_shape[1:]], tf.float32)

    @tf.function(input_signature=[spec, spec], reduce_retracing=True)
    def train(xs, ys):
        for i in tf.range(tf.shape(xs)[0]):
            model.train_step((xs[i], ys[i]))

    return train


def _nmse(maps: np.ndarray, predictions: np.ndarray) -> float:
    return nmse(maps, predictions) if np.all(np.isfinite(predictions)) else math.nan


def predict_maps(model: keras.Model, images: np.ndarray, scaler, batch_size: int = 256) -> np.ndarray:
    """``model``'s maps for ``images`` in inference mode, in map units (``scaler``'s inverse applied)."""
    outputs = [np.asarray(model(images[i:i + batch_size], training=False)) for i in range(0, len(images), batch_size)]
    return np.asarray(scaler.inverse_transform(np.concatenate(outputs)))


def measure(model: keras.Model, scenes: Scenes, scaler) -> dict[str, float | None]:
    """The curves' quantities for ``model`` on ``scenes`` (:data:`CURVES`). NMSE and the output-scale ratio are
    the net's predictions (inference mode: BatchNorm's moving statistics); the output kernel's norm, the
    features' spread, the alignment and ``nmse_batch_statistics`` are measured as the optimiser sees the net
    (the first :data:`FACTOR_SCENES` scenes in batches of 64, each normalised with its own statistics, moving
    statistics left as they were), so the moving averages' lag does not blur them and the gap between the two
    NMSEs measures that lag."""
    predictions = predict_maps(model, scenes.images, scaler)
    measured = dict.fromkeys(CURVES, math.nan) | last_batchnorm(model)
    if not np.all(np.isfinite(predictions)):
        return measured
    measured.update(nmse=_nmse(scenes.maps, predictions),
                    output_scale_ratio=float(np.std(predictions) / np.std(scenes.maps)))
    maps = scenes.maps[:FACTOR_SCENES]
    features = output_features(model, scenes.images[:FACTOR_SCENES], training=True)
    if np.all(np.isfinite(features)):
        layer = output_layer(model)
        factors = decompose(features, np.asarray(layer.kernel))
        batch_outputs = features @ np.asarray(layer.kernel).reshape(-1, 1) + np.asarray(layer.bias)
        batch_maps = np.asarray(scaler.inverse_transform(batch_outputs)).reshape(maps.shape)
        measured.update(kernel_norm=factors["kernel_norm"], feature_std=factors["feature_std"],
                        alignment=factors["alignment"], nmse_batch_statistics=_nmse(maps, batch_maps))
    return measured


def train_run(
    build: Callable[[], keras.Model],
    data: tuple[Scenes, Scenes, Scenes],
    steps: int,
    batch_size: int,
    seed: int,
    scaler: type | None = None,
    points: int = 14,
) -> Fit:
    """Seed, build the compiled net (``build()``), fit ``scaler`` (a class: ``TargetScaler`` …, or ``None`` for
    the raw maps) on the training maps, and train ``steps`` optimiser steps of ``batch_size`` scenes, measuring
    the validation scenes at :func:`checkpoints`. A run whose validation output stops being finite stops there.
    Returns the runner's ``Fit``: validation NMSE over steps, test NMSE and count MAE, the constant-output flag
    and, as ``detail``, the :class:`RunDetail`."""
    train, val, test = data
    with BUILD_LOCK:  # seeding is global: one run at a time seeds and builds (runs.RunPool trains two at once)
        seed_everything(seed)
        model = build()
    run_steps = step_function(model)
    fitted = (scaler or Identity)().fit(train.maps)
    targets = np.asarray(fitted.transform(train.maps), dtype="float32")
    order = batch_order(len(train), steps, batch_size, seed)
    curves, done = Curves(), 0
    for step in checkpoints(steps, points):
        if step > done:
            chunk = order[done:step]
            run_steps(tf.constant(train.images[chunk]), tf.constant(targets[chunk]))
            done = step
        measured = measure(model, val, fitted)
        curves.add(step, measured)
        if not math.isfinite(measured["nmse"]):
            break
    predictions = predict_maps(model, test.images, fitted)
    finite = bool(np.all(np.isfinite(predictions)))
    scores = {TEST_NMSE: _nmse(test.maps, predictions),
              COUNT_MAE: count_mae(test.maps, predictions) if finite else math.nan}
    constant = finite and float(np.std(predictions)) < CONSTANT_RATIO * float(np.std(test.maps))
    return Fit(seed, compiled_rate(model), curves.steps, curves.values["nmse"], scores, constant,
               RunDetail(curves, predictions.astype("float32")))


def compiled_rate(model: keras.Model) -> float:
    """The learning rate ``model`` was compiled with."""
    return float(np.asarray(model.optimizer.learning_rate))


def one_thread_per_op(workers: int = 2) -> None:
    """Single-threaded TensorFlow ops, ``workers`` graphs at a time; only before TensorFlow has run an op."""
    try:
        tf.config.threading.set_intra_op_parallelism_threads(1)
        tf.config.threading.set_inter_op_parallelism_threads(workers)
    except RuntimeError as error:
        raise RuntimeError("one_thread_per_op must run before TensorFlow's first operation (restart the kernel and "
                           "call it right after the imports)") from error


class RunPool:
    """Runs keyed by ``(row, learning rate, seed)``, trained on ``workers`` threads, each run once."""

    def __init__(self, workers: int = 2) -> None:
        self.executor = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="run")
        self.futures: dict[tuple, Future] = {}
        self.lock = threading.Lock()

    def submit(self, key: tuple, run: Callable[[], Fit]) -> Future:
        """Queue ``run`` under ``key`` unless it is already queued or done."""
        with self.lock:
            if key not in self.futures:
                self.futures[key] = self.executor.submit(run)
            return self.futures[key]

    def trainer(self, name: str, train: Callable[[float | None, int], Fit], seeds: Sequence[int],
                grid: Grid | None) -> Callable[[float | None, int], Fit]:
        """Row ``name``'s train function for the runner, its grid's first-seed runs queued now."""
        if not seeds:
            raise ValueError("seeds must hold at least one seed")
        for rate in grid.rates if grid is not None else [None]:
            self.submit((name, rate, seeds[0]), partial(train, rate, seeds[0]))

        def pooled(rate: float | None, seed: int) -> Fit:
            if seed != seeds[0]:  # the runner asks for the other seeds only at its final pick: queue them all
                for other in seeds[1:]:
                    self.submit((name, rate, other), partial(train, rate, other))
            return self.submit((name, rate, seed), partial(train, rate, seed)).result()

        return pooled

    def close(self) -> None:
        """Wait for the queued runs and stop the workers."""
        self.executor.shutdown(wait=True)
