"""``python -m dlclinic.grading audit SLUG``: check the gradebook after grading; exit 1 on tampering.

Tampering: a stored source or test cell differs from ``solutions/`` (a rewritten hidden test, points changed);
a manual score on an autograded cell before hand-grading has started (no written answer has a manual score
yet); a score that changed since the last sandboxed grading recorded it. Submissions that are not graded are
listed, not counted as tampering.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from pathlib import Path

from nbgrader.api import MissingEntry
from nbgrader.preprocessors import ClearSolutions
from traitlets.config.loader import PyFileConfigLoader

from dlclinic.grading.course import CONFIG_FILE, SOURCE_DIR
from dlclinic.grading.gradebook import open_gradebook, snapshot
from dlclinic.grading.notebooks import grade_id, nbgrader_meta, read_notebook
from dlclinic.grading.record import load_record


@dataclass
class Audit:
    """What the audit found: ``problems`` (tampering: exit 1) and ``ungraded`` submissions (reported)."""

    problems: list[str] = field(default_factory=list)
    ungraded: dict[str, str] = field(default_factory=dict)


def expected_cells(root: Path, slug: str) -> dict[str, tuple[str, str, float | None]]:
    """``{grade_id: (cell type, source, points)}`` as ``generate_assignment`` stores them from ``solutions/``."""
    source = read_notebook(Path(root) / SOURCE_DIR / slug / f"{slug}.ipynb")
    config = PyFileConfigLoader(CONFIG_FILE, path=str(root)).load_config()
    cleared, _ = ClearSolutions(config=config).preprocess(copy.deepcopy(source), {})
    return {
        grade_id(cell): (cell.cell_type, cell.source, nbgrader_meta(cell).get("points"))
        for cell in cleared.cells
        if grade_id(cell)
    }


def audit(root: Path, slug: str) -> Audit:
    """Audit the gradebook of the course at ``root`` for the assignment ``slug``."""
    root = Path(root).resolve()
    found = Audit()
    expected = expected_cells(root, slug)
    with open_gradebook(root) as gradebook:
        try:
            notebook = gradebook.find_notebook(slug, slug)
        except MissingEntry:
            found.problems.append(f"the gradebook has no notebook {slug!r}: run the release first")
            return found
        stored = {cell.name: cell for cell in notebook.source_cells}
        points = {cell.name: float(cell.max_score) for cell in notebook.grade_cells}
        written = {cell.name for cell in notebook.grade_cells if cell.cell_type == "markdown"}
        written |= {cell.name for cell in notebook.solution_cells} & set(points)
        manual = [
            (submission.student.id, grade.name)
            for submission in gradebook.find_assignment(slug).submissions
            for nb in submission.notebooks
            for grade in nb.grades
            if grade.manual_score is not None
        ]
    for name, (cell_type, text, want_points) in expected.items():
        if name not in stored:
            found.problems.append(f"stored cell {name!r} is missing from the gradebook")
        elif stored[name].source != text or stored[name].cell_type != cell_type:
            found.problems.append(f"stored cell {name!r} differs from {SOURCE_DIR}/{slug}/ (rewritten?)")
        if want_points is not None and points.get(name) != float(want_points):
            found.problems.append(
                f"cell {name!r} is worth {points.get(name)} points in the gradebook, {want_points} in the source"
            )
    found.problems += [f"stored cell {name!r} is not in the source notebook" for name in stored if name not in expected]
    if not any(cell in written for _, cell in manual):
        found.problems += [
            f"{student}/{cell}: manual score set before hand-grading started" for student, cell in manual
        ]
    record = load_record(root, slug)
    now = snapshot(root, slug)
    if record is not None:
        for student in sorted(set(record.scores) | set(now)):
            was, is_ = record.scores.get(student, {}), now.get(student, {})
            changed = [cell for cell in sorted(set(was) | set(is_)) if _auto(was.get(cell)) != _auto(is_.get(cell))]
            if changed:
                found.problems.append(f"{student}: autograded scores changed outside grading ({', '.join(changed)})")
        found.ungraded.update(record.not_graded)
    submitted = sorted(p.parent.name for p in (root / "submitted").glob(f"*/{slug}") if p.is_dir())
    for student in submitted:
        if student not in now and student not in found.ungraded:
            found.ungraded[student] = "submitted, never autograded"
    return found


def _auto(scores: list[float | None] | None) -> float | None:
    """The autograded score of one cell of a snapshot."""
    return None if scores is None else scores[0]
