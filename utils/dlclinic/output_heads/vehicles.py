"""Generated street pictures of vehicles, each with a *type* (car, van, bus, truck) and a *make*, and pictures of
things that are not vehicles at all (houses, trees, boats) for the "none of the above" question.

The type is the silhouette; the make is a body colour family and a small badge at the front, drawn with enough
jitter, clutter and noise that neither is read off one pixel. The two label groups depend on each other the
way real makes do: some makes build only some types (:data:`VALID`). Each picture also carries a damage grade
(0-4, ordinal): scratches whose number grows with a hidden severity, so neighbouring grades overlap.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from dlclinic.checks import positive_int

TYPES = ("car", "van", "bus", "truck")
MAKES = ("Audi", "VW", "Ferrari", "MAN")
LABELS = (*TYPES, *MAKES)  # the columns of the multi-hot targets
# Which make builds which type (the dependency between the two groups).
VALID = {"Audi": ("car",), "VW": ("car", "van", "bus"), "Ferrari": ("car",), "MAN": ("bus", "truck")}
PAIRS = tuple((TYPES.index(t), MAKES.index(m)) for m in MAKES for t in VALID[m])  # valid (type, make) indices
GRADES = 5  # damage grades 0..4
# Two body colours per make (RGB in [0, 1]); colours are shared across makes, so the badge matters.
BODY = {"Audi": ((0.62, 0.62, 0.66), (0.16, 0.16, 0.19)), "VW": ((0.22, 0.36, 0.78), (0.86, 0.86, 0.86)),
        "Ferrari": ((0.82, 0.12, 0.10), (0.92, 0.80, 0.12)), "MAN": ((0.86, 0.86, 0.86), (0.72, 0.18, 0.14))}
BADGE = {"Audi": (0.95, 0.95, 0.95), "VW": (0.45, 0.75, 1.0), "Ferrari": (1.0, 0.9, 0.0), "MAN": (0.1, 0.1, 0.1)}
IRRELEVANT = ("house", "tree", "boat")


@dataclass(frozen=True)
class Vehicles:
    """Pictures ``images`` (n, H, W, 3) in [0, 1] with integer ``type`` and ``make`` (n,), the damage ``grade``
    (n,) in 0..4 and the hidden ``severity`` (n,) in [0, 1) the grade was binned from."""

    images: np.ndarray
    type: np.ndarray
    make: np.ndarray
    grade: np.ndarray
    severity: np.ndarray

    def __len__(self) -> int:
        return len(self.images)

    def multi_hot(self) -> np.ndarray:
        """(n, 8) targets: a 1 for the type (first four columns) and a 1 for the make (last four)."""
        return multi_hot(self.type, self.make)

    def pair(self) -> np.ndarray:
        """(n,) index of each picture's (type, make) pair in :data:`PAIRS`."""
        lookup = {pair: index for index, pair in enumerate(PAIRS)}
        return np.array([lookup[(int(t), int(m))] for t, m in zip(self.type, self.make, strict=True)])

    def subset(self, keep: np.ndarray) -> Vehicles:
        return Vehicles(self.images[keep], self.type[keep], self.make[keep], self.grade[keep], self.severity[keep])


def multi_hot(types: np.ndarray, makes: np.ndarray) -> np.ndarray:
    """(n, 8) float32 targets with a 1 on the type and a 1 on the make of each picture."""
    types, makes = np.asarray(types, dtype=int), np.asarray(makes, dtype=int)
    target = np.zeros((len(types), len(TYPES) + len(MAKES)), dtype="float32")
    target[np.arange(len(types)), types] = 1
    target[np.arange(len(types)), len(TYPES) + makes] = 1
    return target


def _background(rng: np.random.Generator, size: int) -> np.ndarray:
    """Sky over a road, with a few dim blocks of clutter (buildings, signs)."""
    sky = np.array([rng.uniform(0.45, 0.75), rng.uniform(0.55, 0.8), rng.uniform(0.7, 0.95)])
    road = np.full(3, rng.uniform(0.25, 0.45))
    rows = np.linspace(0, 1, size)[:, None, None]
    image = np.where(rows < rng.uniform(0.55, 0.7), sky * (1 - 0.3 * rows), road)
    image = np.broadcast_to(image, (size, size, 3)).copy()
    for _ in range(rng.integers(1, 4)):
        y0, x0 = rng.integers(0, size - 4, 2)
        h, w = rng.integers(2, 8, 2)
        image[y0:y0 + h, x0:x0 + w] = 0.6 * image[y0:y0 + h, x0:x0 + w] + 0.4 * rng.uniform(0.2, 0.9, 3)
    return image


