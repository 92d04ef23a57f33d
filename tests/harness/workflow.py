"""The instructor's nbgrader steps around autograding, as the tests drive them: the roster, validation, feedback
and the exported gradebook. (Repairing a copied cell is an instructor command: ``dlclinic.grading.dedupe``.)"""

from __future__ import annotations

import csv
from pathlib import Path

from harness.course import Course

from dlclinic.grading.course import run_nbgrader


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


def validate(course: Course, notebook: Path) -> str:
    """``nbgrader validate`` of one notebook, as the Validate button of nbgrader's JupyterLab extension runs it;
    return its report (it exits 0 whether or not the tests pass)."""
    return run_nbgrader(["validate", str(Path(notebook).resolve())], course.root)
