"""The grading harness (``tests/harness``) and the instructor commands (``dlclinic.grading``) on small notebooks
(fast), plus end-to-end runs on the toy fixture (marked ``grading``): failures are detected (a weak mutant,
stderr output, a stale release) and the in-process mutant runner scores exactly as nbgrader does."""

from __future__ import annotations

import ast
import copy
import shutil
import tempfile
from pathlib import Path

import nbformat
import pytest
from harness import cells, toy
from harness.autograde import REGRADE_FROM_OUTPUTS, autograde, cell_timeouts, with_outputs_of
from harness.cells import owner, tests_of
from harness.classroom import LOOP, class_roster
from harness.course import Course, make_course
from harness.inprocess import executed_cells, run_mutants
from harness.mutants import (
    Mutant,
    MutantError,
    load_mutant,
    mutant_files,
    mutant_submission,
    parse_mutant,
    solved_fast_submission,
    solved_submission,
)
from harness.release_diff import diff_release_dirs, notebook_diff
from harness.scores import CellScore, Scores
from nbgrader.preprocessors import ClearHiddenTests, ClearSolutions
from traitlets.config.loader import PyFileConfigLoader

from dlclinic.grading import dedupe_grade_ids
from dlclinic.grading.__main__ import main as grading_main

ROOT = Path(__file__).resolve().parents[1]
CONFIG = ROOT / "nbgrader_config.py"
STUB = 'raise NotImplementedError("Your code here")'


def release_of(source: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """What generate_assignment makes of ``source``, as far as these tests care (no gradebook needed)."""
    release = copy.deepcopy(source)
    release, _ = ClearSolutions(code_stub={"python": STUB}).preprocess(release, {})
    release, _ = ClearHiddenTests().preprocess(release, {})
    return release


@pytest.fixture
def source() -> nbformat.NotebookNode:
    return nbformat.read(toy.source_path(), as_version=4)


def test_repo_config():
    config = PyFileConfigLoader(CONFIG.name, path=str(CONFIG.parent)).load_config()
    assert config.CourseDirectory.course_id == "dlclinic"
    assert config.CourseDirectory.source_directory == "solutions"
    assert config.CourseDirectory.release_directory == "exercises"
    assert config.Execute.timeout == 300
    assert config.Execute.iopub_timeout == 30
    assert "NotImplementedError" in config.ClearSolutions.code_stub["python"]
    assert {"checks.py", "instructor_*"} <= set(config.CourseDirectory.ignore)  # never released


def test_parse_mutant():
    mutant = parse_mutant("# replaces: nmse\n# mistake: forgot the mean\n\n\ndef nmse(a, b):\n    return 1\n", "m")
    assert mutant == Mutant(
        name="m", replaces="nmse", mistake="forgot the mean", source="def nmse(a, b):\n    return 1"
    )


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("def nmse(a, b):\n    return 1\n", "must start with"),
        ("# replaces: nmse\ndef nmse(a, b):\n    return 1\n", "'# mistake: ...'"),
        ("# mistake: x\n# replaces: nmse\n# replaces: other\nx = 1\n", "appears twice"),
        ("# replaces: nmse\n# mistake: nothing\n\n", "no replacement source"),
    ],
)
def test_parse_mutant_rejects(text, message):
    with pytest.raises(MutantError, match=message):
        parse_mutant(text, "bad")


def test_mutant_files(tmp_path):
    assert mutant_files(tmp_path / "absent") == []
    for name in ("b.py", "a.py", "README.md"):
        (tmp_path / name).write_text("# replaces: f\n# mistake: m\nf = 1\n")
    assert [p.name for p in mutant_files(tmp_path)] == ["a.py", "b.py"]
    assert load_mutant(tmp_path / "a.py").name == "a"


def test_owner_prefers_the_longest_answer():
    answers = ["nmse", "nmse_per_feature"]
    assert owner("test_nmse_hidden", answers) == "nmse"
    assert owner("test_nmse_per_feature", answers) == "nmse_per_feature"
    assert owner("test_other", answers) is None


