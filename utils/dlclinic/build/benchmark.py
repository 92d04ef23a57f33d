"""``python -m dlclinic.build.benchmark``: quick and full wall time per case against their budgets.

It reads this build's per-mode timings (``build/results.json``) and the committed full runs
(``benchmarks/full/<slug>.json``) and prints one row per case: quick seconds, full seconds with where and when
the full run was made, its peak memory, and the headline ratios. For the full mode this build's own full run
wins, else the committed one. Budgets are checked here, not by timed tests: quick mode ≤ 180 s per case (on 2
CPU cores; checked on any device), full mode ≤ 45 min per case on 2 CPU cores, or ≤ 600 s on one GPU.
It exits 1 when a case is over its budget.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from dlclinic.build.results import FULL_RECORDS, RecordError, load_full_records, load_results, timings_of
from dlclinic.tables import markdown_rows

QUICK_BUDGET = 180.0
FULL_BUDGET = {"CPU": 2700.0, "GPU": 600.0}


def budget_for(mode: str, device: object) -> float:
    """The seconds a run of ``mode`` on ``device`` may take: quick anywhere, full by CPU or GPU."""
    if mode == "quick":
        return QUICK_BUDGET
    if mode != "full":
        raise ValueError(f"mode must be quick or full; got {mode!r}")
    return FULL_BUDGET["CPU" if str(device).startswith("CPU") else "GPU"]


def full_timing(record: dict) -> dict:
    """A committed full run as a timing (seconds, device, date, commit, peak, headline)."""
    run = record["run"]
    return {**run, "peak_gpu_mib": None, "headline": record.get("headline") or {}, "source": "committed"}


def benchmark_rows(results: dict, full_records: dict[str, dict]) -> list[dict]:
    """One row per case: ``{"case", "quick", "full", "over"}``; each timing (or ``None``) carries its
    ``budget`` and ``within``; ``over`` lists the modes over budget."""
    build = timings_of(results)
    rows = []
    for slug in sorted(set(build) | set(full_records)):
        row: dict = {"case": slug, "over": []}
        for mode in ("quick", "full"):
            timing = build.get(slug, {}).get(mode)
            if timing is not None:
                timing = {**timing, "source": "this build"}
            elif mode == "full" and slug in full_records:
                timing = full_timing(full_records[slug])
            if timing is not None:
                timing["budget"] = budget_for(mode, timing.get("device"))
                timing["within"] = timing["seconds"] <= timing["budget"]
                if not timing["within"]:
                    row["over"].append(mode)
            row[mode] = timing
        rows.append(row)
    return rows


def _seconds(timing: dict | None) -> str:
    if timing is None:
        return "—"
    over = "" if timing["within"] else " **over**"
    load = ""  # a wall time taken on a shared machine says little without its CPU time and the load it ran under
    if timing.get("cpu_seconds") is not None and timing.get("load_average") is not None:
        load = f"; {timing['cpu_seconds']:.0f} CPU s at load {timing['load_average']:.1f}"
    return f"{timing['seconds']:.0f} (≤ {timing['budget']:.0f}){over}{load}"


def _where(timing: dict | None) -> str:
    if timing is None:
        return "not run yet"
    commit = f", {timing['commit']}" if timing.get("commit") else ""
    return f"{timing.get('device') or '?'}, {timing.get('date') or '?'}{commit} ({timing['source']})"


def _memory(timing: dict | None) -> str:
    if timing is None:
        return "—"
    if timing.get("peak_gpu_mib") is not None:
        return f"{timing['peak_gpu_mib']:.0f} MiB GPU"
    return "?" if timing.get("peak_host_mib") is None else f"{timing['peak_host_mib']:.0f} MiB"


def _headline(row: dict) -> str:
    mode = "full" if row["full"] and row["full"].get("headline") else "quick"
    headline = (row[mode] or {}).get("headline") or {}
    return "; ".join(f"{name} {value:.3g}" for name, value in sorted(headline.items())) or "—"


def benchmark_table(rows: list[dict]) -> str:
    """The rows as a Markdown table."""
    header = ["case", "quick s", "full s", "full run", "full peak", "headline"]
    body = [
        [row["case"], _seconds(row["quick"]), _seconds(row["full"]), _where(row["full"]), _memory(row["full"]),
         _headline(row)]
        for row in rows
    ]
    return markdown_rows(header, body, align="lrrlrl")


def _number(value: object, digits: int) -> str:
    return f"{value:.{digits}f}" if isinstance(value, int | float) else "?"


def runtime_table(results: dict) -> str:
    """This build's last run per case and mode: seconds, device, memory peaks and date."""
    body = []
    for slug, modes in sorted(timings_of(results).items()):
        for mode, timing in sorted(modes.items(), key=lambda item: item[0] != "quick"):
            device = timing.get("device") or "?"
            gpu = "—" if device.startswith("CPU") else _number(timing.get("peak_gpu_mib"), 0)
            body.append([slug, mode, _number(timing["seconds"], 1), device, _number(timing.get("peak_host_mib"), 0),
                         gpu, timing.get("date") or "?"])
    header = ["case", "mode", "seconds", "device", "peak host MiB", "peak GPU MiB", "date"]
    return markdown_rows(header, body, align="llrlrrl") + "\n"


def main(argv: list[str] | None = None) -> int:
    """Print the table; exit 1 if a case is over budget or nothing is recorded."""
    parser = argparse.ArgumentParser(prog="python -m dlclinic.build.benchmark", description=__doc__.split("\n")[0])
    parser.add_argument("--results", type=Path, default=Path("build/results.json"), help="the runner's results")
    parser.add_argument("--full-records", type=Path, default=FULL_RECORDS, help="committed full runs")
    args = parser.parse_args(argv)
    try:
        rows = benchmark_rows(load_results(args.results), load_full_records(args.full_records))
    except RecordError as error:
        print(f"dlclinic.build.benchmark: error: {error}", file=sys.stderr)
        return 1
    if not rows:
        print(f"nothing to show: no timings in {args.results} or {args.full_records}/", file=sys.stderr)
        return 1
    print(benchmark_table(rows))
    over = [f"{row['case']} ({mode})" for row in rows for mode in row["over"]]
    if over:
        print(f"over budget: {', '.join(over)}", file=sys.stderr)
    return 1 if over else 0


if __name__ == "__main__":
    sys.exit(main())
