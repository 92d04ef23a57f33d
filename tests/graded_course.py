"""One throw-away nbgrader course per assignment, shared by tests/test_grading.py and tests/test_class.py.

Every grading of an assignment happens once per session, on one xdist worker (``conftest.py`` puts an
assignment's grading tests in one group), in one course whose gradebook holds the scripted class:

1. ``perfect``, the solution, training included, autograded by nbgrader with the course's cell timeout;
2. every mutant in ``tests/mutants/<slug>/``, run by ``harness.inprocess`` in one Python process (TensorFlow
   imported once, the cells before a mutant's change run once for all, nbgrader's own scoring of each test
   cell): whether a test catches a mistake does not depend on nbgrader, and ``tests/test_grading_lib.py``
   shows that the runner agrees with nbgrader on the toy;
3. the rest of the scripted class (``harness.classroom``), ``blank`` (the untouched release) included, in one
   nbgrader run; the troublemaker's looping cell alone gets ``LOOP_TIMEOUT`` seconds, so nbgrader stops it as
   it would at the course's timeout, only sooner; the troublemaker's notebook, which holds a pasted copy of a
   graded cell, is first refused as it is, then graded after ``dedupe``;
4. ``export`` and ``generate_feedback`` for the class, then the whole class autograded and exported again.

The second pass proves that regrading reproduces the gradebook (nbgrader overwriting graded submissions,
their grades and the export) without executing the class again: nbgrader regrades every student from the
outputs their first autograde produced (``REGRADE_FROM_OUTPUTS``: its sanitising, cell overwriting, scoring
and saving, without ``ClearOutput`` and ``Execute``). Execution is what the first pass tests; training
determinism is not what this test is about.
"""

from __future__ import annotations

import copy
import json
import shutil
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import nbformat
from harness.autograde import REGRADE_FROM_OUTPUTS, autograde, autograded_path, cell_timeouts, with_outputs_of
from harness.cells import tests_of
from harness.classroom import LOOP, Student, class_roster
from harness.course import Course, make_course
from harness.inprocess import run_mutants
from harness.mutants import (
    Mutant,
    load_mutant,
    mutant_files,
    mutant_submission,
    solved_fast_submission,
    solved_submission,
)
from harness.scores import Scores
from harness.workflow import export_grades, generate_feedback, import_roster
from nbformat import NotebookNode

from dlclinic.grading import NbgraderError, dedupe_grade_ids

# The graded function, returning an array or a number, that the troublemaker answers with one axis too many.
WRONG_SHAPE = {
    "01-transcript-segmentation": "pk",
    "02-pose-heatmaps": "gaussian_heatmaps",
    "03-batchnorm-regression": "density_map",
    "04-bnn-uncertainty": "predictive_moments",
    "05-siamese-speakers": "equal_error_rate",
    "06-ship-segmentation": "soft_dice_loss",  # airbus_f2 is what the patients and the treatment build on
    "07-output-heads": "coral_targets",
}
# The student whose notebook holds a pasted copy of a graded cell (refused by nbgrader until ``dedupe``).
PASTER = "troublemaker"
# Seconds the troublemaker's endless cell runs before nbgrader stops it (every other cell has the course's timeout).
LOOP_TIMEOUT = 2
# Seconds nbgrader waits for a kernel's last outputs once a cell has replied (nbclient's default: 4). After the
# interrupt that stops the loop, a kernel on a loaded 2-core machine took longer, and nbgrader then dropped
# the looping student's whole submission ("Removing failed assignment"); the class's runs allow for that.
IOPUB_TIMEOUT = 30


