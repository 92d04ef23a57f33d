"""Learning-free references: the training set's mean pose (moved onto each figure, or fixed), the image centre."""

from __future__ import annotations

import numpy as np
from scipy.ndimage import gaussian_filter

from dlclinic.checks import as_float_array


def figure_centre(image: np.ndarray) -> np.ndarray:
    """(x, y) centroid of the brightest pixels after smoothing: a rough estimate of where the figure stands."""
    smooth = gaussian_filter(np.squeeze(image), 2.0)
    mask = smooth >= np.quantile(smooth, 0.9)
    rows, cols = np.nonzero(mask)
    return np.array([cols.mean(), rows.mean()])


class MeanPoseBaseline:
    """Predict the mean pose of the training figures, relative to the figure's centre (``centred``) or absolute."""

    def __init__(self, centred: bool = True) -> None:
        self.centred = centred
        self.offsets_: np.ndarray | None = None

    def fit(self, images: object, keypoints: object) -> MeanPoseBaseline:
        images = as_float_array("images", images, ndim=4)
        keypoints = as_float_array("keypoints", keypoints, ndim=3)
        if len(images) != len(keypoints):
            raise ValueError(f"images and keypoints must be as many; got {len(images)} and {len(keypoints)}")
        self.offsets_ = (keypoints - self._centres(images)[:, None, :]).mean(axis=0)
        return self

    def predict(self, images: object) -> np.ndarray:
        """(n, K, 2) keypoints."""
        if self.offsets_ is None:
            raise ValueError("MeanPoseBaseline is not fitted: call fit(images, keypoints) first")
        images = as_float_array("images", images, ndim=4)
        return self._centres(images)[:, None, :] + self.offsets_[None]

    def _centres(self, images: np.ndarray) -> np.ndarray:
        if not self.centred:
            return np.zeros((len(images), 2))
        return np.stack([figure_centre(image) for image in images])


def constant_pose(train_keypoints: object, n: int) -> np.ndarray:
    """(n, K, 2): the training figures' mean keypoints, the same for every image (a floor that ignores the image)."""
    mean = as_float_array("train_keypoints", train_keypoints, ndim=3).mean(axis=0)
    return np.broadcast_to(mean, (int(n), *mean.shape)).copy()


def image_centre(n: int, n_keypoints: int, height: int, width: int) -> np.ndarray:
    """(n, K, 2): every keypoint at the centre of the image (the floor that knows only the image's size)."""
    return np.broadcast_to([(width - 1) / 2, (height - 1) / 2], (int(n), int(n_keypoints), 2)).astype(float)
