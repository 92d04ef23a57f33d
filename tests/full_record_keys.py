"""Key checks shared by the cases' tests: a quick run's metrics against the committed full record."""

from __future__ import annotations

import re

import pytest

from dlclinic.full_runs import load_full_record


def _by_number(value: object) -> bool:
    """A map keyed by numbers (learning rates, steps): its keys are the mode's grid, not the record's shape."""
    if not isinstance(value, dict) or not value:
        return False
    try:
        [float(key) for key in value]
    except ValueError:
        return False
    return True


def flat_keys(metrics: dict, prefix: str = "") -> set[str]:
    """Every dotted key of a nested metrics dict; a map keyed by numbers counts as one key, and a number inside
    a key (a budget: "4000 steps at 0.01") reads as ``#``."""
    keys = set()
    for key, value in metrics.items():
        key = re.sub(r"\d+(\.\d+)?(e-?\d+)?", "#", str(key))
        nested = isinstance(value, dict) and not _by_number(value)
        keys |= flat_keys(value, f"{prefix}{key}.") if nested else {f"{prefix}{key}"}
    return keys


def assert_same_keys_as_full_record(metrics: dict, slug: str) -> None:
    """The committed full run of ``slug``, where there is one, carries the same keys as ``metrics``."""
    full = load_full_record(slug)
    if full is not None:
        assert flat_keys(metrics) == flat_keys({k: v for k, v in full.items() if k not in ("run", "stale")})


def assert_keys_within_full_record(metrics: dict, slug: str) -> None:
    """Every key of ``metrics`` is in the committed full run of ``slug``, where there is one (for a quick mode
    that trains only some of the full run's rows)."""
    full = load_full_record(slug)
    if full is not None:
        missing = flat_keys(metrics) - flat_keys({k: v for k, v in full.items() if k not in ("run", "stale")})
        assert not missing, f"keys of this run that the full record lacks: {sorted(missing)}"


def committed_full_record(slug: str) -> dict:
    """The committed full run of ``slug``; skips the test when none is recorded yet."""
    full = load_full_record(slug)
    if full is None:
        pytest.skip("no full run recorded yet")
    return full
