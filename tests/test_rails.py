"""The second-edition rails every case uses: comparison verbs, the differential table, committed full runs."""

from __future__ import annotations

import json
import math

import pytest

from dlclinic.compare import compare, compare_sentence
from dlclinic.full_runs import NO_RECORD, describe_run, load_full_record, metric, modes_table
from dlclinic.second_edition import Row, best_learning_rate, differential_table, summarise, verdict


def test_lower_is_better_verbs_and_ratios() -> None:
    assert compare(0.037, 0.399, lower_is_better=True).verb == "beats"
    assert compare(0.037, 0.399, lower_is_better=True).ratio == pytest.approx(0.399 / 0.037)
    lost = compare(0.546, 0.391, lower_is_better=True)
    assert lost.verb == "loses to" and lost.ratio == pytest.approx(0.391 / 0.546)
    assert compare(0.40, 0.41, lower_is_better=True).verb == "ties"


def test_higher_is_better_and_spreads() -> None:
    assert compare(0.8, 0.5, lower_is_better=False).verb == "beats"
    assert compare(0.5, 0.8, lower_is_better=False).verb == "loses to"
    assert compare(0.6, 0.5, lower_is_better=False, a_spread=0.06, b_spread=0.05).verb == "ties"


def test_zero_error_beats_everything() -> None:
    assert compare(0.0, 0.3, lower_is_better=True).ratio == math.inf
    assert compare(0.0, 0.0, lower_is_better=True).verb == "ties"


def test_sentence_reads_the_numbers() -> None:
    sentence = compare_sentence("the fix", 0.037, "the blob counter", 0.399, "NMSE", lower_is_better=True)
    assert sentence == "the fix beats the blob counter on NMSE (0.037 vs 0.399, 10.8×)"
    assert "loses to" in compare_sentence("a", 0.546, "b", 0.391, "NMSE", lower_is_better=True)


@pytest.mark.parametrize("bad", [float("nan"), float("inf"), "0.3", None, True])
def test_compare_refuses_what_is_not_a_number(bad) -> None:
    with pytest.raises(ValueError, match="finite number"):
        compare(bad, 0.3, lower_is_better=True)


def test_summarise_and_best_learning_rate() -> None:
    assert summarise([1.0, 2.0, 3.0]) == (2.0, 1.0)
    assert summarise([4.0]) == (4.0, 0.0)
    assert best_learning_rate({1e-4: 0.5, 1e-3: 0.2, 1e-2: float("nan")}, lower_is_better=True) == (1e-3, 0.2)
    assert best_learning_rate({1e-4: 0.5, 1e-3: 0.2}, lower_is_better=False) == (1e-4, 0.5)
    with pytest.raises(ValueError):
        summarise([])


def test_differential_table_verdicts() -> None:
    reference = Row("reporter", 1.0, 0.05, seeds=3, learning_rate=1e-3)
    rows = [Row("no BatchNorm", 0.3, learning_rate=1e-4), Row("momentum 0.9", 1.02)]
    assert verdict(rows[0], reference, lower_is_better=True) == "changes the outcome (better)"
    assert verdict(rows[1], reference, lower_is_better=True) == "does not change it"
    table = differential_table(reference, rows, "NMSE", lower_is_better=True).data
    assert "| reporter | 1 ± 0.05 (3 seeds) | 0.001 | reference |" in table
    assert "| no BatchNorm | 0.3 | 0.0001 | changes the outcome (better) |" in table


def test_full_record_read_from_its_folder(tmp_path) -> None:
    record = {"best": {"nmse": 0.04}, "run": {"date": "2026-12-01", "device": "CPU (2 cores)", "commit": "abc1234",
                                              "seconds": 1500.0, "peak_host_mib": 1700}}
    (tmp_path / "benchmarks" / "full").mkdir(parents=True)
    (tmp_path / "benchmarks" / "full" / "03-x.json").write_text(json.dumps(record))
    (tmp_path / "book" / "cases").mkdir(parents=True)
    found = load_full_record("03-x", tmp_path / "benchmarks" / "full")
    assert found == record
    assert metric(found, "best.nmse") == 0.04 and metric(found, "best.missing") is None
    assert describe_run(found) == "full run of 2026-12-01 on CPU (2 cores), commit abc1234, 1500 s"
    assert load_full_record("04-y", tmp_path / "benchmarks" / "full") is None
    table = modes_table({"best": {"nmse": 0.5}}, "quick", found, [("fix NMSE", "best.nmse")]).data
    assert "| fix NMSE | 0.5 | 0.04 |" in table
    assert NO_RECORD in modes_table({}, "quick", None, [("fix NMSE", "best.nmse")]).data


def test_evidence_is_the_record_in_quick_mode_and_this_run_in_full_mode() -> None:
    from dlclinic.full_runs import Evidence

    record = {"differential": {"rows": "full"}, "run": {}}
    assert Evidence(record, quick=True).pick("differential", "here") == ({"rows": "full"}, "here")
    assert Evidence(record, quick=False).pick("differential", "here") == ("here", None)
    assert Evidence(None, quick=True).pick("differential", "here") == ("here", None)
    with pytest.raises(KeyError, match="record the case again"):
        Evidence(record, quick=True).pick("curves", "here")
