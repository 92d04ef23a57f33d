"""What the case's page says, computed from a record: the rows' seeds and grids, the curves kept in the record,
the tables beside this build's smoke test, and every sentence whose verb comes from the numbers.

The page passes the *evidence* (the committed full run's entries in quick mode, this run's in full mode) and, in
quick mode, this build's entries as the *smoke* test shown beside them; nothing here decides from the smoke test.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import numpy as np

from dlclinic.backend import keras
from dlclinic.batchnorm_regression.diagnosis import decompose
from dlclinic.batchnorm_regression.experiment import COUNT_MAE
from dlclinic.differential import Differential, Grid, Metric, Row, minimal_change, on_metric, sentence, versus
from dlclinic.tables import markdown_rows

ADAM_GRID = Grid((1e-4, 1e-3, 1e-2), low=1e-5, high=1.0)
SGD_GRID = Grid((1e-3, 1e-2, 1e-1), low=1e-5, high=10.0)
QUICK_RATE = {"adam": 1e-3, "sgd": 1e-2}  # quick mode's rate where no full run is recorded
COUNT_METRIC = Metric("count MAE", lower_is_better=True, floor=0.05)  # people per scene


def seeds_for(name: str, seed: int, quick: bool, headline: Sequence[str]) -> list[int]:
    """One seed in quick mode; in full mode five for the headline rows, three for the others."""
    return [seed] if quick else list(range(seed, seed + (5 if name in headline else 3)))


def recorded_rate(full: Mapping | None, name: str) -> float | None:
    """The learning rate the committed full run picked for row ``name`` (``None`` if it has none)."""
    rows = (full or {}).get("differential", {}).get("rows", [])
    return next((row["learning_rate"] for row in rows if row.get("name") == name), None)


def grid_for(name: str, knobs: Mapping, quick: bool, full: Mapping | None) -> Grid:
    """Full mode: Adam rows from 1e-4 to 1e-2, SGD from 1e-3 to 0.1, both extended by ×3 while the pick is at an
    edge. Quick mode: one rate, the committed full run's pick for the row (a smoke test of the evidence)."""
    optimizer = knobs.get("optimizer", "adam")
    if not quick:
        return SGD_GRID if optimizer == "sgd" else ADAM_GRID
    rate = recorded_rate(full, name) or QUICK_RATE[optimizer]
    return Grid((rate,), low=rate, high=rate)


def same_builder_cases(mean: float, std: float) -> list[dict]:
    """The builder's knob settings the page checks against the package's builder, one per kind of row."""
    return [{}, {"batchnorm": False}, {"bn_last": False}, {"bn_scale": False, "bn_momentum": 0.999},
            {"bn_momentum": 1.0}, {"optimizer": "sgd"}, {"output_init": (mean, std)}]


def alignment_of(features: np.ndarray, model: keras.Model) -> float:
    """The alignment of ``model``'s output kernel with ``features`` (n, …, channels)."""
    kernel = np.asarray(model.layers[-1].kernel)
    return decompose(np.asarray(features).reshape(-1, kernel.size), kernel)["alignment"]


# --- what the record keeps beyond the table ------------------------------------------------------------------

def mechanism_record(differential: Differential, runs: Mapping, rows: Mapping[str, str]) -> dict:
    """``mechanism_curves``: for each of ``rows``, its first seed's curves at its picked rate."""
    found = {}
    for name in rows:
        row = differential[name]
        found[name] = {"learning_rate": row.learning_rate, **runs[name, row.learning_rate, row.seed_ids[0]].record()}
    return found


def rate_record(differential: Differential, runs: Mapping, name: str) -> dict:
    """``rate_curves``: row ``name``'s validation NMSE over steps at every rate tried (its first seed)."""
    row = differential[name]
    return {f"{rate:g}": {key: runs[name, rate, row.seed_ids[0]].record()[key] for key in ("steps", "nmse")}
            for rate in row.grid}


