"""A classical counter: smooth the image, find bright local maxima, and count those above a tuned threshold."""

from __future__ import annotations

import numpy as np
from scipy.ndimage import gaussian_filter, maximum_filter

from dlclinic.batchnorm_regression.density import density_map
from dlclinic.checks import as_float_array


def blob_response(image: np.ndarray, scale: float = 1.2) -> np.ndarray:
    """Difference of Gaussians: bright spots of about ``scale`` pixels stand out, smooth texture cancels."""
    return gaussian_filter(image, scale) - gaussian_filter(image, 3 * scale)


def _maxima(image: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The blob response of ``image`` and where it is a local maximum (any threshold is applied later)."""
    response = blob_response(image)
    return response, response == maximum_filter(response, size=5)


def _positions(peaks: np.ndarray) -> np.ndarray:
    rows, cols = np.nonzero(peaks)
    return np.column_stack([cols, rows]).astype(float)


def find_blobs(image: np.ndarray, threshold: float) -> np.ndarray:
    """(x, y) positions of the local maxima of the blob response above ``threshold``."""
    response, local = _maxima(image)
    return _positions(local & (response > threshold))


class BlobCounter:
    """Blob detection with its threshold chosen on training images to minimise the count error."""

    def __init__(self, sigma: float, thresholds: np.ndarray | None = None) -> None:
        self.sigma = sigma
        self.thresholds = np.linspace(0.02, 0.4, 39) if thresholds is None else thresholds
        self.threshold_: float | None = None

    def fit(self, images: object, maps: object) -> BlobCounter:
        """Pick the threshold whose map sums best match the training maps' sums."""
        images = as_float_array("images", images, ndim=4)
        counts = as_float_array("maps", maps, ndim=4).sum(axis=(1, 2, 3))
        maxima = [_maxima(img[..., 0]) for img in images]  # once per image, not once per threshold
        errors = [np.mean(np.abs(self._counts(maxima, images.shape[1:3], t) - counts)) for t in self.thresholds]
        self.threshold_ = float(self.thresholds[int(np.argmin(errors))])
        return self

    def predict(self, images: object) -> np.ndarray:
        """Density maps (n, H, W, 1) built from the detected blobs."""
        if self.threshold_ is None:
            raise ValueError("BlobCounter is not fitted: call fit(images, maps) first")
        images = as_float_array("images", images, ndim=4)
        _, height, width, _ = images.shape
        maps = [density_map(find_blobs(img[..., 0], self.threshold_), height, width, self.sigma) for img in images]
        return np.stack(maps)[..., None]

    def _counts(self, maxima: list, shape: tuple[int, int], threshold: float) -> np.ndarray:
        """Each image's map sum (the people inside it) from its blobs above ``threshold``."""
        height, width = shape
        return np.array([
            float(density_map(_positions(local & (response > threshold)), height, width, self.sigma).sum())
            for response, local in maxima
        ])
