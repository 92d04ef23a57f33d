"""The shared runner of every case's differential diagnosis: one change per row, trained fairly, judged plainly.

A case gives, per row, a function ``train(learning_rate, seed) -> Fit`` and the runner does the rest:

- **Bracketing.** The row's learning rate is picked on validation (first seed) from a :class:`Grid`; while the
  pick sits at an edge of the rates tried and beats its neighbour by more than the floor, the grid is extended
  by ``factor`` in that direction, up to the bound the case states. A pick still rising at the bound is kept and
  flagged (``edge``); an edge pick that ties its neighbour is bracketed by the tie (a flat end).
- **Seeds.** The picked rate is trained with every seed the row is given (≥ 3 in full mode, ≥ 5 on headline
  rows); the row's value is the mean of the test metric over seeds, its spread their standard deviation.
- **Convergence.** Each :class:`Fit` carries its validation metric over steps; a row whose learning curve (the
  mean over its seeds) still improves over the last fifth of the budget by more than ``max(seed spread, floor)``
  is not converged, and a verdict that involves it reads "undecided (not converged)".
- **Degenerate runs** (a non-finite metric, an output that ignores its input, a value worse than a trivial
  predictor) are flagged with the reason. A row whose runs collapsed (non-finite or constant on some seed) has a
  spread made by the collapse, not by the seeds' noise: no tie is declared with it ("undecided (collapsed
  runs)"); a difference beyond even that band still gets its verdict.
- **Verdicts** ("better", "ties", "worse") against the row's reference row: two rows tie when their difference
  is within ``max(combined spread, metric floor)``; the combined spread is the standard deviation of the
  per-seed differences where both rows ran the same seeds on the same data (paired), else the sum of the two
  spreads. The floor is absolute and stated on the page; metrics on a log scale (NLL) are compared by
  difference only, never by ratio. A factorial design gives each row the reference that differs from it in
  one factor, so every verdict holds at one level of the other factors.

:class:`Differential` collects the rows and the case's trivial predictors, judges them, writes the record
(``Differential.record()``, stored under the metrics' ``differential`` key) and renders the table from a record:
the committed full run's, with this build's verdict and whether it agrees beside each row.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
from IPython.display import Markdown

from dlclinic.tables import markdown_rows

BETTER, TIES, WORSE, UNDECIDED, REFERENCE = "better", "ties", "worse", "undecided (not converged)", "reference"
COLLAPSED = "undecided (collapsed runs)"  # a tie with a row whose runs collapsed on some seed
COLLAPSES = ("non-finite metric", "constant output")  # the reasons :func:`_degeneracy` gives a collapsed run
LAST_PART = 0.2  # the share of a run's steps over which it must have stopped improving


@dataclass(frozen=True)
class Metric:
    """How rows are judged: the metric's name on the page, its direction, and the absolute difference at or
    below which two results tie whatever their spreads (stated on the page). ``log_scale`` metrics (an NLL)
    are never shown as ratios."""

    name: str
    lower_is_better: bool
    floor: float
    log_scale: bool = False

    def __post_init__(self) -> None:
        if not (isinstance(self.floor, int | float) and math.isfinite(self.floor) and self.floor >= 0):
            raise ValueError(f"floor must be a finite number >= 0; got {self.floor!r}")

    def gain(self, a: float, b: float) -> float:
        """How much better ``a`` is than ``b`` (positive: better), in the metric's units."""
        return b - a if self.lower_is_better else a - b

    def record(self) -> dict:
        return {"name": self.name, "lower_is_better": self.lower_is_better, "floor": self.floor,
                "log_scale": self.log_scale}

    @classmethod
    def from_record(cls, record: Mapping) -> Metric:
        return cls(record["name"], record["lower_is_better"], record["floor"], record.get("log_scale", False))


