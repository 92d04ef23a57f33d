"""The page's tables of recorded numbers: the evidence (the full run) with this build's smoke test beside it."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from IPython.display import Markdown

from dlclinic.differential import Differential, Metric, on_metric, versus
from dlclinic.tables import markdown_rows


def side_by_side(
    evidence: Mapping,
    smoke: Mapping | None,
    rows: Sequence[tuple[str, str]],
    columns: Sequence[tuple[str, str]],
    digits: int = 3,
) -> Markdown:
    """One line per ``(label, entry)`` of ``rows``, one column per ``(title, key)`` of ``columns``: the value at
    ``evidence[entry][key]``, and this build's after it in brackets where ``smoke`` is given ("0.31 (0.33)")."""

    def value(source: Mapping, entry: str, key: str) -> str:
        found = source.get(entry, {}).get(key)
        return "—" if not isinstance(found, int | float) or isinstance(found, bool) else f"{found:.{digits}g}"

    def cell(entry: str, key: str) -> str:
        return value(evidence, entry, key) + ("" if smoke is None else f" ({value(smoke, entry, key)})")

    body = [[label, *(cell(prefix, key) for _, key in columns)] for label, prefix in rows]
    note = "" if smoke is None else "\n\nIn brackets: this build's quick run, a smoke test beside the full run."
    return Markdown(markdown_rows(["", *(title for title, _ in columns)], body, align="l" + "r" * len(columns)) + note)


def said(record: Mapping, a: str, b: str, labels: Mapping[str, str], key: str | None = None,
         metric: Metric | None = None, digits: int = 3) -> str:
    """"the fix (0.339 ± 0.004, 5 seeds) ties the cosine gap (0.337) on test Pk": the runner's verdict between
    rows ``a`` and ``b`` of a ``differential`` record (on another metric the rows kept with ``key`` and
    ``metric``), with the page's short ``labels`` for the rows."""
    if key is not None and metric is not None:
        table = on_metric(record, key, metric)
    else:
        table = Differential.from_record(record)
    found = versus(table, a, b)

    def value(name: str) -> str:
        row = table.rows[name]
        spread = f" ± {row.spread:.2g}, {row.seeds} seeds" if row.seeds > 1 else ""
        return f"{labels.get(name, name)} ({row.value:.{digits}g}{spread})"

    return f"{value(a)} {found['verb']} {value(b)} on {table.metric.name}"
