"""The data: generated satellite-like sea images (waves, glint, clouds, some coastline) with a few small,
elongated, rotated ships and their 0/1 masks; most images hold no ship, as in the Airbus competition."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.ndimage import gaussian_filter, label

from dlclinic.checks import positive_int

EMPTY_SHARE = 0.78  # share of the competition's training images without a ship
SHIP_LENGTH = (8.0, 16.0)  # pixels, at the default 48-pixel tile
SHIP_WIDTH = (2.5, 4.5)


@dataclass(frozen=True)
class Tiles:
    """A set of tiles: ``images`` (n, H, W, 3) in [0, 1], ``masks`` (n, H, W, 1) of 0/1 float32,
    ``ships`` (n,) the number of ships on each tile."""

    images: np.ndarray
    masks: np.ndarray
    ships: np.ndarray

    def __len__(self) -> int:
        return len(self.images)

    @property
    def has_ship(self) -> np.ndarray:
        """Boolean (n,): which tiles hold at least one ship."""
        return self.ships > 0

    def subset(self, keep: np.ndarray) -> Tiles:
        """The tiles selected by a boolean or index array ``keep``."""
        return Tiles(self.images[keep], self.masks[keep], self.ships[keep])


def _smooth_noise(rng: np.random.Generator, size: int, sigma: float) -> np.ndarray:
    """Gaussian-filtered white noise rescaled to [0, 1]."""
    field = gaussian_filter(rng.normal(size=(size, size)), sigma, mode="wrap")
    return (field - field.min()) / (np.ptp(field) + 1e-12)


def _sea(rng: np.random.Generator, size: int, yy: np.ndarray, xx: np.ndarray) -> np.ndarray:
    """Dark blue-green water with wave trains in one main direction and fine texture."""
    base = np.array([rng.uniform(0.04, 0.14), rng.uniform(0.15, 0.28), rng.uniform(0.25, 0.40)])
    heading = rng.uniform(0, np.pi)
    waves = np.zeros((size, size))
    for _ in range(3):
        angle = heading + rng.normal(scale=0.3)
        wavelength = rng.uniform(3.0, 9.0)
        phase = xx * np.cos(angle) + yy * np.sin(angle)
        waves += rng.uniform(0.01, 0.03) * np.sin(2 * np.pi * phase / wavelength + rng.uniform(0, 2 * np.pi))
    texture = 0.06 * (_smooth_noise(rng, size, 1.0) - 0.5)
    return base[None, None, :] + (waves + texture)[..., None]


def _glint(rng: np.random.Generator, size: int, yy: np.ndarray, xx: np.ndarray) -> np.ndarray:
    """Sun glint: a broad bright patch with sparse one-pixel sparkles inside it (added to every channel)."""
    cy, cx = rng.uniform(0, size, 2)
    spread = rng.uniform(0.25, 0.6) * size
    patch = np.exp(-((yy - cy) ** 2 + (xx - cx) ** 2) / (2 * spread**2))
    sparkles = (rng.random((size, size)) < rng.uniform(0.01, 0.04)) * rng.uniform(0.3, 0.7, (size, size))
    return (rng.uniform(0.05, 0.2) * patch + patch * sparkles)[..., None]


def _coast(rng: np.random.Generator, size: int, yy: np.ndarray, xx: np.ndarray) -> np.ndarray:
    """A land mask (H, W) of 0/1: a half-plane with a wavy shore entering from a random side."""
    angle = rng.uniform(0, 2 * np.pi)
    offset = rng.uniform(0.15, 0.4) * size
    centre = size / 2
    distance = (xx - centre) * np.cos(angle) + (yy - centre) * np.sin(angle)
    shore = 4.0 * (_smooth_noise(rng, size, 4.0) - 0.5) * 2
    return (distance + shore > size / 2 - offset).astype(float)


def _land_colour(rng: np.random.Generator, size: int) -> np.ndarray:
    """Textured land: brown, green or grey, brighter than water, with fields and roads."""
    base = [np.array([0.45, 0.38, 0.28]), np.array([0.30, 0.40, 0.25]), np.array([0.5, 0.5, 0.5])][rng.integers(3)]
    texture = 0.25 * (_smooth_noise(rng, size, 1.5) - 0.5)
    return np.clip(base[None, None, :] + texture[..., None] + rng.normal(0, 0.03, 3), 0, 1)


def _ship_mask(
    rng: np.random.Generator, size: int, yy: np.ndarray, xx: np.ndarray, scale: float
) -> tuple[np.ndarray, float, float, float]:
    """One ship's pixels: a rotated rectangle with a tapered bow; returns (mask, centre y, centre x, angle)."""
    length = rng.uniform(*SHIP_LENGTH) * scale
    width = rng.uniform(*SHIP_WIDTH) * scale
    margin = length / 2 + 1
    cy, cx = rng.uniform(margin, size - margin, 2)
    angle = rng.uniform(0, np.pi)
    u = (xx - cx) * np.cos(angle) + (yy - cy) * np.sin(angle)
    v = -(xx - cx) * np.sin(angle) + (yy - cy) * np.cos(angle)
    half_width = width / 2 * np.clip((length / 2 - u) / width + 0.3, 0, 1)  # the bow narrows over one width
    mask = (np.abs(u) <= length / 2) & (np.abs(v) <= half_width)
    return mask, cy, cx, angle


