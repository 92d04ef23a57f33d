"""The shared differential runner: bracketing, seeds, convergence, degenerate runs, verdicts, records, tables."""

from __future__ import annotations

import json
import math

import pytest

from dlclinic.differential import (
    BETTER,
    COLLAPSED,
    TIES,
    UNDECIDED,
    WORSE,
    Differential,
    Fit,
    Grid,
    Metric,
    agreement,
    minimal_change,
    sentence,
    summary,
    sweep,
    table,
)
from dlclinic.metrics_json import write_metrics

ERROR = Metric("test error", lower_is_better=True, floor=0.01)


def bowl(best_rate: float, offset: float = 0.0, steps: int = 10, still_falling: bool = False):
    """A train function whose validation error is lowest at ``best_rate``; its test error is the same number
    plus ``offset`` plus a small seed effect; ``still_falling`` makes the curve drop over its last fifth."""
    calls = []

    def train(rate: float | None, seed: int) -> Fit:
        calls.append((rate, seed))
        value = (math.log10(rate) - math.log10(best_rate)) ** 2 + offset + 0.001 * seed
        curve = [value + 1.0 / (s + 1) for s in range(steps)]
        if still_falling:
            curve[-1] -= 0.5
            value = curve[-1]
        else:
            curve[-3:] = [value] * 3
        return Fit(seed, rate, list(range(1, steps + 1)), curve, {"test error": curve[-1]})

    train.calls = calls
    return train


def test_an_edge_pick_is_bracketed_by_extending_the_grid() -> None:
    train = bowl(best_rate=0.03)
    rate, by_rate, edge, fits = sweep(train, Grid((1e-3, 3e-3), low=1e-4, high=1.0), [0, 1, 2], ERROR)
    assert rate == pytest.approx(0.027) and not edge
    assert sorted(by_rate) == pytest.approx([1e-3, 3e-3, 9e-3, 0.027, 0.081])
    assert [fit.seed for fit in fits] == [0, 1, 2] and all(fit.learning_rate == rate for fit in fits)


def test_a_pick_still_at_the_bound_is_flagged() -> None:
    rate, by_rate, edge, _ = sweep(bowl(best_rate=1.0), Grid((1e-3, 3e-3), low=1e-3, high=0.01), [0], ERROR)
    assert rate == pytest.approx(9e-3) and edge
    rate, _, edge, _ = sweep(bowl(best_rate=1e-5), Grid((1e-3, 3e-3), low=1e-4, high=0.01), [0], ERROR)
    assert rate == pytest.approx(1e-3 / 9) and edge


def test_a_row_without_a_grid_trains_each_seed_once() -> None:
    train = bowl(best_rate=0.01)
    rate, by_rate, edge, fits = sweep(lambda _rate, seed: train(0.01, seed), None, [3, 4, 5], ERROR)
    assert rate is None and by_rate == {} and not edge and [fit.seed for fit in fits] == [3, 4, 5]


def table_of(**rows) -> Differential:
    differential = Differential(ERROR)
    for name, (train, reference) in rows.items():
        differential.train(name, name.replace("_", " "), train, seeds=[0, 1, 2],
                           grid=Grid((1e-3, 1e-2, 1e-1), low=1e-4, high=1.0), reference=reference)
    return differential


def test_verdicts_come_from_the_numbers_and_the_floor() -> None:
    differential = table_of(reporter=(bowl(0.01, offset=0.5), None), fix=(bowl(0.01), "reporter"),
                            same=(bowl(0.01, offset=0.505), "reporter"), worse=(bowl(0.01, offset=0.9), "reporter"))
    differential.fixed("mean", "predict the mean", 1.0, kind="trivial")
    differential.judge()
    assert differential["reporter"].verdict == "reference"
    assert differential["fix"].verdict == BETTER and differential["fix"].gain == pytest.approx(0.5)
    assert differential["same"].verdict == TIES  # 0.005 apart: within the floor
    assert differential["worse"].verdict == WORSE
    assert not any(row.degenerate for row in differential.rows.values())


def test_paired_seeds_make_a_consistent_small_gain_count() -> None:
    differential = Differential(Metric("test error", lower_is_better=True, floor=0.0))
    spread_out = {0: 1.0, 1: 2.0, 2: 3.0}

    def fixed(shift: float):
        return lambda rate, seed: Fit(seed, rate, [1, 2], [0.0, 0.0], {"test error": spread_out[seed] + shift})

    differential.train("a", "a", fixed(0.0), [0, 1, 2])
    differential.train("b", "b", fixed(-0.1), [0, 1, 2], reference="a")
    assert differential.judge()["b"].verdict == BETTER  # every seed gains 0.1: paired sd 0
    unpaired = Differential(Metric("test error", lower_is_better=True, floor=0.0), paired=False)
    unpaired.train("a", "a", fixed(0.0), [0, 1, 2])
    unpaired.train("b", "b", fixed(-0.1), [0, 1, 2], reference="a")
    assert unpaired.judge()["b"].verdict == TIES  # spreads of 1 each swamp it


