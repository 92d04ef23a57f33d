"""Input validation shared by every case: clear ``ValueError`` messages instead of deep tracebacks."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np


def as_float_array(
    name: str,
    value: object,
    ndim: int | Sequence[int] | None = None,
    shape: Sequence[int | None] | None = None,
) -> np.ndarray:
    """Return ``value`` as a float array, raising ``ValueError`` that names ``name`` if it does not fit.

    ``ndim`` may be one number of dimensions or several allowed ones; ``shape`` may hold ``None`` for any
    length along that axis.
    """
    try:
        array = np.asarray(value, dtype=float)
    except (TypeError, ValueError) as error:
        raise ValueError(f"{name} must be numeric array-like; got {type(value).__name__}: {error}") from None
    if ndim is not None:
        allowed = (ndim,) if isinstance(ndim, int) else tuple(ndim)
        if array.ndim not in allowed:
            want = " or ".join(f"{n}-D" for n in allowed)
            raise ValueError(f"{name} must be {want}; got an array of shape {array.shape}")
    if shape is not None:
        if array.ndim != len(shape) or any(w is not None and w != s for w, s in zip(shape, array.shape, strict=True)):
            want = "(" + ", ".join("any" if w is None else str(w) for w in shape) + ")"
            raise ValueError(f"{name} must have shape {want}; got {array.shape}")
    if not np.all(np.isfinite(array)):
        raise ValueError(f"{name} must contain only finite numbers (no NaN or inf)")
    return array


def same_shape(name_a: str, a: np.ndarray, name_b: str, b: np.ndarray) -> None:
    """Raise ``ValueError`` unless ``a`` and ``b`` have the same shape."""
    if a.shape != b.shape:
        raise ValueError(f"{name_a} and {name_b} must have the same shape; got {a.shape} and {b.shape}")


def positive_number(name: str, value: object) -> float:
    """Return ``value`` as a float after checking it is a finite number above zero."""
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise ValueError(f"{name} must be a positive number; got {value!r}")
    if not np.isfinite(value) or value <= 0:
        raise ValueError(f"{name} must be a positive number; got {value!r}")
    return float(value)


def positive_int(name: str, value: object) -> int:
    """Return ``value`` as an int after checking it is a whole number above zero."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value <= 0:
        raise ValueError(f"{name} must be a positive int; got {value!r}")
    return int(value)