@dataclass(frozen=True)
class Grid:
    """The learning rates a row tries first (``rates``), and the bounds within which the runner may extend them
    by ``factor`` while the pick sits at an edge."""

    rates: tuple[float, ...]
    low: float
    high: float
    factor: float = 3.0

    def __post_init__(self) -> None:
        rates = tuple(sorted(self.rates))
        if not rates or any(not (r > 0 and math.isfinite(r)) for r in rates):
            raise ValueError(f"rates must be positive finite numbers; got {self.rates!r}")
        if not self.low <= rates[0] <= rates[-1] <= self.high:
            raise ValueError(f"the rates {rates} must lie within low={self.low:g} and high={self.high:g}")
        if not self.factor > 1:
            raise ValueError(f"factor must be > 1; got {self.factor!r}")
        object.__setattr__(self, "rates", rates)

    def next_rate(self, tried: Sequence[float], pick: float) -> float | None:
        """The rate beyond ``pick`` when it is an edge of ``tried``, or ``None`` (interior, or at a bound)."""
        lowest, highest = min(tried), max(tried)
        slack = 1 + 1e-9
        if len(tried) > 1 and lowest < pick < highest:
            return None
        if pick == highest and highest * self.factor <= self.high * slack:
            return highest * self.factor
        if pick == lowest and lowest / self.factor >= self.low / slack:
            return lowest / self.factor
        return None


def _still_rising(by_rate: Mapping[float, float], pick: float, select: Metric) -> bool:
    """Whether the edge ``pick`` beats its neighbour among the rates tried by more than the floor (a flat end,
    as when every rate collapses to the same value, is bracketed by the tie)."""
    tried = sorted(by_rate)
    if len(tried) == 1:
        return True
    neighbour = tried[1] if pick == tried[0] else tried[-2]
    value = by_rate[neighbour]
    return not math.isfinite(value) or select.gain(by_rate[pick], value) > select.floor


@dataclass
class Fit:
    """One training run as the runner sees it: its validation metric at ``steps`` (the last value is the one the
    rate is picked on), its test metrics at the end, whether its output ignores its input, and whatever the
    case keeps from it (``detail``: the model, predictions …; not recorded)."""

    seed: int
    learning_rate: float | None
    steps: Sequence[int]
    validation: Sequence[float]
    test: Mapping[str, float]
    constant: bool = False
    detail: object = None

    def __post_init__(self) -> None:
        if len(self.steps) != len(self.validation) or not len(self.steps):
            raise ValueError(f"steps and validation must be non-empty and as long as each other; got "
                             f"{len(self.steps)} and {len(self.validation)}")

    @property
    def final(self) -> float:
        """The validation metric at the end of the run."""
        return float(self.validation[-1])

    @property
    def finite(self) -> bool:
        return math.isfinite(self.final) and all(math.isfinite(float(v)) for v in self.test.values())


def improvement(fits: Sequence[Fit], metric: Metric) -> float:
    """How much the row's learning curve (the mean over seeds of the validation metric) improved over the last
    fifth of the budget: from its value at 80 % of the last step (interpolated between evaluations) to the end;
    positive while still improving. Fits whose curves are not finite are left out (NaN if none is left)."""
    curves = [fit for fit in fits if all(math.isfinite(float(v)) for v in fit.validation)]
    if not curves:
        return math.nan
    steps = np.asarray(curves[0].steps, dtype=float)
    if any(list(fit.steps) != list(curves[0].steps) for fit in curves):
        raise ValueError("the fits of one row must be evaluated at the same steps")
    mean = np.mean([np.asarray(fit.validation, dtype=float) for fit in curves], axis=0)
    at = float(np.interp((1 - LAST_PART) * steps[-1], steps, mean))
    return metric.gain(float(mean[-1]), at)


