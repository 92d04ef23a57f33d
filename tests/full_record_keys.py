"""Key checks shared by the cases' tests: a quick run's metrics against the committed full record."""

from __future__ import annotations

import pytest

from dlclinic.full_runs import load_full_record


def flat_keys(metrics: dict, prefix: str = "") -> set[str]:
    """Every dotted key of a nested metrics dict."""
    keys = set()
    for key, value in metrics.items():
        keys |= flat_keys(value, f"{prefix}{key}.") if isinstance(value, dict) else {f"{prefix}{key}"}
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
