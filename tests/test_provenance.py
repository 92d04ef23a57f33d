"""Every committed full run is a run of the code main ships, or is labelled stale with what changed since."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from dlclinic.build import provenance
from dlclinic.full_runs import describe_run, load_full_record, records_folder

ROOT = Path(__file__).resolve().parents[1]


def test_the_records_ship_in_the_package() -> None:
    assert records_folder().resolve() == (ROOT / "benchmarks" / "full").resolve()
    slugs = sorted(path.stem for path in (ROOT / "benchmarks" / "full").glob("*.json"))
    assert slugs and all(load_full_record(slug) is not None for slug in slugs)


@pytest.mark.skipif(shutil.which("git") is None or not (ROOT / ".git").exists(), reason="needs a git checkout")
def test_every_record_is_current_or_labelled_stale() -> None:
    try:
        states = provenance.check(ROOT)
    except provenance.ProvenanceError as error:
        pytest.skip(str(error))
    assert states
    problems = {state.slug: state.problem for state in states if state.problem}
    assert not problems, problems


def git(root: Path, *args: str) -> str:
    return subprocess.run(["git", "-c", "user.name=t", "-c", "user.email=t@t", *args], cwd=root, check=True,
                          capture_output=True, text=True).stdout.strip()


def notebook(*cells: tuple[str, str]) -> str:
    return json.dumps({"cells": [{"cell_type": kind, "source": source, "metadata": {}} for kind, source in cells],
                       "metadata": {}, "nbformat": 4, "nbformat_minor": 5})


@pytest.fixture
def course(tmp_path: Path) -> Path:
    (tmp_path / "book" / "cases").mkdir(parents=True)
    (tmp_path / "utils" / "dlclinic" / "toy_case").mkdir(parents=True)
    (tmp_path / "benchmarks" / "full").mkdir(parents=True)
    (tmp_path / "book" / "cases" / "09-toy-case.ipynb").write_text(notebook(("markdown", "# Toy"), ("code", "x = 1")))
    (tmp_path / "utils" / "dlclinic" / "toy_case" / "model.py").write_text("WIDTH = 4\n")
    (tmp_path / "utils" / "dlclinic" / "differential.py").write_text("RULE = 1\n")
    git(tmp_path, "init", "-q")
    git(tmp_path, "add", "-A")
    git(tmp_path, "commit", "-qm", "case")
    commit = git(tmp_path, "rev-parse", "--short", "HEAD")
    record = {"value": 1.0, "run": {"date": "2026-12-06", "device": "CPU (2 cores)", "commit": commit,
                                    "seconds": 10.0, "peak_host_mib": 100}}
    (tmp_path / "benchmarks" / "full" / "09-toy-case.json").write_text(json.dumps(record))
    git(tmp_path, "add", "-A")
    git(tmp_path, "commit", "-qm", "record")
    return tmp_path


def test_prose_edits_keep_a_record_current_code_edits_make_it_stale(course: Path) -> None:
    path = course / "book" / "cases" / "09-toy-case.ipynb"
    path.write_text(notebook(("markdown", "# Toy, reworded"), ("code", "x = 1")))
    assert [state.problem for state in provenance.check(course)] == [""]
    path.write_text(notebook(("markdown", "# Toy"), ("code", "x = 2")))
    (course / "utils" / "dlclinic" / "differential.py").write_text("RULE = 2\n")
    (state,) = provenance.check(course)
    assert state.changed == ["book/cases/09-toy-case.ipynb", "utils/dlclinic/differential.py"]
    assert "run python -m dlclinic.build.provenance --mark" in state.problem
    (marked,) = provenance.mark(course)
    assert marked.problem == "" and marked.label == {"since": state.commit, "files": state.changed}
    record = load_full_record("09-toy-case", course / "benchmarks" / "full")
    assert "STALE" in describe_run(record) and "utils/dlclinic/differential.py" in describe_run(record)


def test_a_commit_outside_the_history_is_refused(course: Path) -> None:
    path = course / "benchmarks" / "full" / "09-toy-case.json"
    record = json.loads(path.read_text())
    record["run"]["commit"] = "1a0b67f"
    path.write_text(json.dumps(record))
    (state,) = provenance.check(course)
    assert "not in this checkout's history" in state.problem
    assert provenance.mark(course)[0].problem == state.problem  # no label can make it acceptable


def test_definitions_name_methods_assignments_and_the_docstring() -> None:
    source = ('"""Doc."""\nA, B = 1, 2\n\n\nclass C:\n    x: int = 1\n\n    def f(self):\n        return 1\n\n\n'
              'def g():\n    return 2  # why\n')
    found = provenance.definitions(source)
    assert set(found) == {"__doc__", "(A, B)", "C", "C.f", "g"}
    assert provenance.definitions("def g():\n    return  2\n")["g"] == found["g"]  # comments and layout do not count


def runner_course(tmp_path: Path, collapse: bool) -> Path:
    """A course whose runner is this checkout's and whose record holds a table where one row collapsed on a seed
    (``collapse``) or none did, and a fix that the tie band covers."""
    from dlclinic.differential import Differential, Fit, Metric

    (tmp_path / "utils" / "dlclinic" / "toy_case").mkdir(parents=True)
    (tmp_path / "benchmarks" / "full").mkdir(parents=True)
    (tmp_path / "utils" / "dlclinic" / "toy_case" / "model.py").write_text("WIDTH = 4\n")
    (tmp_path / provenance.RUNNER).write_text((ROOT / provenance.RUNNER).read_text())
    git(tmp_path, "init", "-q")
    git(tmp_path, "add", "-A")
    git(tmp_path, "commit", "-qm", "runner")
    learned = {0: 0.90, 1: 0.91, 2: 0.89}

    def train(shift: float, collapses: bool):
        def fit(rate: float | None, seed: int) -> Fit:
            value = 0.0 if collapses and seed == 1 else learned[seed] + shift
            return Fit(seed, rate, [1, 2], [value, value], {"PCK": value}, constant=collapses and seed == 1)
        return fit

    table = Differential(Metric("PCK", lower_is_better=False, floor=0.02))
    table.train("tuned", "the tuned net", train(0.0, collapse), [0, 1, 2])
    table.train("fix", "the fix", train(0.005, False), [0, 1, 2], reference="tuned")
    record = {"differential": table.record(), "run": {"commit": git(tmp_path, "rev-parse", "--short", "HEAD")}}
    (tmp_path / "benchmarks" / "full" / "09-toy-case.json").write_text(json.dumps(record))
    git(tmp_path, "add", "-A")
    git(tmp_path, "commit", "-qm", "record")
    return tmp_path


def edit_runner(course: Path, old: str, new: str) -> None:
    path = course / provenance.RUNNER
    source = path.read_text()
    assert source.count(old) == 1, old
    path.write_text(source.replace(old, new))


@pytest.mark.skipif(shutil.which("git") is None, reason="needs git")
@pytest.mark.parametrize("collapse", [False, True])
def test_a_verdict_rule_change_stales_only_the_records_it_judges_otherwise(tmp_path: Path, collapse: bool) -> None:
    course = runner_course(tmp_path, collapse)
    edit_runner(course, "return (COLLAPSED if collapsed(a) or collapsed(b) else TIES), gain", "return TIES, gain")
    (state,) = provenance.check(course)
    assert state.changed == ([provenance.RUNNER] if collapse else [])


@pytest.mark.skipif(shutil.which("git") is None, reason="needs git")
def test_a_change_to_how_rows_are_trained_stales_every_record(tmp_path: Path) -> None:
    course = runner_course(tmp_path, collapse=False)
    edit_runner(course, "LAST_PART = 0.2", "LAST_PART = 0.25")
    assert provenance.check(course)[0].changed == [provenance.RUNNER]
