"""The committed full run of a case: the evidence its page shows, read from the package.

``benchmarks/full/NN-name.json`` holds the metrics JSON that the case wrote in full mode plus a ``run`` object
(``date``, ``device``, ``commit``, ``seconds``, ``peak_host_mib``) and, where the case's code changed after that
commit, a ``stale`` object (``since``: the commit, ``files``: what changed; written by ``python -m
dlclinic.build.provenance --mark``). ``python -m dlclinic.build.run --full --record-full CASE`` writes it. The
records ship inside the package as ``dlclinic.records`` (a link to ``benchmarks/full``), so a learner's install
shows them too.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from importlib.resources import files
from pathlib import Path

from IPython.display import Markdown

from dlclinic.tables import markdown_rows

RUN_KEYS = ("date", "device", "commit", "seconds", "peak_host_mib")
NO_RECORD = "no full run recorded yet"


def records_folder() -> Path:
    """Where the committed full runs are: ``benchmarks/full`` in a clone, the package's copy in an install."""
    return Path(str(files("dlclinic.records")))


def load_full_record(slug: str, folder: str | Path | None = None) -> dict | None:
    """The committed full run of case ``slug`` (its metrics and its ``run``), or ``None`` if none is recorded."""
    path = Path(folder or records_folder()) / f"{slug}.json"
    if not path.is_file():
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
    """"full run of 2026-12-01 on CPU (2 cores), commit abc1234, 1520 s", or ``NO_RECORD``; a stale record says
    so and names the files changed since its commit."""
    if record is None:
        return NO_RECORD
    run = record["run"]
    seconds = run.get("seconds")
    took = f", {seconds:.0f} s" if isinstance(seconds, int | float) else ""
    text = f"full run of {run.get('date', '?')} on {run.get('device', '?')}, commit {run.get('commit', '?')}{took}"
    stale = record.get("stale")
    if stale:
        text += (f"; STALE: the case's code changed after commit {stale['since']} "
                 f"({', '.join(stale['files'])}), so this run may not be what the code now does")
    return text


def evidence_banner(record: Mapping | None, mode: str) -> Markdown:
    """The note at the top of a case's results: whose numbers decide the page, and how this build relates."""
    if record is None:
        return Markdown(f"```{{warning}}\nNo full run is recorded for this case yet: the tables below show this "
                        f"build's {mode} run, a smoke test whose runs have not converged. Nothing here is evidence."
                        "\n```")
    kind = "warning" if record.get("stale") else "note"
    return Markdown(f"```{{{kind}}}\nThe tables and verdicts below are the committed {describe_run(record)}. "
                    f"This build ran in {mode} mode: beside each verdict it says whether it agrees, and decides "
                    "nothing.\n```")


class Evidence:
    """Which run decides the page. In full mode this run is the evidence; in quick mode the committed full run is
    (where there is one) and this run is the smoke test shown beside it."""

    def __init__(self, full: Mapping | None, quick: bool) -> None:
        self.full, self.quick = full, quick

    @property
    def from_record(self) -> bool:
        """Whether the page's evidence is the committed record (quick mode with a record)."""
        return self.quick and self.full is not None

    def pick(self, key: str, here: object) -> tuple[object, object | None]:
        """``(evidence, smoke)`` for the metrics entry ``key`` whose value in this run is ``here``: the record's
        entry and this run's in quick mode with a record, else this run's and ``None``."""
        if not self.from_record:
            return here, None
        if key not in self.full:
            raise KeyError(f"the committed full run has no {key!r}: record the case again (make full CASE=...)")
        return self.full[key], here


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
