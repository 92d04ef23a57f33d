"""A scripted class for one assignment: students whose grades are known in advance.

Each ``Student`` is a notebook as ``nbgrader collect`` would find it, with the autograded total an instructor
should see for it. Apart from ``perfect``, every student leaves the ``slow`` training cell as its release
stub (it fails fast), so the class costs seconds per student, not minutes.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass

from harness import cells
from harness.mutants import solved_fast_submission, solved_submission
from nbformat import NotebookNode

LOOP = "while True:  # the student's loop never ends; nbgrader's cell timeout stops it\n    pass"


@dataclass(frozen=True)
class Student:
    """A submission and the autograded score nbgrader must give it."""

    id: str
    notebook: NotebookNode
    expected: float
    story: str


def points(nb: NotebookNode, grade_ids: list[str]) -> float:
    """Total points of the cells ``grade_ids`` of ``nb``."""
    by_id = cells.cells_by_id(nb)
    return float(sum(cells.nbgrader_meta(by_id[gid]).get("points", 0) for gid in grade_ids))


def _graded_answers(source: NotebookNode) -> tuple[list[str], list[str]]:
    """The answers that have tests, split into (fast, slow), in notebook order."""
    by_id = cells.cells_by_id(source)
    graded = [name for name, tests in cells.tests_of(source).items() if tests]
    return [n for n in graded if not cells.is_slow(by_id[n])], [n for n in graded if cells.is_slow(by_id[n])]


def _replace(nb: NotebookNode, grade_id: str, source: str) -> None:
    for cell in nb.cells:
        if cells.grade_id(cell) == grade_id:
            cell.source = source


def class_roster(source: NotebookNode, release: NotebookNode, wrong_shape: str) -> list[Student]:
    """The class of the assignment whose source and release notebooks are given.

    ``perfect`` (the solution), ``blank`` (the release) and ``troublemaker``, who answers every fast answer
    right but two, in which they make the four mistakes of an unusual submission (so they also earn partial
    credit): one answer (the last fast answer other than ``wrong_shape``, which later answers do not build on)
    loops forever and its locked tests are edited to ``assert True``; ``wrong_shape`` (a graded function that
    returns an array or a number) returns one axis too many; and a second copy of a locked test cell is pasted
    at the end. Each mistake costs exactly the points of its answer's tests, so a grader that mishandled any of
    them (kept the edited tests, never stopped the loop, crashed on the shape, counted the copy twice) gives
    another total. The loop finishes quickly when its ``LOOP`` cell alone gets a short
    timeout (``harness.autograde.cell_timeouts``).
    """
    fast, slow = _graded_answers(source)
    if wrong_shape not in fast:
        raise ValueError(f"wrong_shape must name a graded answer that is not slow: one of {fast}")
    others = [name for name in fast if name != wrong_shape]
    if not others:
        raise ValueError("the assignment needs a graded answer that is not slow besides wrong_shape")
    tests = cells.tests_of(source)
    total = points(source, cells.test_ids(source))
    without_slow = total - points(source, [t for name in slow for t in tests[name]])
    looped = others[-1]

    troublemaker = solved_fast_submission(source, release)
    _replace(troublemaker, looped, LOOP)
    for tid in tests[looped]:
        _replace(troublemaker, tid, "assert True  # the student 'fixed' the failing test")
    answer = next(c for c in troublemaker.cells if cells.grade_id(c) == wrong_shape)
    shaped_source = (
        f"{answer.source}\n\n\n_{wrong_shape} = {wrong_shape}\n\n\n"
        f"def {wrong_shape}(*args, **kwargs):  # returns one axis too many\n"
        f"    import numpy\n\n    return numpy.expand_dims(numpy.asarray(_{wrong_shape}(*args, **kwargs)), -1)"
    )
    _replace(troublemaker, wrong_shape, shaped_source)
    pasted = copy.deepcopy(next(c for c in troublemaker.cells if cells.grade_id(c) == tests[looped][0]))
    pasted.id = f"{pasted.id}-copy"  # a pasted cell gets a new cell id but keeps its nbgrader metadata
    troublemaker.cells.append(pasted)

    mistakes = (
        f"loops in {looped} and edits its tests to `assert True`, returns {wrong_shape} with an extra trailing "
        f"axis, pastes a second copy of the locked cell {tests[looped][0]}"
    )
    return [
        Student("perfect", solved_submission(source, release), total, "the solution, training included"),
        Student("blank", copy.deepcopy(release), 0.0, "the release, untouched"),
        Student(
            "troublemaker",
            troublemaker,
            without_slow - points(source, tests[looped] + tests[wrong_shape]),
            mistakes,
        ),
    ]
