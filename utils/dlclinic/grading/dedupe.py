"""Repair submissions in which a student copied a graded cell, so that nbgrader grades them again."""

from __future__ import annotations

from pathlib import Path

import nbformat
from nbformat import NotebookNode

from dlclinic.grading.notebooks import grade_id as grade_id_of
from dlclinic.grading.notebooks import read_notebook


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
        grade_id = grade_id_of(cell)
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
    notebook = read_notebook(path)
    repeated = dedupe_grade_ids(notebook)
    if repeated:
        nbformat.write(notebook, path)
    return f"{path}: {'kept the last copy of ' + ', '.join(repeated) if repeated else 'no repeated grade ids'}"