@dataclass
class Row:
    """One row of the differential: its value over seeds and everything needed to trust (or distrust) it."""

    name: str
    change: str
    value: float
    spread: float
    seed_ids: list[int]
    seed_values: list[float]
    learning_rate: float | None = None
    grid: list[float] = field(default_factory=list)
    validation_by_rate: dict[float, float] = field(default_factory=dict)
    edge: bool = False
    converged: bool = True
    degenerate: bool = False
    why_degenerate: str = ""
    reference: str | None = None
    kind: str = "trained"  # "trained", "control" (learning-free) or "trivial"
    verdict: str = ""
    gain: float | None = None  # value minus the reference's, positive when better
    others: dict[str, tuple[float, float]] = field(default_factory=dict)  # other test metrics: (mean, spread)
    curve: dict[str, list] = field(default_factory=dict)  # the learning curve: steps and mean validation metric
    fits: list[Fit] = field(default_factory=list, repr=False)

    @property
    def seeds(self) -> int:
        return len(self.seed_ids)

    def record(self) -> dict:
        """The row as the full record stores it (``fits`` and their details stay behind)."""
        return {"name": self.name, "change": self.change, "value": _json(self.value), "spread": self.spread,
                "seeds": self.seeds, "seed_ids": list(self.seed_ids),
                "seed_values": [_json(value) for value in self.seed_values],
                "learning_rate": self.learning_rate, "grid": list(self.grid),
                "validation_by_rate": {f"{rate:g}": _json(value) for rate, value in self.validation_by_rate.items()},
                "edge": self.edge, "converged": self.converged, "degenerate": self.degenerate,
                "why_degenerate": self.why_degenerate, "reference": self.reference, "kind": self.kind,
                "verdict": self.verdict, "gain": None if self.gain is None else _json(self.gain),
                "others": {key: {"value": _json(mean), "spread": spread}
                           for key, (mean, spread) in self.others.items()},
                "curve": {"steps": list(self.curve.get("steps", [])),
                          "validation": [_json(v) for v in self.curve.get("validation", [])]}}

    @classmethod
    def from_record(cls, record: Mapping) -> Row:
        return cls(record["name"], record["change"], _float(record["value"]), record["spread"],
                   list(record["seed_ids"]), [_float(v) for v in record["seed_values"]], record["learning_rate"],
                   list(record["grid"]), {float(rate): _float(value)
                                          for rate, value in record["validation_by_rate"].items()},
                   record["edge"], record["converged"], record["degenerate"], record["why_degenerate"],
                   record["reference"], record["kind"], record["verdict"],
                   None if record["gain"] is None else _float(record["gain"]),
                   {key: (_float(item["value"]), item["spread"]) for key, item in record["others"].items()},
                   {"steps": list(record.get("curve", {}).get("steps", [])),
                    "validation": [_float(v) for v in record.get("curve", {}).get("validation", [])]})


def _json(value: float) -> float | None:
    """A number for JSON: a non-finite one (a diverged run) is written as ``null``."""
    return float(value) if math.isfinite(value) else None


def _float(value: float | None) -> float:
    return math.nan if value is None else float(value)


def summarise(values: Sequence[float]) -> tuple[float, float]:
    """Mean and spread (sample standard deviation; 0 for a single value) of one row's values over seeds."""
    array = np.asarray(values, dtype=float)
    if array.ndim != 1 or array.size == 0:
        raise ValueError(f"values must be a non-empty 1-D sequence of numbers; got {values!r}")
    return float(array.mean()), float(array.std(ddof=1)) if array.size > 1 else 0.0


def _finite_summary(values: Sequence[float]) -> tuple[float, float]:
    """:func:`summarise` of the finite values (a diverged seed is flagged, not averaged); NaN if none is."""
    finite = [float(v) for v in values if math.isfinite(float(v))]
    return summarise(finite) if finite else (math.nan, 0.0)


def pick_rate(by_rate: Mapping[float, float], lower_is_better: bool) -> float | None:
    """The rate with the best finite validation value in ``{rate: value}`` (``None`` if none is finite)."""
    finite = {rate: value for rate, value in by_rate.items() if math.isfinite(value)}
    if not finite:
        return None
    return (min if lower_is_better else max)(finite, key=finite.get)


