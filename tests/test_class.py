"""An instructor grades a scripted class with nbgrader's own workflow, for every assignment, twice.

Per assignment, in the course that tests/test_grading.py also grades (``tests/graded_course.py``):
``db student import`` of the roster, ``generate_assignment``, the submissions placed where ``collect`` puts
them, ``autograde``, ``generate_feedback`` and ``export``; then the whole class is autograded and exported
again. The students (``harness.classroom``) have known grades: perfect, blank, and a troublemaker
whose notebook holds the unusual mistakes in answers of their own (an answer that loops forever with its
locked tests edited to ``assert True``, an answer of the wrong shape and a pasted second copy of a graded
cell) and is otherwise right, so that it earns partial credit. ``DLCLINIC_CLASS=slug,...`` grades only those classes.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from graded_course import WRONG_SHAPE
from harness.cells import grade_id
from harness.classroom import LOOP

from dlclinic.grading.course import assignment_slugs

pytestmark = pytest.mark.grading

REPO_ROOT = Path(os.environ.get("DLCLINIC_REPO_ROOT") or Path(__file__).resolve().parents[1]).resolve()
ASSIGNMENTS = assignment_slugs(REPO_ROOT)
CHOSEN = os.environ.get("DLCLINIC_CLASS", "all")
SLUGS = ASSIGNMENTS if CHOSEN == "all" else [slug for slug in CHOSEN.split(",") if slug]


@pytest.mark.parametrize("slug", SLUGS)
def test_gradebook_has_the_expected_scores(graded_course, slug):
    graded_class = graded_course(slug)
    students = graded_class.students.values()
    got = {s.id: graded_class.first[s.id][0] for s in students}
    wrong = {
        s.id: f"expected {s.expected:g}, got {got[s.id]:g} ({s.story})"
        for s in students
        if got[s.id] != pytest.approx(s.expected)
    }
    assert not wrong, f"exported gradebook of {slug} differs: {json.dumps(wrong, indent=1)}"
    maxima = {graded_class.first[s.id][1] for s in students}
    assert len(maxima) == 1, f"students see different maximum scores (a copied cell counted twice?): {maxima}"


@pytest.mark.parametrize("slug", SLUGS)
def test_grades_are_identical_when_the_class_is_graded_twice(graded_course, slug):
    graded_class = graded_course(slug)
    assert graded_class.second == graded_class.first


@pytest.mark.parametrize("slug", SLUGS)
def test_every_student_gets_feedback(graded_course, slug):
    graded_class = graded_course(slug)
    assert sorted(graded_class.feedback) == sorted(graded_class.students)


@pytest.mark.parametrize("slug", SLUGS)
def test_a_loop_that_never_ends_times_out_and_the_rest_is_graded(graded_course, slug):
    cells = graded_course(slug).autograded("troublemaker").cells
    index = next(i for i, cell in enumerate(cells) if cell.source == LOOP)
    errors = [out for out in cells[index].outputs if out.output_type == "error"]
    assert errors, "the looping cell has no error output: the timeout did not stop it"
    later = [cell for cell in cells[index + 1 :] if cell.cell_type == "code"]
    assert later and all(cell.execution_count for cell in later), "cells after the loop were not executed"


@pytest.mark.parametrize("slug", SLUGS)
def test_a_wrong_shape_fails_with_a_readable_message(graded_course, slug):
    graded_class = graded_course(slug)
    name = WRONG_SHAPE[slug]
    cells = graded_class.autograded("troublemaker").cells
    tests = [c for c in cells if (grade_id(c) or "").startswith(f"test_{name}")]
    unreadable = []
    for cell in tests:
        for out in (o for o in cell.outputs if o.output_type == "error"):
            if out.ename != "AssertionError" or not out.evalue.strip():
                unreadable.append(f"{grade_id(cell)}: {out.ename}: {out.evalue[:200]}")
    assert not unreadable, "a wrong shape should fail as an AssertionError that says what was expected:\n" + "\n".join(
        unreadable
    )


@pytest.mark.parametrize("slug", SLUGS)
def test_a_copied_graded_cell_is_refused_then_graded_once_after_dedupe(graded_course, slug):
    graded_class = graded_course(slug)
    assert "exists multiple times" in graded_class.refusal, (
        "nbgrader 0.9 used to refuse a submission with a repeated grade id (jupyter/nbgrader#1083); if it now "
        "grades it, update dlclinic.grading.dedupe.dedupe_grade_ids and the instructor page"
    )
    assert graded_class.repeated, "dedupe_grade_ids found no repeated grade id in the troublemaker's notebook"


@pytest.mark.parametrize("slug", ASSIGNMENTS)
def test_every_assignment_names_its_wrong_shape_function(slug):
    assert slug in WRONG_SHAPE, f"name the array-returning graded function of {slug} in WRONG_SHAPE"


def test_chosen_classes_exist():
    unknown = sorted(set(SLUGS) - set(ASSIGNMENTS))
    assert not unknown, f"DLCLINIC_CLASS names unknown assignments {unknown}; known: {ASSIGNMENTS}"
