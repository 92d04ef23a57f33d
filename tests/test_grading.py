"""Autograde every assignment under ``solutions/`` with nbgrader, in throw-away course directories.

For each assignment: the committed release is current; the solution gets full marks; the untouched
release gets none; every mutant in ``tests/mutants/<slug>/`` loses points on the tests of the answer it
replaces; every graded answer has a mutant; the naming conventions hold; written answers are hand-graded.

Point ``DLCLINIC_REPO_ROOT`` at another tree laid out like this repository to grade that instead (the
toy assignment of ``dlclinic.grading.toy`` is one). Each nbgrader run happens once per module: the
solution (it trains the model) in one run, the release and all mutants together in another.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import nbformat
import pytest
from nbformat import NotebookNode

from dlclinic.grading import (
    Course,
    Mutant,
    Scores,
    autograde,
    cells,
    diff_release_dirs,
    load_mutant,
    make_course,
    mutant_files,
    mutant_submission,
    solved_submission,
    tests_of,
)
from dlclinic.grading.course import RELEASE_DIR, SOURCE_DIR, assignment_slugs
from dlclinic.grading.workflow import validate

pytestmark = pytest.mark.grading

REPO_ROOT = Path(os.environ.get("DLCLINIC_REPO_ROOT") or Path(__file__).resolve().parents[1]).resolve()
MUTANTS_DIR = REPO_ROOT / "tests" / "mutants"
SLUGS = assignment_slugs(REPO_ROOT)
MUTANTS = [(slug, path) for slug in SLUGS for path in mutant_files(MUTANTS_DIR / slug)]


class Assignment:
    """One assignment's course directory and autograding results, each computed once on first use."""

    def __init__(self, slug: str, workdir: Path) -> None:
        self.slug = slug
        self.workdir = workdir
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

    @property
    def course(self) -> Course:
        return self._once("course", lambda: make_course(REPO_ROOT, self.slug, self.workdir / "course"))

    @property
    def source(self) -> NotebookNode:
        return self._once("source", self.course.source_notebook)

    @property
    def release(self) -> NotebookNode:
        return self._once("release", self.course.release_notebook)

    @property
    def solution_scores(self) -> Scores:
        def grade() -> Scores:
            submission = solved_submission(self.source, self.release)
            return autograde(self.course, {"solution": submission})["solution"]

        return self._once("solution", grade)

    def mutant(self, path: Path) -> tuple[Mutant, NotebookNode]:
        """The mutant at ``path`` and its submission; raises if the file is malformed or does not fit."""

        def build() -> tuple[Mutant, NotebookNode]:
            mutant = load_mutant(path)
            return mutant, mutant_submission(self.source, self.release, mutant)

        return self._once(f"mutant:{path}", build)

    def _batch(self) -> dict[str, Scores]:
        """The untouched release and every well-formed mutant, autograded in one nbgrader run."""
        submissions = {"release": self.release}
        for path in mutant_files(MUTANTS_DIR / self.slug):
            try:
                mutant, submission = self.mutant(path)
            except Exception:  # noqa: BLE001 - reported by that mutant's own test
                continue
            submissions[f"mutant-{mutant.name}"] = submission
        return autograde(self.course, submissions)

    def batch_scores(self, student: str) -> Scores:
        return self._once("batch", self._batch)[student]


@pytest.fixture(scope="module")
def assignments(tmp_path_factory: pytest.TempPathFactory) -> Callable[[str], Assignment]:
    made: dict[str, Assignment] = {}

    def get(slug: str) -> Assignment:
        if slug not in made:
            made[slug] = Assignment(slug, tmp_path_factory.mktemp(f"grading-{slug}"))
        return made[slug]

    return get


@pytest.mark.parametrize("slug", SLUGS)
def test_release_is_current(assignments, slug):
    committed = REPO_ROOT / RELEASE_DIR / slug
    diff = diff_release_dirs(committed, assignments(slug).course.release_dir)
    assert not diff, (
        f"{RELEASE_DIR}/{slug}/ does not match a release generated from {SOURCE_DIR}/{slug}/; run "
        f"`nbgrader generate_assignment {slug} --force` (make release) and commit {RELEASE_DIR}/{slug}/.\n" + diff
    )


@pytest.mark.parametrize("slug", SLUGS)
def test_cell_conventions(assignments, slug):
    source = assignments(slug).source
    answers = cells.answer_ids(source)
    problems = [
        f"answer cell {name!r} has no test cell whose grade_id starts with 'test_{name}'"
        for name, tests in tests_of(source).items()
        if not tests
    ]
    problems += [
        f"test cell {tid!r} belongs to no answer cell (its grade_id should be 'test_<answer grade_id>...')"
        for tid in cells.test_ids(source)
        if cells.owner(tid, answers) is None
    ]
    problems += [
        f"cell {cells.grade_id(cell) or index!r} is tagged 'slow' but is not an autograded-answer cell, so "
        "mutant runs cannot replace it by its fast-failing stub"
        for index, cell in enumerate(source.cells)
        if cells.is_slow(cell) and not cells.is_answer(cell)
    ]
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("slug", SLUGS)
def test_every_graded_answer_has_a_hint_first(slug):
    """A collapsible hint (``<details>``) sits in the text between the previous exercise and each graded answer."""
    source = nbformat.read(REPO_ROOT / SOURCE_DIR / slug / f"{slug}.ipynb", as_version=4)
    graded = {name for name, tests in tests_of(source).items() if tests}
    text, missing = "", []
    for cell in source.cells:
        if cell.cell_type == "markdown" and cells.grade_id(cell) is None:
            text += cell.source
        elif cells.is_answer(cell) or cells.is_test(cell):
            if cells.grade_id(cell) in graded and "<details>" not in text:
                missing.append(cells.grade_id(cell))
            text = ""
    assert not missing, f"add a <details><summary>Hint</summary> ... </details> before: {missing}"