def render_tile(
    rng: np.random.Generator, size: int, n_ships: int, ship_scale: float | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """One (size, size, 3) image and its (size, size) 0/1 mask with ``n_ships`` ships (fewer if they collide);
    ship lengths and widths are :data:`SHIP_LENGTH` and :data:`SHIP_WIDTH` times ``ship_scale`` (``None``:
    size / 48, so that ships keep their share of the tile)."""
    yy, xx = np.mgrid[0:size, 0:size].astype(float)
    image = _sea(rng, size, yy, xx)
    land = _coast(rng, size, yy, xx) if rng.random() < 0.2 else np.zeros((size, size))
    mask = np.zeros((size, size), dtype=bool)
    scale = size / 48 if ship_scale is None else ship_scale
    for _ in range(n_ships):
        for _attempt in range(20):
            ship, cy, cx, angle = _ship_mask(rng, size, yy, xx, scale)
            grown = gaussian_filter(ship.astype(float), 1.5) > 0.01  # keep one pixel of water between ships
            if not (grown & (mask | (land > 0))).any():
                break
        else:
            continue
        wake_u = (xx - cx) * np.cos(angle) + (yy - cy) * np.sin(angle)
        wake = gaussian_filter(ship.astype(float), 2.0) * (wake_u < 0)  # a faint foam trail astern
        image += 0.15 * wake[..., None]
        hull = rng.uniform(0.45, 0.85) if rng.random() < 0.9 else rng.uniform(0.0, 0.05)  # a few dark hulls
        tone = np.clip(hull + rng.normal(0, 0.04, 3), 0, 1)
        deck = gaussian_filter(ship.astype(float), 0.5)
        image = image * (1 - deck[..., None]) + deck[..., None] * tone[None, None, :]
        mask |= ship
    if land.any():
        image = image * (1 - land[..., None]) + land[..., None] * _land_colour(rng, size)
    if rng.random() < 0.3:
        image += _glint(rng, size, yy, xx)
    if rng.random() < 0.3:  # clouds: soft white veils, thick in places, over ships too
        cover = np.clip((_smooth_noise(rng, size, rng.uniform(3, 6)) - rng.uniform(0.4, 0.65)) * 3, 0, 0.9)
        image = image * (1 - cover[..., None]) + cover[..., None] * rng.uniform(0.75, 0.95)
    image += rng.normal(0, 0.02, image.shape)
    return np.clip(image, 0, 1), mask


def make_tiles(
    n: int, size: int = 48, empty_share: float = EMPTY_SHARE, max_ships: int = 3, seed: int = 0,
    ship_scale: float | None = None,
) -> Tiles:
    """Generate ``n`` tiles of ``size``×``size`` pixels from ``seed``: a share ``empty_share`` of them without a
    ship, the others with 1..``max_ships`` ships (fewer ships more often, as in the competition). Ships are
    scaled by ``ship_scale`` (``None``: size / 48; 1.0 keeps the 48-pixel tile's ship sizes on any tile)."""
    n = positive_int("n", n)
    size = positive_int("size", size)
    max_ships = positive_int("max_ships", max_ships)
    if size < 24:
        raise ValueError(f"size must be at least 24 pixels; got {size}")
    if isinstance(empty_share, bool) or not isinstance(empty_share, float | int) or not 0 <= empty_share < 1:
        raise ValueError(f"empty_share must be a number in [0, 1); got {empty_share!r}")
    if ship_scale is not None and (isinstance(ship_scale, bool) or not isinstance(ship_scale, float | int)
                                   or not 0.25 <= ship_scale <= size / 24):
        raise ValueError(f"ship_scale must be None or a number from 0.25 to size / 24; got {ship_scale!r}")
    rng = np.random.default_rng(seed)
    weights = 0.5 ** np.arange(max_ships)
    counts = np.where(rng.random(n) < empty_share, 0, 1 + rng.choice(max_ships, n, p=weights / weights.sum()))
    images, masks = zip(*(render_tile(rng, size, int(k), ship_scale) for k in counts), strict=True)
    masks = np.stack(masks)
    ships = np.array([label(m)[1] for m in masks])  # ships that collided and were skipped are not counted
    return Tiles(np.stack(images).astype("float32"), masks[..., None].astype("float32"), ships)

