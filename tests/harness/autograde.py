"""Autograde notebooks as students' submissions and read their scores from the gradebook."""

from __future__ import annotations

import copy
import re
import secrets
import shutil
import tempfile
from collections.abc import Mapping
from pathlib import Path

import nbformat
from harness.cells import cells_by_id
from harness.course import Course
from harness.scores import CellScore, Scores
from nbformat import NotebookNode
from nbgrader.api import Gradebook

from dlclinic.grading.autograde import PACKAGE_DIR, REGRADE_FROM_OUTPUTS, regrade_from_outputs
from dlclinic.grading.course import run_nbgrader
from dlclinic.grading.handout import INPUTS_ENV
from dlclinic.grading.outside import Checks, decide_cells, draw_inputs, load_checks, write_kernel_inputs
from dlclinic.grading.stubs import stubbed_package

__all__ = ["REGRADE_FROM_OUTPUTS", "autograde", "cell_timeouts", "read_scores", "with_outputs_of"]

_STUDENT_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")
_ANSI = re.compile(r"\x1b\[[0-9;]*m")
MAX_ERROR_CHARS = 3000


def submission_path(course: Course, student: str) -> Path:
    """Where ``nbgrader collect`` would put the student's notebook: ``submitted/<student>/<slug>/``."""
    return course.root / "submitted" / student / course.slug / f"{course.slug}.ipynb"


def autograded_path(course: Course, student: str) -> Path:
    """Where ``nbgrader autograde`` writes the executed notebook of the student."""
    return course.root / "autograded" / student / course.slug / f"{course.slug}.ipynb"


def autograde(
    course: Course,
    submissions: Mapping[str, NotebookNode],
    timeout: int | None = None,
    config: str = "",
    decide: bool = True,
) -> dict[str, Scores]:
    """Autograde each notebook as the main notebook submitted by its student, in one nbgrader run.

    Students already graded in this course are left alone; one named here again is regraded. ``timeout``
    overrides the course's seconds per cell (``Execute.timeout``) for this run; ``config`` is extra nbgrader
    configuration for this run (``cell_timeouts``, ``REGRADE_FROM_OUTPUTS``). An assignment with a check module
    is graded as ``dlclinic.grading autograde`` grades it, without the sandbox: its kernels get the grader's
    inputs (a fresh seed per call) and the package with the graded names stubbed, then the checks decide the
    checked cells and nbgrader scores the notebooks from their outputs; ``decide=False`` skips that (a regrade
    from outputs the checks already decided).
    """
    for student in submissions:
        if not _STUDENT_ID.match(student):
            raise ValueError(f"student id {student!r} must match {_STUDENT_ID.pattern}")
    for student, notebook in submissions.items():
        shutil.rmtree(submission_path(course, student).parent.parent, ignore_errors=True)
        shutil.rmtree(autograded_path(course, student).parent.parent, ignore_errors=True)
        path = submission_path(course, student)
        path.parent.mkdir(parents=True)
        nbformat.write(notebook, path)
    submitted = course.root / "submitted"
    others = sorted(p.name for p in submitted.iterdir() if p.is_dir() and p.name not in submissions)
    args = ["autograde", course.slug, "--force"]
    if others:
        args.append(f"--CourseDirectory.student_id_exclude={','.join(others)}")
    if timeout is not None:
        args.append(f"--Execute.timeout={int(timeout)}")
    checks = load_checks(course.source_dir) if decide else None
    if checks is None:
        run_nbgrader(args, course.root, config=config)
    else:
        with tempfile.TemporaryDirectory(prefix="grader-") as scratch:
            inputs = draw_inputs(checks, secrets.randbits(128))
            env = {
                INPUTS_ENV: str(write_kernel_inputs(inputs, Path(scratch) / "inputs.json")),
                "PYTHONPATH": str(stubbed_package(PACKAGE_DIR, checks.graded, Path(scratch) / "package")),
            }
            run_nbgrader(args, course.root, config=config, env=env)
            _decide_outside(course, list(submissions), checks, inputs, Path(scratch) / "staging")
    return {student: read_scores(course, student) for student in submissions}