@pytest.mark.parametrize("slug", SLUGS)
def test_release_validates_and_lists_every_failing_test(assignments, slug):
    course = assignments(slug).course
    report = validate(course, course.release_dir / f"{slug}.ipynb")
    failed = re.search(r"VALIDATION FAILED ON (\d+) CELL", report)
    visible = [cell for cell in assignments(slug).release.cells if cells.is_test(cell) and cell.source.strip()]
    assert failed, f"nbgrader validate did not report failing tests on the untouched release:\n{report[-3000:]}"
    assert int(failed.group(1)) >= len(visible), report[-3000:]


@pytest.mark.parametrize("slug", SLUGS)
def test_solution_gets_full_marks(assignments, slug):
    scores = assignments(slug).solution_scores
    lost = [gid for gid, cell in scores.autograded.items() if cell.score != cell.max_score]
    assert not lost, f"the solution loses points in {lost}:\n{scores.table()}"


@pytest.mark.parametrize("slug", SLUGS)
def test_release_gets_no_marks(assignments, slug):
    scores = assignments(slug).batch_scores("release")
    scored = [gid for gid, cell in scores.autograded.items() if cell.score != 0]
    assert not scored, f"the untouched release scores points in {scored}:\n{scores.table()}"


@pytest.mark.parametrize("slug", SLUGS)
def test_manual_cells(assignments, slug):
    manual = [cell for cell in assignments(slug).source.cells if cells.is_manual(cell)]
    if not manual:
        pytest.skip("no manually graded cells")
    scores = assignments(slug).solution_scores
    for cell in manual:
        gid = cells.grade_id(cell)
        assert cells.nbgrader_meta(cell).get("points", 0) > 0, f"manually graded {gid!r} is worth no points"
        graded = scores.cells[gid]
        assert graded.manual and graded.score is None, (
            f"{gid!r} should await a manual grade, but nbgrader scored it:\n{scores.table()}"
        )


@pytest.mark.parametrize(("slug", "path"), MUTANTS, ids=[f"{slug}:{path.stem}" for slug, path in MUTANTS])
def test_mutant_is_caught(assignments, slug, path):
    assignment = assignments(slug)
    mutant, _ = assignment.mutant(path)
    targeted = tests_of(assignment.source)[mutant.replaces]
    assert targeted, f"{mutant.replaces!r} has no test cells named 'test_{mutant.replaces}*'"
    scores = assignment.batch_scores(f"mutant-{mutant.name}")
    score, max_score = scores.subtotal(targeted)
    assert score < max_score, (
        f"mutant {path.name} ({mutant.mistake}) passes every test of {mutant.replaces!r}; strengthen them.\n"
        + scores.table(targeted)
    )


@pytest.mark.parametrize("slug", SLUGS)
def test_every_graded_answer_has_a_mutant(assignments, slug):
    targets = set()
    for path in mutant_files(MUTANTS_DIR / slug):
        try:
            targets.add(load_mutant(path).replaces)
        except ValueError:
            continue  # reported by that mutant's own test
    graded = [name for name, tests in tests_of(assignments(slug).source).items() if tests]
    missing = [name for name in graded if name not in targets]
    assert not missing, (
        f"no mutant replaces {missing}; add tests/mutants/{slug}/<name>.py for each (see tests/mutants/README.md)"
    )


def test_mutant_dirs_match_assignments():
    stray = sorted(
        p.name for p in MUTANTS_DIR.glob("*") if p.is_dir() and not p.name.startswith(".") and p.name not in SLUGS
    )
    assert not stray, f"tests/mutants/ has folders for assignments not in {SOURCE_DIR}/: {stray}"


def test_jupyterlab_has_the_nbgrader_extensions():
    """Students validate, and instructors grade, from JupyterLab: its nbgrader extensions must be enabled."""
    jupyter = [sys.executable, "-m", "jupyter"]
    lab = subprocess.run([*jupyter, "labextension", "list"], capture_output=True, text=True, check=True)
    server = subprocess.run([*jupyter, "server", "extension", "list"], capture_output=True, text=True, check=True)
    plain = re.sub(r"\x1b\[[0-9;]*m", "", lab.stdout + lab.stderr + server.stdout + server.stderr)
    assert re.search(r"@jupyter/nbgrader v\S+ enabled\s+OK", plain), plain
    for extension in ("validate_assignment", "formgrader", "assignment_list"):
        assert re.search(rf"nbgrader\.server_extensions\.{extension} enabled", plain), plain
