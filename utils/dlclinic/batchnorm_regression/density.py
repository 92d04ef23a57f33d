"""Density maps: each annotated point becomes a 2-D Gaussian that sums to one over the plane."""

from __future__ import annotations

import numpy as np

from dlclinic.checks import as_float_array, positive_int, positive_number


def density_map(points: object, height: int, width: int, sigma: float) -> np.ndarray:
    """Return the (height, width) density map of ``points``, an (n, 2) array of (x, y) pixel positions.

    Pixel (row i, column j) samples the plane at x = j, y = i. Each point adds
    exp(-r² / (2σ²)) / (2πσ²), whose sum over the whole plane is 1, so the map sums to the number of
    points whose Gaussian lies inside it (its peak is 1/(2πσ²) ≈ 0.00995 for σ = 4).
    """
    height = positive_int("height", height)
    width = positive_int("width", width)
    sigma = positive_number("sigma", sigma)
    pts = as_float_array("points", points, ndim=(1, 2))
    if pts.size == 0:
        return np.zeros((height, width))
    pts = as_float_array("points", pts, shape=(None, 2))
    dy = np.arange(height)[None, :] - pts[:, 1:2]  # (n, H)
    dx = np.arange(width)[None, :] - pts[:, 0:1]  # (n, W)
    gy = np.exp(-(dy**2) / (2 * sigma**2))
    gx = np.exp(-(dx**2) / (2 * sigma**2))
    return np.einsum("nh,nw->hw", gy, gx) / (2 * np.pi * sigma**2)