def test_a_run_still_improving_is_not_converged_and_its_verdicts_undecided() -> None:
    differential = table_of(reporter=(bowl(0.01, offset=0.5), None), slow=(bowl(0.01, still_falling=True), "reporter"))
    differential.judge()
    assert not differential["slow"].converged and differential["slow"].verdict == UNDECIDED
    assert differential["reporter"].converged


def test_degenerate_runs_are_flagged_with_the_reason() -> None:
    differential = table_of(reporter=(bowl(0.01, offset=0.5), None))
    nan = Fit(0, 0.1, [1, 2], [math.nan, math.nan], {"test error": math.nan})
    differential.train("diverged", "diverged", lambda rate, seed: nan, [0])
    differential.train("flat", "flat", lambda rate, seed: Fit(seed, rate, [1, 2], [0.4, 0.4], {"test error": 0.4},
                                                              constant=True), [0, 1, 2])
    differential.fixed("mean", "predict the mean", 0.45, kind="trivial")
    differential.judge()
    assert differential["diverged"].why_degenerate == "non-finite metric"
    assert differential["flat"].why_degenerate == "constant output"
    assert differential["reporter"].why_degenerate == "worse than predict the mean"
    assert not differential["mean"].degenerate


def test_no_tie_is_declared_with_a_row_whose_runs_collapsed_on_a_seed() -> None:
    differential = Differential(Metric("test PCK", lower_is_better=False, floor=0.02))
    learned = {0: 0.90, 1: 0.91, 2: 0.89}

    def train(shift: float, collapse: int | None = None):
        def fit(rate: float | None, seed: int) -> Fit:
            value = 0.0 if seed == collapse else learned[seed] + shift
            return Fit(seed, rate, [1, 2], [value, value], {"test PCK": value}, constant=seed == collapse)
        return fit

    differential.train("tuned", "one seed collapses", train(0.0, collapse=1), [0, 1, 2])
    differential.train("fix", "the fix", train(0.005), [0, 1, 2], reference="tuned")
    differential.train("steady", "the same net", train(0.0), [0, 1, 2])
    differential.train("same", "the same net again", train(0.001), [0, 1, 2], reference="steady")
    differential.judge()
    assert differential["tuned"].why_degenerate == "constant output"
    assert differential["fix"].verdict == COLLAPSED  # within a band the collapse made: no tie
    assert differential["same"].verdict == TIES
    assert sentence(differential.record(), "fix", "tuned").startswith("the fix (0.905 ± 0.01, 3 seeds) is undecided "
                                                                       "against (collapsed runs) one seed collapses")
    assert "undecided (collapsed runs) vs tuned" in table(differential.record()).data
    worst = Differential(Metric("test PCK", lower_is_better=False, floor=0.02))
    worst.train("broken", "collapses everywhere", lambda rate, seed: Fit(seed, rate, [1, 2], [0.0, 0.0],
                                                                         {"test PCK": 0.0}, constant=True), [0, 1, 2])
    worst.train("fix", "the fix", train(0.0), [0, 1, 2], reference="broken")
    assert worst.judge()["fix"].verdict == BETTER  # a difference beyond the band keeps its verdict


def test_the_record_round_trips_through_json_and_renders_with_agreement(tmp_path) -> None:
    full = table_of(reporter=(bowl(0.01, offset=0.5), None), fix=(bowl(0.01), "reporter"))
    full.fixed("mean", "predict the mean", 1.0, kind="trivial")
    quick = table_of(reporter=(bowl(0.01, offset=0.5), None), fix=(bowl(0.01, offset=0.6), "reporter"))
    record = json.loads(write_metrics(tmp_path / "m.json", {"differential": full.record()}).read_text())
    entry = record["differential"]
    fix = next(row for row in entry["rows"] if row["name"] == "fix")
    for key in ("value", "spread", "seeds", "learning_rate", "grid", "edge", "converged", "degenerate", "verdict",
                "curve"):
        assert key in fix
    assert fix["seeds"] == 3 and fix["verdict"] == BETTER and fix["edge"] is False
    assert Differential.from_record(entry).record() == entry
    text = table(entry, quick.record()).data
    assert "| fix | fix | 0.001 ± 0.001 (3) |" in text
    assert "better than reporter" in text and "worse: differs" in text
    assert "max(combined spread, 0.01)" in text
    assert agreement(full["fix"], None) == "not run"


def test_sentences_and_the_summary_name_what_beats_or_ties_the_fix() -> None:
    differential = table_of(reporter=(bowl(0.01, offset=0.5), None), fix=(bowl(0.01, offset=0.1), "reporter"),
                            best=(bowl(0.01), "fix"))
    differential.fixed("control", "a learning-free control", [0.1, 0.101, 0.102], kind="control")
    differential.fixed("mean", "predict the mean", 1.0, kind="trivial")
    entry = differential.record()
    said = sentence(entry, "best", "fix")
    assert said.startswith("best (0.001 ± 0.001, 3 seeds) beats fix (0.101 ± 0.001, 3 seeds) on test error by 0.1")
    found = summary(differential, fix="fix", baselines=["reporter"])
    assert found["best"]["name"] == "best" and found["strongest_baseline"]["name"] == "control"
    assert found["fix_vs_baseline"]["verb"] == "ties"
    assert {rival["name"]: rival["verb"] for rival in found["rivals"]} == {"best": "beats", "control": "ties"}


