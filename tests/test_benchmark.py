"""The benchmark: this build's per-mode timings and the committed full runs, against the budgets."""

from __future__ import annotations

import json
from pathlib import Path

from dlclinic.build.benchmark import benchmark_rows, benchmark_table, budget_for, main, runtime_table

CASE = "03-batchnorm-regression"
CPU = "CPU (2 cores)"


def timing(seconds: float, device: str = CPU) -> dict:
    return {"seconds": seconds, "device": device, "date": "2026-12-01", "peak_host_mib": 2100, "peak_gpu_mib": None,
            "headline": {"fix_vs_reporter": 150.0}}


def full_record(seconds: float, device: str = CPU) -> dict:
    run = {"date": "2026-11-30", "device": device, "commit": "abc1234", "seconds": seconds, "peak_host_mib": 1759}
    return {"best": {"nmse": 0.04}, "headline": {"fix_vs_reporter": 28.9}, "run": run}


def test_budgets_quick_anywhere_full_by_device() -> None:
    assert budget_for("quick", CPU) == 180 and budget_for("quick", "NVIDIA H100") == 180
    assert budget_for("full", CPU) == 2700 and budget_for("full", "NVIDIA H100") == 600


def test_the_build_wins_else_the_committed_full_run() -> None:
    results = {"cases": {}, "timings": {CASE: {"quick": timing(120.0)}}}
    [row] = benchmark_rows(results, {CASE: full_record(2500.0)})
    assert row["quick"]["source"] == "this build" and row["full"]["source"] == "committed"
    assert row["full"]["commit"] == "abc1234" and row["over"] == []
    table = benchmark_table([row])
    assert "| 120 (≤ 180) | 2500 (≤ 2700) | CPU (2 cores), 2026-11-30, abc1234 (committed) | 1759 MiB |" in table
    assert "fix_vs_reporter 28.9" in table  # the full run's headline
    results["timings"][CASE]["full"] = timing(3000.0)
    [row] = benchmark_rows(results, {CASE: full_record(2500.0)})
    assert row["full"]["source"] == "this build" and row["over"] == ["full"]
    assert "3000 (≤ 2700) **over**" in benchmark_table([row])


def test_a_case_never_run_shows_dashes() -> None:
    [row] = benchmark_rows({"cases": {}, "timings": {CASE: {"quick": timing(100.0)}}}, {})
    assert "| — | not run yet | — |" in benchmark_table([row])


def test_exit_status(tmp_path: Path, capsys) -> None:
    results, records = tmp_path / "results.json", tmp_path / "full"
    assert main(["--results", str(results), "--full-records", str(records)]) == 1
    assert "nothing to show" in capsys.readouterr().err
    results.write_text(json.dumps({"cases": {}, "timings": {CASE: {"quick": timing(200.0)}}}))
    assert main(["--results", str(results), "--full-records", str(records)]) == 1
    assert "over budget: 03-batchnorm-regression (quick)" in capsys.readouterr().err
    results.write_text(json.dumps({"cases": {}, "timings": {CASE: {"quick": timing(100.0)}}}))
    assert main(["--results", str(results), "--full-records", str(records)]) == 0
    records.mkdir()
    (records / f"{CASE}.json").write_text("{}")
    assert main(["--results", str(results), "--full-records", str(records)]) == 1
    assert "'run' is a required property" in capsys.readouterr().err


def test_runtime_table_has_one_row_per_case_and_mode() -> None:
    results = {"cases": {}, "timings": {
        "02-b": {"full": {**timing(301.26, "NVIDIA H100"), "peak_gpu_mib": 4100}, "quick": timing(95.24)},
        "01-a": {"quick": timing(60.0)},
    }}
    assert runtime_table(results).splitlines() == [
        "| case | mode | seconds | device | peak host MiB | peak GPU MiB | date |",
        "|---|---|---:|---|---:|---:|---|",
        "| 01-a | quick | 60.0 | CPU (2 cores) | 2100 | — | 2026-12-01 |",
        "| 02-b | quick | 95.2 | CPU (2 cores) | 2100 | — | 2026-12-01 |",
        "| 02-b | full | 301.3 | NVIDIA H100 | 2100 | 4100 | 2026-12-01 |",
    ]
