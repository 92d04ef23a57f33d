"""The course's gradebook: where it is, a snapshot of one assignment's scores, and a private copy for a sandbox."""

from __future__ import annotations

import shutil
from pathlib import Path

from nbgrader.api import Gradebook, MissingEntry
from traitlets.config.loader import PyFileConfigLoader

from dlclinic.grading.course import CONFIG_FILE

GRADEBOOK = "gradebook.db"
# {student: {grade_id: [auto_score, manual_score]}}
Snapshot = dict[str, dict[str, list[float | None]]]


def db_url(root: Path) -> str:
    """The SQLAlchemy URL of the gradebook of the course at ``root``."""
    return f"sqlite:///{Path(root).resolve() / GRADEBOOK}"


def course_id(root: Path) -> str:
    """``CourseDirectory.course_id`` from the course's ``nbgrader_config.py`` (nbgrader's default without one)."""
    if not (Path(root) / CONFIG_FILE).is_file():
        return "default_course"
    config = PyFileConfigLoader(CONFIG_FILE, path=str(root)).load_config()
    return str(config.CourseDirectory.get("course_id", "default_course"))


def open_gradebook(root: Path) -> Gradebook:
    """The course's gradebook (use it as a context manager)."""
    return Gradebook(db_url(root), course_id(root))


def has_assignment(root: Path, slug: str) -> bool:
    """True when the gradebook exists and knows the assignment (``generate_assignment`` has run)."""
    if not (Path(root) / GRADEBOOK).is_file():
        return False
    with open_gradebook(root) as gradebook:
        try:
            gradebook.find_assignment(slug)
        except MissingEntry:
            return False
    return True


def snapshot(root: Path, slug: str) -> Snapshot:
    """Every stored score of the assignment: ``{student: {grade_id: [auto_score, manual_score]}}``."""
    scores: Snapshot = {}
    with open_gradebook(root) as gradebook:
        for submission in gradebook.find_assignment(slug).submissions:
            cells = scores.setdefault(submission.student.id, {})
            for notebook in submission.notebooks:
                for grade in notebook.grades:
                    cells[f"{notebook.name}/{grade.name}"] = [_number(grade.auto_score), _number(grade.manual_score)]
    return scores


def private_copy(root: Path, slug: str, student: str, dest: Path) -> None:
    """Copy the gradebook to ``dest`` holding only the assignment ``slug`` and the student ``student``."""
    shutil.copy2(Path(root) / GRADEBOOK, dest)
    with Gradebook(f"sqlite:///{Path(dest).resolve()}", course_id(root)) as gradebook:
        for other in [a.name for a in gradebook.assignments if a.name != slug]:
            gradebook.remove_assignment(other)
        for other in [s.id for s in gradebook.students if s.id != student]:
            gradebook.remove_student(other)


def _number(value: float | None) -> float | None:
    return None if value is None else float(value)
