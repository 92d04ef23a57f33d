"""``python -m dlclinic.benchmark``: quick and full wall time per case against their budgets, and headline ratios.

It reads the per-mode ``timings`` that ``python -m dlclinic.run`` keeps in ``build/results.json`` and the
records of measured runs committed under ``benchmarks/`` (full runs made on a GPU runner, long CPU runs), and
prints one row per case: quick-mode seconds and device, full-mode seconds and device, the full run's peak
memory and the case's headline ratios (e.g. how many times lower the fix's error is than the reporter's). For
each case and mode this build's timing wins, else the newest record's. Budgets are checked here, not by timed
tests: quick mode ≤ 180 s per case (on 2 CPU cores; checked on any device), full mode ≤ 600 s per case on
one GPU (a full run on a CPU is shown, not checked). ``--record FILE`` writes this build's timings as a record.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import sys
from datetime import UTC, datetime
from pathlib import Path

BUDGETS = {"quick": 180.0, "full": 600.0}
DATE = re.compile(r"^\d{4}-\d\d-\d\d$")  # a timing's date: the UTC day its run ended


def _number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def timing_from_case(record: dict) -> dict | None:
    """The timing a ``results.json`` case record implies (date and memory unknown); ``None`` if it has none."""
    if record.get("mode") not in BUDGETS or not _number(record.get("seconds")):
        return None
    headline = (record.get("metrics") or {}).get("headline") or {}
    return {
        "seconds": float(record["seconds"]),
        "device": record.get("device"),
        "date": None,
        "peak_host_mib": None,
        "peak_gpu_mib": None,
        "headline": headline,
    }


def check_timings(timings: object, where: str) -> dict[str, dict[str, dict]]:
    """Return ``timings`` (``{slug: {mode: timing}}``) if well formed, else raise ``ValueError`` naming ``where``."""
    if not isinstance(timings, dict):
        raise ValueError(f'{where}: "timings" must be an object {{slug: {{mode: timing}}}}')
    for slug, modes in timings.items():
        if not isinstance(modes, dict):
            raise ValueError(f"{where}: the timings of {slug} must be an object {{mode: timing}}")
        for mode, timing in modes.items():
            if mode not in BUDGETS:
                raise ValueError(f"{where}: {slug} has a timing for mode {mode!r}; modes are {', '.join(BUDGETS)}")
            if not isinstance(timing, dict) or not _number(timing.get("seconds")):
                raise ValueError(f"{where}: the {mode} timing of {slug} must be an object with numeric seconds")
            date = timing.get("date")
            if date is not None and not (isinstance(date, str) and DATE.match(date)):
                raise ValueError(f"{where}: the {mode} date of {slug} must be YYYY-MM-DD or null; got {date!r}")
            if not isinstance(timing.get("headline") or {}, dict):
                raise ValueError(f"{where}: the {mode} headline of {slug} must be an object of ratios")
    return timings


def timings_of(results: dict, where: str = "results") -> dict[str, dict[str, dict]]:
    """The per-mode timings of a ``results.json``; one written before they existed gets them from its cases."""
    if not isinstance(results, dict) or not isinstance(results.get("cases", {}), dict):
        raise ValueError(f'{where} must hold {{"cases": {{slug: record}}}}')
    if "timings" in results:
        return check_timings(results["timings"], where)
    derived = {}
    for slug, record in results.get("cases", {}).items():
        timing = timing_from_case(record) if isinstance(record, dict) else None
        if timing is not None:
            derived[slug] = {record["mode"]: timing}
    return derived


def make_record(results: dict, note: str | None = None) -> dict:
    """A record of this build's timings to commit under ``benchmarks/``, with a note of the machine.

    A timing without a date (from a ``results.json`` older than dated timings) gets today's UTC date.
    """
    timings = timings_of(results)
    if not timings:
        raise ValueError("the results hold no timings to record; run `python -m dlclinic.run` first")
    today = datetime.now(UTC).date().isoformat()
    timings = {
        slug: {mode: {**timing, "date": timing.get("date") or today} for mode, timing in modes.items()}
        for slug, modes in timings.items()
    }
    machine = f"{platform.system()} {platform.machine()}, {os.cpu_count()} CPU cores"
    return {"machine": machine, **({"note": note} if note else {}), "timings": timings}


def load_records(folder: Path) -> dict[str, dict[str, dict[str, dict]]]:
    """The timings of every record ``folder/*.json``, by file stem; an absent folder holds none."""
    records = {}
    for path in sorted(folder.glob("*.json")):
        try:
            record = json.loads(path.read_text(encoding="utf-8"))
        except json.JSONDecodeError as error:
            raise ValueError(f"{path} is not valid JSON: {error}") from None
        if not isinstance(record, dict) or "timings" not in record:
            raise ValueError(f'{path} must hold {{"timings": {{slug: {{mode: timing}}}}}}')
        records[path.stem] = check_timings(record["timings"], str(path))
    return records


def budget_for(mode: str, device: object) -> float | None:
    """The budget a timing is checked against: quick on any device, full only off the CPU (``None``: unchecked)."""
    if mode not in BUDGETS:
        raise ValueError(f"mode must be one of {', '.join(BUDGETS)}; got {mode!r}")
    if mode == "full" and str(device).startswith("CPU"):
        return None
    return BUDGETS[mode]


def pick_timing(slug: str, mode: str, build: dict, records: dict[str, dict]) -> dict | None:
    """This build's timing of (case, mode), else the newest record's (by date, then file name) with its source."""
    if mode in build.get(slug, {}):
        return {**build[slug][mode], "source": None}
    found = [(timings[slug][mode].get("date") or "", name) for name, timings in records.items()
             if mode in timings.get(slug, {})]
    if not found:
        return None
    date, name = max(found)
    return {**records[name][slug][mode], "source": f"record {name}, {date}" if date else f"record {name}"}


def benchmark_rows(results: dict | None, records: dict[str, dict] | None = None) -> list[dict]:
    """One row per case: ``{"case", "quick", "full", "over"}``; a mode's timing (or ``None``) carries its
    ``source`` (``None`` for this build), ``budget`` (``None``: unchecked) and ``within``; ``over`` lists the
    modes over budget."""
    build = timings_of(results) if results is not None else {}
    records = records or {}
    slugs = sorted(set(build) | {slug for timings in records.values() for slug in timings})
    rows = []
    for slug in slugs:
        row: dict = {"case": slug, "over": []}
        for mode in BUDGETS:
            timing = pick_timing(slug, mode, build, records)
            if timing is not None:
                budget = budget_for(mode, timing.get("device"))
                timing.update(budget=budget, within=budget is None or timing["seconds"] <= budget)
                if not timing["within"]:
                    row["over"].append(mode)
            row[mode] = timing
        if row["quick"] or row["full"]:
            rows.append(row)
    return rows


def _seconds_cell(timing: dict | None) -> str:
    if timing is None:
        return "—"
    if timing["budget"] is None:
        return f"{timing['seconds']:.1f} (CPU, no budget)"
    return f"{timing['seconds']:.1f}" + ("" if timing["within"] else " **over**")


def _device_cell(timing: dict | None) -> str:
    if timing is None:
        return "—"
    device = str(timing.get("device") or "?")
    return device + (f" ({timing['source']})" if timing["source"] else "")


def _memory_cell(timing: dict | None) -> str:
    if timing is None:
        return "—"
    if timing.get("peak_gpu_mib") is not None:
        return f"{timing['peak_gpu_mib']:.0f} MiB GPU"
    if timing.get("peak_host_mib") is not None:
        return f"{timing['peak_host_mib']:.0f} MiB host"
    return "?"


def _headline_cell(row: dict, separator: str) -> str:
    mode = "full" if row["full"] and row["full"].get("headline") else "quick"
    headline = (row[mode] or {}).get("headline") or {}
    ratios = separator.join(f"{name} = {value:.3g}" if _number(value) else f"{name} = {value}"
                            for name, value in sorted(headline.items()))
    return f"{mode}: {ratios}" if ratios else "—"


def benchmark_table(rows: list[dict], separator: str = ", ") -> str:
    """The rows as a Markdown table; ``separator`` joins a case's headline ratios (``<br>`` for a web page)."""
    quick, full = BUDGETS["quick"], BUDGETS["full"]
    lines = [
        f"| case | quick s (≤ {quick:.0f}) | quick device | full s (≤ {full:.0f} on a GPU) | "
        "full device | full peak memory | headline |",
        "|---|---:|---|---:|---|---:|---|",
    ]
    for row in rows:
        cells = [
            row["case"],
            _seconds_cell(row["quick"]),
            _device_cell(row["quick"]),
            _seconds_cell(row["full"]),
            _device_cell(row["full"]),
            _memory_cell(row["full"]),
            _headline_cell(row, separator),
        ]
        lines.append("| " + " | ".join(cell.replace("|", "/") for cell in cells) + " |")
    return "\n".join(lines)


def read_results(path: Path) -> dict:
    """The ``results.json`` at ``path``, raising ``ValueError`` if it is not a JSON object of cases."""
    try:
        results = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as error:
        raise ValueError(f"{path} is not valid JSON: {error}") from None
    timings_of(results, str(path))  # validates
    return results


def main(argv: list[str] | None = None) -> int:
    """Print the table (after writing ``--record``); exit 1 if a checked budget is exceeded or nothing is shown."""
    parser = argparse.ArgumentParser(prog="python -m dlclinic.benchmark", description=__doc__.split("\n")[0])
    parser.add_argument("--results", type=Path, default=Path("build/results.json"), help="the runner's results")
    parser.add_argument("--records", type=Path, default=Path("benchmarks"), help="committed records (benchmarks)")
    parser.add_argument("--record", type=Path, metavar="FILE", help="write this build's timings to FILE first")
    parser.add_argument("--note", help="a note stored in the --record file (e.g. which runner and commit)")
    args = parser.parse_args(argv)
    try:
        results = read_results(args.results) if args.results.is_file() else None
        if args.record is not None:
            if results is None:
                raise ValueError(f"no results at {args.results} to record; run `python -m dlclinic.run` first")
            args.record.parent.mkdir(parents=True, exist_ok=True)
            record = make_record(results, args.note)
            args.record.write_text(json.dumps(record, indent=2, sort_keys=True) + "\n", encoding="utf-8")
            print(f"recorded the timings of {len(record['timings'])} case(s) in {args.record}", file=sys.stderr)
        rows = benchmark_rows(results, load_records(args.records))
    except ValueError as error:
        print(f"dlclinic.benchmark: error: {error}", file=sys.stderr)
        return 1
    if results is None:
        print(f"no results at {args.results} (run `python -m dlclinic.run`); showing committed records only",
              file=sys.stderr)
    if not rows:
        print(f"nothing to show: no timings in {args.results} or {args.records}/*.json", file=sys.stderr)
        return 1
    print(benchmark_table(rows))
    over = [f"{row['case']} ({mode})" for row in rows for mode in row["over"]]
    if over:
        print(f"over budget: {', '.join(over)}", file=sys.stderr)
    return 1 if over else 0


if __name__ == "__main__":
    sys.exit(main())