def test_cell_kinds(source):
    answers = ["double", "square", "diagnose_positive_rate", "patient_diagnosis", "train_model"]
    assert cells.answer_ids(source) == answers
    assert tests_of(source) == {
        "double": ["test_double"],
        "square": ["test_square", "test_square_hidden"],
        "diagnose_positive_rate": ["test_diagnose_positive_rate", "test_diagnose_positive_rate_hidden"],
        "patient_diagnosis": ["test_patient_diagnosis"],
        "train_model": ["test_train_model"],
    }
    by_id = cells.cells_by_id(source)
    assert cells.is_manual(by_id["written_double"]) and cells.is_slow(by_id["train_model"])
    by_kind = {"formula": 4.0, "diagnose": 3.0, "patient": 3.0, "train": 2.0, "written": 2.0}
    assert cells.points_by_kind(source) == by_kind == cells.points_by_kind(release_of(source))


def test_solved_submission_fills_answers_from_the_source(source):
    release = release_of(source)
    solved = cells.cells_by_id(solved_submission(source, release))
    assert solved["double"].source == "def double(x):\n    return 2 * x"
    assert solved["written_double"].source == "Doubling is linear, squaring is not."
    assert solved["test_square_hidden"].source == cells.cells_by_id(release)["test_square_hidden"].source


def test_mutant_submission_stubs_slow_cells(source):
    release = release_of(source)
    mutant = Mutant("m", "double", "adds two", "def double(x):\n    return x + 2")
    built = cells.cells_by_id(mutant_submission(source, release, mutant))
    assert built["double"].source == mutant.source
    assert built["square"].source == "def square(x):\n    return np.square(np.asarray(x, dtype=float))"
    assert STUB in built["train_model"].source
    assert STUB in built["patient_diagnosis"].source
    slow = Mutant("s", "train_model", "no model", "model = None")
    assert cells.cells_by_id(mutant_submission(source, release, slow))["train_model"].source == "model = None"


@pytest.mark.parametrize(
    ("replaces", "new_source", "message"),
    [
        ("nope", "x = 1", "not an autograded-answer cell"),
        ("test_double", "x = 1", "not an autograded-answer cell"),
        ("double", "def double(x):\n    return 2 * x\n", "identical to the solution"),
    ],
)
def test_mutant_submission_rejects(source, replaces, new_source, message):
    with pytest.raises(MutantError, match=message):
        mutant_submission(source, release_of(source), Mutant("m", replaces, "?", new_source))


def test_notebook_diff_ignores_ids_and_execution_counts(source):
    other = copy.deepcopy(source)
    for index, cell in enumerate(other.cells):
        cell.id = f"other-{index}"
        if cell.cell_type == "code":
            cell.execution_count = index
    assert notebook_diff(source, other, "a", "b") == ""


def test_notebook_diff_shows_source_metadata_and_outputs(source):
    changed = copy.deepcopy(source)
    cells.cells_by_id(changed)["double"].source += "\n# changed"
    cells.cells_by_id(changed)["test_double"].metadata.nbgrader["points"] = 5
    cells.cells_by_id(changed)["test_square"].outputs = [nbformat.v4.new_output("stream", text="hi")]
    diff = notebook_diff(source, changed, "committed", "generated")
    assert "+# changed" in diff and '"points": 5' in diff and "(1 outputs)" in diff
    assert diff.startswith("--- committed\n+++ generated")


def test_diff_release_dirs(tmp_path, source):
    committed, generated = tmp_path / "committed", tmp_path / "generated"
    assert "does not exist" in diff_release_dirs(committed, generated)
    for folder in (committed, generated):
        (folder / "__pycache__").mkdir(parents=True)
        (folder / "__pycache__" / f"{folder.name}.pyc").write_bytes(b"x")
        nbformat.write(source, folder / "case.ipynb")
        (folder / "data.csv").write_text("a,b\n1,2\n")
    assert diff_release_dirs(committed, generated) == ""
    (generated / "data.csv").write_text("a,b\n1,3\n")
    (generated / "new.txt").write_text("new")
    (committed / "old.txt").write_text("old")
    changed = copy.deepcopy(source)
    changed.cells[0].source = "# Retitled"
    nbformat.write(changed, generated / "case.ipynb")
    report = diff_release_dirs(committed, generated)
    assert "missing from" in report and "new.txt" in report
    assert "but not generated: old.txt" in report
    assert "+1,3" in report and "+# Retitled" in report


def test_scores():
    scores = Scores(
        "s",
        {
            "test_a": CellScore("test_a", 1.0, 1.0, manual=False),
            "test_a_hidden": CellScore("test_a_hidden", 0.0, 2.0, manual=False, error="AssertionError"),
            "essay": CellScore("essay", None, 3.0, manual=True),
        },
    )
    assert scores.total == (1.0, 3.0)
    assert scores.subtotal(["test_a_hidden"]) == (0.0, 2.0)
    assert scores.as_dict()["essay"] == (None, 3.0)
    assert list(scores.manual) == ["essay"] and list(scores.autograded) == ["test_a", "test_a_hidden"]
    table = scores.table()
    assert "lost points" in table and "AssertionError" in table and "total (autograded)" in table


