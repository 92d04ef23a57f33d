"""Small Markdown tables for notebooks, so comparisons render as tables in Jupyter and in the book."""

from __future__ import annotations

from collections.abc import Mapping

from IPython.display import Markdown


def markdown_table(rows: Mapping[str, Mapping[str, float]], digits: int = 3, first: str = "") -> Markdown:
    """One row per outer key, one column per inner key; numbers to ``digits`` significant figures."""
    columns = list(next(iter(rows.values())))
    lines = [f"| {first} | " + " | ".join(columns) + " |", "|---" * (len(columns) + 1) + "|"]
    for name, row in rows.items():
        cells = [_format(row[c], digits) for c in columns]
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    return Markdown("\n".join(lines))


def _format(value: object, digits: int) -> str:
    return f"{value:.{digits}g}" if isinstance(value, float) else str(value)
