"""An instructor grades a scripted class with nbgrader's own workflow, for every assignment, twice.

Per assignment, in a throw-away course: ``db student import`` of the roster, ``generate_assignment``,
the submissions placed where ``collect`` puts them, ``autograde``, ``generate_feedback`` and ``export``; then
the whole class is autograded and exported again. The students (``dlclinic.grading.classroom``) have known
grades: perfect, blank, partial, one who edited a locked test to ``assert True``, one who pasted a second
copy of a graded cell, one whose answer loops forever and one whose answer has the wrong shape.
"""

from __future__ import annotations

import copy
import json
import os
import time
from pathlib import Path

import nbformat
import pytest

from dlclinic.grading import NbgraderError, autograde, make_course
from dlclinic.grading.autograde import autograded_path
from dlclinic.grading.cells import grade_id
from dlclinic.grading.classroom import LOOP, class_roster
from dlclinic.grading.course import assignment_slugs
from dlclinic.grading.workflow import dedupe_grade_ids, export_grades, generate_feedback, import_roster

pytestmark = pytest.mark.grading

REPO_ROOT = Path(os.environ.get("DLCLINIC_REPO_ROOT") or Path(__file__).resolve().parents[1]).resolve()
ASSIGNMENTS = assignment_slugs(REPO_ROOT)
# A class costs about 3 minutes per assignment on 2 cores; `make test` grades the class of one assignment
# (DLCLINIC_CLASS=04-bnn-uncertainty), `make class` every one. Unset: every assignment.
CHOSEN = os.environ.get("DLCLINIC_CLASS", "all")
SLUGS = ASSIGNMENTS if CHOSEN == "all" else [slug for slug in CHOSEN.split(",") if slug]
# The graded function, returning an array or a number, that the wrong_shape student answers with one axis too many.
WRONG_SHAPE = {
    "01-transcript-segmentation": "pk",
    "02-pose-heatmaps": "gaussian_heatmaps",
    "03-batchnorm-regression": "density_map",
    "04-bnn-uncertainty": "predictive_moments",
    "05-siamese-speakers": "equal_error_rate",
}
# Seconds per cell for everyone but `perfect` (whose training takes longer): longer than any other cell.
CLASS_TIMEOUT = 30


class GradedClass:
    """One assignment's class, autograded and exported twice (computed on first use)."""

    def __init__(self, slug: str, workdir: Path) -> None:
        self.slug, self.workdir = slug, workdir
        self.course = make_course(REPO_ROOT, slug, workdir / "course")
        self.students = class_roster(
            self.course.source_notebook(), self.course.release_notebook(), WRONG_SHAPE.get(slug, "")
        )
        import_roster(self.course, [s.id for s in self.students])
        self.seconds: dict[str, float] = {}
        self.first = self._grade("first")
        self.feedback = generate_feedback(self.course)
        self.second = self._grade("second")

    def _grade(self, name: str) -> dict[str, tuple[float, float]]:
        notebooks = {s.id: s.notebook for s in self.students}
        perfect = {"perfect": notebooks.pop("perfect")}
        copier = notebooks.pop("copier")
        if name == "first":
            try:
                autograde(self.course, {"copier": copier}, timeout=CLASS_TIMEOUT)
                self.refusal = ""
            except NbgraderError as error:
                self.refusal = str(error)
        notebooks["copier"] = copy.deepcopy(copier)
        self.repeated = dedupe_grade_ids(notebooks["copier"])  # what the instructor runs, then regrades
        for group, timeout in ((perfect, None), (notebooks, CLASS_TIMEOUT)):
            start = time.perf_counter()
            autograde(self.course, group, timeout=timeout)
            seconds = (time.perf_counter() - start) / len(group)
            self.seconds[f"{name} autograde, per {'perfect' if timeout is None else 'other'} submission"] = seconds
        return export_grades(self.course, self.workdir / f"grades-{name}.csv")

    def autograded(self, student: str) -> nbformat.NotebookNode:
        return nbformat.read(autograded_path(self.course, student), as_version=4)


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    made: dict[str, GradedClass] = {}

    def get(slug: str) -> GradedClass:
        if slug not in made:
            if slug not in WRONG_SHAPE:
                pytest.fail(f"name the array-returning graded function of {slug} in WRONG_SHAPE")
            made[slug] = GradedClass(slug, tmp_path_factory.mktemp(f"class-{slug}"))
            times = tmp_path_factory.getbasetemp() / f"class-times-{slug}.json"
            times.write_text(json.dumps(made[slug].seconds))
        return made[slug]

    return get


@pytest.mark.parametrize("slug", SLUGS)
def test_gradebook_has_the_expected_scores(graded, slug):
    graded_class = graded(slug)
    got = {s.id: graded_class.first[s.id][0] for s in graded_class.students}
    expected = {s.id: s.expected for s in graded_class.students}
    wrong = {
        s.id: f"expected {expected[s.id]:g}, got {got[s.id]:g} ({s.story})"
        for s in graded_class.students
        if got[s.id] != pytest.approx(expected[s.id])
    }
    assert not wrong, f"exported gradebook of {slug} differs: {json.dumps(wrong, indent=1)}"
    maxima = {graded_class.first[s.id][1] for s in graded_class.students}
    assert len(maxima) == 1, f"students see different maximum scores (a copied cell counted twice?): {maxima}"


@pytest.mark.parametrize("slug", SLUGS)
def test_grades_are_identical_when_the_class_is_graded_twice(graded, slug):
    graded_class = graded(slug)
    assert graded_class.second == graded_class.first


@pytest.mark.parametrize("slug", SLUGS)
def test_every_student_gets_feedback(graded, slug):
    graded_class = graded(slug)
    assert sorted(graded_class.feedback) == sorted(s.id for s in graded_class.students)


@pytest.mark.parametrize("slug", SLUGS)
def test_a_loop_that_never_ends_times_out_and_the_rest_is_graded(graded, slug):
    cells = graded(slug).autograded("looper").cells
    index = next(i for i, cell in enumerate(cells) if cell.source == LOOP)
    errors = [out for out in cells[index].outputs if out.output_type == "error"]
    assert errors, "the looping cell has no error output: the timeout did not stop it"
    later = [cell for cell in cells[index + 1 :] if cell.cell_type == "code"]
    assert later and all(cell.execution_count for cell in later), "cells after the loop were not executed"


@pytest.mark.parametrize("slug", SLUGS)
def test_a_wrong_shape_fails_with_a_readable_message(graded, slug):
    graded_class = graded(slug)
    name = WRONG_SHAPE[slug]
    cells = graded_class.autograded("wrong_shape").cells
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
def test_a_copied_graded_cell_is_refused_then_graded_once_after_dedupe(graded, slug):
    graded_class = graded(slug)
    assert "exists multiple times" in graded_class.refusal, (
        "nbgrader 0.9 used to refuse a submission with a repeated grade id (jupyter/nbgrader#1083); if it now "
        "grades it, update dlclinic.grading.workflow.dedupe_grade_ids and the instructor page"
    )
    assert graded_class.repeated, "dedupe_grade_ids found no repeated grade id in the copier's notebook"


@pytest.mark.parametrize("slug", ASSIGNMENTS)
def test_every_assignment_names_its_wrong_shape_function(slug):
    assert slug in WRONG_SHAPE, f"name the array-returning graded function of {slug} in WRONG_SHAPE"


def test_chosen_classes_exist():
    unknown = sorted(set(SLUGS) - set(ASSIGNMENTS))
    assert not unknown, f"DLCLINIC_CLASS names unknown assignments {unknown}; known: {ASSIGNMENTS}"
