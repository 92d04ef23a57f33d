"""Autograde every assignment under ``solutions/`` with nbgrader, in throw-away course directories.

For each assignment: the committed release is current; the solution gets full marks; the untouched
release gets none; every mutant in ``tests/mutants/<slug>/`` loses points on the tests of the answer it
replaces; every graded answer has a mutant; the naming conventions hold; written answers are hand-graded.

Point ``DLCLINIC_REPO_ROOT`` at another tree laid out like this repository to grade that instead (the
toy fixture ``tests/fixtures/toy/`` is one, once its release is generated). The grading runs happen once per
session in the assignment's ``graded_course`` (``tests/graded_course.py``), which tests/test_class.py shares:
the solution (it trains the model) in one nbgrader run, the release with the scripted class, and all mutants
in one Python process (``harness.inprocess``).
"""

from __future__ import annotations

import fnmatch
import os
import re
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
from harness import cells
from harness.cells import tests_of
from harness.mutants import load_mutant, mutant_files
from harness.release_diff import diff_release_dirs
from harness.workflow import validate

from dlclinic.grading.autograde import load_assignment_checks
from dlclinic.grading.course import PRIVATE, RELEASE_DIR, SOURCE_DIR, assignment_slugs
from dlclinic.grading.outside import CHECKS_FILE

pytestmark = pytest.mark.grading

REPO_ROOT = Path(os.environ.get("DLCLINIC_REPO_ROOT") or Path(__file__).resolve().parents[1]).resolve()
MUTANTS_DIR = REPO_ROOT / "tests" / "mutants"
SLUGS = assignment_slugs(REPO_ROOT)
MUTANTS = [(slug, path) for slug in SLUGS for path in mutant_files(MUTANTS_DIR / slug)]


@pytest.mark.parametrize("slug", SLUGS)
def test_release_is_current(graded_course, slug):
    committed = REPO_ROOT / RELEASE_DIR / slug
    diff = diff_release_dirs(committed, graded_course(slug).course.release_dir)
    assert not diff, (
        f"{RELEASE_DIR}/{slug}/ does not match a release generated from {SOURCE_DIR}/{slug}/; run "
        f"`nbgrader generate_assignment {slug} --force` (make release) and commit {RELEASE_DIR}/{slug}/.\n" + diff
    )


@pytest.mark.parametrize("slug", SLUGS)
def test_cell_conventions(graded_course, slug):
    source = graded_course(slug).source
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
def test_scores_are_decided_outside_the_kernel(slug):
    """A check module checks every autograded test cell (``autograde`` refuses it otherwise); neither it nor the
    instructor's scripts are released (solutions/README.md)."""
    if not (REPO_ROOT / SOURCE_DIR / slug / CHECKS_FILE).is_file():
        pytest.skip(f"no {CHECKS_FILE}: its tests are scored inside the kernel until it is converted")
    load_assignment_checks(REPO_ROOT, slug)
    released = [p.name for p in (REPO_ROOT / RELEASE_DIR / slug).rglob("*")]
    assert not [name for name in released if any(fnmatch.fnmatch(name, pattern) for pattern in PRIVATE)]


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


# `nbgrader validate`, as a learner runs it, on one release: the command does the same for every assignment, and
# that every test of every release fails is checked per assignment through the gradebook
# (test_release_gets_no_marks, the class's ``blank``). Each validation executes a release once more (20-30 s).
VALIDATED = SLUGS[:1]


@pytest.mark.parametrize("slug", VALIDATED)
def test_release_validates_and_lists_every_failing_test(graded_course, slug):
    course = graded_course(slug).course
    report = validate(course, course.release_dir / f"{slug}.ipynb")
    failed = re.search(r"VALIDATION FAILED ON (\d+) CELL", report)
    visible = [cell for cell in graded_course(slug).release.cells if cells.is_test(cell) and cell.source.strip()]
    assert failed, f"nbgrader validate did not report failing tests on the untouched release:\n{report[-3000:]}"
    assert int(failed.group(1)) >= len(visible), report[-3000:]


@pytest.mark.parametrize("slug", SLUGS)
def test_solution_gets_full_marks(graded_course, slug):
    scores = graded_course(slug).solution_scores
    lost = [gid for gid, cell in scores.autograded.items() if cell.score != cell.max_score]
    assert not lost, f"the solution loses points in {lost}:\n{scores.table()}"


@pytest.mark.parametrize("slug", SLUGS)
def test_release_gets_no_marks(graded_course, slug):
    scores = graded_course(slug).blank_scores()
    scored = [gid for gid, cell in scores.autograded.items() if cell.score != 0]
    assert not scored, f"the untouched release scores points in {scored}:\n{scores.table()}"


@pytest.mark.parametrize("slug", SLUGS)
def test_manual_cells(graded_course, slug):
    manual = [cell for cell in graded_course(slug).source.cells if cells.is_manual(cell)]
    if not manual:
        pytest.skip("no manually graded cells")
    scores = graded_course(slug).solution_scores
    for cell in manual:
        gid = cells.grade_id(cell)
        assert cells.nbgrader_meta(cell).get("points", 0) > 0, f"manually graded {gid!r} is worth no points"
        graded = scores.cells[gid]
        assert graded.manual and graded.score is None, (
            f"{gid!r} should await a manual grade, but nbgrader scored it:\n{scores.table()}"
        )


@pytest.mark.parametrize(("slug", "path"), MUTANTS, ids=[f"{slug}:{path.stem}" for slug, path in MUTANTS])
def test_mutant_is_caught(graded_course, slug, path):
    assignment = graded_course(slug)
    mutant, _ = assignment.mutant(path)
    targeted = tests_of(assignment.source)[mutant.replaces]
    assert targeted, f"{mutant.replaces!r} has no test cells named 'test_{mutant.replaces}*'"
    scores = assignment.mutant_scores(mutant.name)
    score, max_score = scores.subtotal(targeted)
    assert score < max_score, (
        f"mutant {path.name} ({mutant.mistake}) passes every test of {mutant.replaces!r}; strengthen them.\n"
        + scores.table(targeted)
    )


@pytest.mark.parametrize("slug", SLUGS)
def test_every_graded_answer_has_a_mutant(graded_course, slug):
    targets = set()
    for path in mutant_files(MUTANTS_DIR / slug):
        try:
            targets.add(load_mutant(path).replaces)
        except ValueError:
            continue  # reported by that mutant's own test
    graded = [name for name, tests in tests_of(graded_course(slug).source).items() if tests]
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
