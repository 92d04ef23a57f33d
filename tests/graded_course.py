"""One throw-away nbgrader course per assignment, shared by tests/test_grading.py and tests/test_class.py.

Every autograde of an assignment happens once per session, on one xdist worker (``conftest.py`` puts an
assignment's grading tests in one group), in one course whose gradebook holds everyone:

1. ``perfect``, the solution, training included (the course's own cell timeout);
2. ``blank``, the untouched release, and every mutant in ``tests/mutants/<slug>/`` (``mutant-<name>``);
3. the rest of the scripted class (``dlclinic.grading.classroom``), with a short cell timeout so the looper
   ends; the copier is first refused as it is, then graded after ``dedupe``;
4. ``export`` and ``generate_feedback`` for the class, then the whole class autograded and exported again.

The solution and the release are thus graded once for both test modules, and the class costs one extra
nbgrader run per pass rather than a course of its own.
"""

from __future__ import annotations

import copy
import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import nbformat
from nbformat import NotebookNode

from dlclinic.grading import (
    Course,
    Mutant,
    NbgraderError,
    Scores,
    autograde,
    load_mutant,
    make_course,
    mutant_files,
    mutant_submission,
    solved_submission,
)
from dlclinic.grading.autograde import autograded_path
from dlclinic.grading.classroom import Student, class_roster
from dlclinic.grading.workflow import dedupe_grade_ids, export_grades, generate_feedback, import_roster

# The graded function, returning an array or a number, that the wrong_shape student answers with one axis too many.
WRONG_SHAPE = {
    "01-transcript-segmentation": "pk",
    "02-pose-heatmaps": "gaussian_heatmaps",
    "03-batchnorm-regression": "density_map",
    "04-bnn-uncertainty": "predictive_moments",
    "05-siamese-speakers": "equal_error_rate",
}
# Seconds per cell for the class but `perfect` (whose training takes longer): several times the slowest of
# their cells (TensorFlow's first import, under the load of a second pytest worker), and what the looper costs.
CLASS_TIMEOUT = 20


