"""The benchmark script: per-mode timings from the build and committed records, budgets and headline ratios."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from dlclinic.benchmark import benchmark_rows, benchmark_table, budget_for, load_records, main, make_record

CASE = "03-batchnorm-regression"
CPU = "CPU (2 cores)"
GPU = "NVIDIA H100 80GB HBM3"


def legacy(seconds: float, mode: str = "quick") -> dict:
    """A results.json written before per-mode timings: the case's last run only."""
    metrics = {"headline": {"fix_vs_reporter": 150.0}, "x": {"nmse": 0.5}}
    return {"cases": {CASE: {"mode": mode, "seconds": seconds, "device": CPU, "metrics": metrics}}}


def timing(seconds: float, device: str = CPU, date: str | None = "2025-06-01", gpu: int | None = None,
           ratio: float = 150.0) -> dict:
    return {"seconds": seconds, "device": device, "date": date, "peak_host_mib": 2100, "peak_gpu_mib": gpu,
            "headline": {"fix_vs_reporter": ratio, "fix_vs_baseline": 0.717}}


def results(**modes: dict) -> dict:
    return {"cases": {}, "timings": {CASE: modes}}


def write(path: Path, data: dict) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data))
    return path


def test_a_legacy_results_json_still_gives_its_row():
    assert benchmark_rows(legacy(120.0))[0]["quick"]["within"]
    assert benchmark_rows(legacy(200.0))[0]["over"] == ["quick"]
    row = benchmark_rows(legacy(500.0, mode="full"))[0]
    assert row["quick"] is None and row["full"]["seconds"] == 500.0 and row["full"]["date"] is None
    assert "| 120.0 | CPU (2 cores) | — | — | — | quick: fix_vs_reporter = 150 |" in benchmark_table(
        benchmark_rows(legacy(120.0))
    )


def test_quick_and_full_share_a_row():
    rows = benchmark_rows(results(quick=timing(95.24, ratio=40.0), full=timing(412.3, GPU, gpu=1843)))
    assert benchmark_table(rows, separator="<br>").splitlines() == [
        "| case | quick s (≤ 180) | quick device | full s (≤ 600 on a GPU) | full device | full peak memory | "
        "headline |",
        "|---|---:|---|---:|---|---:|---|",
        f"| {CASE} | 95.2 | CPU (2 cores) | 412.3 | {GPU} | 1843 MiB GPU | "
        "full: fix_vs_baseline = 0.717<br>fix_vs_reporter = 150 |",
    ]


def test_budgets_quick_on_any_device_full_only_on_a_gpu():
    assert budget_for("quick", CPU) == budget_for("quick", GPU) == 180.0
    assert budget_for("full", GPU) == 600.0 and budget_for("full", CPU) is None
    with pytest.raises(ValueError, match="mode must be one of quick, full"):
        budget_for("medium", CPU)
    row = benchmark_rows(results(quick=timing(190.0, GPU), full=timing(3550.0)))[0]
    assert row["over"] == ["quick"] and row["full"]["within"] and row["full"]["budget"] is None
    line = benchmark_table([row]).splitlines()[2]
    assert "| 190.0 **over** |" in line and "| 3550.0 (CPU, no budget) | CPU (2 cores) | 2100 MiB host |" in line
    assert benchmark_rows(results(full=timing(700.0, GPU)))[0]["over"] == ["full"]


def test_records_fill_in_what_the_build_lacks_and_the_newest_wins(tmp_path):
    write(tmp_path / "gpu-3.json", {"timings": {CASE: {"full": timing(450.0, GPU, "2025-05-01", gpu=1900)}}})
    write(tmp_path / "gpu-7.json", {"timings": {CASE: {"full": timing(430.0, GPU, "2025-06-20", gpu=1800)},
                                                "05-siamese-speakers": {"full": timing(300.0, GPU, None)}}})
    write(tmp_path / "cpu.json", {"timings": {CASE: {"quick": timing(170.0, date="2025-07-01")}}})
    (tmp_path / "README.md").write_text("not a record")
    records = load_records(tmp_path)
    assert sorted(records) == ["cpu", "gpu-3", "gpu-7"]

    rows = benchmark_rows(results(quick=timing(95.0)), records)
    assert [row["case"] for row in rows] == [CASE, "05-siamese-speakers"]
    assert rows[0]["quick"]["seconds"] == 95.0 and rows[0]["quick"]["source"] is None  # the build wins
    assert rows[0]["full"]["seconds"] == 430.0 and rows[0]["full"]["source"] == "record gpu-7, 2025-06-20"
    assert rows[1]["quick"] is None and rows[1]["full"]["source"] == "record gpu-7"
    table = benchmark_table(rows)
    assert f"| 430.0 | {GPU} (record gpu-7, 2025-06-20) | 1800 MiB GPU |" in table
    assert "| 95.0 | CPU (2 cores) |" in table

    only_records = benchmark_rows(None, records)
    assert only_records[0]["quick"]["source"] == "record cpu, 2025-07-01"
    assert benchmark_rows(None, load_records(tmp_path / "absent")) == []


