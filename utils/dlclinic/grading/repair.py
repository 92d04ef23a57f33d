"""Check a submission's nbgrader metadata against the release, and re-apply the release's metadata to it.

Notebooks edited in Colab or VS Code can lose their nbgrader metadata (jupyter/nbgrader#1398, #1941); students
edit a cell's points, ``grade_id`` or type, or paste a graded cell twice. nbgrader then refuses the submission
with a traceback that names no cell. ``metadata_problems`` names each cell; ``repair_notebook`` matches the
submission's cells to the release's by ``grade_id``, then by content (locked and test cells are the release's
text), then by position (an answer lies between the cells around it in the release), and gives each matched cell
the release's metadata and type. Sources are never changed: no answer is lost. A release cell with no match is
inserted from the release where it belongs.
"""

from __future__ import annotations

import copy
import difflib
from pathlib import Path

import nbformat
from nbformat import NotebookNode
from nbformat.v4 import new_code_cell, new_markdown_cell, new_raw_cell

from dlclinic.grading.dedupe import dedupe_grade_ids
from dlclinic.grading.notebooks import grade_id, nbgrader_meta, read_notebook

FIELDS = ("grade", "solution", "locked", "points")
_NEW_CELL = {"code": new_code_cell, "markdown": new_markdown_cell, "raw": new_raw_cell}


def metadata_problems(submission: NotebookNode, release: NotebookNode) -> list[str]:
    """One sentence per cell whose nbgrader metadata differs from the release's (empty when nbgrader can grade it)."""
    released = {grade_id(cell): cell for cell in release.cells if grade_id(cell)}
    problems, seen = [], {}
    for number, cell in enumerate(submission.cells, start=1):
        gid, raw = grade_id(cell), nbgrader_meta(cell).get("grade_id")
        if gid is None and raw is not None:
            problems.append(f"cell {number} has grade_id {str(raw)[:60]}, which is not a name")
        if gid is None:
            continue
        if gid in seen:
            problems.append(f"cell {number} repeats grade_id {gid!r} of cell {seen[gid]} (a copied cell)")
            continue
        seen[gid] = number
        if gid not in released:
            problems.append(f"cell {number} has grade_id {gid!r}, which the release does not have")
            continue
        original = released[gid]
        if cell.cell_type != original.cell_type:
            problems.append(f"cell {number} ({gid!r}) is {cell.cell_type}, the release's is {original.cell_type}")
        for name in FIELDS:
            got, want = nbgrader_meta(cell).get(name), nbgrader_meta(original).get(name)
            if got != want:
                problems.append(f"cell {number} ({gid!r}) has {name} {got!r}, the release has {want!r}")
    problems += [f"the release's cell {gid!r} is missing (metadata lost?)" for gid in released if gid not in seen]
    return problems


def repair_notebook(submission: NotebookNode, release: NotebookNode) -> list[str]:
    """Re-apply the release's nbgrader metadata to ``submission`` in place; return one line per change."""
    repeated = dedupe_grade_ids(submission)
    changes = [f"kept the last copy of {gid}; earlier copies became ordinary cells" for gid in repeated]
    released = list(release.cells)
    known = {grade_id(cell) for cell in released if grade_id(cell)}
    for number, cell in enumerate(submission.cells, start=1):
        raw = nbgrader_meta(cell).get("grade_id")
        if raw is not None and grade_id(cell) not in known:
            changes.append(f"cell {number}: grade_id {str(raw)[:60]} is not in the release; metadata removed")
            del cell.metadata["nbgrader"]
        elif "nbgrader" in cell.get("metadata", {}) and not isinstance(cell.metadata["nbgrader"], dict):
            changes.append(f"cell {number}: nbgrader metadata that is not a mapping removed")
            del cell.metadata["nbgrader"]
    matches = _match(submission, released)
    for index in sorted(matches, key=lambda i: matches[i][0]):
        position, how = matches[index]
        if grade_id(released[index]):
            changes += _apply(submission, position, released[index], how)
    for index in reversed(range(len(released))):  # insert from the end, so earlier positions stay valid
        if index not in matches and grade_id(released[index]):
            before = [matches[i][0] for i in matches if i < index]
            at = max(before) + 1 if before else 0
            submission.cells.insert(at, copy.deepcopy(released[index]))
            changes.append(f"inserted the release's cell {grade_id(released[index])!r} (no cell matched it)")
    return changes


