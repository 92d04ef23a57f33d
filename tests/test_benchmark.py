"""The benchmark script: budgets per mode and headline ratios from the collected results."""

import json

from dlclinic.benchmark import benchmark_rows, benchmark_table, main


def results(seconds: float, mode: str = "quick") -> dict:
    metrics = {"headline": {"fix_vs_reporter": 150.0}, "x": {"nmse": 0.5}}
    return {"cases": {"03-batchnorm-regression": {"mode": mode, "seconds": seconds, "device": "CPU (2 cores)",
                                                  "metrics": metrics}}}


def test_rows_check_the_budget_of_the_mode():
    assert benchmark_rows(results(120.0))[0]["within"]
    assert not benchmark_rows(results(200.0))[0]["within"]
    assert benchmark_rows(results(500.0, mode="full"))[0]["within"]


def test_table_and_exit_status(tmp_path, capsys):
    assert "| 100.0 (180) | CPU (2 cores) | fix_vs_reporter = 150 |" in benchmark_table(benchmark_rows(results(100.0)))
    assert "400.0 (180) **over**" in benchmark_table(benchmark_rows(results(400.0)))
    path = tmp_path / "results.json"
    path.write_text(json.dumps(results(100.0)))
    assert main(["--results", str(path)]) == 0
    path.write_text(json.dumps(results(400.0)))
    assert main(["--results", str(path)]) == 1
    assert "over budget: 03-batchnorm-regression" in capsys.readouterr().err
    assert main(["--results", str(tmp_path / "missing.json")]) == 1