@pytest.mark.parametrize("bad", [dict(rates=()), dict(rates=(1e-3,), low=1e-2), dict(rates=(1e-3,), factor=1.0)])
def test_a_bad_grid_says_what_was_expected(bad) -> None:
    arguments = dict(rates=(1e-3,), low=1e-4, high=1.0) | bad
    with pytest.raises(ValueError, match="rates|factor"):
        Grid(**arguments)


def test_a_missing_reference_is_named() -> None:
    differential = table_of(fix=(bowl(0.01), "nowhere"))
    with pytest.raises(ValueError, match="'nowhere', which is not a row"):
        differential.judge()


def test_a_flat_end_is_not_extended() -> None:
    collapsed = bowl(best_rate=1e-2)

    def train(rate: float | None, seed: int) -> Fit:  # every rate ends at the same value: nothing to bracket
        fit = collapsed(rate, seed)
        return Fit(seed, rate, fit.steps, [0.78] * len(fit.steps), {"test error": 0.78})

    rate, by_rate, edge, _ = sweep(train, Grid((3e-4, 1e-3, 3e-3), low=1e-6, high=1.0), [0], ERROR)
    assert sorted(by_rate) == [3e-4, 1e-3, 3e-3] and not edge


def test_a_row_repeated_with_more_seeds_is_summarised_again() -> None:
    differential = table_of(reporter=(bowl(0.01, offset=0.5), None), fix=(bowl(0.01), "reporter"))
    row = differential.repeat("fix", [0, 3, 4])
    assert row.seed_ids == [0, 1, 2, 3, 4] and row.value == pytest.approx(0.002)
    assert row.learning_rate == pytest.approx(0.01) and differential.judge()["fix"].verdict == BETTER


def test_a_diverged_seed_is_flagged_not_averaged() -> None:
    differential = Differential(ERROR)
    fits = {0: 0.3, 1: math.nan, 2: 0.5}
    differential.train("row", "row", lambda rate, seed: Fit(seed, rate, [1, 2], [0.1, 0.1],
                                                            {"test error": fits[seed], "other": fits[seed]}),
                       [0, 1, 2], others=("other",))
    row = differential["row"]
    assert row.value == pytest.approx(0.4) and row.degenerate and row.why_degenerate == "non-finite metric"
    assert row.others["other"][0] == pytest.approx(0.4)
    assert json.dumps(differential.record(), allow_nan=False)  # NaN is written as null


def test_sentences_on_another_metric_and_the_minimal_change() -> None:
    differential = table_of(reporter=(bowl(0.01, offset=0.5), None), fix=(bowl(0.01, offset=0.1), "reporter"),
                            small=(bowl(0.01, offset=0.3), "reporter"))
    differential.fixed("mean", "predict the mean", 1.0, kind="trivial", others={"fpr": 0.0})
    assert minimal_change(differential, "reporter") == "fix"
    for row in differential.rows.values():
        row.others.setdefault("fpr", (0.2, 0.01))
    said = sentence(differential.record(), "fix", "mean", key="fpr", metric=Metric("FPR", True, floor=0.05))
    assert said == "fix (0.2 ± 0.01, 3 seeds) loses to predict the mean (0) on FPR by 0.2"


def test_convergence_reads_the_mean_curve_at_four_fifths_of_the_budget() -> None:
    from dlclinic.differential import improvement

    def fit(seed: int, curve: list[float]) -> Fit:
        return Fit(seed, 1e-3, [200, 400, 600, 800, 1000], curve, {"test error": curve[-1]})

    # one noisy seed dips at the end, the other rises: the row's mean curve is flat over its last fifth
    fits = [fit(0, [0.9, 0.5, 0.42, 0.40, 0.35]), fit(1, [0.9, 0.5, 0.42, 0.40, 0.45])]
    assert improvement(fits, ERROR) == pytest.approx(0.0)
    coarse = [fit(0, [0.9, 0.6, 0.5, 0.45, 0.40])]  # interpolated at step 800 exactly
    assert improvement(coarse, ERROR) == pytest.approx(0.05)
    sparse = Fit(0, 1e-3, [500, 1000], [0.5, 0.3], {"test error": 0.3})  # 800 lies between two evaluations
    assert improvement([sparse], ERROR) == pytest.approx(0.38 - 0.3)


def test_the_record_keeps_the_rows_learning_curve() -> None:
    differential = table_of(reporter=(bowl(0.01, offset=0.5), None))
    curve = next(row for row in differential.record()["rows"] if row["name"] == "reporter")["curve"]
    assert curve["steps"] == list(range(1, 11)) and curve["validation"][-1] == pytest.approx(0.501)