def row_keys(differential: Differential, runs: Mapping) -> dict:
    """One top-level entry per row (``reporter_bn``, ``contrib_defaults`` …): the row's test NMSE and count MAE,
    spread, seeds, rate, verdict and flags, and (trained rows) the output-scale ratio and the validation NMSE with
    batch statistics at the end of its first seed's run."""
    found = {}
    for name, row in differential.rows.items():
        entry = {"nmse": _finite(row.value), "spread": row.spread, "seeds": row.seeds,
                 "count_mae": _finite(row.others[COUNT_MAE][0]) if COUNT_MAE in row.others else None,
                 "learning_rate": row.learning_rate, "verdict": row.verdict, "edge": row.edge,
                 "converged": row.converged, "degenerate": row.degenerate, "why_degenerate": row.why_degenerate}
        if row.kind == "trained":
            values = runs[name, row.learning_rate, row.seed_ids[0]].values
            entry["output_scale_ratio"] = _finite(values["output_scale_ratio"][-1])
            entry["nmse_batch_statistics"] = _finite(values["nmse_batch_statistics"][-1])
        found[name] = entry
    return found


def _finite(value: float | None) -> float | None:
    return None if value is None or not math.isfinite(value) else float(value)


# --- tables ----------------------------------------------------------------------------------------------------

def _curve(record: Mapping, key: str) -> np.ndarray:
    return np.array([np.nan if v is None else v for v in record[key]], dtype=float)


def _end(record: Mapping | None, key: str) -> str:
    if record is None:
        return "—"
    values = _curve(record, key)
    return f"{values[-1]:.3g}" if values.size and math.isfinite(values[-1]) else "—"


def ends_table(curves: Mapping, smoke: Mapping | None, labels: Mapping[str, str]) -> str:
    """The curves' last values per row (and this build's, in quick mode)."""
    keys = {"nmse": "NMSE", "nmse_batch_statistics": "NMSE, batch stats", "output_scale_ratio": "ratio",
            "kernel_norm": "‖w‖", "feature_std": "feature std",
            "alignment": "alignment", "gamma": "γ"}
    header = ["row", "rate", "steps"] + [title for title in keys.values()]
    body = []
    for name, label in labels.items():
        record = curves[name]
        body.append([label, f"{record['learning_rate']:g}", str(record["steps"][-1])]
                    + [_end(record, key) for key in keys])
        if smoke is not None:
            mine = smoke[name]
            body.append(["  this build", f"{mine['learning_rate']:g}", str(mine["steps"][-1])]
                        + [_end(mine, key) for key in keys])
    return markdown_rows(header, body, align="llr" + "r" * len(keys))


def _value(row: Row, key: str | None = None) -> str:
    value, spread = (row.value, row.spread) if key is None else row.others.get(key, (math.nan, 0.0))
    if value is None or not math.isfinite(value):
        return "—"
    return f"{value:.3g} ± {spread:.2g}" if row.seeds > 1 else f"{value:.3g}"


def _rows_table(evidence: Mapping, smoke: Mapping | None, names: Sequence[str], label: Mapping[str, str]) -> str:
    full = Differential.from_record(evidence)
    quick = Differential.from_record(smoke) if smoke is not None else None
    header = ["", "test NMSE", "count MAE", "learning rate", "seeds"]
    if quick is not None:
        header += ["this build: NMSE", "count MAE"]
    body = []
    for name in names:
        row = full[name]
        rate = "—" if row.learning_rate is None else f"{row.learning_rate:g}"
        cells = [label.get(name, row.change), _value(row), _value(row, COUNT_MAE), rate, str(row.seeds)]
        if quick is not None:
            cells += [_value(quick[name]), _value(quick[name], COUNT_MAE)]
        body.append(cells)
    return markdown_rows(header, body, align="lrrrr" + ("rr" if quick is not None else ""))


def treatment_table(evidence: Mapping, smoke: Mapping | None, names: Sequence[str]) -> str:
    """The treatment rows side by side (committed full run, and this build beside it in quick mode)."""
    return _rows_table(evidence, smoke, names, {})


def checkup_table(evidence: Mapping, smoke: Mapping | None, names: Sequence[str], best: str) -> str:
    """The check-up: the reporter's net, the references and the treatments, plus the best converged row."""
    wanted = list(names) + ([best] if best not in names else [])
    change = Differential.from_record(evidence)[best].change
    return _rows_table(evidence, smoke, wanted, {best: f"best converged row: {change}"})


