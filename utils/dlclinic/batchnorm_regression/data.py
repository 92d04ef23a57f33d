"""The data: synthetic crowd scenes: small bright "people" on a textured background, with their density maps."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.ndimage import gaussian_filter

from dlclinic.batchnorm_regression.density import density_map
from dlclinic.checks import positive_int, positive_number

SIGMA = 4.0  # the reporter's range: a peak of 1/(2πσ²) ≈ 0.00995


@dataclass(frozen=True)
class Scenes:
    """A batch of scenes: ``images`` (n, H, W, 1) in [0, 1], ``maps`` (n, H, W, 1), ``counts`` (n,)."""

    images: np.ndarray
    maps: np.ndarray
    counts: np.ndarray
    points: tuple[np.ndarray, ...]

    def __len__(self) -> int:
        return len(self.images)


def render_scene(
    points: np.ndarray, size: int, rng: np.random.Generator, n_distractors: int
) -> np.ndarray:
    """Draw one (size, size) image: smooth texture, bright bars that are not people, a round blob per point."""
    texture = gaussian_filter(rng.normal(size=(size, size)), sigma=3.0)
    texture = 0.25 * (texture - texture.min()) / (np.ptp(texture) + 1e-12)
    yy, xx = np.mgrid[0:size, 0:size]
    image = texture + rng.uniform(0.0, 0.15) * xx / size  # uneven lighting
    for x, y in rng.uniform(0, size, size=(n_distractors, 2)):  # bright bars: "lamp posts", not people
        sx, sy = (0.8, 3.0) if rng.random() < 0.5 else (3.0, 0.8)
        image += rng.uniform(0.5, 0.8) * np.exp(-((xx - x) ** 2) / (2 * sx**2) - (yy - y) ** 2 / (2 * sy**2))
    for x, y in points:
        image += rng.uniform(0.5, 0.8) * np.exp(-((xx - x) ** 2 + (yy - y) ** 2) / (2 * 1.2**2))
    image += rng.normal(scale=0.03, size=image.shape)
    return np.clip(image, 0.0, 1.0)


def make_scenes(
    n: int, size: int = 48, max_people: int = 12, sigma: float = SIGMA, seed: int = 0
) -> Scenes:
    """Generate ``n`` scenes of ``size``×``size`` pixels with 0..``max_people`` people each, from ``seed``."""
    n = positive_int("n", n)
    size = positive_int("size", size)
    sigma = positive_number("sigma", sigma)
    if isinstance(max_people, bool) or not isinstance(max_people, int) or max_people < 0:
        raise ValueError(f"max_people must be a non-negative int; got {max_people!r}")
    if size < 16:
        raise ValueError(f"size must be at least 16 pixels; got {size}")
    rng = np.random.default_rng(seed)
    images, maps, points = [], [], []
    for _ in range(n):
        pts = rng.uniform(2, size - 2, size=(rng.integers(0, max_people + 1), 2))
        images.append(render_scene(pts, size, rng, n_distractors=int(rng.integers(0, 5))))
        maps.append(density_map(pts, size, size, sigma))
        points.append(pts)
    return Scenes(
        images=np.stack(images)[..., None].astype("float32"),
        maps=np.stack(maps)[..., None].astype("float32"),
        counts=np.array([len(p) for p in points]),
        points=tuple(points),
    )
