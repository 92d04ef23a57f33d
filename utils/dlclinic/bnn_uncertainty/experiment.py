"""Train the case's models on one split from the same seed and budget; predict with aleatoric/epistemic parts."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from dlclinic.bnn_uncertainty.data import Split
from dlclinic.bnn_uncertainty.models import build_bnn, build_gaussian_net
from dlclinic.bnn_uncertainty.probability import tf_keras
from dlclinic.bnn_uncertainty.metrics import predictive_moments, score
from dlclinic.bnn_uncertainty.training import History, fit, sample_predictions
from dlclinic.checks import positive_int
from dlclinic.seeding import seed_everything

VARIANTS = {
    "reporter": "DenseVariational net, relu on the last layer (the report)",
    "fixed": "the same net with a linear last layer",
    "floor_only": "the same net with a ReLU on the std unit only (the floor, the mean left free)",
    "mc_dropout": "plain net with dropout 0.1 kept on at prediction (Gal & Ghahramani 2016)",
    "deep_ensemble": "five plain nets from different seeds, mixed (Lakshminarayanan et al. 2017)",
    "no_uncertainty": "plain net, fixed unit std (the blog's case 1: a mean-squared-error fit)",
    "aleatoric": "plain net with a learnt std per input (the blog's case 2)",
    "epistemic": "DenseVariational net, fixed unit std (the blog's case 3)",
}
ENSEMBLE_SIZE = 5


@dataclass
class Prediction:
    """Predictive mean and std at the test inputs, with the std split as σ² = aleatoric² + epistemic²."""

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
    """A trained model (the first member for an ensemble), its prediction on the test inputs and its history."""

    name: str
    model: tf_keras.Model
    prediction: Prediction
    history: History
    extra: dict = field(default_factory=dict)

    def scores(self, split: Split) -> dict[str, float]:
        return score(split.y_test, self.prediction.mean, self.prediction.std)


def build(name: str, split: Split, hidden: tuple[int, ...], kl_multiplier: float = 1.0) -> tf_keras.Model:
    """The untrained model of :data:`VARIANTS` ``name`` for this split's inputs."""
    n_features, n_train = split.x_train.shape[1], len(split.x_train)
    if name in ("reporter", "fixed", "floor_only", "epistemic"):
        last = {"reporter": "relu", "floor_only": "relu_on_scale"}.get(name)
        return build_bnn(n_features, n_train, hidden, last_activation=last,
                         heteroscedastic=name != "epistemic", kl_multiplier=kl_multiplier)
    return build_gaussian_net(n_features, hidden, dropout=0.1 if name == "mc_dropout" else 0.0,
                              heteroscedastic=name != "no_uncertainty")


def train_model(
    name: str,
    split: Split,
    steps: int,
    seed: int,
    hidden: tuple[int, ...] = (16, 16),
    kl_multiplier: float = 1.0,
    n_samples: int = 100,
) -> Run:
    """Seed, build, train ``steps`` Adam steps on the NLL (+ KL) and predict on ``split.x_test``.

    Variational nets and MC dropout are sampled ``n_samples`` times; the ensemble mixes its members.
    """
    if name not in VARIANTS:
        raise ValueError(f"name must be one of {sorted(VARIANTS)}; got {name!r}")
    steps, n_samples = positive_int("steps", steps), positive_int("n_samples", n_samples)
    members = ENSEMBLE_SIZE if name == "deep_ensemble" else 1
    mus, sigmas, models, histories = [], [], [], []
    for member in range(members):
        seed_everything(seed + member)
        model = build(name, split, hidden, kl_multiplier)
        histories.append(fit(model, split.x_train, split.y_train, steps))
        sampled = name in ("reporter", "fixed", "floor_only", "epistemic", "mc_dropout")
        mu, sigma = sample_predictions(model, split.x_test, n_samples if sampled else 1,
                                       training=name == "mc_dropout")
        mus.append(mu)
        sigmas.append(sigma)
        models.append(model)
    prediction = Prediction.from_samples(np.concatenate(mus), np.concatenate(sigmas))
    return Run(name, models[0], prediction, histories[0], {"members": models})