def _box(image: np.ndarray, y0: int, y1: int, x0: int, x1: int, colour: np.ndarray) -> None:
    size = image.shape[0]
    y0, y1, x0, x1 = max(y0, 0), min(y1, size), max(x0, 0), min(x1, size)
    if y1 > y0 and x1 > x0:
        image[y0:y1, x0:x1] = colour


def _vehicle(image: np.ndarray, rng: np.random.Generator, vtype: str, make: str, severity: float) -> None:
    """Draw one vehicle facing right (the caller flips half of the pictures)."""
    size = image.shape[0]
    scale = size / 24
    colour = np.clip(np.array(BODY[make][rng.integers(2)]) * rng.uniform(0.8, 1.15) + rng.normal(0, 0.06, 3), 0, 1)
    glass = np.array([0.25, 0.35, 0.45]) + rng.normal(0, 0.04, 3)
    length = {"car": rng.uniform(10, 13), "van": rng.uniform(11, 14), "bus": rng.uniform(17, 21),
              "truck": rng.uniform(17, 21)}[vtype] * scale
    height = {"car": rng.uniform(3, 4.2), "van": rng.uniform(6.5, 8), "bus": rng.uniform(7.5, 9),
              "truck": rng.uniform(7.5, 9)}[vtype] * scale
    length, height = int(round(length)), int(round(height))
    ground = int(round(size - rng.uniform(2.5, 5) * scale))
    x0 = int(rng.integers(0, max(size - length, 0) + 1))
    top = ground - height
    body = (top, ground, x0, x0 + length)
    if vtype == "car":  # a low body with a cabin on top
        cab = max(int(round(length * 0.5)), 3)
        cx = x0 + int(round(length * 0.2))
        _box(image, top - int(round(2.5 * scale)), top, cx, cx + cab, colour)
        _box(image, top - int(round(2 * scale)), top, cx + 1, cx + cab - 1, glass)
        _box(image, *body, colour)
    elif vtype == "van":  # one tall box, a windscreen at the front
        _box(image, *body, colour)
        _box(image, top + 1, top + height // 2, x0 + length - 3, x0 + length - 1, glass)
    elif vtype == "bus":  # a long tall box with a row of windows
        _box(image, *body, colour)
        for wx in range(x0 + 1, x0 + length - 2, 3):
            _box(image, top + 1, top + max(height // 3, 2), wx, wx + 2, glass)
    else:  # truck: a cargo box, a gap, a cab at the front
        cab = int(round(rng.uniform(4, 5) * scale))
        cargo = length - cab - 1
        _box(image, top, ground, x0, x0 + cargo, colour * rng.uniform(0.7, 1.0))
        _box(image, top + int(round(2 * scale)), ground, x0 + cargo + 1, x0 + length, colour)
        _box(image, top + int(round(2.5 * scale)), top + int(round(4.5 * scale)), x0 + length - 3, x0 + length - 1,
             glass)
    badge_x = x0 + length - int(round(2 * scale)) - 1
    badge_y = ground - int(round(2.5 * scale))
    _box(image, badge_y, badge_y + 2, badge_x, badge_x + 2,
         np.clip(np.array(BADGE[make]) + rng.normal(0, 0.08, 3), 0, 1))
    for wx in (x0 + 1, x0 + length - 3) + ((x0 + length // 2 - 1,) if vtype in ("bus", "truck") else ()):
        _box(image, ground - 1, ground + 1, wx, wx + 2, np.full(3, 0.05))
    # damage: scratches on the body in the body's opposite colour, their number growing with the severity
    scratches = rng.poisson(2.0 + 24.0 * severity)
    if scratches:
        ys = rng.integers(top, ground, scratches)
        xs = rng.integers(x0, x0 + length, scratches)
        keep = (ys >= 0) & (ys < size) & (xs >= 0) & (xs < size)
        image[ys[keep], xs[keep]] = np.clip(1 - colour + rng.normal(0, 0.05, (int(keep.sum()), 3)), 0, 1)


def _finish(image: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Lighting, sensor noise and a random flip."""
    image = image * rng.uniform(0.8, 1.15) + rng.normal(0, 0.05, image.shape)
    if rng.random() < 0.5:
        image = image[:, ::-1]
    return np.clip(image, 0, 1).astype("float32")


def make_vehicles(n: int, size: int = 24, seed: int = 0) -> Vehicles:
    """``n`` pictures of ``size`` x ``size`` pixels; the (type, make) pairs are drawn uniformly from :data:`PAIRS`
    and the damage severity uniformly from [0, 1), binned into :data:`GRADES` grades."""
    n, size = positive_int("n", n), positive_int("size", size)
    if size < 20:
        raise ValueError(f"size must be at least 20 pixels (a bus is 17-21 pixels long at 24); got {size}")
    rng = np.random.default_rng(seed)
    pairs = np.array(PAIRS)[rng.integers(len(PAIRS), size=n)]
    severity = rng.random(n)
    images = np.empty((n, size, size, 3), dtype="float32")
    for i, (t, m) in enumerate(pairs):
        image = _background(rng, size)
        _vehicle(image, rng, TYPES[t], MAKES[m], severity[i])
        images[i] = _finish(image, rng)
    grade = np.minimum((severity * GRADES).astype(int), GRADES - 1)
    return Vehicles(images, pairs[:, 0].copy(), pairs[:, 1].copy(), grade, severity)


def _irrelevant(image: np.ndarray, rng: np.random.Generator, kind: str) -> None:
    size = image.shape[0]
    palette = np.array([c for pair in BODY.values() for c in pair])
    colour = np.clip(palette[rng.integers(len(palette))] + rng.normal(0, 0.06, 3), 0, 1)
    ground = int(size - rng.uniform(2.5, 5))
    if kind == "house":  # a box, a triangular roof, a door
        w, h = int(rng.integers(9, 16)), int(rng.integers(6, 10))
        x0 = int(rng.integers(0, size - w + 1))
        _box(image, ground - h, ground, x0, x0 + w, colour)
        for row in range(w // 2 + 1):
            _box(image, ground - h - row - 1, ground - h - row, x0 + row, x0 + w - row, np.array([0.5, 0.2, 0.15]))
        _box(image, ground - 4, ground, x0 + w // 2 - 1, x0 + w // 2 + 1, np.full(3, 0.1))
    elif kind == "tree":  # a trunk and a round crown
        cx, r = int(rng.integers(4, size - 4)), rng.uniform(3, 6)
        _box(image, ground - 6, ground, cx - 1, cx + 1, np.array([0.35, 0.22, 0.1]))
        yy, xx = np.mgrid[:size, :size]
        crown = (yy - (ground - 6 - r + 1)) ** 2 + (xx - cx) ** 2 < r**2
        image[crown] = np.clip(np.array([0.15, 0.5, 0.15]) + rng.normal(0, 0.08, 3), 0, 1)
    else:  # a boat: water, a hull narrowing downwards, a mast and a sail
        image[ground - 3:] = np.array([0.1, 0.25, 0.5]) + rng.normal(0, 0.03, 3)
        w = int(rng.integers(10, 18))
        x0 = int(rng.integers(0, size - w + 1))
        for row in range(3):
            _box(image, ground - 3 + row, ground - 2 + row, x0 + row, x0 + w - row, colour)
        mast = x0 + w // 2
        _box(image, ground - 12, ground - 3, mast, mast + 1, np.full(3, 0.2))
        for row in range(8):
            _box(image, ground - 12 + row, ground - 11 + row, mast + 1, mast + 1 + row // 2 + 1, np.full(3, 0.92))


def make_irrelevant(n: int, kinds: tuple[str, ...] = ("house", "tree"), size: int = 24, seed: int = 0) -> np.ndarray:
    """``n`` pictures (n, size, size, 3) of things that are not vehicles, each of one of ``kinds`` (drawn
    uniformly among :data:`IRRELEVANT`'s houses, trees and boats), on the same streets, light and noise."""
    n, size = positive_int("n", n), positive_int("size", size)
    unknown = sorted(set(kinds) - set(IRRELEVANT))
    if not kinds or unknown:
        raise ValueError(f"kinds must be a non-empty tuple of {IRRELEVANT}; got {kinds!r}")
    rng = np.random.default_rng(seed)
    images = np.empty((n, size, size, 3), dtype="float32")
    for i in range(n):
        image = _background(rng, size)
        _irrelevant(image, rng, kinds[rng.integers(len(kinds))])
        images[i] = _finish(image, rng)
    return images
