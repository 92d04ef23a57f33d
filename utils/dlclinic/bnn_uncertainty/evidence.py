"""From the differential's runs to the record's entries, and from a record's entries to the page's sentences.

The record (the metrics JSON, committed for the full run) holds, besides the runner's ``differential``: per model
the own-mean oracle, the retention curves and the prediction-rejection ratios (:mod:`filtering`), σ-scaling
(:mod:`treatments`) and the long runs' curves. The page reads them back from the committed full run in quick
mode, so every sentence here takes a record, never a live run. NLL differences are in nats with the paired
standard error over the seeds both rows ran (a log-scale metric: never a ratio).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import numpy as np

from dlclinic.bnn_uncertainty.data import Split
from dlclinic.bnn_uncertainty.experiment import Outcome, Prediction, scores
from dlclinic.bnn_uncertainty.filtering import FRACTIONS, filtering_report
from dlclinic.differential import VERBS, Differential, Row, summarise


def _mean_spread(values: Sequence[float]) -> dict:
    mean, spread = summarise(values)
    return {"value": mean, "spread": spread}


def filtering_entries(predictions: Mapping[str, Sequence[Prediction]], split: Split, true_mean: np.ndarray,
                      true_std: np.ndarray) -> tuple[dict, dict, dict]:
    """``own_mean_oracle``, ``retention`` and ``prediction_rejection_ratio`` entries, one per model (its seeds'
    test predictions; curves averaged over seeds), plus ``oracle`` (the true mean and std)."""
    own, retention, ratio = {}, {}, {}
    reports = {name: [filtering_report(split.y_test, p.mean, p.std, true_mean, true_std) for p in found]
               for name, found in predictions.items()}
    reports["oracle"] = [filtering_report(split.y_test, true_mean, true_std, true_mean, true_std)]
    oracle_nll = reports["oracle"][0]["nll"]
    for name, found in reports.items():
        own[name] = {"nll": _mean_spread([r["nll"] for r in found]),
                     "own_oracle_nll": _mean_spread([r["own_oracle_nll"] for r in found]),
                     "std_cost": _mean_spread([r["nll"] - r["own_oracle_nll"] for r in found]),
                     "mean_cost": _mean_spread([r["own_oracle_nll"] - oracle_nll for r in found]),
                     "seeds": len(found)}
        retention[name] = {"fractions": FRACTIONS.tolist(), "seeds": len(found)} | {
            curve: np.mean([r["curves"][curve] for r in found], axis=0).tolist()
            for curve in ("model", "own_oracle", "error_sorted", "random")}
        ratio[name] = {"model": _mean_spread([r["prr"] for r in found]),
                       "own_oracle": _mean_spread([r["own_oracle_prr"] for r in found]), "seeds": len(found)}
    return own, retention, ratio


def sigma_scaling_entry(base: Row, scaled: Row, split: Split) -> dict:
    """What σ-scaling did to one model's runs: the factor chosen on validation, and the test NLL and 95 %
    coverage before and after (means ± sd over the seeds both rows share)."""
    before = [scores(split, fit.detail.test) for fit in base.fits]
    after = [scores(split, fit.detail.test) for fit in scaled.fits]
    return {"factor": _mean_spread([fit.detail.recalibration["value"] for fit in scaled.fits]),
            "nll_before": _mean_spread([s["nll"] for s in before]),
            "nll_after": _mean_spread([s["nll"] for s in after]),
            "picp95_before": _mean_spread([s["picp95"] for s in before]),
            "picp95_after": _mean_spread([s["picp95"] for s in after]), "seeds": list(scaled.seed_ids)}


def curves(outcomes: Sequence[Outcome], points: int = 60) -> dict:
    """Training NLL and weighted KL against steps (means over windows, averaged over runs) and the validation
    and test NLL at the checkpoints, from runs of the same length."""
    history = np.stack([o.history.nll for o in outcomes]), np.stack([o.history.kl for o in outcomes])
    steps = history[0].shape[1]
    edges = np.linspace(0, steps, points + 1).round().astype(int)
    windows = [(a, b) for a, b in zip(edges[:-1], edges[1:], strict=True) if b > a]

    def binned(values: np.ndarray) -> list[float]:
        return [float(values[:, a:b].mean()) for a, b in windows]

    return {"steps": [int(b) for _, b in windows], "nll": binned(history[0]), "weighted_kl": binned(history[1]),
            "checkpoints": list(outcomes[0].steps),
            "val_nll": np.mean([o.val_nll for o in outcomes], axis=0).tolist(),
            "test_nll": np.mean([o.test_nll for o in outcomes], axis=0).tolist(), "runs": len(outcomes),
            "median_posterior_std": (None if outcomes[0].kl is None else
                                     float(np.mean([o.kl["median_posterior_std"] for o in outcomes])))}


def paired(record: Mapping, a: str, b: str) -> tuple[float, float, int]:
    """The gain of row ``a`` over row ``b`` (positive: ``a`` better) in the metric's units, its paired standard
    error over the seeds both ran (the sum of the two standard errors when they share none), and that count."""
    table = Differential.from_record(record)
    first, second = table.rows[a], table.rows[b]
    gain = table.metric.gain
    shared = sorted(set(first.seed_ids) & set(second.seed_ids))
    if len(shared) >= 2 and first.kind == second.kind == "trained":
        by_a = dict(zip(first.seed_ids, first.seed_values, strict=True))
        by_b = dict(zip(second.seed_ids, second.seed_values, strict=True))
        diffs = [gain(by_a[s], by_b[s]) for s in shared]
        mean, spread = summarise(diffs)
        return mean, spread / math.sqrt(len(diffs)), len(diffs)
    error = sum(row.spread / math.sqrt(row.seeds) for row in (first, second) if row.seeds > 1)
    return gain(first.value, second.value), error, min(first.seeds, second.seeds)


def in_nats(record: Mapping, a: str, b: str) -> str:
    """"the fix (0.78 ± 0.02, 5 seeds) beats the reporter's net (1.00 ± 0.01, 5 seeds) by 0.22 nats (paired SE
    0.01, 5 seeds)": the verb from the runner's rule, the difference in nats with its paired standard error; no
    verb where either row is degenerate."""
    table = Differential.from_record(record)
    verdict, _ = table.compare(table.rows[a], table.rows[b])
    gain, error, seeds = paired(record, a, b)

    def said(row: Row) -> str:
        spread = f" ± {row.spread:.2f}, {row.seeds} seeds" if row.seeds > 1 else ""
        return f"{row.change} ({row.value:.3f}{spread})"

    broken = [row for row in (table.rows[a], table.rows[b]) if row.degenerate]
    if broken:  # a constant or non-finite model is no yardstick: no verb
        return (f"{said(table.rows[a])} is not compared with {said(table.rows[b])}: "
                + "; ".join(f"{row.change} is degenerate ({row.why_degenerate})" for row in broken))
    how = "paired SE" if table.rows[a].seed_ids == table.rows[b].seed_ids else "SE"
    error_text = f"{how} {error:.3f}, {seeds} seeds" if seeds > 1 else "one seed, no SE"
    return f"{said(table.rows[a])} {VERBS[verdict]} {said(table.rows[b])}: Δ = {gain:+.3f} nats ({error_text})"


def verdict_of(record: Mapping, name: str) -> str:
    """"better than the reporter's net (+0.19 nats, paired SE 0.01)", "ties with the fix (−0.01 nats, …)" …"""
    table = Differential.from_record(record)
    row = table.rows[name]
    if row.reference is None:
        return row.verdict
    gain, error, seeds = paired(record, name, row.reference)
    joiner = " with " if row.verdict == "ties" else " than " if row.verdict in ("better", "worse") else " vs "
    reference = table.rows[row.reference].change
    error_text = f"paired SE {error:.3f}" if seeds > 1 else "one seed"
    return f"{row.verdict}{joiner}{reference} ({gain:+.3f} nats, {error_text})"


def subset(record: Mapping, names: Sequence[str]) -> dict:
    """The differential record with only the rows ``names`` (in that order), for a table of some of them."""
    rows = {row["name"]: row for row in record["rows"]}
    return {**record, "rows": [rows[name] for name in names if name in rows]}


def oracle_scores(split: Split, true_mean: np.ndarray, true_std: np.ndarray) -> dict[str, float]:
    """The oracle's check-up scores (the true mean and noise std) on the test points."""
    return scores(split, Prediction(true_mean, true_std, true_std, np.zeros_like(true_std)))


def binomial_sds(coverage: float, level: float, n: int) -> float:
    """How many binomial standard deviations an observed coverage lies from its nominal ``level`` over n points."""
    return (coverage - level) / math.sqrt(level * (1 - level) / n)