class GradedCourse:
    """One assignment's course and its autograde runs, each made once, on first use."""

    def __init__(self, repo_root: Path, slug: str, workdir: Path, mutants_dir: Path) -> None:
        self.repo_root, self.slug, self.workdir, self.mutants_dir = repo_root, slug, workdir, mutants_dir
        self.seconds: dict[str, float] = {}
        self._results: dict[str, tuple[bool, Any]] = {}

    def _once(self, key: str, compute: Callable[[], Any]) -> Any:
        """Compute ``key`` once; a failure is remembered and raised again for every later test."""
        if key not in self._results:
            try:
                self._results[key] = (True, compute())
            except Exception as error:  # noqa: BLE001 - re-raised below, for this and later tests
                self._results[key] = (False, error)
        ok, value = self._results[key]
        if not ok:
            raise value
        return value

    def _timed(self, label: str, submissions: dict[str, NotebookNode], timeout: int | None = None) -> dict[str, Scores]:
        start = time.perf_counter()
        scores = autograde(self.course, submissions, timeout=timeout)
        self.seconds[label] = (time.perf_counter() - start) / max(len(submissions), 1)
        return scores

    @property
    def course(self) -> Course:
        return self._once("course", lambda: make_course(self.repo_root, self.slug, self.workdir / "course"))

    @property
    def source(self) -> NotebookNode:
        return self._once("source", self.course.source_notebook)

    @property
    def release(self) -> NotebookNode:
        return self._once("release", self.course.release_notebook)

    # --- the solution, the release and the mutants (tests/test_grading.py) ---

    @property
    def solution(self) -> NotebookNode:
        """The solution as a submission: the class's ``perfect``."""
        return self._once("solution", lambda: solved_submission(self.source, self.release))

    @property
    def solution_scores(self) -> Scores:
        def grade() -> Scores:
            return self._timed("autograde, per perfect submission", {"perfect": self.solution})["perfect"]

        return self._once("perfect", grade)

    def mutant(self, path: Path) -> tuple[Mutant, NotebookNode]:
        """The mutant at ``path`` and its submission; raises if the file is malformed or does not fit."""

        def build() -> tuple[Mutant, NotebookNode]:
            mutant = load_mutant(path)
            return mutant, mutant_submission(self.source, self.release, mutant)

        return self._once(f"mutant:{path}", build)

    def _batch(self) -> dict[str, Scores]:
        """The untouched release and every well-formed mutant, autograded in one nbgrader run."""
        submissions = {"blank": copy.deepcopy(self.release)}  # the class's `blank`
        for path in mutant_files(self.mutants_dir / self.slug):
            try:
                mutant, submission = self.mutant(path)
            except Exception:  # noqa: BLE001 - reported by that mutant's own test
                continue
            submissions[f"mutant-{mutant.name}"] = submission
        return self._timed("autograde, per blank or mutant submission", submissions)

    def batch_scores(self, student: str) -> Scores:
        return self._once("batch", self._batch)[student]

    # --- the scripted class (tests/test_class.py) ---

    @property
    def students(self) -> dict[str, Student]:
        def roster() -> dict[str, Student]:
            if self.slug not in WRONG_SHAPE:
                raise KeyError(f"name the array-returning graded function of {self.slug} in WRONG_SHAPE")
            students = class_roster(self.source, self.release, WRONG_SHAPE[self.slug])
            import_roster(self.course, [s.id for s in students])  # `nbgrader db student import`, as a class starts
            return {s.id: s for s in students}

        return self._once("roster", roster)

    @property
    def refusal(self) -> str:
        """What nbgrader says about the copier's notebook as submitted ("" if it grades it)."""

        def submit() -> str:
            try:
                autograde(self.course, {"copier": self.students["copier"].notebook}, timeout=CLASS_TIMEOUT)
            except NbgraderError as error:
                return str(error)
            return ""

        return self._once("refusal", submit)

    @property
    def repeated(self) -> list[str]:
        """The grade ids ``dedupe`` removes from the copier's notebook."""
        return self._once("deduped", self._dedupe_copier)[1]

    def _dedupe_copier(self) -> tuple[NotebookNode, list[str]]:
        notebook = copy.deepcopy(self.students["copier"].notebook)
        return notebook, dedupe_grade_ids(notebook)  # what the instructor runs, then regrades

    def _rest_of_class(self) -> dict[str, NotebookNode]:
        rest = {sid: s.notebook for sid, s in self.students.items() if sid not in ("perfect", "blank")}
        rest["copier"] = self._once("deduped", self._dedupe_copier)[0]
        return rest

    def _export(self, name: str) -> dict[str, tuple[float, float]]:
        grades = export_grades(self.course, self.workdir / f"grades-{name}.csv")
        return {sid: grades[sid] for sid in self.students}

    @property
    def first(self) -> dict[str, tuple[float, float]]:
        """The class's exported ``(score, max_score)`` per student after its first autograde."""

        def grade() -> dict[str, tuple[float, float]]:
            self.solution_scores, self.batch_scores("blank"), self.refusal  # noqa: B018 - graded once, shared
            graded_as = {"perfect": self.solution, "blank": self.release}
            differ = [sid for sid, notebook in graded_as.items() if self.students[sid].notebook != notebook]
            if differ:
                raise AssertionError(f"the roster's {differ} differ from the notebooks graded as them")
            self._timed("autograde, per other class submission", self._rest_of_class(), timeout=CLASS_TIMEOUT)
            return self._export("first")

        return self._once("first", grade)

    @property
    def feedback(self) -> dict[str, Path]:
        """Each class student's feedback page (the mutants get none)."""

        def feedback() -> dict[str, Path]:
            self.first  # noqa: B018
            others = sorted(p.name for p in (self.course.root / "autograded").iterdir() if p.name not in self.students)
            return generate_feedback(self.course, exclude=others)

        return self._once("feedback", feedback)

    @property
    def second(self) -> dict[str, tuple[float, float]]:
        """The export after the whole class is autograded again."""

        def grade() -> dict[str, tuple[float, float]]:
            self.feedback  # noqa: B018
            perfect = {"perfect": self.students["perfect"].notebook}
            self._timed("second autograde, per perfect submission", perfect)
            rest = {"blank": self.students["blank"].notebook, **self._rest_of_class()}
            self._timed("second autograde, per other class submission", rest, timeout=CLASS_TIMEOUT)
            return self._export("second")

        return self._once("second", grade)

    def autograded(self, student: str) -> NotebookNode:
        return nbformat.read(autograded_path(self.course, student), as_version=4)

    def write_times(self, path: Path) -> None:
        """Save the autograde seconds per submission, for the end-of-session summary."""
        path.write_text(json.dumps(self.seconds))