def _match(submission: NotebookNode, released: list[NotebookNode]) -> dict[int, tuple[int, str]]:
    """``{release index: (submission position, how)}``: by grade_id, then by text (locked, test and plain cells,
    which students do not change), then answers by position between those."""
    by_id = {grade_id(cell): position for position, cell in enumerate(submission.cells) if grade_id(cell)}
    matches: dict[int, tuple[int, str]] = {}
    taken: set[int] = set()
    cursor = -1
    for index, cell in enumerate(released):
        position = by_id.get(grade_id(cell))
        how = "grade_id"
        if position is None and not nbgrader_meta(cell).get("solution") and cell.source.strip():
            position, how = _same_text(submission, cell, cursor, taken), "content"
        if position is not None:
            matches[index] = (position, how)
            taken.add(position)
            cursor = max(cursor, position)
    for index, cell in enumerate(released):
        if index in matches or not grade_id(cell):
            continue
        low = max([matches[i][0] for i in matches if i < index], default=-1)
        high = min([matches[i][0] for i in matches if i > index], default=len(submission.cells))
        window = [p for p in range(low + 1, high) if p not in taken and grade_id(submission.cells[p]) is None]
        if not nbgrader_meta(cell).get("solution"):  # a locked cell (an empty hidden-test cell) keeps its text
            window = [p for p in window if submission.cells[p].source.strip() == cell.source.strip()]
        if window:
            position = max(window, key=lambda p: _likeness(submission.cells[p], cell))
            matches[index] = (position, "position")
            taken.add(position)
    return matches


def _same_text(submission: NotebookNode, cell: NotebookNode, cursor: int, taken: set[int]) -> int | None:
    """The first unmatched cell after ``cursor`` (else anywhere) without metadata and with ``cell``'s text."""
    text = cell.source.strip()
    candidates = [
        p
        for p, other in enumerate(submission.cells)
        if p not in taken and grade_id(other) is None and other.source.strip() == text
    ]
    later = [p for p in candidates if p > cursor]
    return (later or candidates or [None])[0]


def _likeness(candidate: NotebookNode, released: NotebookNode) -> tuple[bool, float]:
    """Same cell type first, then the most similar text (an answer keeps the stub's first line, often)."""
    ratio = difflib.SequenceMatcher(None, candidate.source, released.source).ratio()
    return candidate.cell_type == released.cell_type, ratio


def _apply(submission: NotebookNode, position: int, released: NotebookNode, how: str) -> list[str]:
    """Give the cell at ``position`` the release cell's type and nbgrader metadata; describe what changed."""
    cell = submission.cells[position]
    gid, number, changes = grade_id(released), position + 1, []
    if cell.cell_type != released.cell_type:
        changes.append(f"cell {number} ({gid!r}): type {cell.cell_type} restored to {released.cell_type}")
        replacement = _NEW_CELL[released.cell_type](cell.source, metadata=copy.deepcopy(cell.get("metadata", {})))
        if "id" in cell:
            replacement.id = cell.id
        submission.cells[position] = cell = replacement
    wanted = copy.deepcopy(released.metadata["nbgrader"])
    if nbgrader_meta(cell) != wanted:
        had = nbgrader_meta(cell)
        changed = sorted(key for key in set(wanted) | set(had) if had.get(key) != wanted.get(key))
        verb = "restored" if nbgrader_meta(cell) else "re-applied (matched by " + how + ")"
        changes.append(f"cell {number} ({gid!r}): nbgrader metadata {verb}: {', '.join(changed)}")
        cell.metadata["nbgrader"] = wanted
    for key in ("deletable", "editable"):
        if key in released.metadata:
            cell.metadata[key] = released.metadata[key]
    return changes


def repair_file(path: Path, release_path: Path) -> list[str]:
    """Repair the notebook at ``path`` in place against the release at ``release_path``; return the changes."""
    submission = read_notebook(path)
    if not Path(release_path).is_file():
        raise ValueError(f"{path}: no release {release_path} to repair it from")
    release = read_notebook(release_path)
    changes = repair_notebook(submission, release)
    if changes:
        nbformat.write(submission, path)
    return changes