# Mistakes the in-process runner and nbgrader must score alike: the toy's own mutants, one caught only by the
# grader's inputs, stderr from Python and bytes on file descriptor 2 (neither costs a checked cell anything:
# its check decides, not the kernel's outputs) and one the tests miss.
EXTRA_MUTANTS = [
    Mutant(
        "noisy",
        "double",
        "prints to stderr",
        "import sys\n\n\ndef double(x):\n    print('working', file=sys.stderr)\n    return 2 * x",
    ),
    Mutant(
        "native_noise",
        "double",
        "writes to file descriptor 2, as C++ logging does",
        "import os\n\n\ndef double(x):\n    os.write(2, b'native\\n')\n    return 2 * x",
    ),
    Mutant("hidden_only", "double", "wrong for negative numbers", "def double(x):\n    return abs(2 * x)"),
    Mutant(
        "weak", "square", "same maths, other code", "def square(x):\n    x = np.asarray(x, dtype=float)\n    return x*x"
    ),
]


@pytest.fixture(scope="module")
def toy_course(tmp_path_factory):
    """The toy's course, with the solution and every mutant (fixture files and ``EXTRA_MUTANTS``) autograded by
    nbgrader in one run; ``(repo, course, mutants, submissions, scores)``."""
    tmp = tmp_path_factory.mktemp("toy")
    repo = toy.write_toy_repo(tmp / "repo")
    course = make_course(repo, toy.SLUG, tmp / "course")
    source, release = course.source_notebook(), course.release_notebook()
    mutants = [load_mutant(p) for p in mutant_files(repo / "tests" / "mutants" / toy.SLUG)] + EXTRA_MUTANTS
    submissions = {"solution": solved_submission(source, release)}
    submissions.update({m.name: mutant_submission(source, release, m) for m in mutants})
    return repo, course, mutants, submissions, autograde(course, submissions)


@pytest.mark.grading
@pytest.mark.xdist_group("grading-toy")  # one worker builds the toy course
def test_end_to_end_on_the_toy(toy_course):
    """Full marks from the checks outside the kernel, noise on stderr costs nothing, a weak mutant is not
    caught, a guessed rate earns nothing, a learning-free predictor earns nothing, the check module and the
    instructor's script are not released, and a hand-edited release is reported."""
    repo, course, _, _, scores = toy_course
    assert isinstance(course, Course) and course.course_id == "dlclinic" and course.cell_timeout == 300
    assert diff_release_dirs(repo / "exercises" / toy.SLUG, course.release_dir) == ""
    assert scores["solution"].total == (12.0, 12.0), scores["solution"].table()
    assert scores["solution"].cells["written_double"].score is None
    assert scores["noisy"].cells["test_double"].score == 1, scores["noisy"].table()
    assert scores["weak"].subtotal(["test_square", "test_square_hidden"]) == (3.0, 3.0)
    assert scores["weak"].cells["test_train_model"].score == 0  # the slow cell ran as its stub
    assert scores["double_adds_two"].cells["test_double"].score == 0
    assert scores["patient_rate_guessed"].cells["test_patient_diagnosis"].score == 2  # the guess earns nothing
    base_rate = scores["predict_base_rate"].cells["test_train_model"]  # no model: nothing handed out
    assert base_rate.score == 0 and "expected a Keras model" in base_rate.error, base_rate
    assert "Python float" in scores["positive_rate_numpy_scalar"].cells["test_diagnose_positive_rate_hidden"].error
    released = {p.name for p in (repo / "exercises" / toy.SLUG).iterdir()}
    assert released == {f"{toy.SLUG}.ipynb", "patient_a.keras", "patient_b.keras", "patient_c.keras"}, released

    stale = repo / "exercises" / toy.SLUG / f"{toy.SLUG}.ipynb"
    edited = nbformat.read(stale, as_version=4)
    cells.cells_by_id(edited)["double"].source = "def double(x):\n    pass"
    nbformat.write(edited, stale)
    assert "+    raise NotImplementedError" in diff_release_dirs(stale.parent, course.release_dir)


