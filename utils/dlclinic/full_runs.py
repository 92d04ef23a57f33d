"""The committed full run of a case, read by its notebook to show beside this build's numbers.

``benchmarks/full/NN-name.json`` holds the metrics JSON that the case wrote in full mode plus a ``run`` object
(``date``, ``device``, ``commit``, ``seconds``, ``peak_host_mib``); ``python -m dlclinic.build.run --full
--record-full CASE`` writes it. A notebook finds it by walking up from its folder to the repository root;
where the repository is not around (a learner's copy in Colab), there is no record to show and the page says
so.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from pathlib import Path

from IPython.display import Markdown

from dlclinic.tables import markdown_rows

FULL_DIR = Path("benchmarks", "full")
RUN_KEYS = ("date", "device", "commit", "seconds", "peak_host_mib")
NO_RECORD = "no full run recorded yet"


def full_record_path(slug: str, start: str | Path = ".") -> Path | None:
    """``benchmarks/full/<slug>.json`` in ``start`` or the nearest folder above it that has one, else ``None``."""
    here = Path(start).resolve()
    for folder in (here, *here.parents):
        path = folder / FULL_DIR / f"{slug}.json"
        if path.is_file():
            return path
    return None


def load_full_record(slug: str, start: str | Path = ".") -> dict | None:
    """The committed full run of case ``slug`` (its metrics and its ``run``), or ``None`` if none is recorded."""
    path = full_record_path(slug, start)
    if path is None:
        return None
    record = json.loads(path.read_text(encoding="utf-8"))
    if not isinstance(record, dict) or not isinstance(record.get("run"), dict):
        raise ValueError(f"{path} must hold the case's metrics and a 'run' object with {', '.join(RUN_KEYS)}")
    return record


def metric(metrics: Mapping, key: str) -> float | None:
    """The value at a dotted ``key`` ("best.nmse") of a metrics dict, or ``None`` if it is not there."""
    value: object = metrics
    for part in key.split("."):
        if not isinstance(value, Mapping) or part not in value:
            return None
        value = value[part]
    return value if isinstance(value, int | float) and not isinstance(value, bool) else None


def describe_run(record: Mapping | None) -> str:
    """"full run of 2026-12-01 on CPU (2 cores), commit abc1234, 1520 s", or ``NO_RECORD``."""
    if record is None:
        return NO_RECORD
    run = record["run"]
    seconds = run.get("seconds")
    took = f", {seconds:.0f} s" if isinstance(seconds, int | float) else ""
    return f"full run of {run.get('date', '?')} on {run.get('device', '?')}, commit {run.get('commit', '?')}{took}"


def _cell(value: float | None, digits: int) -> str:
    return "—" if value is None else f"{value:.{digits}g}"


def modes_table(
    this_run: Mapping, mode: str, full: Mapping | None, rows: Sequence[tuple[str, str]], digits: int = 3
) -> Markdown:
    """Rows ``(label, dotted metric key)``: this build's value (in ``mode``) beside the committed full run's."""
    body = [[label, _cell(metric(this_run, key), digits), _cell(None if full is None else metric(full, key), digits)]
            for label, key in rows]
    table = markdown_rows(["", f"this build ({mode})", "committed full run"], body, align="lrr")
    return Markdown(f"{table}\n\nCommitted full run: {describe_run(full)}.")
