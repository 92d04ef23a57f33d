"""Read a notebook a student handed in, and the nbgrader metadata of its cells.

Every reading error becomes a ``ValueError`` with one sentence naming the file, so the commands print a line,
not a traceback.
"""

from __future__ import annotations

import json
from pathlib import Path

import nbformat
from nbformat import NotebookNode
from nbformat.reader import NotJSONError


def read_notebook(path: Path) -> NotebookNode:
    """The notebook at ``path``; raises ``ValueError`` when it is missing, unreadable or not a Jupyter notebook."""
    path = Path(path)
    if not path.exists():
        raise ValueError(f"{path}: no such file")
    if not path.is_file():
        raise ValueError(f"{path}: not a file")
    try:
        notebook = nbformat.read(path, as_version=4)
    except UnicodeDecodeError:
        raise ValueError(f"{path}: not a Jupyter notebook (not UTF-8 text)") from None
    except (NotJSONError, json.JSONDecodeError):
        raise ValueError(f"{path}: not a Jupyter notebook (not JSON)") from None
    except OSError as error:
        raise ValueError(f"{path}: cannot be read ({error.strerror or error})") from None
    except Exception as error:  # noqa: BLE001 - nbformat raises assorted errors for JSON that is no notebook
        raise ValueError(f"{path}: JSON but not a Jupyter notebook ({_first_line(error)})") from None
    if not isinstance(notebook.get("cells"), list):
        raise ValueError(f"{path}: JSON but not a Jupyter notebook (no list of cells)")
    for number, cell in enumerate(notebook.cells, start=1):
        if not isinstance(cell, dict) or cell.get("cell_type") not in ("code", "markdown", "raw"):
            raise ValueError(f"{path}: cell {number} is not a code, markdown or raw cell")
        if not isinstance(cell.get("source", ""), str):
            raise ValueError(f"{path}: cell {number}'s source is {type(cell.get('source')).__name__}, not text")
        if not isinstance(cell.get("metadata", {}), dict):
            raise ValueError(f"{path}: cell {number}'s metadata is not a mapping")
    return notebook


def nbgrader_meta(cell: NotebookNode) -> dict:
    """The cell's ``nbgrader`` metadata, or an empty dict for an ordinary cell."""
    meta = cell.get("metadata", {}).get("nbgrader", {})
    return dict(meta) if isinstance(meta, dict) else {}


def grade_id(cell: NotebookNode) -> str | None:
    """The cell's nbgrader ``grade_id``, or ``None`` (also for one that is not text: ``metadata_problems``
    names it, ``repair`` replaces it)."""
    value = nbgrader_meta(cell).get("grade_id")
    return value if isinstance(value, str) else None


def _first_line(error: Exception) -> str:
    text = str(error).strip().splitlines()
    return f"{type(error).__name__}: {text[0]}" if text else type(error).__name__
