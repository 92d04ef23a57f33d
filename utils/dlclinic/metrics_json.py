"""Each case notebook ends by writing its key metrics to one JSON file; tests and the results page read it."""

from __future__ import annotations

import json
import math
from pathlib import Path


def write_metrics(path: str | Path, metrics: dict) -> Path:
    """Write ``metrics`` (nested dicts and lists of finite numbers, strings and nulls) as JSON, making folders."""
    _check_finite(metrics, "metrics")
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(metrics, indent=2, sort_keys=True) + "\n")
    return path


def read_metrics(path: str | Path) -> dict:
    """Read a metrics file written by :func:`write_metrics`."""
    return json.loads(Path(path).read_text())


def _check_finite(value: object, where: str) -> None:
    if isinstance(value, dict):
        for key, item in value.items():
            _check_finite(item, f"{where}[{key!r}]")
    elif isinstance(value, list):
        for index, item in enumerate(value):
            _check_finite(item, f"{where}[{index}]")
    elif value is None or isinstance(value, bool) or isinstance(value, str):
        return
    elif isinstance(value, (int, float)):
        if not math.isfinite(value):
            raise ValueError(f"{where} must be a finite number; got {value!r}")
    else:
        raise ValueError(f"{where} must be a dict, list, number, string or None; got {type(value).__name__}")
