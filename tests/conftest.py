"""Shared pytest configuration.

``make test`` runs the suite but the ``slow`` tests on two pytest-xdist workers (``-n 2 --dist loadgroup``); the
``slow`` tests check the quick-mode runs of the cases, and ``make book`` runs them on the notebooks it has just
executed (``DLCLINIC_EXECUTED``), so that every case is executed once, not once for the book and once for the
suite. Each assignment's grading tests (tests/test_grading.py and tests/test_class.py) share one course
directory and its grading runs (``graded_course.GradedCourse``, built on the test harness in
``tests/harness/``), so they are kept on one worker (an ``xdist_group`` per assignment, and one each for the
toy's course and the sandbox's); without ``DLCLINIC_EXECUTED``, a case's quick run is shared across workers
through a lock file.
"""

from __future__ import annotations

import fcntl
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from graded_course import GradedCourse

ROOT = Path(__file__).resolve().parents[1]
# The tree whose assignments the grading tests autograde: this repository, or DLCLINIC_REPO_ROOT (e.g. a toy).
GRADED_ROOT = Path(os.environ.get("DLCLINIC_REPO_ROOT") or ROOT).resolve()


def pytest_configure(config):
    config.addinivalue_line(
        "markers", "grading: autogrades course notebooks with nbgrader (slow; deselect with -m 'not grading')"
    )
    config.addinivalue_line(
        "markers", "slow: checks the cases' quick runs (executes them unless DLCLINIC_EXECUTED names make book's build)"
    )
    config.addinivalue_line(
        "markers", "book: builds the Jupyter Book (~15 s; needs npm ci; deselect with -m 'not book')"
    )


@pytest.hookimpl(tryfirst=True)  # before xdist reads the groups in its own hook
def pytest_collection_modifyitems(config, items):
    """Put the grading tests of one assignment in one xdist group: one worker makes its nbgrader runs."""
    for item in items:
        params = getattr(getattr(item, "callspec", None), "params", {})
        if item.get_closest_marker("grading") and "slug" in params:
            item.add_marker(pytest.mark.xdist_group(f"grading-{params['slug']}"))


def _shared_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder of this session that every xdist worker sees (the session's own base folder without xdist)."""
    base = tmp_path_factory.getbasetemp()
    shared = base.parent / "shared" if os.environ.get("PYTEST_XDIST_WORKER") else base / "shared"
    shared.mkdir(exist_ok=True)
    return shared


@pytest.fixture(scope="session")
def graded_course(tmp_path_factory):
    """``graded_course(slug)``: the assignment's ``GradedCourse``, made once per session (per worker)."""
    made: dict[str, GradedCourse] = {}

    def get(slug: str) -> GradedCourse:
        if slug not in made:
            workdir = tmp_path_factory.mktemp(f"grading-{slug}")
            made[slug] = GradedCourse(GRADED_ROOT, slug, workdir, GRADED_ROOT / "tests" / "mutants")
        return made[slug]

    yield get
    for slug, course in made.items():
        if course.seconds:
            course.write_times(tmp_path_factory.getbasetemp() / f"autograde-times-{slug}.json")


def _executed_by_make_book(build: Path, slug: str) -> tuple[Path, subprocess.CompletedProcess]:
    """The quick run of ``slug`` that ``make book`` made in ``build`` (its ``executed/`` and ``results.json``)."""
    args = ["make", "book"]
    if not (build / "executed" / f"{slug}.ipynb").is_file() or not (build / "results.json").is_file():
        return build, subprocess.CompletedProcess(args, 1, "", f"{build} holds no quick run of {slug}")
    return build, subprocess.CompletedProcess(args, 0, "", "")


@pytest.fixture(scope="session")
def quick_run(tmp_path_factory):
    """Run a case once per session in quick mode through ``python -m dlclinic.build.run``; return its build folder.

    The notebook hygiene test and each case's own checks share the one run (minutes on 2 cores), also when
    they land on different xdist workers: the first to ask runs it while holding ``<slug>.lock``. With
    ``DLCLINIC_EXECUTED=<build folder>`` (what ``make book`` sets after executing the cases) the checks read the
    runs found there instead of executing the cases again.
    """
    shared = _shared_dir(tmp_path_factory)
    executed = os.environ.get("DLCLINIC_EXECUTED")

    def run(slug: str) -> tuple[Path, subprocess.CompletedProcess]:
        if executed:
            return _executed_by_make_book(Path(executed).resolve(), slug)
        build, record = shared / slug, shared / f"{slug}.json"
        with open(shared / f"{slug}.lock", "w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            if not record.exists():
                command = [sys.executable, "-m", "dlclinic.build.run", "--build-dir", str(build), slug]
                done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True)
                record.write_text(json.dumps([done.args, done.returncode, done.stdout, done.stderr]))
        args, returncode, stdout, stderr = json.loads(record.read_text())
        return build, subprocess.CompletedProcess(args, returncode, stdout, stderr)

    return run


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    """Print the grading seconds per submission that the grading tests recorded."""
    factory = getattr(config, "_tmp_path_factory", None)
    if factory is None or os.environ.get("PYTEST_XDIST_WORKER"):
        return
    records = sorted(factory.getbasetemp().rglob("autograde-times-*.json"))
    if records:
        terminalreporter.section("grading seconds per submission")
        for record in records:
            slug = record.stem.removeprefix("autograde-times-")
            for step, seconds in json.loads(record.read_text()).items():
                terminalreporter.write_line(f"{slug}  {step}: {seconds:.1f}")
