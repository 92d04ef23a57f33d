"""Markdown tables: one helper for the notebooks (rendered by Jupyter and the book) and the build's reports."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from IPython.display import Markdown


def markdown_rows(header: Sequence[str], rows: Sequence[Sequence[object]], align: str = "") -> str:
    """A Markdown table as text; ``align`` holds one of ``l``/``r`` per column (default: left).

    Cells are written with ``str``; a ``|`` inside a cell is escaped so it cannot split the row.
    """
    align = align or "l" * len(header)
    if len(align) != len(header) or set(align) - {"l", "r"}:
        raise ValueError(f"align must have one 'l' or 'r' per column ({len(header)}); got {align!r}")

    def line(cells: Sequence[object]) -> str:
        return "| " + " | ".join(str(cell).replace("|", r"\|") for cell in cells) + " |"

    rule = "|" + "|".join("---:" if a == "r" else "---" for a in align) + "|"
    return "\n".join([line(header), rule, *(line(row) for row in rows)])


def markdown_table(rows: Mapping[str, Mapping[str, float]], digits: int = 3, first: str = "") -> Markdown:
    """One row per outer key, one column per inner key; numbers to ``digits`` significant figures."""
    columns = list(next(iter(rows.values())))
    body = [[name, *(_format(row[c], digits) for c in columns)] for name, row in rows.items()]
    return Markdown(markdown_rows([first, *columns], body))


def _format(value: object, digits: int) -> str:
    return f"{value:.{digits}g}" if isinstance(value, float) else str(value)