def sweep(
    train: Callable[[float | None, int], Fit],
    grid: Grid | None,
    seeds: Sequence[int],
    select: Metric,
) -> tuple[float | None, dict[float, float], bool, list[Fit]]:
    """Train at each rate of ``grid`` with the first seed, extend the grid while the pick (best validation value
    on ``select``) sits at an edge, then train the other ``seeds`` at the pick. Returns the picked rate, the
    validation value of every rate tried, whether the pick stayed at a bound, and the fits at the pick, one per
    seed (first seed first). Without a grid (a row whose rate is not tuned), ``train(None, seed)`` per seed."""
    if not seeds:
        raise ValueError("seeds must hold at least one seed")
    if grid is None:
        return None, {}, False, [train(None, seed) for seed in seeds]
    first: dict[float, Fit] = {rate: train(rate, seeds[0]) for rate in grid.rates}
    while True:
        by_rate = {rate: fit.final for rate, fit in first.items()}
        pick = pick_rate(by_rate, select.lower_is_better)
        if pick is None:  # every rate diverged: keep the lowest, flagged as degenerate by the caller
            pick = min(first)
            break
        following = grid.next_rate(list(first), pick) if _still_rising(by_rate, pick, select) else None
        if following is None:
            break
        first[following] = train(following, seeds[0])
    tried = sorted(first)
    edge = pick in (tried[0], tried[-1]) and _still_rising(by_rate, pick, select)
    fits = [first[pick], *(train(pick, seed) for seed in seeds[1:])]
    return pick, {rate: first[rate].final for rate in tried}, edge, fits


def _degeneracy(fits: Sequence[Fit]) -> str:
    if any(not fit.finite for fit in fits):
        return "non-finite metric"
    if any(fit.constant for fit in fits):
        return "constant output"
    return ""


def collapsed(row: Row) -> bool:
    """Whether some of the row's runs collapsed (a non-finite metric or a constant output on some seed)."""
    return row.why_degenerate in COLLAPSES


