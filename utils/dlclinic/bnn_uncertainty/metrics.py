"""Scores for Gaussian predictions. Proper scores: NLL and CRPS; coverage, width, calibration and ranking are not."""

from __future__ import annotations

import math

import numpy as np
from scipy import stats

from dlclinic.checks import as_float_array, same_shape


def predictive_moments(mu_samples: object, sigma_samples: object) -> tuple[np.ndarray, np.ndarray]:
    """Mean and total std of a mixture of S Gaussians N(μ_s, σ_s²), the sample axis first.

    Law of total variance: σ² = mean_s(σ_s²) (aleatoric) + var_s(μ_s) (epistemic, population variance).
    """
    mu = as_float_array("mu_samples", mu_samples)
    sigma = as_float_array("sigma_samples", sigma_samples)
    same_shape("mu_samples", mu, "sigma_samples", sigma)
    if mu.ndim < 1 or mu.shape[0] < 1:
        raise ValueError(f"mu_samples needs a first (sample) axis with at least one sample; got shape {mu.shape}")
    if np.any(sigma < 0):
        raise ValueError("sigma_samples must be non-negative (they are standard deviations)")
    return mu.mean(axis=0), np.sqrt(np.mean(sigma**2, axis=0) + mu.var(axis=0))


def _gaussian_args(y: object, mu: object, sigma: object) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    y, mu, sigma = (as_float_array(n, v) for n, v in (("y", y), ("mu", mu), ("sigma", sigma)))
    same_shape("y", y, "mu", mu)
    same_shape("y", y, "sigma", sigma)
    if y.size == 0:
        raise ValueError("y must hold at least one value")
    if np.any(sigma <= 0):
        raise ValueError("sigma must be positive everywhere (it is a standard deviation)")
    return y, mu, sigma


def gaussian_nll(y: object, mu: object, sigma: object) -> float:
    """Mean negative log-likelihood of y under N(μ, σ²): ½ log(2πσ²) + (y − μ)² / (2σ²)."""
    y, mu, sigma = _gaussian_args(y, mu, sigma)
    return float(np.mean(0.5 * np.log(2 * np.pi * sigma**2) + (y - mu) ** 2 / (2 * sigma**2)))


def gaussian_crps(y: object, mu: object, sigma: object) -> float:
    """Mean CRPS of N(μ, σ²) at y: σ·[z(2Φ(z) − 1) + 2φ(z) − 1/√π], z = (y − μ)/σ (Gneiting & Raftery 2007)."""
    y, mu, sigma = _gaussian_args(y, mu, sigma)
    z = (y - mu) / sigma
    return float(np.mean(sigma * (z * (2 * stats.norm.cdf(z) - 1) + 2 * stats.norm.pdf(z) - 1 / math.sqrt(math.pi))))


def _check_level(level: float) -> float:
    if isinstance(level, bool) or not isinstance(level, (int, float)) or not 0 < level < 1:
        raise ValueError(f"level must be a number strictly between 0 and 1; got {level!r}")
    return float(level)


def picp(y: object, mu: object, sigma: object, level: float = 0.95) -> float:
    """Prediction-interval coverage: the fraction of y inside the central interval μ ± Φ⁻¹(½ + level/2)·σ."""
    y, mu, sigma = _gaussian_args(y, mu, sigma)
    half = stats.norm.ppf(0.5 + _check_level(level) / 2) * sigma
    return float(np.mean(np.abs(y - mu) <= half))


def interval_width(sigma: object, level: float = 0.95) -> float:
    """Mean width of the central interval at ``level``: 2·Φ⁻¹(½ + level/2)·σ."""
    sigma = as_float_array("sigma", sigma)
    return float(2 * stats.norm.ppf(0.5 + _check_level(level) / 2) * np.mean(sigma))


def calibration_curve(y: object, mu: object, sigma: object, levels: object = None) -> dict[str, np.ndarray]:
    """Observed coverage (PICP) and mean interval width at each nominal level (default 0.1, 0.2, …, 0.9, 0.95)."""
    levels = np.array([0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95] if levels is None else levels, dtype=float)
    return {
        "level": levels,
        "coverage": np.array([picp(y, mu, sigma, float(level)) for level in levels]),
        "width": np.array([interval_width(sigma, float(level)) for level in levels]),
    }


def error_std_spearman(y: object, mu: object, sigma: object) -> float:
    """Spearman rank correlation between |y − μ| and σ: does a larger predicted std flag a larger error?"""
    y, mu, sigma = _gaussian_args(y, mu, sigma)
    if np.ptp(sigma) == 0:
        return 0.0  # a constant std ranks nothing
    return float(stats.spearmanr(np.abs(y - mu), sigma).statistic)


def score(y: object, mu: object, sigma: object) -> dict[str, float]:
    """The case's check-up: NLL, CRPS, RMSE, PICP and width at 95 %, Spearman(|error|, σ), smallest σ."""
    y, mu, sigma = _gaussian_args(y, mu, sigma)
    return {
        "nll": gaussian_nll(y, mu, sigma),
        "crps": gaussian_crps(y, mu, sigma),
        "rmse": float(np.sqrt(np.mean((y - mu) ** 2))),
        "picp95": picp(y, mu, sigma, 0.95),
        "width95": interval_width(sigma, 0.95),
        "spearman": error_std_spearman(y, mu, sigma),
        "min_std": float(sigma.min()),
    }
