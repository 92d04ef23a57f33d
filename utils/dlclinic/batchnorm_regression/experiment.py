"""The case's variants (one change each from the reporter's setup), trained on the same data and budget, with
a learning-rate sweep per variant (picked on validation) and repeats over seeds."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from dlclinic import second_edition as differential
from dlclinic.backend import keras
from dlclinic.batchnorm_regression.data import Scenes
from dlclinic.batchnorm_regression.diagnosis import OutputLayerTracker
from dlclinic.batchnorm_regression.metrics import count_mae, nmse
from dlclinic.batchnorm_regression.models import build_density_net
from dlclinic.batchnorm_regression.treatments import MaxScaler, ScaledTargetModel, TargetScaler
from dlclinic.progress import EpochBar
from dlclinic.second_edition import best_learning_rate, summarise
from dlclinic.seeding import seed_everything

VARIANTS = {
    "reporter_bn": "BN after every hidden conv, raw targets (the report)",
    "no_bn": "no BatchNorm",
    "no_last_bn": "BN removed from the last hidden layer only",
    "bn_momentum_099": "BN momentum 0.99 (Keras' default) instead of 0.9",
    "bn_no_gamma": "BatchNormalization(scale=False): no γ, as tf.contrib's batch_norm",
    "bn_output_bias": "output bias at mean(y), zero kernel",
    "bn_output_init": "output layer initialised at the targets' scale (bias mean(y), kernel std(y)/√16)",
    "bn_output_scale": "a learnable output scale, started at std(y)",
    "bn_max_scaled": "targets divided by the training max (the thread's answer)",
    "bn_standardised": "targets standardised on the training set (the fix)",
}
LEARNING_RATES = (1e-5, 1e-4, 1e-3)


@dataclass
class Run:
    """One trained variant: its model, test predictions in target units, per-epoch validation NMSE, training
    loss (in the units it was trained on) and, when tracked, the output layer's update and gradient traces."""

    name: str
    learning_rate: float
    seed: int
    model: keras.Model
    predictions: np.ndarray
    val_nmse: list[float] = field(default_factory=list)
    train_loss: list[float] = field(default_factory=list)
    tracker: OutputLayerTracker | None = None

    def scores(self, test: Scenes) -> dict[str, float]:
        """NMSE and count MAE on ``test``."""
        return {"nmse": nmse(test.maps, self.predictions), "count_mae": count_mae(test.maps, self.predictions)}


class ValidationNMSE(keras.callbacks.Callback):
    """Record the NMSE on validation maps, in target units, at the end of each epoch."""

    def __init__(self, predict, val: Scenes) -> None:
        super().__init__()
        self.predict_fn, self.val, self.history = predict, val, []

    def on_epoch_end(self, epoch, logs=None) -> None:
        self.history.append(nmse(self.val.maps, self.predict_fn(self.val.images)))


def variant_options(name: str, train: Scenes) -> dict[str, object]:
    """The keyword arguments of :func:`build_density_net` that make variant ``name`` (one change each)."""
    if name not in VARIANTS:
        raise ValueError(f"name must be one of {sorted(VARIANTS)}; got {name!r}")
    mean, std = float(train.maps.mean()), float(train.maps.std())
    return {
        "no_bn": {"batchnorm": False},
        "no_last_bn": {"bn_last": False},
        "bn_momentum_099": {"bn_momentum": 0.99},
        "bn_no_gamma": {"bn_scale": False},
        "bn_output_bias": {"output_init": (mean, 0.0)},
        "bn_output_init": {"output_init": (mean, std)},
        "bn_output_scale": {"output_scale": std},
    }.get(name, {})


def build_variant(name: str, train: Scenes, learning_rate: float) -> tuple[keras.Model, object]:
    """The compiled model of variant ``name`` and what to call ``fit``/``predict`` on (model or scaled wrapper)."""
    options = variant_options(name, train)
    model = build_density_net(train.images.shape[1], learning_rate=learning_rate, **options)
    if name == "bn_standardised":
        return model, ScaledTargetModel(model, TargetScaler())
    if name == "bn_max_scaled":
        return model, ScaledTargetModel(model, MaxScaler())
    return model, model


# With ``shared=True`` variants whose nets differ only in their initial weights (or their targets) train in one
# compiled model: the run's freshly built weights are copied in and its optimizer is reset, so no training step is
# traced again (quick mode; each training is short enough that tracing is a large share of its cost).
_COMPILED: dict[tuple, keras.Model] = {}