class Differential:
    """The rows of one differential table, judged on ``metric`` (validation picks on ``select``, by default the
    same metric) against each row's reference and the case's trivial predictors. ``paired``: rows that ran the
    same seeds share their data, so their comparison uses per-seed differences."""

    def __init__(self, metric: Metric, select: Metric | None = None, paired: bool = True) -> None:
        self.metric, self.select, self.paired = metric, select or metric, paired
        self.rows: dict[str, Row] = {}
        self.trainers: dict[str, tuple[Callable[[float | None, int], Fit], str]] = {}

    def __getitem__(self, name: str) -> Row:
        return self.rows[name]

    def train(
        self,
        name: str,
        change: str,
        train: Callable[[float | None, int], Fit],
        seeds: Sequence[int],
        grid: Grid | None = None,
        reference: str | None = None,
        key: str | None = None,
        others: Sequence[str] = (),
    ) -> Row:
        """Sweep, repeat and summarise one row; its value is the test metric ``key`` (default: the metric's
        name) averaged over seeds at the picked rate; ``others`` are further test metrics to keep."""
        rate, by_rate, edge, fits = sweep(train, grid, seeds, self.select)
        row = Row(name, change, math.nan, 0.0, [], [], rate, sorted(by_rate), by_rate, edge, reference=reference,
                  others=dict.fromkeys(others, (math.nan, 0.0)))
        self.trainers[name] = (train, key or self.metric.name)
        self._summarise(row, fits)
        return self.add(row)

    def repeat(self, name: str, seeds: Sequence[int]) -> Row:
        """Train row ``name`` at its picked rate with further ``seeds`` (a row that turned out to be a headline
        row, such as the best on validation) and summarise it again; :meth:`judge` gives the verdicts."""
        row, (train, _) = self.rows[name], self.trainers[name]
        self._summarise(row, row.fits + [train(row.learning_rate, seed) for seed in seeds if seed not in row.seed_ids])
        return row

    def _summarise(self, row: Row, fits: list[Fit]) -> None:
        """Set a trained row's values, spread, convergence and degeneracy from its fits (one per seed)."""
        key = self.trainers[row.name][1]
        row.fits, row.seed_ids = fits, [fit.seed for fit in fits]
        row.seed_values = [float(fit.test.get(key, math.nan)) for fit in fits]
        row.value, row.spread = _finite_summary(row.seed_values)
        row.others = {other: _finite_summary([fit.test.get(other, math.nan) for fit in fits]) for other in row.others}
        tolerance = max(_finite_summary([fit.final for fit in fits])[1], self.select.floor)
        gain = improvement(fits, self.select)
        row.converged = not math.isfinite(gain) or gain <= tolerance
        finite = [fit for fit in fits if all(math.isfinite(float(v)) for v in fit.validation)]
        if finite:
            row.curve = {"steps": list(finite[0].steps),
                         "validation": np.mean([list(fit.validation) for fit in finite], axis=0).tolist()}
        row.why_degenerate = _degeneracy(fits)
        row.degenerate = bool(row.why_degenerate)

    def add(self, row: Row) -> Row:
        """Add a row made elsewhere (a learning-free control, a trivial predictor, a row from a record)."""
        if row.name in self.rows:
            raise ValueError(f"a row named {row.name!r} is already in the table")
        self.rows[row.name] = row
        return row

    def fixed(self, name: str, change: str, values: Sequence[float] | float, kind: str = "control",
              seed_ids: Sequence[int] | None = None, reference: str | None = None,
              others: Mapping[str, float] | None = None) -> Row:
        """A row that is not trained by the runner: a learning-free control or (``kind="trivial"``) a trivial
        predictor, with one value or one per seed, and its other test metrics (one value each)."""
        if kind not in ("control", "trivial", "trained"):
            raise ValueError(f"kind must be 'control', 'trivial' or 'trained'; got {kind!r}")
        values = [float(values)] if isinstance(values, int | float) else [float(v) for v in values]
        ids = list(seed_ids) if seed_ids is not None else list(range(len(values)))
        if len(ids) != len(values):
            raise ValueError(f"seed_ids must be as long as values ({len(values)}); got {len(ids)}")
        value, spread = summarise(values)
        return self.add(Row(name, change, value, spread, ids, values, reference=reference, kind=kind,
                            others={key: (float(v), 0.0) for key, v in (others or {}).items()}))

    def compare(self, a: Row, b: Row) -> tuple[str, float]:
        """The verdict of ``a`` against ``b`` and the gain (positive: ``a`` better), as the module says."""
        if not (math.isfinite(a.value) and math.isfinite(b.value)):
            return WORSE if not math.isfinite(a.value) else BETTER, math.nan
        pairs = dict(zip(b.seed_ids, b.seed_values, strict=True))
        paired = (self.paired and a.seeds > 1 and sorted(a.seed_ids) == sorted(b.seed_ids)
                  and a.kind == b.kind == "trained" and all(map(math.isfinite, a.seed_values + b.seed_values)))
        if paired:
            gain, band = summarise([self.metric.gain(value, pairs[seed])
                                    for seed, value in zip(a.seed_ids, a.seed_values, strict=True)])
        else:
            gain, band = self.metric.gain(a.value, b.value), a.spread + b.spread
        if not (a.converged and b.converged):
            return UNDECIDED, gain
        if abs(gain) <= max(band, self.metric.floor):
            return (COLLAPSED if collapsed(a) or collapsed(b) else TIES), gain
        return (BETTER if gain > 0 else WORSE), gain

    def judge(self) -> Differential:
        """Give every row its verdict against its reference, and flag trained rows worse than a trivial one."""
        trivial = [row for row in self.rows.values() if row.kind == "trivial"]
        for row in self.rows.values():
            if row.reference is None:
                row.verdict, row.gain = REFERENCE if row.kind == "trained" else "", None
            else:
                if row.reference not in self.rows:
                    raise ValueError(f"row {row.name!r} names the reference {row.reference!r}, which is not a row")
                row.verdict, row.gain = self.compare(row, self.rows[row.reference])
            if row.kind != "trivial" and not row.degenerate:
                beaten_by = [t.change for t in trivial if self.compare(row, t)[0] == WORSE]
                if beaten_by:
                    row.degenerate, row.why_degenerate = True, f"worse than {beaten_by[0]}"
        return self

    def record(self) -> dict:
        """The ``differential`` entry of the case's metrics: the metric and every row, in table order."""
        self.judge()
        return {"metric": self.metric.record(), "select": self.select.record(), "paired": self.paired,
                "rows": [row.record() for row in self.rows.values()]}

    @classmethod
    def from_record(cls, record: Mapping) -> Differential:
        table = cls(Metric.from_record(record["metric"]), Metric.from_record(record["select"]), record["paired"])
        for row in record["rows"]:
            table.add(Row.from_record(row))
        return table


