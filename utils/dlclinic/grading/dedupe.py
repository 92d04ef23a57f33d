"""Repair submissions in which a student copied a graded cell, so that nbgrader grades them again."""

from __future__ import annotations

import json
from pathlib import Path

import nbformat
from nbformat import NotebookNode
from nbformat.reader import NotJSONError


def dedupe_grade_ids(notebook: NotebookNode) -> list[str]:
    """Make a student's notebook with a copied nbgrader cell gradable again; return the repeated grade ids.

    nbgrader 0.9 refuses such a submission (jupyter/nbgrader#1083): it warns ``Cell with id ... exists
    multiple times!``, then fails with a misleading request to ``nbgrader update`` the metadata. As nbgrader
    intends, the last copy keeps the grade; the earlier copies lose their nbgrader metadata and become
    ordinary cells, so a copied cell is graded once and the maximum score does not change.
    """
    seen: set[str] = set()
    repeated = []
    for cell in reversed(notebook.cells):
        grade_id = cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")
        if grade_id is None:
            continue
        if grade_id in seen:
            del cell.metadata["nbgrader"]
            repeated.append(grade_id)
        seen.add(grade_id)
    return sorted(set(repeated))


def dedupe_file(path: Path) -> str:
    """Dedupe the notebook at ``path`` in place; return one line saying what was done.

    Raises ``ValueError`` with one sentence when ``path`` is missing, unreadable or not a Jupyter notebook.
    """
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
    repeated = dedupe_grade_ids(notebook)
    if repeated:
        nbformat.write(notebook, path)
    return f"{path}: {'kept the last copy of ' + ', '.join(repeated) if repeated else 'no repeated grade ids'}"


def _first_line(error: Exception) -> str:
    text = str(error).strip().splitlines()
    return f"{type(error).__name__}: {text[0]}" if text else type(error).__name__
