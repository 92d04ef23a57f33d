"""The case's training runs, as the shared differential runner sees them.

A run builds a model (``make(learning_rate)``: the page's builder, or a baseline's), trains it in chunks and
predicts the validation and test inputs after each chunk, so the runner gets the validation NLL over steps (its
convergence check) and the case keeps the predictions, the training history and, for a variational net, its
KL parts. :class:`Runs` memoises runs by (row, learning rate, seed): a deep ensemble's members are the runs of
its member row with seeds ``seed + 1000·m``, so the ensemble and its member row share their first member.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np

from dlclinic.bnn_uncertainty.data import Split
from dlclinic.bnn_uncertainty.diagnosis import kl_parts
from dlclinic.bnn_uncertainty.metrics import gaussian_nll, predictive_moments, score
from dlclinic.bnn_uncertainty.probability import tf_keras, tfp
from dlclinic.bnn_uncertainty.training import History, fit, negative_loglikelihood, sample_predictions
from dlclinic.checks import positive_int, positive_number
from dlclinic.differential import Fit
from dlclinic.seeding import seed_everything

ENSEMBLE_SIZE = 5
BATCH_SIZE = 32
KL_RULES = ("1/N", "1/M", "1/(N*B)")
METRIC = "test NLL"  # the differential's metric: mean Gaussian NLL on the test points, in nats


def kl_weight_for(rule: str, n_train: int, batch_size: int = BATCH_SIZE) -> float:
    """The KL weight a rule gives: 1/N (per example), 1/M (M = ⌈N/B⌉ batches), 1/(N·B) (divided by B twice)."""
    if rule not in KL_RULES:
        raise ValueError(f"rule must be one of {KL_RULES}; got {rule!r}")
    return {"1/N": 1 / n_train, "1/M": 1 / math.ceil(n_train / batch_size), "1/(N*B)": 1 / (n_train * batch_size)}[rule]


@dataclass
class Prediction:
    """Predictive mean and std at some inputs, with the std split as σ² = aleatoric² + epistemic²."""

    mean: np.ndarray
    std: np.ndarray
    aleatoric: np.ndarray
    epistemic: np.ndarray

    @classmethod
    def from_samples(cls, mu: np.ndarray, sigma: np.ndarray) -> Prediction:
        mean, std = predictive_moments(mu, sigma)
        return cls(mean, std, np.sqrt(np.mean(sigma**2, axis=0)), mu.std(axis=0))

    @classmethod
    def mix(cls, members: Sequence[Prediction]) -> Prediction:
        """The equally weighted mixture of several predictions (an ensemble), by the law of total variance."""
        means = np.stack([p.mean for p in members])
        spread = means.var(axis=0)
        return cls(means.mean(axis=0), np.sqrt(np.mean([p.std**2 for p in members], axis=0) + spread),
                   np.sqrt(np.mean([p.aleatoric**2 for p in members], axis=0)),
                   np.sqrt(np.mean([p.epistemic**2 for p in members], axis=0) + spread))

    def part(self, rows: slice) -> Prediction:
        return Prediction(self.mean[rows], self.std[rows], self.aleatoric[rows], self.epistemic[rows])


@dataclass
class Outcome:
    """What a run keeps. ``val_nll`` at each checkpoint is the mean validation NLL over the evaluations of the
    window that ends there (a quieter curve for the runner's rate pick and convergence check than one evaluation
    of a net still moving with each mini-batch); ``test_nll`` is the test NLL at each checkpoint. ``evals`` are the
    validation predictions of every evaluation, ``tests`` the test predictions at the checkpoints (both with few
    draws), ``val`` and ``test`` the final predictions; ``history`` the per-step training loss (mean NLL of the
    batch, weighted KL); ``kl`` a variational net's KL parts at the end."""

    steps: list[int]
    val_nll: list[float]
    test_nll: list[float]
    evals: list[Prediction]
    tests: list[Prediction]
    val: Prediction
    test: Prediction
    history: History
    kl: dict | None = None
    model: tf_keras.Model | None = field(default=None, repr=False)
    recalibration: dict | None = None