@pytest.mark.grading
@pytest.mark.xdist_group("grading-toy")  # one worker builds the toy course
@pytest.mark.parametrize("from_reference", [False, True], ids=["from-the-first-cell", "from-the-reference"])
def test_the_in_process_runner_scores_mutants_as_nbgrader_does(toy_course, tmp_path, from_reference):
    _, course, mutants, submissions, scores = toy_course
    source, release = course.source_notebook(), course.release_notebook()
    runs = {m.name: (submissions[m.name], tests_of(source)[m.replaces]) for m in mutants}
    shutil.copytree(course.release_dir, tmp_path / "work")
    reference = solved_fast_submission(source, release) if from_reference else None
    ran = run_mutants(source, runs, tmp_path / "work", course.cell_timeout, reference, course.source_dir)
    assert sorted(ran) == sorted(runs)
    for mutant in mutants:
        in_process = ran[mutant.name].scores
        targeted = tests_of(source)[mutant.replaces]
        assert set(targeted) <= set(in_process.cells), in_process.table()
        by_nbgrader = {gid: scores[mutant.name].cells[gid].score for gid in in_process.cells}
        assert {gid: cell.score for gid, cell in in_process.cells.items()} == by_nbgrader, (
            f"{mutant.name}: in process\n{in_process.table()}\nnbgrader\n{scores[mutant.name].table()}"
        )
    assert scores["native_noise"].cells["test_double"].score == 1  # nbgrader does not see C-level stderr
    assert ran["hidden_only"].scores.subtotal(["test_double"]) == (0.0, 1.0)
    expected = {m.name: _first_cell(submissions[m.name], source, m.replaces) if from_reference else 0 for m in mutants}
    assert {name: run.first_cell for name, run in ran.items()} == expected
    assert any(expected.values()) or not from_reference, "no toy mutant ran from a copy of the reference's state"


def _first_cell(submission: nbformat.NotebookNode, source: nbformat.NotebookNode, replaces: str) -> int:
    """The code cell a mutant of ``replaces`` runs from: its answer, or the first cell if the answer is slow."""
    executed = executed_cells(submission, source)
    at = next(i for i, cell in enumerate(executed) if cells.grade_id(cell) == replaces)
    return 0 if cells.is_slow(executed[at]) else at


@pytest.mark.grading
def test_the_in_process_runner_stops_a_cell_at_the_timeout(tmp_path, source):
    release = release_of(source)
    loop = Mutant("loop", "double", "never returns", "def double(x):\n    while True:\n        pass")
    runs = {"loop": (mutant_submission(source, release, loop), ["test_double"])}
    ran = run_mutants(source, runs, tmp_path, timeout=2, source_dir=toy.source_path().parent)
    scores, seconds, _first = ran["loop"]
    assert scores.cells["test_double"].score == 0 and "CellTimeout" in scores.cells["test_double"].error
    assert seconds < 60


def test_executed_cells_restore_locked_cells_from_the_source(source):
    release = release_of(source)
    submission = solved_submission(source, release)
    cells.cells_by_id(submission)["test_double"].source = "assert True  # tampered"
    executed = {cells.grade_id(c): c for c in executed_cells(submission, source)}
    assert "BEGIN HIDDEN TESTS" in executed["test_double"].source  # the hidden test runs, the edit is undone
    assert executed["double"].source == "def double(x):\n    return 2 * x"
    assert "written_double" not in executed  # markdown answers are not executed


def test_nbgrader_config_texts_load():
    from traitlets.config.loader import PyFileConfigLoader

    loaded = {}
    for name, text in {"timeouts": cell_timeouts({LOOP: 3}, 300), "regrade": REGRADE_FROM_OUTPUTS}.items():
        folder = Path(tempfile.mkdtemp())
        (folder / "nbgrader_config.py").write_text(text)
        loaded[name] = PyFileConfigLoader("nbgrader_config.py", path=str(folder)).load_config()
    timeout = loaded["timeouts"].Execute.timeout_func
    assert timeout(nbformat.v4.new_code_cell(LOOP)) == 3 and timeout(nbformat.v4.new_code_cell("x = 1")) == 300
    sanitize = [p.__name__ for p in loaded["regrade"].Autograde.sanitize_preprocessors]
    autograding = [p.__name__ for p in loaded["regrade"].Autograde.autograde_preprocessors]
    assert "ClearOutput" not in sanitize and "OverwriteCells" in sanitize
    assert "Execute" not in autograding and "SaveAutoGrades" in autograding