def agreement(evidence: Row, smoke: Row | None) -> str:
    """Whether a smoke-test row (this build's quick run) agrees in direction with the evidence (the full run):
    the same verdict, or a difference of the same sign where the full run found one."""
    if smoke is None:
        return "not run"
    if not evidence.verdict or evidence.verdict == REFERENCE:
        return "—"
    same = smoke.verdict == evidence.verdict or (
        evidence.verdict in (BETTER, WORSE) and smoke.gain is not None and evidence.gain is not None
        and math.isfinite(smoke.gain) and smoke.gain * evidence.gain > 0)
    return f"{smoke.verdict}: {'agrees' if same else 'differs'}"


def describe_verdict(row: Row) -> str:
    """"better than fix", "ties with reporter", "undecided (not converged)", "reference", "trivial" …"""
    if row.reference is None:
        return row.verdict or row.kind
    joiner = {BETTER: " than ", WORSE: " than ", TIES: " with "}.get(row.verdict, " vs ")
    return f"{row.verdict}{joiner}{row.reference}"


def _number(value: float, spread: float, seeds: int, digits: int) -> str:
    if not math.isfinite(value):
        return "—"
    text = f"{value:.{digits}g}"
    return f"{text} ± {spread:.2g} ({seeds})" if seeds > 1 else text


def _rate(row: Row) -> str:
    if row.learning_rate is None:
        return "—"
    tried = ", ".join(f"{rate:g}" for rate in row.grid)
    return f"{row.learning_rate:g}" + (" (at the bound)" if row.edge else "") + f" of {{{tried}}}"


def _flags(row: Row) -> str:
    flags = [] if row.converged else ["not converged"]
    if row.degenerate:
        flags.append(row.why_degenerate)
    return "; ".join(flags) or "—"


def table(
    evidence: Mapping,
    smoke: Mapping | None = None,
    others: Mapping[str, str] | None = None,
    digits: int = 3,
) -> Markdown:
    """The differential table from a record (``evidence``: the committed full run's ``differential`` entry),
    with this build's verdict and agreement beside each row (``smoke``: this build's entry, if it differs from
    the evidence). ``others`` maps further test metrics to show (key → column title)."""
    full = Differential.from_record(evidence)
    quick = Differential.from_record(smoke) if smoke is not None else None
    metric = full.metric
    direction = "lower is better" if metric.lower_is_better else "higher is better"
    header = ["row", "change", f"{metric.name} ({direction}), mean ± sd (seeds)", *(others or {}).values(),
              "learning rate", "flags", "verdict vs its reference"]
    if quick is not None:
        header.append("this build (quick)")
    body = []
    for row in full.rows.values():
        cells = [row.name, row.change, _number(row.value, row.spread, row.seeds, digits)]
        cells += [_number(*row.others[key], row.seeds, digits) if key in row.others else "—" for key in others or {}]
        cells += [_rate(row), _flags(row), describe_verdict(row)]
        if quick is not None:
            cells.append(agreement(row, quick.rows.get(row.name)))
        body.append(cells)
    align = "ll" + "r" * (1 + len(others or {})) + "rll" + ("l" if quick is not None else "")
    note = (f"Ties: within max(combined spread, {metric.floor:g}) on {metric.name}; "
            + ("paired by seed where rows share seeds. " if full.paired else "spreads added. ")
            + "A pick marked 'at the bound' could not be bracketed within the case's bounds.")
    return Markdown(markdown_rows(header, body, align=align) + "\n\n" + note)


VERBS = {BETTER: "beats", TIES: "ties", WORSE: "loses to", UNDECIDED: "is undecided against (not converged)",
         COLLAPSED: "is undecided against (collapsed runs)"}


def _brief(row: Row) -> dict:
    return {"name": row.name, "change": row.change, "kind": row.kind, "value": row.value, "spread": row.spread,
            "seeds": row.seeds}


def _ratio(metric: Metric, a: float, b: float) -> float | None:
    """``a`` over ``b`` oriented so that > 1 means ``a`` is better; ``None`` for log-scale metrics or a zero."""
    if metric.log_scale or a == 0 or b == 0 or a * b < 0:
        return None
    return b / a if metric.lower_is_better else a / b