def is_variational(model: tf_keras.Model) -> bool:
    return any(isinstance(layer, tfp.layers.DenseVariational) for layer in model.layers)


def has_dropout(model: tf_keras.Model) -> bool:
    return any(isinstance(layer, tf_keras.layers.Dropout) for layer in model.layers)


def checkpoint_steps(steps: int, checkpoints: int) -> list[int]:
    """``checkpoints`` step counts evenly spaced up to ``steps`` (the runner's convergence check needs ≥ 5)."""
    steps, checkpoints = positive_int("steps", steps), positive_int("checkpoints", checkpoints)
    if checkpoints > steps:
        raise ValueError(f"checkpoints ({checkpoints}) must not exceed steps ({steps})")
    return [round(steps * (k + 1) / checkpoints) for k in range(checkpoints)]


def _window_means(split: Split, evals: Sequence[Prediction], checkpoints: int) -> list[float]:
    per_window = len(evals) // checkpoints
    nlls = [_nll(split.y_val, p) for p in evals]
    return [float(np.mean(nlls[k * per_window:(k + 1) * per_window])) for k in range(checkpoints)]


def train_model(
    make: Callable[[float], tf_keras.Model],
    split: Split,
    steps: int,
    seed: int,
    learning_rate: float,
    n_samples: int = 100,
    checkpoints: int = 5,
    per_window: int = 4,
    n_eval: int = 32,
    keep_model: bool = False,
) -> Outcome:
    """Seed, build ``make(learning_rate)`` and train it ``steps`` Adam steps, evaluating the validation inputs
    ``per_window`` times in each of ``checkpoints`` windows (``n_eval`` draws) and the test inputs at the end of
    each; the final predictions use ``n_samples`` draws for a variational or dropout net (dropout on).

    A model that ``make`` did not compile is compiled with Adam at ``learning_rate`` on the NLL.
    """
    learning_rate = positive_number("learning_rate", learning_rate)
    n_samples, n_eval, per_window = (positive_int(n, v) for n, v in
                                     (("n_samples", n_samples), ("n_eval", n_eval), ("per_window", per_window)))
    marks = checkpoint_steps(steps, checkpoints * per_window)
    seed_everything(seed)
    model = make(learning_rate)
    if getattr(model, "optimizer", None) is None:
        model.compile(optimizer=tf_keras.optimizers.Adam(learning_rate), loss=negative_loglikelihood)
    dropout = has_dropout(model)
    stochastic = dropout or is_variational(model)

    x_eval, n_val = np.concatenate([split.x_val, split.x_test]), len(split.x_val)

    def predict(draws: int) -> tuple[Prediction, Prediction]:  # one input shape: the sampler is traced once
        both = Prediction.from_samples(*sample_predictions(model, x_eval, draws if stochastic else 1, training=dropout))
        return both.part(slice(0, n_val)), both.part(slice(n_val, None))

    histories, evals, tests, done = [], [], [], 0
    for k, mark in enumerate(marks):
        histories.append(fit(model, split.x_train, split.y_train, mark - done, BATCH_SIZE))
        done = mark
        val, test = predict(n_eval)
        evals.append(val)
        if (k + 1) % per_window == 0:
            tests.append(test)
    history = History(np.concatenate([h.nll for h in histories]), np.concatenate([h.kl for h in histories]))
    val, test = predict(n_samples)
    return Outcome(marks[per_window - 1::per_window], _window_means(split, evals, checkpoints),
                   [_nll(split.y_test, p) for p in tests], evals, tests, val, test, history,
                   kl_parts(model) if is_variational(model) else None, model if keep_model else None)


def _nll(y: np.ndarray, prediction: Prediction) -> float:
    std = prediction.std
    if not (np.all(np.isfinite(std)) and np.all(np.isfinite(prediction.mean)) and np.all(std > 0)):
        return math.nan
    return gaussian_nll(y, prediction.mean, std)