# --- sentences -------------------------------------------------------------------------------------------------

def _flags(row: Row) -> str:
    flags = []
    if row.edge and row.learning_rate is not None:
        flags.append(f"its rate {row.learning_rate:g} at the grid's bound")
    if not row.converged:
        flags.append("not converged")
    if row.degenerate:
        flags.append(f"flagged: {row.why_degenerate}")
    return f" ({'; '.join(flags)})" if flags else ""


def says(evidence: Mapping, name: str, reference: str | None = None) -> str:
    """"<row> beats <reference> on test NMSE by …" with the row's flags, from the record."""
    table = Differential.from_record(evidence)
    row = table[name]
    return sentence(evidence, name, reference or row.reference) + _flags(row)


def _verb(evidence: Mapping, a: str, b: str) -> str:
    return versus(Differential.from_record(evidence), a, b)["verb"]


def page_nmse_text(evidence: Mapping, smoke: Mapping | None, mode: str) -> str:
    """Where the reporter's net on the page ends, in the evidence and (quick mode) in this build."""
    def said(record: Mapping) -> str:
        value = record["reporter_nmse"]
        where = "above" if value > 1.05 else ("below" if value < 0.95 else "at")
        return f"after {record['steps']:,} steps its test NMSE is {value:.3g}, {where} the mean map's level"

    if smoke is None:
        return f"{said(evidence)} (this {mode} run)"
    return f"in the committed full run, {said(evidence)}; in this {mode} build, {said(smoke)}"


def mechanism_glue(curves: Mapping, rate_curves: Mapping) -> dict[str, str]:
    """The mechanism paragraph's phrases, each claim worded from the evidence's curves."""
    report, no_bn, fix = curves["reporter_bn"], curves["no_bn"], curves["bn_standardised"]
    steps, end = report["steps"], report["steps"][-1]

    def at(record: Mapping, key: str, index: int) -> float:
        return float(_curve(record, key)[index])

    first = 1  # the first checkpoint after step 0 (the factors at step 0 are the untrained net's)
    kernel0, kernel1 = at(report, "kernel_norm", 0), at(report, "kernel_norm", -1)
    gamma1, beta1 = at(report, "gamma", -1), at(report, "beta", -1)
    align, nmse = _curve(report, "alignment"), _curve(report, "nmse")
    feature_peak = float(np.nanmax(_curve(report, "feature_std")[first:]))
    late = int(np.searchsorted(steps, 0.8 * end, side="right")) - 1
    below = [s for s, v in zip(steps, nmse, strict=True) if s > 0 and math.isfinite(v) and v < 1.0]
    falling = nmse[-1] < nmse[late]
    by_rate = {float(rate): _curve(record, "nmse")[-1] for rate, record in rate_curves.items()}
    kernel_kept = kernel1 > 0.5 * kernel0
    gamma_kept = abs(gamma1 - 1) < 0.1 and abs(beta1) < 0.1
    # std(output) = ‖w‖ × std(features) × alignment: each factor's share of the output spread's fall, in logs
    falls = {key: math.log(at(report, key, -1) / at(report, key, 0)) for key in ("kernel_norm", "feature_std",
                                                                                  "alignment")}
    share = falls["alignment"] / sum(falls.values()) if sum(falls.values()) < 0 else 0.0
    part = "most" if share > 0.5 else ("part" if share > 0.2 else "little")
    return {
        "reporter_rate": f"{report['learning_rate']:g}",
        "kernel_story": (f"The output kernel {'does not shrink' if kernel_kept else 'shrinks'}: ‖w‖ goes from "
                         f"{kernel0:.3g} before training to {kernel1:.3g} after {end:,} steps "
                         f"({(kernel1 - kernel0) / kernel0:+.0%})."),
        "gamma_story": (f"BatchNorm's γ and β {'barely move' if gamma_kept else 'move'}: the last BatchNorm's mean γ "
                        f"goes from 1 to {gamma1:.3g} ({gamma1 - 1:+.0%}), its mean β from 0 to {beta1:.2g}; the "
                        f"features reaching the output end with a spread of {at(report, 'feature_std', -1):.2g} "
                        f"(peak {feature_peak:.2g})."),
        "alignment_story": (f"The alignment does {part} of the closing: a goes from {align[0]:.2g} before training "
                            f"({align[first]:.2g} at step {steps[first]:,}) to {align[-1]:.2g} at step {end:,}, "
                            f"{share:.0%} of the fall of the output's spread on a log scale (‖w‖ and the "
                            "features' spread do the rest)."),
        "no_bn_story": (f"feature spread {at(no_bn, 'feature_std', -1):.2g}, alignment "
                        f"{at(no_bn, 'alignment', -1):.2g} at the end"),
        "fix_story": (f"alignment {at(fix, 'alignment', -1):.2g} and feature spread {at(fix, 'feature_std', -1):.2g} "
                      f"at the end"),
        "nmse_story": (f"{'No plateau at the mean' if falling or below else 'A plateau'}: the validation NMSE "
                       f"goes from {nmse[first]:.3g} at step {steps[first]:,} to {nmse[-1]:.3g} at step {end:,}, "
                       f"{'still falling' if falling else 'no longer falling'} over the last fifth ({nmse[late]:.3g} "
                       f"at step {steps[late]:,}); it "
                       + (f"first drops below the mean map's level (NMSE 1) at step {below[0]:,}." if below
                          else f"never drops below the mean map's level (NMSE 1) in {end:,} steps.")),
        "rate_story": ", ".join(f"{value:.3g} at {rate:g}" for rate, value in sorted(by_rate.items())),
    }