def versus(table: Differential, a: str, b: str) -> dict:
    """How row ``a`` compares with row ``b``: the verb, the gain (positive: ``a`` better) and the ratio."""
    verdict, gain = table.compare(table.rows[a], table.rows[b])
    return {"verb": VERBS[verdict], "gain": _json(gain), "ratio": _ratio(table.metric, table.rows[a].value,
                                                                   table.rows[b].value)}


def on_metric(record: Mapping, key: str, metric: Metric) -> Differential:
    """The table of a record's ``differential`` entry judged on another test metric the rows kept (``others``:
    ``key``), with that metric's direction and floor; rows without it are left out."""
    source = Differential.from_record(record)
    table = Differential(metric, paired=False)
    for row in source.rows.values():
        if key in row.others:
            value, spread = row.others[key]
            table.add(Row(row.name, row.change, value, spread, row.seed_ids, [value] * row.seeds,
                          converged=row.converged, degenerate=collapsed(row),
                          why_degenerate=row.why_degenerate if collapsed(row) else "", kind=row.kind))
    return table


def sentence(record: Mapping, a: str, b: str, digits: int = 3, key: str | None = None,
             metric: Metric | None = None) -> str:
    """"the fix (0.884 ± 0.015, 3 seeds) beats the detector (0.819) on test F2 by 0.065 (1.08×)", from a record's
    ``differential`` entry: the verb comes from the runner's rule, so the sentence is right in either mode. With
    ``key`` and ``metric``, on another test metric the rows kept (spreads added, the metric's floor)."""
    table = on_metric(record, key, metric) if key is not None else Differential.from_record(record)
    found, left, right = versus(table, a, b), table.rows[a], table.rows[b]

    def said(row: Row) -> str:
        spread = f" ± {row.spread:.2g}, {row.seeds} seeds" if row.seeds > 1 else ""
        return f"{row.change} ({row.value:.{digits}g}{spread})"

    ratio = "" if found["ratio"] is None else f", {found['ratio']:.3g}×"
    gain = "" if found["gain"] is None else f" by {abs(found['gain']):.2g}{ratio}"
    tail = gain if found["verb"] in ("beats", "loses to") else ""
    return f"{said(left)} {found['verb']} {said(right)} on {table.metric.name}{tail}"


def minimal_change(table: Differential, reporter: str) -> str | None:
    """The best of the rows that change one thing from the reporter's setup (``reference == reporter``), are
    better than it, converged and not degenerate: the smallest change that removes the failure; ``None`` if
    no such row."""
    table.judge()
    score = (lambda row: -row.value) if table.metric.lower_is_better else (lambda row: row.value)
    cures = [row for row in table.rows.values()
             if row.reference == reporter and row.verdict == BETTER and not row.degenerate]
    return max(cures, key=score).name if cures else None


def summary(table: Differential, fix: str, baselines: Sequence[str], best: str | None = None) -> dict:
    """What the results page states for a case: the named fix, the best treatment (the best converged,
    non-degenerate trained row unless named), the strongest baseline (of ``baselines`` and every control and
    trivial row), each compared with it, and every row that beats or ties the fix."""
    table.judge()
    rows, metric = table.rows, table.metric
    score = (lambda row: -row.value) if metric.lower_is_better else (lambda row: row.value)
    usable = [row for row in rows.values() if row.kind == "trained" and row.converged and not row.degenerate]
    best_row = rows[best] if best is not None else max(usable or [rows[fix]], key=score)
    pool = [rows[name] for name in baselines] + [row for row in rows.values()
                                                 if row.kind in ("control", "trivial") and row.name not in baselines]
    strongest = max(pool, key=score)
    rivals = []
    for row in rows.values():
        if row.name != fix:
            found = versus(table, row.name, fix)
            if found["verb"] in ("beats", "ties"):
                rivals.append(_brief(row) | {"verb": found["verb"]})
    return {"metric": metric.record(), "fix": _brief(rows[fix]), "best": _brief(best_row),
            "strongest_baseline": _brief(strongest),
            "fix_vs_baseline": versus(table, fix, strongest.name),
            "best_vs_baseline": versus(table, best_row.name, strongest.name), "rivals": rivals}
