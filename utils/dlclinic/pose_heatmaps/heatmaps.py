"""Targets and read-outs: keypoints ↔ maps (Gaussian heatmaps, binary discs), argmax and soft-argmax."""

from __future__ import annotations

import numpy as np

from dlclinic.backend import keras
from dlclinic.checks import as_float_array, positive_int, positive_number


def gaussian_heatmaps(keypoints: object, height: int, width: int, sigma: float) -> np.ndarray:
    """(height, width, K) maps: exp(-((j - x)² + (i - y)²) / (2σ²)) for each (x, y) of the (K, 2) keypoints.

    Pixel (row i, column j) samples the plane at x = j, y = i; every map peaks at 1 on its keypoint.
    """
    height, width = positive_int("height", height), positive_int("width", width)
    sigma = positive_number("sigma", sigma)
    points = as_float_array("keypoints", keypoints, shape=(None, 2))
    gx = np.exp(-((np.arange(width)[None, :] - points[:, :1]) ** 2) / (2 * sigma**2))  # (K, W)
    gy = np.exp(-((np.arange(height)[None, :] - points[:, 1:]) ** 2) / (2 * sigma**2))  # (K, H)
    return np.einsum("kh,kw->hwk", gy, gx)


def disc_maps(keypoints: object, height: int, width: int, radius: float) -> np.ndarray:
    """(height, width, K) binary maps, 1 within ``radius`` pixels of each keypoint: the reporter's targets."""
    height, width = positive_int("height", height), positive_int("width", width)
    radius = positive_number("radius", radius)
    points = as_float_array("keypoints", keypoints, shape=(None, 2))
    dx = np.arange(width)[None, None, :] - points[:, 0, None, None]
    dy = np.arange(height)[None, :, None] - points[:, 1, None, None]
    return np.moveaxis((dx**2 + dy**2 <= radius**2).astype(float), 0, -1)


def batch_maps(keypoints: object, height: int, width: int, kind: str = "gaussian", size: float = 2.0) -> np.ndarray:
    """Maps (n, height, width, K) for (n, K, 2) keypoints: ``kind`` "gaussian" (σ = size) or "disc" (radius)."""
    points = as_float_array("keypoints", keypoints, ndim=3)
    makers = {"gaussian": gaussian_heatmaps, "disc": disc_maps}
    if kind not in makers:
        raise ValueError(f"kind must be one of {sorted(makers)}; got {kind!r}")
    return np.stack([makers[kind](p, height, width, size) for p in points]).astype("float32")


def decode_keypoints(heatmaps: object) -> np.ndarray:
    """(…, K, 2) (x, y) of each map's maximum, for heatmaps of shape (…, H, W, K)."""
    maps = as_float_array("heatmaps", heatmaps)
    if maps.ndim < 3:
        raise ValueError(f"heatmaps must be (..., H, W, K); got an array of shape {maps.shape}")
    *lead, height, width, k = maps.shape
    flat = np.moveaxis(maps.reshape(*lead, height * width, k), -1, -2)  # (..., K, H·W)
    index = flat.argmax(axis=-1)
    return np.stack([index % width, index // width], axis=-1).astype(float)


def soft_argmax(heatmaps, beta: float = 1.0):
    """Differentiable read-out: softmax(β·map) over each map's pixels, then the expected (x, y); (…, K, 2).

    Written with ``keras.ops``, so it works on NumPy arrays and on tensors inside a model or a loss.
    """
    beta = positive_number("beta", beta)
    maps = keras.ops.convert_to_tensor(heatmaps, dtype="float32")
    if len(maps.shape) < 3:
        raise ValueError(f"heatmaps must be (..., H, W, K); got shape {tuple(maps.shape)}")
    height, width, k = maps.shape[-3:]
    flat = keras.ops.reshape(maps, (-1, height * width, k))
    weights = keras.ops.softmax(beta * flat, axis=1)
    xs = keras.ops.tile(keras.ops.arange(width, dtype="float32"), (height,))
    ys = keras.ops.repeat(keras.ops.arange(height, dtype="float32"), width)
    x = keras.ops.sum(weights * xs[None, :, None], axis=1)
    y = keras.ops.sum(weights * ys[None, :, None], axis=1)
    lead = tuple(keras.ops.shape(maps)[:-3])  # dynamic, so a None batch size inside a model works
    return keras.ops.reshape(keras.ops.stack([x, y], axis=-1), (*lead, k, 2))