def differential_glue(evidence: Mapping, full: Mapping | None, mode: str) -> dict[str, str]:
    """The differential section's phrases: the grid, the seeds, the floor, and one sentence per row."""
    table = Differential.from_record(evidence)
    trained = [row for row in table.rows.values() if row.kind == "trained"]
    seeds = sorted({row.seeds for row in trained})
    found = {
        "grid_text": "1e-4, 1e-3 and 1e-2 for Adam (1e-3, 1e-2 and 0.1 for SGD)",
        "seeds_text": " or ".join(str(s) for s in seeds) + " seeds per row, five on the headline rows"
                      if max(seeds) > 1 else "one seed per row in this smoke test",
        "floor_text": f"{table.metric.floor:g} in NMSE",
        "evidence_note": ("The table is the committed full run; the last column says whether this quick build, "
                          "each row trained once at the full run's rate for a few steps, agrees with it."
                          if full is not None else f"The table is this {mode} run."),
    }
    for row in trained:
        if row.reference is not None:
            found[f"says_{row.name}"] = says(evidence, row.name)
    stale = table["stale_moving_stats"]
    found["stale_story"] = ("Its predictions ignore the input (flagged: constant output)." if "constant" in
                            stale.why_degenerate else "Its predictions still vary with the input.")
    return found


def _standing(evidence: Mapping, fix: str, maps: Sequence[str], counts: Sequence[str]) -> str:
    """What the check-up's verdicts say of the references as tools: those the fix loses to, ties, or cannot be
    judged against, on each metric; nothing is inferred from a verdict that is not there."""
    tables = {"on the maps": Differential.from_record(evidence),
              "on the counts": on_metric(evidence, COUNT_MAE, COUNT_METRIC)}
    found: dict[str, dict[str, list[str]]] = {"loses to": {}, "ties": {}, "undecided": {}}
    for (where, table), names in zip(tables.items(), (maps, counts), strict=True):
        for name in dict.fromkeys(names):
            verb = versus(table, fix, name)["verb"]
            if verb != "beats":
                kind = verb if verb in ("loses to", "ties") else "undecided"
                found[kind].setdefault(where, []).append(table[name].change)

    def listed(by_metric: dict[str, list[str]]) -> str:
        return " and ".join(f"{'; '.join(names)} {where}" for where, names in by_metric.items())

    said = []
    if found["loses to"]:
        said.append(f"A loss is what it says: {listed(found['loses to'])} did better than the fix on these scenes")
    if found["ties"]:
        said.append(f"{listed(found['ties'])} did as well as the fix")
    if found["undecided"]:
        said.append(f"against {listed(found['undecided'])}, the comparison is undecided")
    if not said:
        return "The fix beats every reference of the check-up on both metrics."
    text = "; ".join(said) + "."
    return text[0].upper() + text[1:]


