"""The case's variants, trained from the same seed and budget; learning-rate sweeps chosen on validation; seeds.

Each run predicts on the validation and the test inputs, with the std split into aleatoric and epistemic parts.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np

from dlclinic.bnn_uncertainty.data import Split
from dlclinic.bnn_uncertainty.metrics import gaussian_nll, predictive_moments, score
from dlclinic.bnn_uncertainty.models import build_bnn, build_gaussian_net
from dlclinic.bnn_uncertainty.probability import tf_keras
from dlclinic.bnn_uncertainty.training import History, fit, sample_predictions
from dlclinic.checks import positive_int
from dlclinic.second_edition import best_learning_rate, summarise
from dlclinic.seeding import seed_everything


@dataclass(frozen=True)
class Variant:
    """A model of the case: what it is, how it is built (``kind``) and the builder's keyword arguments."""

    description: str
    kind: str  # "bnn", "plain", "dropout" or "ensemble"
    options: Mapping = field(default_factory=dict)


VARIANTS = {
    "reporter": Variant("DenseVariational net, ReLU on the last layer (the report)", "bnn",
                        {"last_activation": "relu"}),
    "fixed": Variant("the same net with a linear last layer and a head scale of 1 (the fix)", "bnn",
                     {"head_scale": 1.0}),
    "floor_only": Variant("the fix with a ReLU on the std unit only (the floor, the mean left free)", "bnn",
                          {"last_activation": "relu_on_scale", "head_scale": 1.0}),
    "mc_dropout": Variant("plain net, dropout 0.1 kept on at prediction (Gal & Ghahramani 2016)", "dropout",
                          {"dropout": 0.1}),
    "deep_ensemble": Variant("five plain nets from different seeds, mixed (Lakshminarayanan et al. 2017)", "ensemble"),
    "no_uncertainty": Variant("plain net, fixed unit std (the blog's case 1: a mean-squared-error fit)", "plain",
                              {"heteroscedastic": False}),
    "aleatoric": Variant("plain net with a learnt std per input (the blog's case 2)", "plain"),
    "epistemic": Variant("DenseVariational net, fixed unit std (the blog's case 3)", "bnn", {"heteroscedastic": False}),
}
ENSEMBLE_SIZE = 5
BATCH_SIZE = 32
KL_RULES = ("1/N", "1/M", "1/(N*B)")


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


@dataclass
class Run:
    """One trained variant (the first member for an ensemble): its predictions on the validation and test inputs."""

    name: str
    seed: int
    learning_rate: float
    model: tf_keras.Model
    val: Prediction
    test: Prediction
    history: History
    changes: dict = field(default_factory=dict)

    def scores(self, split: Split) -> dict[str, float]:
        """The check-up scores on the test part."""
        return score(split.y_test, self.test.mean, self.test.std)

    def val_nll(self, split: Split) -> float:
        return gaussian_nll(split.y_val, self.val.mean, self.val.std)


def build(name: str, split: Split, hidden: Sequence[int] = (16, 16), **changes) -> tf_keras.Model:
    """The untrained model of :data:`VARIANTS` ``name`` for this split, with ``changes`` to its builder's arguments
    (``kl_rule="1/M"`` sets the KL weight by a rule of :func:`kl_weight_for`)."""
    if name not in VARIANTS:
        raise ValueError(f"name must be one of {sorted(VARIANTS)}; got {name!r}")
    variant, n_features, n_train = VARIANTS[name], split.x_train.shape[1], len(split.x_train)
    options = {**variant.options, **changes}
    if "kl_rule" in options:
        options["kl_weight"] = kl_weight_for(options.pop("kl_rule"), n_train)
    if variant.kind == "bnn":
        return build_bnn(n_features, n_train, hidden, **options)
    return build_gaussian_net(n_features, hidden, **options)


def train(
    name: str,
    split: Split,
    steps: int,
    seed: int,
    learning_rate: float = 0.01,
    hidden: Sequence[int] = (16, 16),
    n_samples: int = 100,
    **changes,
) -> Run:
    """Seed, build, train ``steps`` Adam steps on the NLL (+ KL) and predict on the validation and test inputs.

    Variational nets and MC dropout are sampled ``n_samples`` times; the ensemble mixes its members.
    """
    if name not in VARIANTS:
        raise ValueError(f"name must be one of {sorted(VARIANTS)}; got {name!r}")
    steps, n_samples = positive_int("steps", steps), positive_int("n_samples", n_samples)
    kind = VARIANTS[name].kind
    members = ENSEMBLE_SIZE if kind == "ensemble" else 1
    x_eval = np.concatenate([split.x_val, split.x_test])
    mus, sigmas, models, histories = [], [], [], []
    for member in range(members):
        seed_everything(seed + 1000 * member)
        model = build(name, split, hidden, **changes)
        histories.append(fit(model, split.x_train, split.y_train, steps, BATCH_SIZE, learning_rate))
        mu, sigma = sample_predictions(model, x_eval, n_samples if kind in ("bnn", "dropout") else 1,
                                       training=kind == "dropout")
        mus.append(mu)
        sigmas.append(sigma)
        models.append(model)
    mu, sigma, n_val = np.concatenate(mus), np.concatenate(sigmas), len(split.x_val)
    return Run(name, seed, learning_rate, models[0], Prediction.from_samples(mu[:, :n_val], sigma[:, :n_val]),
               Prediction.from_samples(mu[:, n_val:], sigma[:, n_val:]), histories[0], dict(changes))


def sweep(
    name: str, split: Split, steps: int, seed: int, learning_rates: Sequence[float], **kwargs
) -> tuple[Run, dict[float, float]]:
    """Train at each learning rate; return the run with the best validation NLL and {rate: validation NLL}."""
    runs = {rate: train(name, split, steps, seed, rate, **kwargs) for rate in learning_rates}
    by_rate = {rate: run.val_nll(split) for rate, run in runs.items()}
    rate, _ = best_learning_rate(by_rate, lower_is_better=True)
    return runs[rate], by_rate


def over_seeds(runs: Sequence[Run], split: Split) -> dict[str, tuple[float, float]]:
    """Each check-up score as (mean, spread) over the runs (one per seed)."""
    scores = [run.scores(split) for run in runs]
    return {key: summarise([s[key] for s in scores]) for key in scores[0]}


def sweep_then_seeds(
    name: str, split: Split, steps: int, seeds: Sequence[int], learning_rates: Sequence[float], **kwargs
) -> list[Run]:
    """Sweep the learning rate at the first seed (chosen on validation NLL), then repeat that rate at the others.

    Returns one run per seed, the swept one first.
    """
    if not seeds:
        raise ValueError("seeds must hold at least one seed")
    best, _ = sweep(name, split, steps, seeds[0], learning_rates, **kwargs)
    return [best] + [train(name, split, steps, s, best.learning_rate, **kwargs) for s in seeds[1:]]
