"""The second edition's differential table, kept until each case moves onto the runner in :mod:`dlclinic.differential`.

A case trains each row (one thing changed from the reporter's setup, or from the fix) over a small
learning-rate sweep and, in full mode, over seeds; ``best_learning_rate`` keeps each row's best rate (chosen
on validation), ``summarise`` turns the seeds' values into a mean and a spread, and ``differential_table``
writes the table with a verdict from :func:`dlclinic.compare.compare` against the reference row, so no row
wins or loses only because it got someone else's learning rate or one lucky seed.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

import numpy as np
from IPython.display import Markdown

from dlclinic.compare import TIE, compare
from dlclinic.tables import markdown_rows


@dataclass(frozen=True)
class Row:
    """One row: what changed, the metric (mean over seeds), its spread (std over seeds, 0 for one seed), the
    seeds behind it and the learning rate it was trained with (``None`` where no sweep applies)."""

    change: str
    value: float
    spread: float = 0.0
    seeds: int = 1
    learning_rate: float | None = None


RunT = TypeVar("RunT")


@dataclass
class Treatment(Generic[RunT]):
    """One row after its sweep: every rate's first-seed run, the rate picked on validation, and the runs of all
    seeds at that rate (a case's subclass adds the metrics over them)."""

    name: str
    by_rate: dict[float, RunT]
    best_rate: float
    seed_runs: list[RunT]

    @property
    def run(self) -> RunT:
        """The first seed's run at the picked rate."""
        return self.by_rate[self.best_rate]


def summarise(values: Sequence[float]) -> tuple[float, float]:
    """Mean and spread (sample standard deviation; 0 for a single value) of one row's values over seeds."""
    array = np.asarray(values, dtype=float)
    if array.ndim != 1 or array.size == 0 or not np.all(np.isfinite(array)):
        raise ValueError(f"values must be a non-empty 1-D sequence of finite numbers; got {values!r}")
    return float(array.mean()), float(array.std(ddof=1)) if array.size > 1 else 0.0


def best_learning_rate(by_rate: Mapping[float, float], lower_is_better: bool) -> tuple[float, float]:
    """The learning rate with the best validation value in ``{rate: value}``, and that value."""
    finite = {rate: value for rate, value in by_rate.items() if math.isfinite(value)}
    if not finite:
        raise ValueError(f"by_rate must hold at least one finite value; got {dict(by_rate)!r}")
    pick = min if lower_is_better else max
    rate = pick(finite, key=finite.get)
    return rate, finite[rate]


def verdict(row: Row, reference: Row, lower_is_better: bool, tie: float = TIE) -> str:
    """"changes the outcome (better / worse)" or "does not change it", from the numbers and their spreads."""
    found = compare(row.value, reference.value, lower_is_better, tie, row.spread, reference.spread)
    if found.verb == "ties":
        return "does not change it"
    return f"changes the outcome ({'better' if found.better else 'worse'})"


def _number(value: float, spread: float, seeds: int, digits: int) -> str:
    text = f"{value:.{digits}g}"
    return f"{text} ± {spread:.2g} ({seeds} seeds)" if seeds > 1 else text


def differential_table(
    reference: Row, rows: Sequence[Row], metric: str, lower_is_better: bool, digits: int = 3, tie: float = TIE
) -> Markdown:
    """The table: the reference row first, then each change with its value, learning rate and verdict."""
    better = "lower is better" if lower_is_better else "higher is better"
    header = ["change", f"{metric} ({better})", "learning rate", f"verdict vs {reference.change}"]
    body = [
        [row.change, _number(row.value, row.spread, row.seeds, digits),
         "—" if row.learning_rate is None else f"{row.learning_rate:g}",
         "reference" if row is reference else verdict(row, reference, lower_is_better, tie)]
        for row in (reference, *rows)
    ]
    return Markdown(markdown_rows(header, body, align="lrrl"))