def _decide_outside(
    course: Course, students: list[str], checks: Checks, inputs: dict, staging: Path
) -> None:
    """Let the checks decide the checked cells of each executed notebook, then score them from their outputs."""
    staged = []
    for student in students:
        path = autograded_path(course, student)
        if not path.is_file():
            continue
        notebook = nbformat.read(path, as_version=4)
        decide_cells(notebook, checks, inputs)
        target = staging / student / course.slug / path.name
        target.parent.mkdir(parents=True)
        nbformat.write(notebook, target)
        staged.append(student)
    failed = regrade_from_outputs(course.root, course.slug, staging, staged)
    if failed:
        raise RuntimeError(f"nbgrader could not score the decided notebooks: {failed}")


def cell_timeouts(seconds: Mapping[str, int], default: int) -> str:
    """nbgrader configuration giving each cell whose source is a key of ``seconds`` that many seconds to run,
    and every other cell ``default`` seconds (nbclient's ``timeout_func``, which overrides ``Execute.timeout``).

    It lets one scripted cell that never ends time out in seconds while the rest of the run keeps the course's
    budget: nbgrader stops it exactly as it would stop it at the course's timeout, only sooner.
    """
    return (
        "c = get_config()  # noqa: F821\n"
        f"_SECONDS = {dict(seconds)!r}\n\n\n"
        "def _timeout(cell):\n"
        f"    return _SECONDS.get(getattr(cell, 'source', cell), {int(default)})\n\n\n"
        "c.Execute.timeout_func = _timeout\n"
    )


def with_outputs_of(submission: NotebookNode, executed: NotebookNode) -> NotebookNode:
    """A copy of ``submission`` whose code cells carry the outputs of the same cells in ``executed`` (the
    autograded notebook of that submission), to be regraded with ``REGRADE_FROM_OUTPUTS``."""
    copied = copy.deepcopy(submission)
    if [c.cell_type for c in copied.cells] != [c.cell_type for c in executed.cells]:
        raise ValueError("the executed notebook's cells do not match the submission's")
    for cell, ran in zip(copied.cells, executed.cells, strict=True):
        if cell.cell_type == "code":
            cell.outputs = copy.deepcopy(ran.outputs)
            cell.execution_count = ran.execution_count
    return copied


def _cell_errors(notebook: NotebookNode) -> dict[str, str]:
    """Error and stderr outputs of each grade cell of an executed notebook, ANSI colours removed."""
    errors = {}
    for cell in notebook.cells:
        gid = cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")
        parts = []
        for output in cell.get("outputs", []):
            if output.output_type == "error":
                parts.append("\n".join(output.get("traceback", [])) or f"{output.ename}: {output.evalue}")
            elif output.output_type == "stream" and output.name == "stderr":
                parts.append("stderr: " + output.text)
        if gid and parts:
            text = _ANSI.sub("", "\n".join(parts))
            errors[gid] = text if len(text) <= MAX_ERROR_CHARS else "...\n" + text[-MAX_ERROR_CHARS:]
    return errors


def read_scores(course: Course, student: str) -> Scores:
    """The scores of the student's autograded main notebook, from the gradebook."""
    path = autograded_path(course, student)
    errors = _cell_errors(nbformat.read(path, as_version=4)) if path.is_file() else {}
    order = {gid: index for index, gid in enumerate(cells_by_id(course.source_notebook()))}
    with Gradebook(course.db_url, course.course_id) as gradebook:
        submitted = gradebook.find_submission_notebook(course.slug, course.slug, student)
        manual = {cell.name for cell in submitted.notebook.solution_cells}
        scores = {}
        for grade in sorted(submitted.grades, key=lambda g: order.get(g.name, len(order))):
            score = grade.manual_score if grade.manual_score is not None else grade.auto_score
            scores[grade.name] = CellScore(
                grade_id=grade.name,
                score=None if score is None else float(score),
                max_score=float(grade.max_score),
                manual=grade.name in manual,
                error=errors.get(grade.name, ""),
            )
    return Scores(student=student, cells=scores)
