"""The instructor's nbgrader steps around autograding: the roster, feedback and the exported gradebook."""

from __future__ import annotations

import csv
from pathlib import Path

from nbformat import NotebookNode

from dlclinic.grading import cells
from dlclinic.grading.course import Course, run_nbgrader


def import_roster(course: Course, students: list[str]) -> None:
    """``nbgrader db student import`` of a CSV roster (``id,first_name,last_name,email``), as a class starts."""
    roster = course.root / "roster.csv"
    with open(roster, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["id", "first_name", "last_name", "email"])
        writer.writerows([student, student.replace("_", " ").title(), "Student", ""] for student in students)
    run_nbgrader(["db", "student", "import", str(roster)], course.root)


def generate_feedback(course: Course, exclude: list[str] | None = None) -> dict[str, Path]:
    """``nbgrader generate_feedback`` for every autograded student but ``exclude``; return each one's page."""
    args = ["generate_feedback", course.slug, "--force"]
    if exclude:
        args.append(f"--CourseDirectory.student_id_exclude={','.join(exclude)}")
    run_nbgrader(args, course.root)
    pages = (course.root / "feedback").glob(f"*/{course.slug}/{course.slug}.html")
    return {page.parent.parent.name: page for page in sorted(pages)}


def export_grades(course: Course, to: Path) -> dict[str, tuple[float, float]]:
    """``nbgrader export`` to the CSV file ``to``; return ``{student: (score, max_score)}`` for the assignment."""
    run_nbgrader(["export", f"--to={Path(to).resolve()}", f"--assignment={course.slug}"], course.root)
    with open(to, newline="", encoding="utf-8") as handle:
        rows = [row for row in csv.DictReader(handle) if row["assignment"] == course.slug]
    return {row["student_id"]: (float(row["score"]), float(row["max_score"])) for row in rows}


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
        grade_id = cells.grade_id(cell)
        if grade_id is None:
            continue
        if grade_id in seen:
            del cell.metadata["nbgrader"]
            repeated.append(grade_id)
        seen.add(grade_id)
    return sorted(set(repeated))


def validate(course: Course, notebook: Path) -> str:
    """``nbgrader validate`` of one notebook, as the Validate button of nbgrader's JupyterLab extension runs it;
    return its report (it exits 0 whether or not the tests pass)."""
    return run_nbgrader(["validate", str(Path(notebook).resolve())], course.root)