def test_with_outputs_of_copies_outputs_cell_by_cell(source):
    executed = copy.deepcopy(source)
    for cell in executed.cells:
        if cell.cell_type == "code":
            cell.outputs = [nbformat.v4.new_output("stream", name="stdout", text=cell.source[:5])]
    copied = with_outputs_of(source, executed)
    assert [c.get("outputs") for c in copied.cells] == [c.get("outputs") for c in executed.cells]
    assert all(not c.get("outputs") for c in source.cells)
    with pytest.raises(ValueError, match="do not match"):
        with_outputs_of(source, nbformat.v4.new_notebook(cells=executed.cells[1:]))


def test_dedupe_command_reports_bad_files_and_goes_on(tmp_path, source, capsys):
    copied = copy.deepcopy(source)
    copied.cells.append(copy.deepcopy(copied.cells[4]))  # a second test_double
    copied.cells[-1].id = "pasted"
    first, last = tmp_path / "first.ipynb", tmp_path / "last.ipynb"
    nbformat.write(copied, first)
    nbformat.write(copied, last)
    (tmp_path / "notes.txt").write_text("not json")
    (tmp_path / "data.json").write_text('{"a": 1}')
    (tmp_path / "list.ipynb").write_text("[1, 2]")
    bad = ["notes.txt", "missing.ipynb", "data.json", "list.ipynb", "."]
    paths = [first, *(tmp_path / name for name in bad), last]
    assert grading_main(["dedupe", *map(str, paths)]) == 1
    out, err = capsys.readouterr()
    assert out.splitlines() == [f"{path}: kept the last copy of test_double" for path in (first, last)]
    lines = err.splitlines()
    assert len(lines) == len(bad) + 1 and lines[-1] == f"{len(bad)} of {len(paths)} notebooks could not be deduped"
    says_what = ["not JSON", "no such file", "JSON but not", "JSON but not", "not a file"]
    for line, name, says in zip(lines, bad, says_what, strict=False):
        assert line.startswith(f"error: {tmp_path / name}: ") and says in line and "Traceback" not in line, line
    assert "Traceback" not in err
    assert grading_main(["dedupe", str(first)]) == 0
    assert capsys.readouterr().out == f"{first}: no repeated grade ids\n"


def test_the_learner_package_does_not_import_the_grading_tooling():
    """Outside ``dlclinic.grading`` no module imports nbgrader; ``dlclinic.grading`` imports nothing from tests."""
    package = ROOT / "utils" / "dlclinic"
    offenders = []
    for path in sorted(package.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        names = [a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names]
        names += [n.module or "" for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)]
        inside_grading = path.parent.name == "grading"
        banned = ("harness", "graded_course") if inside_grading else ("nbgrader", "dlclinic.grading", "harness")
        bad = [n for n in names if n.split(".")[0] in banned or n in banned]
        offenders += [f"{path.relative_to(ROOT)} imports {n}" for n in bad]
    assert not offenders, "\n".join(offenders)


def test_release_command_needs_assignments(tmp_path, capsys):
    assert grading_main(["release", "--root", str(tmp_path)]) == 1
    assert "no assignments under" in capsys.readouterr().err


def test_class_roster_expectations_follow_the_points(source):
    roster = {s.id: s for s in class_roster(source, release_of(source), wrong_shape="square")}
    assert list(roster) == ["perfect", "blank", "troublemaker"]
    assert (roster["perfect"].expected, roster["blank"].expected) == (12, 0)
    # Of the 7 fast points, the looping diagnosis function (3) and the mis-shaped square (3) are lost; the
    # patients and the training are stubs.
    assert roster["troublemaker"].expected == 1
    notebook = roster["troublemaker"].notebook
    sources = {cells.grade_id(c): c.source for c in notebook.cells}
    looped = "diagnose_positive_rate"
    assert sources[looped] == LOOP and sources[f"test_{looped}"].startswith("assert True")
    assert "expand_dims" in sources["square"]
    assert [cells.grade_id(c) for c in notebook.cells].count(f"test_{looped}") == 2  # the pasted copy
    with pytest.raises(ValueError, match="wrong_shape must name"):
        class_roster(source, release_of(source), wrong_shape="train_model")


def test_dedupe_keeps_the_last_copy(source):
    notebook = copy.deepcopy(source)
    notebook.cells.append(copy.deepcopy(notebook.cells[4]))  # a second test_double
    assert dedupe_grade_ids(notebook) == ["test_double"]
    assert "nbgrader" not in notebook.cells[4].metadata and cells.grade_id(notebook.cells[-1]) == "test_double"
    assert dedupe_grade_ids(notebook) == []