def mixed(members: Sequence[Outcome], split: Split) -> Outcome:
    """The ensemble of ``members`` (trained alike): their predictions mixed at every evaluation."""
    first = members[0]
    evals = [Prediction.mix([m.evals[k] for m in members]) for k in range(len(first.evals))]
    tests = [Prediction.mix([m.tests[k] for m in members]) for k in range(len(first.tests))]
    return Outcome(first.steps, _window_means(split, evals, len(first.steps)), [_nll(split.y_test, p) for p in tests],
                   evals, tests, Prediction.mix([m.val for m in members]), Prediction.mix([m.test for m in members]),
                   first.history)


def scores(split: Split, prediction: Prediction) -> dict[str, float]:
    """The check-up scores of a prediction on the test points (NaN where the prediction is not finite)."""
    finite = np.all(np.isfinite(prediction.mean)) and np.all(np.isfinite(prediction.std)) and np.all(prediction.std > 0)
    if not finite:
        return dict.fromkeys(("nll", "crps", "rmse", "picp95", "width95", "spearman", "min_std"), math.nan)
    return score(split.y_test, prediction.mean, prediction.std)


def as_fit(outcome: Outcome, split: Split, seed: int, learning_rate: float | None) -> Fit:
    """The runner's view of a run: validation NLL over steps, test scores (``test NLL`` and the check-up's)."""
    found = scores(split, outcome.test)
    constant = bool(np.ptp(outcome.test.mean) < 1e-6 and np.ptp(outcome.test.std) < 1e-6)
    return Fit(seed, learning_rate, outcome.steps, outcome.val_nll, {METRIC: found["nll"], **found}, constant, outcome)


class Runs:
    """Training runs on one split and budget, memoised by (row key, learning rate, seed)."""

    def __init__(self, split: Split, steps: int, n_samples: int = 100, checkpoints: int = 5,
                 per_window: int = 4) -> None:
        self.split, self.steps, self.n_samples = split, steps, n_samples
        self.checkpoints, self.per_window = checkpoints, per_window
        checkpoint_steps(steps, checkpoints * per_window)
        self.done: dict[tuple[str, float, int], Outcome] = {}

    def outcome(self, key: str, make: Callable[[float], tf_keras.Model], learning_rate: float, seed: int) -> Outcome:
        """The run of row ``key`` at this rate and seed, trained once."""
        index = (key, float(learning_rate), int(seed))
        if index not in self.done:
            self.done[index] = train_model(make, self.split, self.steps, seed, learning_rate, self.n_samples,
                                           self.checkpoints, self.per_window)
        return self.done[index]

    def trainer(self, key: str, make: Callable[[float], tf_keras.Model],
                rate: float | None = None) -> Callable[[float | None, int], Fit]:
        """``train(learning_rate, seed) -> Fit`` for the runner; ``rate`` fixes the rate of a row without a grid."""

        def train(learning_rate: float | None, seed: int) -> Fit:
            used = rate if learning_rate is None else learning_rate
            if used is None:
                raise ValueError(f"row {key!r} has no grid, so its trainer needs a fixed rate")
            return as_fit(self.outcome(key, make, used, seed), self.split, seed, used)

        return train

    def ensemble(self, key: str, make: Callable[[float], tf_keras.Model],
                 size: int = ENSEMBLE_SIZE) -> Callable[[float | None, int], Fit]:
        """``train(learning_rate, seed) -> Fit`` of a deep ensemble: ``size`` runs of row ``key`` (seeds
        ``seed + 1000·m``) at one rate, mixed."""
        size = positive_int("size", size)

        def train(learning_rate: float | None, seed: int) -> Fit:
            if learning_rate is None:
                raise ValueError("an ensemble's trainer needs a learning rate (give its row a grid)")
            members = [self.outcome(key, make, learning_rate, seed + 1000 * m) for m in range(size)]
            return as_fit(mixed(members, self.split), self.split, seed, learning_rate)

        return train
