"""The case's data: the TFP blog's heteroscedastic wave (1-D) and scikit-learn's diabetes.

Inputs are standardised. Targets are divided by their training std but, unless ``centre=True``, not centred:
they keep their sign, like the reporter's positive targets, so a ReLU in front of the mean clips nothing that
the truth needs.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from sklearn.datasets import load_diabetes
from sklearn.model_selection import train_test_split

from dlclinic.checks import positive_int

WAVE_RANGE = (-20.0, 60.0)


def wave_mean(x: object) -> np.ndarray:
    """The true mean of :func:`make_wave` at x (original units): 0.125·x·(1 + sin x) + 5."""
    x = np.asarray(x, dtype=float)
    return 0.125 * x * (1 + np.sin(x)) + 5


def wave_noise_std(x: object) -> np.ndarray:
    """The true noise std of :func:`make_wave` at x (original units): 3·(0.25 + g²), g = (x + 20)/80."""
    g = (np.asarray(x, dtype=float) - WAVE_RANGE[0]) / (WAVE_RANGE[1] - WAVE_RANGE[0])
    return 3 * (0.25 + g**2)


def make_wave(n: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """n points of y = 0.125·x·(1 + sin x) + 5 + ε, x ~ U[−20, 60], std(ε) = 3·(0.25 + g²), g = (x + 20)/80.

    The data of TensorFlow Probability's "Regression with Probabilistic Layers" (2019). Returns x of shape
    (n, 1) and y of shape (n,).
    """
    n = positive_int("n", n)
    rng = np.random.default_rng(seed)
    x = rng.uniform(*WAVE_RANGE, size=n)
    y = wave_mean(x) + rng.normal(size=n) * wave_noise_std(x)
    return x[:, None], y


@dataclass
class Split:
    """Training, validation and test parts; y is stored as (y − y_shift) / y_scale, x standardised."""

    name: str
    x_train: np.ndarray
    y_train: np.ndarray
    x_val: np.ndarray
    y_val: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    y_shift: float
    y_scale: float
    x_test_raw: np.ndarray

    def to_units(self, y_raw: object) -> np.ndarray:
        """Raw targets (or means) in this split's units."""
        return (np.asarray(y_raw, dtype=float) - self.y_shift) / self.y_scale


def scaled_split(name: str, train: tuple, val: tuple, test: tuple, centre: bool = False) -> Split:
    """Standardise x per column; divide y by its std (and subtract its mean if ``centre``), all with statistics
    of the training part only. Each part is a pair (x of shape (n, d), y of shape (n,))."""
    (x_train, y_train), (x_val, y_val), (x_test, y_test) = train, val, test
    x_mean, x_std = x_train.mean(axis=0), x_train.std(axis=0)
    shift, scale = (float(y_train.mean()) if centre else 0.0), float(y_train.std())

    def xs(x: np.ndarray) -> np.ndarray:
        return ((x - x_mean) / x_std).astype("float32")

    def ys(y: np.ndarray) -> np.ndarray:
        return ((y - shift) / scale).astype("float32")

    return Split(name, xs(x_train), ys(y_train), xs(x_val), ys(y_val), xs(x_test), ys(y_test), shift, scale, x_test)


def wave_split(n_train: int = 150, n_val: int = 150, n_test: int = 500, seed: int = 0, centre: bool = False) -> Split:
    """Independent draws of :func:`make_wave` for training, validation and test (seeds seed, seed + 2, seed + 1)."""
    return scaled_split("synthetic", make_wave(n_train, seed), make_wave(n_val, seed + 2), make_wave(n_test, seed + 1),
                        centre)


def diabetes_split(test_fraction: float = 0.3, val_fraction: float = 0.2, seed: int = 0, centre: bool = False) -> Split:
    """scikit-learn's diabetes data (442 patients, 10 features, disease progression after a year): a test part,
    then a validation part carved out of the rest."""
    for name, value in (("test_fraction", test_fraction), ("val_fraction", val_fraction)):
        if not 0 < value < 1:
            raise ValueError(f"{name} must lie strictly between 0 and 1; got {value!r}")
    x, y = load_diabetes(return_X_y=True)
    x_rest, x_test, y_rest, y_test = train_test_split(x, y, test_size=test_fraction, random_state=seed)
    x_train, x_val, y_train, y_val = train_test_split(x_rest, y_rest, test_size=val_fraction, random_state=seed)
    return scaled_split("diabetes", (x_train, y_train), (x_val, y_val), (x_test, y_test), centre)


RIDGE_FEATURES = 8


def ridge_mean_std(x: object) -> tuple[np.ndarray, np.ndarray]:
    """The true mean and noise std of :func:`make_ridge` at x (n, 8): with u = Σx/√8, the mean is
    2·sin(1.5u) + u and the std 0.1 + 0.5·sigmoid(3u) (narrow on one side, wide on the other)."""
    x = np.asarray(x, dtype=float)
    if x.ndim != 2 or x.shape[1] != RIDGE_FEATURES:
        raise ValueError(f"x must have shape (n, {RIDGE_FEATURES}); got {x.shape}")
    u = x.sum(axis=1) / np.sqrt(RIDGE_FEATURES)
    return 2 * np.sin(1.5 * u) + u, 0.1 + 0.5 / (1 + np.exp(-3 * u))


def make_ridge(n: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """n points of a heteroscedastic ridge function in 8 standard-normal inputs (:func:`ridge_mean_std`): a net
    finds the one direction that matters, while the nearest neighbours of a point in 8 dimensions are far away.
    Returns x of shape (n, 8), float32, and y of shape (n,)."""
    n = positive_int("n", n)
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, RIDGE_FEATURES))
    mean, std = ridge_mean_std(x)
    return x.astype("float32"), (mean + std * rng.normal(size=n)).astype("float32")