def test_malformed_records_and_timings_are_named(tmp_path):
    bad = tmp_path / "bad.json"
    for text, message in [
        ("{not json", "bad.json is not valid JSON"),
        ("[]", 'bad.json must hold {"timings"'),
        ('{"timings": {"01-a": {"slow": {"seconds": 1}}}}', "mode 'slow'"),
        ('{"timings": {"01-a": {"full": {"seconds": "long"}}}}', "numeric seconds"),
        ('{"timings": {"01-a": {"full": {"seconds": 1, "date": "June"}}}}', "YYYY-MM-DD"),
    ]:
        bad.write_text(text)
        with pytest.raises(ValueError, match=message):
            load_records(tmp_path)
    with pytest.raises(ValueError, match="must hold"):
        benchmark_rows({"cases": []})


def test_exit_status(tmp_path, capsys):
    records = ["--records", str(tmp_path / "benchmarks")]
    path = write(tmp_path / "results.json", legacy(100.0))
    assert main(["--results", str(path), *records]) == 0
    assert "| 100.0 | CPU (2 cores) |" in capsys.readouterr().out
    write(path, results(quick=timing(100.0), full=timing(3600.0)))
    assert main(["--results", str(path), *records]) == 0  # a CPU full run is not checked
    write(path, results(quick=timing(400.0), full=timing(610.0, GPU)))
    assert main(["--results", str(path), *records]) == 1
    assert f"over budget: {CASE} (quick), {CASE} (full)" in capsys.readouterr().err
    assert main(["--results", str(tmp_path / "missing.json"), *records]) == 1
    assert "nothing to show" in capsys.readouterr().err
    path.write_text("{not json")
    assert main(["--results", str(path), *records]) == 1
    assert "results.json is not valid JSON" in capsys.readouterr().err


def test_record_round_trip(tmp_path, capsys):
    build = write(tmp_path / "results.json", results(quick=timing(95.0), full=timing(412.0, GPU, gpu=1843)))
    record = tmp_path / "benchmarks" / "gpu-12.json"
    args = ["--results", str(build), "--records", str(tmp_path / "benchmarks")]
    assert main([*args, "--record", str(record), "--note", "gpu.yml run 12"]) == 0
    written = json.loads(record.read_text())
    assert written["note"] == "gpu.yml run 12" and "CPU cores" in written["machine"]
    assert written["timings"] == json.loads(build.read_text())["timings"]
    capsys.readouterr()

    build.unlink()  # another machine, without a build: the record alone fills the table
    assert main(args) == 0
    captured = capsys.readouterr()
    assert "showing committed records only" in captured.err
    assert "| 95.0 | CPU (2 cores) (record gpu-12, 2025-06-01) |" in captured.out
    assert f"| 412.0 | {GPU} (record gpu-12, 2025-06-01) | 1843 MiB GPU |" in captured.out

    assert main([*args, "--record", str(tmp_path / "x.json")]) == 1
    assert "no results at" in capsys.readouterr().err
    with pytest.raises(ValueError, match="no timings to record"):
        make_record({"cases": {}})


def test_a_record_of_undated_timings_is_dated_today():
    legacy = {"cases": {CASE: {"mode": "full", "seconds": 3550.0, "device": "CPU (2 cores)", "metrics": {}}}}
    (dated,) = make_record(legacy)["timings"][CASE].values()
    assert dated["date"] == datetime.now(UTC).date().isoformat()