def checkup_glue(evidence: Mapping, summary: Mapping, source: str) -> dict[str, str]:
    """The opening, check-up, treatment, thread-box and takeaway phrases, from the evidence (``source`` names
    it: "the committed full run" …)."""
    table = Differential.from_record(evidence)
    fix, strongest, best = "bn_standardised", summary["strongest_baseline"]["name"], summary["best"]["name"]
    cure = minimal_change(table, "reporter_bn")

    def mae(a: str, b: str) -> str:
        return sentence(evidence, a, b, key=COUNT_MAE, metric=COUNT_METRIC)

    keep = _verb(evidence, "no_bn_standardised", fix)
    keep_text = {
        "ties": "BatchNorm neither helped nor hurt once the targets were standardised (the same net without it "
                "ties): keep it or drop it for other reasons",
        "beats": "Once the targets were standardised, the same net did better without BatchNorm: here, drop it",
        "loses to": "Keep BatchNorm: with standardised targets it beat the same net without it",
    }.get(keep, "Whether to keep BatchNorm is undecided here (a row did not converge)")
    report_rates = {rate: value for rate, value in table["reporter_bn"].validation_by_rate.items()}
    best_rate = min(report_rates, key=report_rates.get)
    found = {
        "opening": (f"In {source}, "
                    + (f"the best single change to the report is {table[cure].change}"
                       if cure else "no single change to the report is better and converged")
                    + f"; standardising the targets, the fix this chapter writes out: "
                    f"{sentence(evidence, fix, 'reporter_bn')}. The best converged row is {table[best].change}; "
                    f"the strongest baseline measured is {summary['strongest_baseline']['change']}, and "
                    f"{sentence(evidence, fix, strongest)}. {keep_text}."),
        "checkup_story": (f"On the maps: {sentence(evidence, fix, strongest)}; {sentence(evidence, fix, 'baseline')}; "
                          f"{sentence(evidence, fix, 'mean_map')}. On the counts: "
                          f"{mae(fix, 'baseline')}; {mae(fix, 'no_bn')}; {mae(fix, 'reporter_bn')}. "
                          + ("" if best == fix else f"The best converged row, {table[best].change}: "
                             f"{sentence(evidence, best, strongest)}. ")
                          + _standing(evidence, fix, maps=[strongest, "baseline", "mean_map"],
                                      counts=["baseline", "no_bn", "reporter_bn"])),
        "treat_story": "; ".join(sentence(evidence, a, b) for a, b in [
            (fix, "bn_max_scaled"), ("std_only", fix), ("bn_output_init", fix), ("no_bn_standardised", fix)]) + ".",
        "thread_story": f"{sentence(evidence, 'bn_max_scaled', 'reporter_bn')}, and "
                        f"{sentence(evidence, fix, 'bn_max_scaled')}.",
        "thread_last_bn": f"Measured: {sentence(evidence, 'no_last_bn', 'reporter_bn')}.",
        "thread_setup": (f"TF1's contrib defaults: {sentence(evidence, 'contrib_defaults', 'reporter_bn')}; moving "
                         f"statistics never updated: {sentence(evidence, 'stale_moving_stats', 'reporter_bn')}; "
                         f"SGD with momentum: {sentence(evidence, 'sgd_momentum', 'reporter_bn')}."),
        "takeaway_rate": (f"Sweep the learning rate per variant on validation, and run long enough: on raw targets "
                          f"the BatchNorm net's validation NMSE went from {report_rates[min(report_rates)]:.3g} at "
                          f"{min(report_rates):g} to {report_rates[best_rate]:.3g} at {best_rate:g}."),
        "takeaway_bn": keep_text + ".",
    }
    return found

