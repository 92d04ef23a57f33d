"""Reading Case 5's differential record (the committed full run's or this build's): the output × direction
table, comparisons on the metrics beside EER, and the entries the record keeps under its own keys."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

from IPython.display import Markdown

from dlclinic.differential import Differential, Metric, Row, describe_verdict, on_metric, versus
from dlclinic.siamese_speakers.experiment import FACTORIAL, MARGINS, OUTPUTS
from dlclinic.tables import markdown_rows

# The metrics beside EER: direction and the absolute difference at or below which two rows tie.
OTHERS = {"minDCF": (True, 0.02), "ARI": (False, 0.02), "MR": (True, 0.02), "NMI": (False, 0.02)}


def rows(record: Mapping) -> dict[str, Row]:
    """The rows of a ``differential`` record by name."""
    return {entry["name"]: Row.from_record(entry) for entry in record["rows"]}


def entry(row: Row) -> dict:
    """``value``, ``spread``, ``seeds`` and ``verdict`` of a row, as the record's own keys store them."""
    return {"value": row.value, "spread": row.spread, "seeds": row.seeds, "verdict": describe_verdict(row)}


def interaction(record: Mapping, margin: float = 1.0) -> dict[str, dict]:
    """The output × direction cells at one margin: ``"<output>/<direction>"`` → value, spread, seeds, verdict
    (a symmetric cell's verdict is against the one-way cell of its output)."""
    found = rows(record)
    return {f"{s.output}/{s.direction}": entry(found[key]) for key, s in FACTORIAL.items()
            if s.margin == margin and key in found}


def _cell(row: Row | None) -> str:
    return "—" if row is None else _number(row.value, row.spread, row.seeds)


def interaction_table(record: Mapping, smoke: Mapping | None = None) -> Markdown:
    """Outputs down, KL direction across, one group of columns per margin: test EER mean ± sd (seeds) and the
    verdict of summing both directions for that output; this build's verdict beside it when ``smoke`` is given."""
    full, quick = rows(record), rows(smoke) if smoke is not None else {}
    header = ["outputs"]
    for margin in MARGINS:
        header += [f"one-way, m = {margin:g}", f"symmetric, m = {margin:g}", f"symmetric vs one-way, m = {margin:g}"]
    body = []
    for output, name in OUTPUTS.items():
        cells = [name]
        for margin in MARGINS:
            one, both = (full.get(f"{output}/{direction}/m{margin:g}") for direction in ("one-way", "symmetric"))
            verdict = both.verdict if both is not None else "—"
            here = quick.get(f"{output}/symmetric/m{margin:g}")
            if here is not None:
                verdict += f" (this build: {here.verdict})"
            cells += [_cell(one), _cell(both), verdict]
        body.append(cells)
    return Markdown(markdown_rows(header, body, align="l" + "rrl" * len(MARGINS)))


def verb_on(record: Mapping, a: str, b: str, key: str) -> str:
    """"beats", "ties" or "loses to": row ``a`` against row ``b`` on ``key``, one of :data:`OTHERS` (the runner's
    rule on the metrics the rows kept: spreads added, the metric's floor)."""
    lower_is_better, floor = OTHERS[key]
    return versus(on_metric(record, key, Metric(key, lower_is_better, floor)), a, b)["verb"]


def verdict_words(record: Mapping, a: str, b: str) -> str:
    """How row ``a`` compares with ``b`` on every metric, grouped: "ties on EER; loses on minDCF, ARI and MR"."""
    table = Differential.from_record(record)
    verbs = {"EER": versus(table, a, b)["verb"]} | {key: verb_on(record, a, b, key) for key in OTHERS}
    groups: dict[str, list[str]] = {}
    for metric, verb in verbs.items():
        said = {"beats": "wins", "ties": "ties", "loses to": "loses"}.get(verb, "is undecided (not converged)")
        groups.setdefault(said, []).append(metric)
    return "; ".join(f"{verb} on {_listed(names)}" for verb, names in groups.items())


def _listed(names: list[str]) -> str:
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]



def checkup_table(record: Mapping, shown: Sequence[tuple[str, str]]) -> Markdown:
    """Rows ``shown`` (``(row name, label)`` in order; a row named twice is shown once, its labels joined): test
    EER and the metrics beside it, mean ± sd (seeds), from a ``differential`` record."""
    found = rows(record)
    labels: dict[str, list[str]] = {}
    for name, label in shown:
        labels.setdefault(name, []).append(label)
    header = ["", "test EER", *OTHERS]
    body = []
    for name, said in labels.items():
        row = found[name]
        cells = [_number(row.value, row.spread, row.seeds)]
        cells += [_number(*row.others[key], row.seeds) if key in row.others else "—" for key in OTHERS]
        body.append([" = ".join(said), *cells])
    note = ("Lower is better for EER, minDCF and MR, higher for ARI and NMI; learning-free rows have one value. "
            "Ties on the metrics beside EER: within max(the two spreads added, "
            + ", ".join(f"{floor:g} on {key}" for key, (_, floor) in OTHERS.items()) + ").")
    return Markdown(markdown_rows(header, body, align="l" + "r" * (1 + len(OTHERS))) + "\n\n" + note)


def _number(value: float, spread: float, seeds: int) -> str:
    if not math.isfinite(value):
        return "—"
    return f"{value:.3f} ± {spread:.3f} ({seeds})" if seeds > 1 else f"{value:.3f}"
