"""Synthetic stick figures: a kinematic tree of 20 joints drawn as limbs and discs on cluttered, noisy images."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.ndimage import gaussian_filter

from dlclinic.checks import positive_int

JOINTS = (
    "pelvis", "thorax", "neck", "head top",
    "r shoulder", "r elbow", "r wrist", "l shoulder", "l elbow", "l wrist",
    "r hip", "r knee", "r ankle", "l hip", "l knee", "l ankle",
    "r hand", "l hand", "r toe", "l toe",
)  # 20 joints: the report's net predicts twenty keypoint maps
PARENTS = (-1, 0, 1, 2, 2, 4, 5, 2, 7, 8, 0, 10, 11, 0, 13, 14, 6, 9, 12, 15)
# Rest direction of each bone (degrees, image coordinates: 0 = +x, 90 = down), its length relative to the
# torso, and how far its angle may swing either way.
REST_ANGLE = (0, -90, -90, -90, 0, 80, 80, 180, 100, 100, 20, 90, 90, 160, 90, 90, 80, 100, 10, 170)
LENGTH = (0, 0.55, 0.45, 0.45, 0.4, 0.55, 0.5, 0.4, 0.55, 0.5, 0.3, 0.75, 0.7, 0.3, 0.75, 0.7, 0.2, 0.2, 0.2, 0.2)
SWING = (0, 15, 15, 20, 15, 70, 70, 15, 70, 70, 10, 35, 25, 10, 35, 25, 40, 40, 20, 20)
LEFT = tuple(i for i, name in enumerate(JOINTS) if name.startswith("l "))  # drawn dimmer: tells left from right
MARGIN = 3  # pixels kept free around every joint


@dataclass(frozen=True)
class Poses:
    """A batch of figures: ``images`` (n, H, W, 1) in [0, 1], ``keypoints`` (n, K, 2) as (x, y) pixels."""

    images: np.ndarray
    keypoints: np.ndarray
    torso: np.ndarray  # (n,) neck-to-pelvis distance in pixels: the PCK normaliser

    def __len__(self) -> int:
        return len(self.images)


def random_pose(size: int, rng: np.random.Generator) -> np.ndarray:
    """(K, 2) joint positions of one figure: random bone lengths and angles, placed inside the image."""
    torso = rng.uniform(0.3, 0.4) * size
    lean = rng.normal(scale=10.0)
    points = np.zeros((len(JOINTS), 2))
    for j in range(1, len(JOINTS)):
        angle = np.deg2rad(REST_ANGLE[j] + lean + rng.uniform(-SWING[j], SWING[j]))
        length = LENGTH[j] * torso * rng.uniform(0.85, 1.15)
        points[j] = points[PARENTS[j]] + length * np.array([np.cos(angle), np.sin(angle)])
    low, high = points.min(axis=0), points.max(axis=0)
    room = size - 1 - 2 * MARGIN
    scale = min(1.0, room / max(float(np.max(high - low)), 1e-9))
    points = (points - low) * scale
    extent = points.max(axis=0)
    return points + MARGIN + rng.uniform(0, room - extent + 1e-9, size=2)


def segment_distance(xx: np.ndarray, yy: np.ndarray, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Distance of every pixel (xx, yy) to the segment from ``a`` to ``b``."""
    d = b - a
    t = np.clip(((xx - a[0]) * d[0] + (yy - a[1]) * d[1]) / max(float(d @ d), 1e-9), 0.0, 1.0)
    return np.hypot(xx - a[0] - t * d[0], yy - a[1] - t * d[1])


def render_figure(points: np.ndarray, size: int, rng: np.random.Generator, n_clutter: int) -> np.ndarray:
    """Draw one (size, size) image: smooth texture, clutter strokes, then the limbs and a disc per joint."""
    yy, xx = np.mgrid[0:size, 0:size].astype(float)
    texture = gaussian_filter(rng.normal(size=(size, size)), sigma=2.0)
    image = 0.3 * (texture - texture.min()) / (np.ptp(texture) + 1e-12)
    for _ in range(n_clutter):  # strokes that look like limbs but belong to no figure
        a = rng.uniform(0, size, 2)
        b = a + rng.uniform(4, 10) * np.array([np.cos(t := rng.uniform(0, 2 * np.pi)), np.sin(t)])
        image = np.maximum(image, rng.uniform(0.3, 0.6) * (segment_distance(xx, yy, a, b) < 0.9))
    for j in range(1, len(JOINTS)):
        shade = 0.65 if j in LEFT else 0.95
        limb = segment_distance(xx, yy, points[PARENTS[j]], points[j]) < 1.0
        image = np.maximum(image, shade * limb)
    for j, (x, y) in enumerate(points):
        disc = (xx - x) ** 2 + (yy - y) ** 2 <= (2.5 if j == 3 else 1.5) ** 2
        image = np.maximum(image, (0.65 if j in LEFT else 1.0) * disc)
    image += rng.normal(scale=0.05, size=image.shape)
    return np.clip(image, 0.0, 1.0)


def make_poses(n: int, size: int = 64, seed: int = 0, max_clutter: int = 6) -> Poses:
    """Generate ``n`` figures of ``size``×``size`` pixels from ``seed`` (same seed, same figures)."""
    n = positive_int("n", n)
    size = positive_int("size", size)
    if size < 32:
        raise ValueError(f"size must be at least 32 pixels; got {size}")
    if isinstance(max_clutter, bool) or not isinstance(max_clutter, int) or max_clutter < 0:
        raise ValueError(f"max_clutter must be a non-negative int; got {max_clutter!r}")
    rng = np.random.default_rng(seed)
    images, keypoints = [], []
    for _ in range(n):
        points = random_pose(size, rng)
        images.append(render_figure(points, size, rng, n_clutter=int(rng.integers(0, max_clutter + 1))))
        keypoints.append(points)
    keypoints = np.stack(keypoints).astype("float32")
    neck, pelvis = JOINTS.index("neck"), JOINTS.index("pelvis")
    return Poses(
        images=np.stack(images)[..., None].astype("float32"),
        keypoints=keypoints,
        torso=np.linalg.norm(keypoints[:, neck] - keypoints[:, pelvis], axis=-1),
    )