def _shared_net(name: str, train: Scenes, model: keras.Model, learning_rate: float) -> keras.Model:
    """The compiled net of ``name``'s architecture, holding ``model``'s weights, Adam reset to ``learning_rate``."""
    options = variant_options(name, train)
    # the output layer's initial values and the output scale's start are weights, not the architecture
    architecture = {k: True if k == "output_scale" else v for k, v in options.items() if k != "output_init"}
    key = (train.images.shape[1:], tuple(sorted(architecture.items())))
    net = _COMPILED.setdefault(key, model)
    if net is not model:
        net.set_weights(model.get_weights())
        for variable in net.optimizer.variables:  # iterations, Adam's moments, the learning rate
            variable.assign(np.zeros(variable.shape, variable.dtype))
        next(v for v in net.optimizer.variables if v.name == "learning_rate").assign(learning_rate)
    return net


def train_variant(
    name: str,
    train: Scenes,
    val: Scenes,
    test: Scenes,
    epochs: int,
    seed: int,
    learning_rate: float = 1e-3,
    batch_size: int = 32,
    track: bool = False,
    shared: bool = False,
) -> Run:
    """Build, train and evaluate one of :data:`VARIANTS` from ``seed``; ``track`` records the output layer.
    ``shared``: train in the compiled model of the same architecture, if one exists (no new trace; quick mode)."""
    seed_everything(seed)
    model, fitter = build_variant(name, train, learning_rate)
    net = _shared_net(name, train, model, learning_rate) if shared else model
    if net is not model:
        fitter = ScaledTargetModel(net, fitter.scaler) if isinstance(fitter, ScaledTargetModel) else net

    def predict(images: np.ndarray) -> np.ndarray:  # eager calls in inference mode: no predict function to trace
        outputs = np.concatenate([np.asarray(net(images[i:i + 256], training=False))
                                  for i in range(0, len(images), 256)])
        return fitter.scaler.inverse_transform(outputs) if isinstance(fitter, ScaledTargetModel) else outputs

    callbacks = [ValidationNMSE(predict, val), EpochBar(epochs, f"{name} lr={learning_rate:g} seed={seed}")]
    tracker = None
    if track:
        probe_y = train.maps[:32]
        if isinstance(fitter, ScaledTargetModel):
            probe_y = fitter.scaler.fit(train.maps).transform(probe_y).astype("float32")
        tracker = OutputLayerTracker(train.images[:32], probe_y, every=10)
        callbacks.append(tracker)
    history = fitter.fit(train.images, train.maps, batch_size=batch_size, epochs=epochs, verbose=0, callbacks=callbacks)
    predictions = predict(test.images)
    if shared:  # the shared net trains the next run: keep this run's weights in a model of its own
        if net is model:
            model = keras.models.clone_model(net)
        model.set_weights(net.get_weights())
    return Run(name, learning_rate, seed, model, predictions, callbacks[0].history, history.history["loss"], tracker)


class Treatment(differential.Treatment[Run]):
    """A row after its sweep (:class:`dlclinic.differential.Treatment`) and its test metrics."""

    def test_nmse(self, test: Scenes) -> tuple[float, float]:
        """Mean and spread over seeds of the test NMSE at the picked rate."""
        return summarise([nmse(test.maps, run.predictions) for run in self.seed_runs])

    def test_scores(self, test: Scenes) -> dict[str, float]:
        """Test NMSE and count MAE, means over seeds at the picked rate."""
        scores = [run.scores(test) for run in self.seed_runs]
        return {key: float(np.mean([s[key] for s in scores])) for key in scores[0]}


def sweep_variant(
    name: str,
    data: tuple[Scenes, Scenes, Scenes],
    epochs: int,
    batch_size: int,
    rates: Sequence[float],
    seeds: Sequence[int],
    track_rate: float | None = None,
    shared: bool = False,
) -> Treatment:
    """Train ``name`` at each rate (first seed), pick the rate with the lowest final validation NMSE, then
    repeat it over the other ``seeds``. ``track_rate``: the rate whose run records the output layer;
    ``shared``: see :func:`train_variant`."""
    if not rates or not seeds:
        raise ValueError("rates and seeds must each hold at least one value")
    train, val, test = data
    by_rate = {
        rate: train_variant(name, train, val, test, epochs, seeds[0], rate, batch_size, rate == track_rate, shared)
        for rate in rates
    }
    best, _ = best_learning_rate({rate: run.val_nmse[-1] for rate, run in by_rate.items()}, lower_is_better=True)
    extra = [train_variant(name, train, val, test, epochs, seed, best, batch_size, shared=shared) for seed in seeds[1:]]
    return Treatment(name, by_rate, best, [by_rate[best], *extra])
