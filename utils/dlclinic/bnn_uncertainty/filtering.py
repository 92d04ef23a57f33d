"""Can the predicted std filter out bad predictions? Retention curves against the right ceiling.

A model's retention curve (the RMSE of the points it is most sure of, by fraction kept) is bounded by two
curves of its own errors: the **error-sorted** curve (points kept in order of their actual error: the best any
std could do for this mean) and the **random** curve (points kept in random order: a std that ranks nothing;
its expected MSE is the MSE of all points at every fraction). Between them sits the **own-mean oracle**: the std
σ* = √(s² + (μ − μ̂)²) that the true noise std s and the true mean μ give the model's mean μ̂, the best σ for that
mean in expectation (it minimises the expected NLL at every point). The prediction-rejection ratio says where a
curve sits: (area under random − area under the curve) / (area under random − area under error-sorted); 1 is
the error-sorted ranking, 0 a random one.
"""

from __future__ import annotations

import numpy as np

from dlclinic.bnn_uncertainty.diagnosis import retention_curve
from dlclinic.bnn_uncertainty.metrics import gaussian_nll
from dlclinic.checks import as_float_array, same_shape

FRACTIONS = np.round(np.arange(0.05, 1.0001, 0.05), 2)  # fractions kept on every retention curve of the case


def own_mean_oracle_std(true_mean: object, true_std: object, model_mean: object) -> np.ndarray:
    """σ* = √(s² + (μ − μ̂)²): the std that minimises the expected NLL of N(μ̂, σ²) when y ~ N(μ, s²)."""
    mu = as_float_array("true_mean", true_mean, ndim=1)
    s = as_float_array("true_std", true_std, ndim=1)
    mu_hat = as_float_array("model_mean", model_mean, ndim=1)
    same_shape("true_mean", mu, "true_std", s)
    same_shape("true_mean", mu, "model_mean", mu_hat)
    if np.any(s <= 0):
        raise ValueError("true_std must be positive everywhere (it is a standard deviation)")
    return np.sqrt(s**2 + (mu - mu_hat) ** 2)


def error_sorted_curve(errors: object, fractions: object = FRACTIONS) -> np.ndarray:
    """The retention curve that keeps points in order of their actual |error|: the lowest any std can reach."""
    errors = as_float_array("errors", errors, ndim=1)
    return retention_curve(errors, np.abs(errors), fractions)


def random_curve(errors: object, fractions: object = FRACTIONS) -> np.ndarray:
    """The retention curve of a std that ranks nothing, in expectation: the RMSE of all points at every fraction
    (a random subset's expected MSE is the MSE of all points)."""
    errors = as_float_array("errors", errors, ndim=1)
    fractions = as_float_array("fractions", fractions, ndim=1)
    if errors.size == 0:
        raise ValueError("errors must hold at least one value")
    return np.full(fractions.shape, float(np.sqrt(np.mean(errors**2))))


def rejection_ratio(curve: object, error_sorted: object, random: object) -> float:
    """(area under ``random`` − area under ``curve``) / (area under ``random`` − area under ``error_sorted``),
    the areas taken as means over the same evenly spaced fractions: 1 ranks like the errors, 0 like chance."""
    curve, best, chance = (as_float_array(n, v, ndim=1) for n, v in
                           (("curve", curve), ("error_sorted", error_sorted), ("random", random)))
    same_shape("curve", curve, "error_sorted", best)
    same_shape("curve", curve, "random", chance)
    room = float(np.mean(chance) - np.mean(best))
    if room <= 0:
        raise ValueError("the error-sorted curve must lie below the random one somewhere (errors that all tie rank "
                         "nothing)")
    return float((np.mean(chance) - np.mean(curve)) / room)


def filtering_report(y: object, model_mean: object, model_std: object, true_mean: object, true_std: object,
                     fractions: object = FRACTIONS) -> dict:
    """One model's answer to "can I filter by std?" on test points where the truth is known: its NLL and the NLL
    of its own-mean oracle, its four retention curves (model, own oracle, error-sorted, random) and the
    rejection ratios of the model's std and of the own-mean oracle's."""
    y = as_float_array("y", y, ndim=1)
    mean = as_float_array("model_mean", model_mean, ndim=1)
    std = as_float_array("model_std", model_std, ndim=1)
    same_shape("y", y, "model_mean", mean)
    same_shape("y", y, "model_std", std)
    oracle_std = own_mean_oracle_std(true_mean, true_std, mean)
    errors = y - mean
    curves = {"model": retention_curve(errors, std, fractions),
              "own_oracle": retention_curve(errors, oracle_std, fractions),
              "error_sorted": error_sorted_curve(errors, fractions), "random": random_curve(errors, fractions)}
    return {"nll": gaussian_nll(y, mean, std), "own_oracle_nll": gaussian_nll(y, mean, oracle_std),
            "curves": curves,
            "prr": rejection_ratio(curves["model"], curves["error_sorted"], curves["random"]),
            "own_oracle_prr": rejection_ratio(curves["own_oracle"], curves["error_sorted"], curves["random"])}
