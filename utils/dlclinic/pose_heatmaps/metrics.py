"""Keypoint metrics the pose field uses: PCK at a threshold, mean error in pixels, and PCK as a Keras metric."""

from __future__ import annotations

import numpy as np

from dlclinic.backend import keras
from dlclinic.checks import as_float_array, positive_number, same_shape


def keypoint_errors(pred: object, true: object) -> np.ndarray:
    """Euclidean distance in pixels between predicted and true (x, y), shape (…, K)."""
    pred = as_float_array("pred", pred)
    true = as_float_array("true", true)
    same_shape("pred", pred, "true", true)
    if pred.ndim < 2 or pred.shape[-1] != 2:
        raise ValueError(f"pred and true must be (..., K, 2) arrays of (x, y); got shape {pred.shape}")
    return np.linalg.norm(pred - true, axis=-1)


def pck(pred: object, true: object, threshold: float, normalizer: object = 1.0) -> float:
    """Fraction of keypoints with ‖pred − true‖ / normalizer ≤ threshold.

    ``normalizer`` is one number or one per figure (shape ``pred.shape[:-2]``), e.g. each figure's torso length.
    """
    errors = keypoint_errors(pred, true)
    threshold = float(as_float_array("threshold", threshold, ndim=0))
    if threshold < 0:
        raise ValueError(f"threshold must be non-negative; got {threshold}")
    norm = as_float_array("normalizer", normalizer)
    if np.any(norm <= 0):
        raise ValueError("normalizer must be positive")
    if norm.ndim:
        if norm.shape != errors.shape[:-1]:
            raise ValueError(f"normalizer must be one number or shape {errors.shape[:-1]}; got {norm.shape}")
        norm = norm[..., None]
    return float(np.mean(errors / norm <= threshold))


def pck_per_keypoint(pred: object, true: object, threshold: float, normalizer: object) -> np.ndarray:
    """PCK of each keypoint separately, shape (K,), over figures of shape (n, K, 2)."""
    pred = as_float_array("pred", pred, ndim=3)
    true = as_float_array("true", true, ndim=3)
    norm = np.broadcast_to(as_float_array("normalizer", normalizer), pred.shape[:1])
    return np.array([pck(pred[:, k : k + 1], true[:, k : k + 1], threshold, norm) for k in range(pred.shape[1])])


def mean_error_px(pred: object, true: object) -> float:
    """Mean Euclidean keypoint error in pixels."""
    return float(keypoint_errors(pred, true).mean())


@keras.saving.register_keras_serializable(package="dlclinic")
class HeatmapPCK(keras.metrics.MeanMetricWrapper):
    """PCK for heatmap outputs inside ``compile``: the peak of each predicted map within ``radius`` px of the true one.

    A map's peak is the centre of the pixels at its maximum, so a binary disc target decodes to its centre
    (a plain argmax would land on the disc's first pixel, up to its radius away) and a Gaussian to its peak.
    """

    def __init__(self, radius: float = 3.0, name: str = "pck", **kwargs) -> None:
        radius = positive_number("radius", radius)
        super().__init__(fn=_heatmap_hits, name=name, radius=radius, **kwargs)
        self.radius = radius

    def get_config(self) -> dict:
        return {"radius": self.radius, "name": self.name}


def peak_centres(maps):
    """(…, K, 2) (x, y) centre of the pixels at each map's maximum, for (…, H, W, K) maps (``keras.ops``)."""
    height, width, k = maps.shape[-3:]
    flat = keras.ops.reshape(keras.ops.convert_to_tensor(maps, "float32"), (-1, height * width, k))
    top = keras.ops.max(flat, axis=1, keepdims=True)
    at_top = keras.ops.cast(flat >= top - 1e-6 * keras.ops.maximum(keras.ops.abs(top), 1.0), "float32")
    index = keras.ops.arange(height * width, dtype="float32")
    xs, ys = (index % width)[None, :, None], keras.ops.floor(index / width)[None, :, None]
    count = keras.ops.sum(at_top, axis=1)
    centre = keras.ops.stack([keras.ops.sum(at_top * xs, axis=1), keras.ops.sum(at_top * ys, axis=1)], axis=-1)
    lead = tuple(keras.ops.shape(maps)[:-3])
    return keras.ops.reshape(centre / count[..., None], (*lead, k, 2))


def _heatmap_hits(y_true, y_pred, radius):
    distance = keras.ops.norm(peak_centres(y_true) - peak_centres(y_pred), axis=-1)
    return keras.ops.cast(distance <= radius, "float32")
