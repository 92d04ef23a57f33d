"""The case's data: the TFP blog's heteroscedastic wave (1-D) and scikit-learn's diabetes, standardised."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from sklearn.datasets import load_diabetes
from sklearn.model_selection import train_test_split

from dlclinic.checks import positive_int

WAVE_RANGE = (-20.0, 60.0)


def make_wave(n: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """n points of y = 0.125·x·(1 + sin x) + 5 + ε, x ~ U[−20, 60], std(ε) = 3·(0.25 + g²), g = (x + 20)/80.

    The data of TensorFlow Probability's "Regression with Probabilistic Layers" (2019). Returns x of shape
    (n, 1) and y of shape (n,).
    """
    n = positive_int("n", n)
    rng = np.random.default_rng(seed)
    low, high = WAVE_RANGE
    x = rng.uniform(low, high, size=n)
    g = (x - low) / (high - low)
    y = 0.125 * x * (1 + np.sin(x)) + 5 + rng.normal(size=n) * 3 * (0.25 + g**2)
    return x[:, None], y


def wave_noise_std(x: object) -> np.ndarray:
    """The true noise std of :func:`make_wave` at x (original units)."""
    g = (np.asarray(x, dtype=float) - WAVE_RANGE[0]) / (WAVE_RANGE[1] - WAVE_RANGE[0])
    return 3 * (0.25 + g**2)


@dataclass
class Split:
    """A train/test split with inputs and targets standardised by the training set's mean and std."""

    name: str
    x_train: np.ndarray
    y_train: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    y_mean: float
    y_std: float
    x_test_raw: np.ndarray


def standardised_split(name: str, x_train, y_train, x_test, y_test) -> Split:
    """Standardise x (per column) and y with statistics of the training part only."""
    x_mean, x_std = x_train.mean(axis=0), x_train.std(axis=0)
    y_mean, y_std = float(y_train.mean()), float(y_train.std())
    return Split(
        name,
        ((x_train - x_mean) / x_std).astype("float32"),
        ((y_train - y_mean) / y_std).astype("float32"),
        ((x_test - x_mean) / x_std).astype("float32"),
        ((y_test - y_mean) / y_std).astype("float32"),
        y_mean,
        y_std,
        x_test,
    )


def wave_split(n_train: int = 150, n_test: int = 500, seed: int = 0) -> Split:
    """Training and held-out points of :func:`make_wave`, drawn independently (seeds ``seed``, ``seed + 1``)."""
    x_train, y_train = make_wave(n_train, seed)
    x_test, y_test = make_wave(n_test, seed + 1)
    return standardised_split("synthetic", x_train, y_train, x_test, y_test)


def diabetes_split(test_fraction: float = 0.3, seed: int = 0) -> Split:
    """scikit-learn's diabetes data (442 patients, 10 features, disease progression after a year), split."""
    if not 0 < test_fraction < 1:
        raise ValueError(f"test_fraction must lie strictly between 0 and 1; got {test_fraction!r}")
    x, y = load_diabetes(return_X_y=True)
    x_train, x_test, y_train, y_test = train_test_split(x, y, test_size=test_fraction, random_state=seed)
    return standardised_split("diabetes", x_train, y_train, x_test, y_test)
