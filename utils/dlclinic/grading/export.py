"""``python -m dlclinic.grading export SLUG --to FILE``: one assignment's grades, merged into a CSV file.

The columns are ``nbgrader export``'s (assignment, duedate, timestamp, student_id, last_name, first_name,
email, raw_score, late_submission_penalty, score, max_score) plus ``status``, which says what the score is:

- ``graded``: every cell is scored; ``score`` is final;
- ``waiting for hand-grading: <cells>; <points> of <max> autograded points so far``: a written answer is not
  graded yet (nbgrader counts it as 0 until it is); the scores stay empty;
- ``not graded: <reason>``: the submission could not be graded (``autograde`` said why); no score;
- ``no submission``: nothing was handed in; no score (nbgrader's own export writes 0).

Rows of other assignments already in ``FILE`` are kept, so one file can collect every assignment, exported one
at a time; this assignment's rows are replaced. A ``FILE`` that is not such a grades file is refused, never
overwritten. The file is written with Python's ``csv`` module (nbgrader's export does not quote names with
commas).
"""

from __future__ import annotations

import csv
import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from nbgrader.api import MissingEntry

from dlclinic.grading.gradebook import open_gradebook
from dlclinic.grading.record import load_record

COLUMNS = [
    "assignment",
    "duedate",
    "timestamp",
    "student_id",
    "last_name",
    "first_name",
    "email",
    "raw_score",
    "late_submission_penalty",
    "score",
    "max_score",
    "status",
]
GRADED = "graded"
NO_SUBMISSION = "no submission"
WAITING = "waiting for hand-grading"


class ExportError(ValueError):
    """The grades cannot be written where asked (one sentence, no traceback)."""


@dataclass
class Standing:
    """One student's submission of one assignment, as the gradebook holds it."""

    score: float
    max_score: float
    late_penalty: float = 0.0
    waiting: list[str] = field(default_factory=list)  # grade ids still to be graded by hand
    waiting_points: float = 0.0

    def status(self) -> str:
        """``graded``, or what the score still waits for."""
        if not self.waiting:
            return GRADED
        return (
            f"{WAITING}: {', '.join(self.waiting)}; "
            f"{self.score:g} of the other {self.max_score - self.waiting_points:g} points so far"
        )


def standings(root: Path, slug: str) -> dict[str, Standing]:
    """Every graded submission of ``slug``: ``{student: Standing}``."""
    found = {}
    with open_gradebook(root) as gradebook:
        for submission in gradebook.find_assignment(slug).submissions:
            waiting = [
                (grade.name, float(grade.max_score or 0))
                for notebook in submission.notebooks
                for grade in notebook.grades
                if grade.needs_manual_grade
            ]
            found[submission.student.id] = Standing(
                score=float(submission.score or 0),
                max_score=float(submission.max_score or 0),
                late_penalty=float(submission.late_submission_penalty or 0),
                waiting=[name for name, _ in waiting],
                waiting_points=sum(points for _, points in waiting),
            )
    return found


def assignment_rows(root: Path, slug: str) -> list[dict[str, str]]:
    """One row per student of the gradebook (and per student not graded whom it does not know), with status."""
    record = load_record(root, slug)
    not_graded = record.not_graded if record else {}
    graded = standings(root, slug)
    rows = []
    with open_gradebook(root) as gradebook:
        assignment = gradebook.find_assignment(slug)
        top, due = _text(assignment.max_score), _text(assignment.duedate)
        for student in gradebook.students:
            row = {
                "assignment": slug,
                "duedate": due,
                "timestamp": "",
                "student_id": student.id,
                "last_name": _text(student.last_name),
                "first_name": _text(student.first_name),
                "email": _text(student.email),
                "max_score": top,
            }
            try:
                row["timestamp"] = _text(gradebook.find_submission(slug, student.id).timestamp)
            except MissingEntry:
                pass
            row.update(_scores(root, slug, student.id, graded.get(student.id), not_graded.get(student.id)))
            rows.append(row)
    known = {row["student_id"] for row in rows}
    for student in sorted(set(not_graded) - known):  # never in the gradebook: nbgrader does not list them
        rows.append({"assignment": slug, "student_id": student, "max_score": top})
        rows[-1]["status"] = f"not graded: {not_graded[student]}"
    return rows


def _scores(root: Path, slug: str, student: str, standing: Standing | None, reason: str | None) -> dict[str, str]:
    if reason:
        return {"status": f"not graded: {reason}"}
    if standing is None:
        if (Path(root) / "submitted" / student / slug).is_dir():
            return {"status": f"not graded: handed in but not autograded yet (run autograde {slug})"}
        return {"status": NO_SUBMISSION}
    scores = {"late_submission_penalty": _text(standing.late_penalty), "status": standing.status()}
    if not standing.waiting:
        scores["raw_score"] = _text(standing.score)
        scores["score"] = _text(max(0.0, standing.score - standing.late_penalty))
    return scores


def _text(value: object) -> str:
    return "" if value is None else str(value)


def read_grades(path: Path) -> tuple[list[str], list[dict[str, str]]]:
    """The columns and rows of a grades file written by ``export``; raise ``ExportError`` for any other file."""
    try:
        with open(path, newline="", encoding="utf-8") as handle:
            reader = csv.DictReader(handle)
            columns = list(reader.fieldnames or [])
            rows = list(reader)
    except (OSError, UnicodeDecodeError, csv.Error) as error:
        raise ExportError(f"{path} exists and cannot be read as a grades file ({error}); choose another --to") from None
    if not {"assignment", "student_id", "status"} <= set(columns):
        raise ExportError(
            f"{path} exists and is not a grades file written by export (no assignment, student_id and status "
            "columns); it was left as it is: choose another --to"
        )
    return columns, rows


def _file_mode(path: Path) -> int:
    """The mode ``path`` has, or a new file's mode under the current umask."""
    if path.exists():
        return path.stat().st_mode & 0o777
    umask = os.umask(0)
    os.umask(umask)
    return 0o666 & ~umask


def export_grades(root: Path, slug: str, to: Path) -> list[dict[str, str]]:
    """Write the rows of ``slug`` into ``to``, keeping the other assignments' rows there; return this
    assignment's rows."""
    to = Path(to)
    columns, kept = read_grades(to) if to.exists() else (list(COLUMNS), [])
    rows = assignment_rows(root, slug)
    columns += [column for column in COLUMNS if column not in columns]
    merged = sorted(
        [row for row in kept if row.get("assignment") != slug] + rows,
        key=lambda row: (row.get("assignment", ""), row.get("student_id", "")),
    )
    to.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.NamedTemporaryFile("w", newline="", encoding="utf-8", dir=to.parent, delete=False) as handle:
        writer = csv.DictWriter(handle, fieldnames=columns, restval="", extrasaction="ignore")
        writer.writeheader()
        writer.writerows(merged)
    os.chmod(handle.name, _file_mode(to))
    os.replace(handle.name, to)  # never a half-written file in place of the old one
    return rows
