"""``python -m dlclinic.benchmark``: check each case's wall time against its budget and print its headline ratios.

It reads the ``results.json`` that ``python -m dlclinic.run`` wrote (quick or full mode) and prints one row per
case: mode, seconds, device, the budget for that mode, and the ratios the case reports under ``headline`` in its
metrics (e.g. how many times lower the fix's error is than the reporter's). Budgets are checked here, not by
timed tests: quick mode ≤ 180 s on 2 CPU cores, full mode ≤ 600 s on one GPU.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

BUDGETS = {"quick": 180.0, "full": 600.0}


def benchmark_rows(results: dict) -> list[dict]:
    """One row per case: its timing, the budget for its mode, whether it fits, and its headline ratios."""
    rows = []
    for slug, record in sorted(results.get("cases", {}).items()):
        if record.get("mode") not in BUDGETS or not isinstance(record.get("seconds"), int | float):
            continue  # not a record the runner wrote
        budget = BUDGETS[record["mode"]]
        rows.append(
            {
                "case": slug,
                "mode": record["mode"],
                "seconds": float(record["seconds"]),
                "device": record.get("device", "?"),
                "budget": budget,
                "within": float(record["seconds"]) <= budget,
                "headline": record.get("metrics", {}).get("headline", {}),
            }
        )
    return rows


def benchmark_table(rows: list[dict], separator: str = ", ") -> str:
    """The rows as a Markdown table; ``separator`` joins a case's headline ratios (``<br>`` for a web page)."""
    lines = ["| case | mode | seconds (budget) | device | headline |", "|---|---|---:|---|---|"]
    for row in rows:
        headline = separator.join(f"{k} = {v:.3g}" for k, v in sorted(row["headline"].items())) or "—"
        within = "" if row["within"] else " **over**"
        lines.append(
            f"| {row['case']} | {row['mode']} | {row['seconds']:.1f} ({row['budget']:.0f}){within} | "
            f"{str(row['device']).replace('|', '/')} | {headline} |"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """Print the table; exit 1 if a case is over its budget (or no results exist)."""
    parser = argparse.ArgumentParser(prog="python -m dlclinic.benchmark", description=__doc__.split("\n")[0])
    parser.add_argument("--results", type=Path, default=Path("build/results.json"), help="the runner's results")
    args = parser.parse_args(argv)
    if not args.results.is_file():
        print(f"no results at {args.results}: run `python -m dlclinic.run` first", file=sys.stderr)
        return 1
    rows = benchmark_rows(json.loads(args.results.read_text()))
    print(benchmark_table(rows))
    over = [row["case"] for row in rows if not row["within"]]
    if over:
        print(f"over budget: {', '.join(over)}", file=sys.stderr)
    return 1 if over or not rows else 0


if __name__ == "__main__":
    sys.exit(main())
