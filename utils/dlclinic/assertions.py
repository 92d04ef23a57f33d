"""Assertions for graded test cells: a wrong answer fails with one readable sentence, not a traceback maze."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np


def assert_array(label: str, value: object, shape: Sequence[int] | None = None) -> np.ndarray:
    """Fail unless ``value`` is a numeric NumPy array (of ``shape``, if given); return it as a float array."""
    if not isinstance(value, np.ndarray):
        raise AssertionError(f"{label} should return a NumPy array; got {type(value).__name__}")
    if not (np.issubdtype(value.dtype, np.floating) or np.issubdtype(value.dtype, np.integer)):
        raise AssertionError(f"{label} should hold numbers; got dtype {value.dtype}")
    if shape is not None and tuple(value.shape) != tuple(shape):
        raise AssertionError(f"{label} should have shape {tuple(shape)}; got {value.shape}")
    if not np.all(np.isfinite(value)):
        raise AssertionError(f"{label} contains NaN or inf")
    return value.astype(float)


def assert_close(label: str, got: object, expected: object, rtol: float = 1e-6, atol: float = 1e-12) -> None:
    """Fail with the largest difference unless ``got`` matches ``expected`` within the tolerances."""
    got_array, expected_array = np.asarray(got, dtype=float), np.asarray(expected, dtype=float)
    if got_array.shape != expected_array.shape:
        raise AssertionError(f"{label}: expected shape {expected_array.shape}; got {got_array.shape}")
    if not np.allclose(got_array, expected_array, rtol=rtol, atol=atol):
        worst = np.unravel_index(np.argmax(np.abs(got_array - expected_array)), got_array.shape)
        raise AssertionError(
            f"{label}: expected {expected_array[worst]:.6g} at index {tuple(int(i) for i in worst)}; "
            f"got {got_array[worst]:.6g}"
        )


def assert_number(label: str, value: object) -> float:
    """Fail unless ``value`` is one real number (a Python or NumPy scalar, not an array); return it as a float."""
    if isinstance(value, bool) or not isinstance(value, int | float | np.integer | np.floating):
        shape = f" of shape {value.shape}" if isinstance(value, np.ndarray) else ""
        raise AssertionError(f"{label} should be one number (a float); got {type(value).__name__}{shape}")
    return float(value)
