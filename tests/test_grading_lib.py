"""The grading library on small in-memory notebooks (fast), plus one end-to-end run on the toy assignment
(marked ``grading``) showing that failures are detected: a weak mutant, stderr output, a stale release."""

from __future__ import annotations

import copy
from pathlib import Path

import nbformat
import pytest
from nbgrader.preprocessors import ClearHiddenTests, ClearSolutions
from traitlets.config.loader import PyFileConfigLoader

from dlclinic.grading import (
    CellScore,
    Course,
    Mutant,
    MutantError,
    Scores,
    autograde,
    cells,
    diff_release_dirs,
    load_mutant,
    make_course,
    mutant_files,
    mutant_submission,
    notebook_diff,
    owner,
    parse_mutant,
    solved_submission,
    tests_of,
    toy,
)
from dlclinic.grading.classroom import class_roster
from dlclinic.grading.workflow import dedupe_grade_ids

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
    return toy.toy_notebook()


def test_repo_config():
    config = PyFileConfigLoader(CONFIG.name, path=str(CONFIG.parent)).load_config()
    assert config.CourseDirectory.course_id == "dlclinic"
    assert config.CourseDirectory.source_directory == "solutions"
    assert config.CourseDirectory.release_directory == "exercises"
    assert config.Execute.timeout == 300
    assert "NotImplementedError" in config.ClearSolutions.code_stub["python"]


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
    assert cells.answer_ids(source) == ["double", "tf_square", "train_model"]
    assert tests_of(source) == {
        "double": ["test_double"],
        "tf_square": ["test_tf_square", "test_tf_square_hidden"],
        "train_model": ["test_train_model"],
    }
    by_id = cells.cells_by_id(source)
    assert cells.is_manual(by_id["explain_double"]) and cells.is_slow(by_id["train_model"])


def test_solved_submission_fills_answers_from_the_source(source):
    release = release_of(source)
    solved = cells.cells_by_id(solved_submission(source, release))
    assert solved["double"].source == "def double(x):\n    return 2 * x"
    assert solved["explain_double"].source == "Doubling is linear, squaring is not."
    assert solved["test_tf_square_hidden"].source == cells.cells_by_id(release)["test_tf_square_hidden"].source


def test_mutant_submission_stubs_slow_cells(source):
    release = release_of(source)
    mutant = Mutant("m", "double", "adds two", "def double(x):\n    return x + 2")
    built = cells.cells_by_id(mutant_submission(source, release, mutant))
    assert built["double"].source == mutant.source
    assert built["tf_square"].source == "def tf_square(x):\n    return tf.square(tf.convert_to_tensor(x))"
    assert STUB in built["train_model"].source
    slow = Mutant("s", "train_model", "off by one", "result = 43")
    assert cells.cells_by_id(mutant_submission(source, release, slow))["train_model"].source == "result = 43"


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
    cells.cells_by_id(changed)["test_tf_square"].outputs = [nbformat.v4.new_output("stream", text="hi")]
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


@pytest.mark.grading
def test_end_to_end_on_the_toy(tmp_path):
    """Full marks, stderr costs the points of the test that triggers it, a weak mutant is not caught,
    and a hand-edited release is reported."""
    repo = toy.write_toy_repo(tmp_path / "repo", CONFIG)
    course = make_course(repo, toy.SLUG, tmp_path / "course")
    assert isinstance(course, Course) and course.course_id == "dlclinic"
    assert diff_release_dirs(repo / "exercises" / toy.SLUG, course.release_dir) == ""

    source, release = course.source_notebook(), course.release_notebook()
    noisy = Mutant(
        "noisy",
        "double",
        "prints to stderr",
        "import sys\n\n\ndef double(x):\n    print('working', file=sys.stderr)\n    return 2 * x",
    )
    weak = Mutant(
        "weak", "tf_square", "same maths, other code", "def tf_square(x):\n    x = tf.constant(x)\n    return x * x"
    )
    scores = autograde(
        course,
        {
            "solution": solved_submission(source, release),
            "noisy": mutant_submission(source, release, noisy),
            "weak": mutant_submission(source, release, weak),
        },
    )
    assert scores["solution"].total == (6.0, 6.0), scores["solution"].table()
    assert scores["solution"].cells["explain_double"].score is None
    assert scores["noisy"].cells["test_double"].score == 0, scores["noisy"].table()
    assert "stderr: working" in scores["noisy"].cells["test_double"].error
    assert scores["weak"].subtotal(["test_tf_square", "test_tf_square_hidden"]) == (3.0, 3.0)
    assert scores["weak"].cells["test_train_model"].score == 0  # the slow cell ran as its stub

    stale = repo / "exercises" / toy.SLUG / f"{toy.SLUG}.ipynb"
    edited = nbformat.read(stale, as_version=4)
    edited.cells[2].source = "def double(x):\n    pass"
    nbformat.write(edited, stale)
    assert "+    raise NotImplementedError" in diff_release_dirs(stale.parent, course.release_dir)


def test_release_command_needs_assignments(tmp_path, capsys):
    from dlclinic.grading.__main__ import main

    assert main(["release", "--root", str(tmp_path)]) == 1
    assert "no assignments under" in capsys.readouterr().err


def test_class_roster_expectations_follow_the_points(source):
    roster = {s.id: s for s in class_roster(source, release_of(source), wrong_shape="tf_square")}
    assert list(roster) == ["perfect", "blank", "partial", "tamperer", "copier", "looper", "wrong_shape"]
    assert (roster["perfect"].expected, roster["blank"].expected, roster["partial"].expected) == (6, 0, 1)
    # tf_square (3 points) is the last fast answer: tampered with, looping or mis-shaped, it loses its tests.
    assert roster["tamperer"].expected == roster["looper"].expected == roster["wrong_shape"].expected == 1
    assert roster["copier"].expected == 4  # the slow training task is left as its stub
    sources = {cells.grade_id(c): c.source for c in roster["tamperer"].notebook.cells}
    assert sources["test_tf_square"].startswith("assert True") and STUB in sources["tf_square"]
    with pytest.raises(ValueError, match="wrong_shape must name"):
        class_roster(source, release_of(source), wrong_shape="train_model")


def test_dedupe_keeps_the_last_copy(source):
    notebook = copy.deepcopy(source)
    notebook.cells.append(copy.deepcopy(notebook.cells[3]))  # a second test_double
    assert dedupe_grade_ids(notebook) == ["test_double"]
    assert "nbgrader" not in notebook.cells[3].metadata and cells.grade_id(notebook.cells[-1]) == "test_double"
    assert dedupe_grade_ids(notebook) == []