class GradedCourse:
    """One assignment's course and its grading runs, each made once, on first use."""

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

    def _timed(
        self, label: str, submissions: dict[str, NotebookNode], config: str = "", decide: bool = True
    ) -> dict[str, Scores]:
        start = time.perf_counter()
        scores = autograde(self.course, submissions, config=config, decide=decide)
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

    @property
    def loop_config(self) -> str:
        """nbgrader configuration for the class's runs: the course's timeout, ``LOOP_TIMEOUT`` for the loop."""
        config = cell_timeouts({LOOP: LOOP_TIMEOUT}, self.course.cell_timeout)
        return config + f"c.Execute.iopub_timeout = {IOPUB_TIMEOUT}\n"

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

    def _run_mutants(self) -> dict[str, Scores]:
        """Every well-formed mutant whose answer has tests, run in one process (``harness.inprocess``)."""
        runs = {}
        for path in mutant_files(self.mutants_dir / self.slug):
            try:
                mutant, submission = self.mutant(path)
            except Exception:  # noqa: BLE001 - reported by that mutant's own test
                continue
            if tests_of(self.source)[mutant.replaces]:
                runs[mutant.name] = (submission, tests_of(self.source)[mutant.replaces])
        workdir = Path(tempfile.mkdtemp(prefix="mutants-", dir=self.workdir))
        shutil.copytree(self.course.release_dir, workdir, dirs_exist_ok=True)  # the kernel's folder, as nbgrader's
        start = time.perf_counter()
        reference = solved_fast_submission(self.source, self.release)
        results = run_mutants(self.source, runs, workdir, self.course.cell_timeout, reference, self.course.source_dir)
        self.seconds["mutants in one process, per mutant"] = (time.perf_counter() - start) / max(len(runs), 1)
        return {name: run.scores for name, run in results.items()}

    def mutant_scores(self, name: str) -> Scores:
        """The test cells the mutant ``name`` ran and their scores."""
        return self._once("mutants", self._run_mutants)[name]

    def blank_scores(self) -> Scores:
        """The untouched release's scores, autograded with the class's first pass."""
        return self._once("class-first", self._grade_class)["blank"]

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
        """What nbgrader says about the troublemaker's notebook as submitted ("" if it grades it)."""

        def submit() -> str:
            try:
                autograde(self.course, {PASTER: self.students[PASTER].notebook}, config=self.loop_config)
            except NbgraderError as error:
                return str(error)
            return ""

        return self._once("refusal", submit)

    @property
    def repeated(self) -> list[str]:
        """The grade ids ``dedupe`` removes from the troublemaker's notebook."""
        return self._once("deduped", self._dedupe_paster)[1]

    def _dedupe_paster(self) -> tuple[NotebookNode, list[str]]:
        notebook = copy.deepcopy(self.students[PASTER].notebook)
        return notebook, dedupe_grade_ids(notebook)  # what the instructor runs, then regrades

    def _rest_of_class(self) -> dict[str, NotebookNode]:
        """Every student but ``perfect``, the troublemaker's notebook as ``dedupe`` repaired it."""
        rest = {sid: s.notebook for sid, s in self.students.items() if sid != "perfect"}
        rest[PASTER] = self._once("deduped", self._dedupe_paster)[0]
        return rest

    def _grade_class(self) -> dict[str, Scores]:
        """The first pass over the class: ``perfect`` is the solution's autograde, the rest one nbgrader run."""
        self.solution_scores, self.refusal  # noqa: B018 - graded once, shared
        graded_as = {"perfect": self.solution, "blank": self.release}
        differ = [sid for sid, notebook in graded_as.items() if self.students[sid].notebook != notebook]
        if differ:
            raise AssertionError(f"the roster's {differ} differ from the notebooks graded as them")
        label = "autograde, per other class submission (blank included)"
        return self._timed(label, self._rest_of_class(), config=self.loop_config)

    def _export(self, name: str) -> dict[str, tuple[float, float]]:
        grades = export_grades(self.course, self.workdir / f"grades-{name}.csv")
        return {sid: grades[sid] for sid in self.students}

    @property
    def first(self) -> dict[str, tuple[float, float]]:
        """The class's exported ``(score, max_score)`` per student after its first autograde."""

        def grade() -> dict[str, tuple[float, float]]:
            self._once("class-first", self._grade_class)
            return self._export("first")

        return self._once("first", grade)

    @property
    def feedback(self) -> dict[str, Path]:
        """Each class student's feedback page."""

        def feedback() -> dict[str, Path]:
            self.first  # noqa: B018
            others = sorted(p.name for p in (self.course.root / "autograded").iterdir() if p.name not in self.students)
            return generate_feedback(self.course, exclude=others)

        return self._once("feedback", feedback)

    @property
    def second(self) -> dict[str, tuple[float, float]]:
        """The export after the whole class is autograded again, from the outputs of the first autograde."""

        def grade() -> dict[str, tuple[float, float]]:
            self.feedback  # noqa: B018
            submitted = {"perfect": self.students["perfect"].notebook, **self._rest_of_class()}
            again = {sid: with_outputs_of(nb, self.autograded(sid)) for sid, nb in submitted.items()}
            self._timed("second autograde, per submission (from its outputs)", again, REGRADE_FROM_OUTPUTS, False)
            return self._export("second")

        return self._once("second", grade)

    def autograded(self, student: str) -> NotebookNode:
        return nbformat.read(autograded_path(self.course, student), as_version=4)

    def write_times(self, path: Path) -> None:
        """Save the grading seconds per submission, for the end-of-session summary."""
        path.write_text(json.dumps(self.seconds))
