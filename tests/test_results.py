"""results.json and the committed full runs: one module reads and writes them, checked by JSON Schema."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from dlclinic.build import results as rs


def timing(seconds: float, date: str = "2025-06-01") -> dict:
    return {"seconds": seconds, "device": "CPU (2 cores)", "date": date, "peak_host_mib": 900, "peak_gpu_mib": None,
            "headline": {"fix_vs_reporter": 3.0}}


def derived(seconds: float) -> dict:
    """The timing a case record implies without its run's memory and date."""
    return {"seconds": seconds, "device": None, "date": None, "peak_host_mib": None, "peak_gpu_mib": None,
            "headline": {}}


def test_merge_replaces_the_cases_run_and_keeps_the_others() -> None:
    old = {"cases": {"01-a": {"mode": "full", "seconds": 9.0, "metrics": {}},
                     "02-b": {"mode": "full", "seconds": 8.0, "metrics": {}}}}
    merged = rs.merge_results(old, {"02-b": {"mode": "quick", "seconds": 1.0, "metrics": {}}})
    assert merged["cases"]["02-b"]["mode"] == "quick" and merged["cases"]["01-a"]["mode"] == "full"
    assert "timings" not in old  # not changed in place
    # a results.json from before timings: they are derived from its cases, and both modes of 02-b are kept
    assert merged["timings"] == {"01-a": {"full": derived(9.0)}, "02-b": {"full": derived(8.0), "quick": derived(1.0)}}


def test_merge_replaces_only_the_modes_run() -> None:
    old = {"cases": {}, "timings": {"01-a": {"quick": timing(90.0), "full": timing(500.0)},
                                    "02-b": {"quick": timing(80)}}}
    record = {"mode": "quick", "seconds": 95.0, "device": "CPU (2 cores)", "metrics": {}}
    merged = rs.merge_results(old, {"01-a": record}, {"01-a": {"quick": timing(95.0, "2025-06-02")}})
    assert merged["timings"] == {
        "01-a": {"quick": timing(95.0, "2025-06-02"), "full": timing(500.0)},
        "02-b": {"quick": timing(80)},
    }


def test_load_results_validates(tmp_path: Path) -> None:
    path = tmp_path / "results.json"
    assert rs.load_results(path) == {"cases": {}, "timings": {}}
    path.write_text('{"cases": {"01-a": {"mode": "quick", "seconds": 1, "metrics": {}}}}')
    assert rs.load_results(path)["cases"]["01-a"]["seconds"] == 1
    for bad, says in (("{not json", "not valid JSON"), ('{"case": {}}', "'cases' is a required property"),
                      ("[]", "is not of type 'object'"), ('{"cases": {}, "timings": []}', "at timings"),
                      ('{"cases": {}, "timings": {"01-a": {"slow": {"seconds": 1}}}}', "timings/01-a"),
                      ('{"cases": {}, "timings": {"01-a": {"quick": {"seconds": 1, "date": "June"}}}}', "date")):
        path.write_text(bad)
        with pytest.raises(rs.RecordError, match="results.json") as error:
            rs.load_results(path)
        assert says in str(error.value)


def test_full_records_round_trip_and_refuse_a_record_without_its_run(tmp_path: Path) -> None:
    run = {"date": "2026-12-01", "device": "CPU (2 cores)", "commit": "abc1234", "seconds": 1500.0,
           "peak_host_mib": 1700}
    rs.write_json(tmp_path / "03-x.json", rs.full_record({"best": {"nmse": 0.04}}, run), schema="full-record")
    assert rs.load_full_records(tmp_path) == {"03-x": {"best": {"nmse": 0.04}, "run": run}}
    (tmp_path / "04-y.json").write_text(json.dumps({"best": {"nmse": 0.04}}))
    with pytest.raises(rs.RecordError, match="04-y.json: 'run' is a required property"):
        rs.load_full_records(tmp_path)
    with pytest.raises(rs.RecordError, match="commit"):
        rs.full_record({}, {**run, "commit": None})
    assert rs.load_full_records(tmp_path / "absent") == {}


def test_a_full_record_takes_every_verdict_the_runner_gives() -> None:
    from dlclinic import differential as runner

    table = runner.Differential(runner.Metric("PCK", lower_is_better=False, floor=0.02))
    table.fixed("a", "a", [0.5, 0.6, 0.7], kind="trained")
    run = {"date": "2026-12-01", "device": "CPU (2 cores)", "commit": "abc1234", "seconds": 1.0, "peak_host_mib": 1}
    entry = table.record()
    for verdict in (runner.REFERENCE, runner.BETTER, runner.TIES, runner.WORSE, runner.UNDECIDED, runner.COLLAPSED):
        rs.full_record({"differential": {**entry, "rows": [{**entry["rows"][0], "verdict": verdict}]}}, run)
    with pytest.raises(rs.RecordError, match="'a draw' is not one of"):
        rs.full_record({"differential": {**entry, "rows": [{**entry["rows"][0], "verdict": "a draw"}]}}, run)
