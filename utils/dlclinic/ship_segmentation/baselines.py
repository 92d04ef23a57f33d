"""A classical ship detector: local brightness contrast, a threshold, a morphological opening and a size
filter, its three settings tuned on training images for the competition's F2."""

from __future__ import annotations

import itertools

import numpy as np
from scipy.ndimage import binary_opening, gaussian_filter, generate_binary_structure, label

from dlclinic.checks import as_float_array
from dlclinic.ship_segmentation.metrics import airbus_f2


def contrast(images: np.ndarray, background: float = 4.0) -> np.ndarray:
    """|brightness − local mean brightness| per pixel, (n, H, W): ships stand out from the water around them
    whether their hull is bright or dark; smooth clouds and land change slowly and mostly cancel."""
    gray = images.mean(axis=-1)
    local = np.stack([gaussian_filter(g, background) for g in gray])
    return np.abs(gray - local)


def size_filter(mask: np.ndarray, min_size: int, max_size: int) -> np.ndarray:
    """Keep the connected components of ``mask`` with ``min_size`` to ``max_size`` pixels."""
    return _keep_sizes(*_components(np.asarray(mask)[None]), min_size, max_size)[0]


class ThresholdDetector:
    """Contrast above a threshold → opening with a 2×2 square → components of a plausible ship size. The three
    settings are tuned for F2 on training tiles over the grids given; ``interior_`` says which picks sit inside
    their grid (a pick on an edge means the grid should be wider)."""

    def __init__(self, thresholds=None, min_sizes=(4, 8, 14), max_sizes=(40, 70, 120)) -> None:
        self.thresholds = np.linspace(0.04, 0.3, 14) if thresholds is None else np.asarray(thresholds)
        self.min_sizes, self.max_sizes = tuple(min_sizes), tuple(max_sizes)
        self.settings_: tuple[float, int, int] | None = None
        self.train_f2_: float | None = None
        self.interior_: dict[str, bool] = {}

    def fit(self, images: object, masks: object) -> ThresholdDetector:
        """Pick (threshold, min size, max size) with the best F2 on the training ``images`` and ``masks``."""
        images = as_float_array("images", images, ndim=4)
        masks = as_float_array("masks", masks, ndim=4)
        response = contrast(images)
        best = (-1.0, None)
        for threshold in self.thresholds:
            labels, sizes = _components(self._open(response > threshold))
            for lo, hi in itertools.product(self.min_sizes, self.max_sizes):
                predicted = _keep_sizes(labels, sizes, lo, hi)[..., None].astype("float32")
                f2 = airbus_f2(masks, predicted)
                if f2 > best[0]:
                    best = (f2, (float(threshold), lo, hi))
        self.train_f2_, self.settings_ = best
        grids = {"threshold": list(self.thresholds), "min_size": list(self.min_sizes),
                 "max_size": list(self.max_sizes)}
        self.interior_ = {name: bool(len(grid) < 3 or grid[0] != pick != grid[-1])
                          for (name, grid), pick in zip(grids.items(), self.settings_, strict=True)}
        return self

    def predict(self, images: object) -> np.ndarray:
        """(n, H, W, 1) 0/1 masks."""
        if self.settings_ is None:
            raise ValueError("ThresholdDetector is not fitted: call fit(images, masks) first")
        images = as_float_array("images", images, ndim=4)
        threshold, lo, hi = self.settings_
        labels, sizes = _components(self._open(contrast(images) > threshold))
        return _keep_sizes(labels, sizes, lo, hi)[..., None].astype("float32")

    @staticmethod
    def _open(masks: np.ndarray) -> np.ndarray:
        """A 2×2 opening of each image of a stack (n, H, W)."""
        return binary_opening(masks, structure=np.ones((1, 2, 2), bool))


def _components(masks: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Connected components of every image of a stack at once (never across images) and their sizes."""
    structure = np.zeros((3, 3, 3), bool)
    structure[1] = generate_binary_structure(2, 1)
    labels, _ = label(masks, structure=structure)
    return labels, np.bincount(labels.ravel())


def _keep_sizes(labels: np.ndarray, sizes: np.ndarray, min_size: int, max_size: int) -> np.ndarray:
    keep = (sizes >= min_size) & (sizes <= max_size)
    keep[0] = False
    return keep[labels]
