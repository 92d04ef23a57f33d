"""Predictors that learn nothing by gradient descent: the training targets' Gaussian for every point, and the
k nearest training points' mean and std (k chosen on validation data)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from dlclinic.bnn_uncertainty.metrics import gaussian_nll
from dlclinic.checks import as_float_array, positive_int


def constant_gaussian(y_train: object, n: int) -> tuple[np.ndarray, np.ndarray]:
    """N(mean, std²) of the training targets at each of ``n`` points: the trivial predictive distribution."""
    y = as_float_array("y_train", y_train, ndim=1)
    if y.size < 2:
        raise ValueError("y_train must hold at least two values")
    n = positive_int("n", n)
    return np.full(n, float(y.mean())), np.full(n, float(y.std()))


def knn_gaussian(x_train: object, y_train: object, x: object, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Mean and std (ddof = 1) of the targets of the ``k`` training points nearest to each row of ``x``."""
    x_train = as_float_array("x_train", x_train, ndim=2)
    y_train = as_float_array("y_train", y_train, ndim=1)
    x = as_float_array("x", x, ndim=2)
    if len(x_train) != len(y_train) or x.shape[1] != x_train.shape[1]:
        raise ValueError(f"x_train ({x_train.shape}), y_train ({y_train.shape}) and x ({x.shape}) do not fit together")
    k = positive_int("k", k)
    if not 2 <= k <= len(x_train):
        raise ValueError(f"k must lie between 2 and the number of training points ({len(x_train)}); got {k}")
    distances = ((x[:, None, :] - x_train[None, :, :]) ** 2).sum(axis=-1)
    nearest = y_train[np.argsort(distances, axis=1, kind="stable")[:, :k]]
    return nearest.mean(axis=1), nearest.std(axis=1, ddof=1)


def choose_k(x_train: object, y_train: object, x_val: object, y_val: object, ks: Sequence[int]) -> tuple[int, dict]:
    """The k among ``ks`` whose :func:`knn_gaussian` has the lowest validation NLL, and {k: validation NLL}."""
    if not ks:
        raise ValueError("ks must hold at least one k")
    nlls = {int(k): gaussian_nll(y_val, *knn_gaussian(x_train, y_train, x_val, k)) for k in ks}
    return min(nlls, key=nlls.get), nlls
