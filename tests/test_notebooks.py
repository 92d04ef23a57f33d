"""Hygiene of the course notebooks, a quick-mode run of every case (marked ``slow``) and ruff on the code.

The notebooks checked are those in ``book/``, ``solutions/`` and ``exercises/`` that git tracks or would
track (untracked but not ignored), so a notebook fails here before it is committed with outputs.
"""

from __future__ import annotations

import ast
import json
import math
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from dlclinic.build.book import error_outputs
from dlclinic.build.run import SLUG

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOK_DIRS = ("book", "solutions", "exercises")
CASES_DIR = Path("book", "cases")
PARAMETERS = {"quick", "seed", "results_path"}
# Metadata that only an executed or widget-rendering session leaves behind.
STRAY_NOTEBOOK_METADATA = {"widgets", "papermill", "execution"}
STRAY_CELL_METADATA = {"execution", "ExecuteTime", "papermill"}


def course_notebooks() -> list[Path]:
    """Notebooks under NOTEBOOK_DIRS, relative to the repository root, that git tracks or would track."""
    if shutil.which("git") and (ROOT / ".git").exists():
        listed = subprocess.run(
            ["git", "ls-files", "--cached", "--others", "--exclude-standard", "-z", "--", *NOTEBOOK_DIRS],
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.split("\0")
        paths = {Path(name) for name in listed if name.endswith(".ipynb")}
    else:
        paths = {path.relative_to(ROOT) for folder in NOTEBOOK_DIRS for path in (ROOT / folder).rglob("*.ipynb")}
    return sorted(path for path in paths if (ROOT / path).is_file() and ".ipynb_checkpoints" not in path.parts)


NOTEBOOKS = course_notebooks()
CASES = [path for path in NOTEBOOKS if path.parent == CASES_DIR]
SLUGS = [path.stem for path in CASES]


def read(path: Path) -> nbformat.NotebookNode:
    return nbformat.read(ROOT / path, as_version=4)


def assigned_names(source: str) -> set[str]:
    """Names bound at the top level of a cell by ``x = ...``, ``x: T = ...`` or ``x, y = ...``."""
    names = set()
    for node in ast.parse(source).body:
        if isinstance(node, ast.Assign):
            targets = node.targets
        elif isinstance(node, ast.AnnAssign):
            targets = [node.target]
        else:
            continue
        for target in targets:
            names |= {name.id for name in ast.walk(target) if isinstance(name, ast.Name)}
    return names


def run_leftovers(notebook: nbformat.NotebookNode) -> list[str]:
    """What running the notebook left in it: outputs, execution counts, execution metadata."""
    found = [f"notebook metadata {key}" for key in sorted(STRAY_NOTEBOOK_METADATA & set(notebook.metadata))]
    for index, cell in enumerate(notebook.cells):
        if cell.get("outputs"):
            found.append(f"cell {index}: outputs")
        if cell.get("execution_count") is not None:
            found.append(f"cell {index}: execution_count {cell.execution_count}")
        found += [f"cell {index}: metadata {key}" for key in sorted(STRAY_CELL_METADATA & set(cell.metadata))]
    return found


def non_finite(value: object, where: str = "metrics") -> list[str]:
    """Paths of the numbers in a metrics JSON value that are NaN or infinite."""
    if isinstance(value, dict):
        return [bad for key, item in value.items() for bad in non_finite(item, f"{where}.{key}")]
    if isinstance(value, list):
        return [bad for index, item in enumerate(value) for bad in non_finite(item, f"{where}[{index}]")]
    if isinstance(value, float) and not math.isfinite(value):
        return [f"{where} = {value}"]
    return []


def test_the_book_has_cases() -> None:
    assert CASES, f"no case notebooks in {CASES_DIR}/"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=str)
def test_notebook_is_committed_clean(path: Path) -> None:
    notebook = read(path)
    nbformat.validate(notebook)
    leftovers = run_leftovers(notebook)
    assert not leftovers, f"{path} must be committed without outputs or run metadata:\n" + "\n".join(leftovers)


@pytest.mark.parametrize("path", CASES, ids=str)
def test_case_slug(path: Path) -> None:
    assert SLUG.match(path.stem), f"{path}: case names must look like NN-lower-case-words, e.g. 03-batchnorm-regression"


@pytest.mark.parametrize("path", CASES, ids=str)
def test_case_has_one_parameters_cell(path: Path) -> None:
    tagged = [cell for cell in read(path).cells if "parameters" in cell.metadata.get("tags", [])]
    assert len(tagged) == 1, f"{path}: exactly one cell must be tagged 'parameters'; found {len(tagged)}"
    assert tagged[0].cell_type == "code", f"{path}: the 'parameters' cell must be a code cell"
    missing = PARAMETERS - assigned_names(tagged[0].source)
    assert not missing, f"{path}: the parameters cell must assign {sorted(PARAMETERS)}; missing {sorted(missing)}"


@pytest.mark.parametrize("slug", SLUGS)
def test_case_has_an_assignment(slug: str) -> None:
    assignment = Path("solutions", slug, f"{slug}.ipynb")
    assert assignment in NOTEBOOKS, f"case {slug} needs its nbgrader source notebook {assignment}"


def test_ruff() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "ruff", "check", "--no-cache", "utils", "tests"],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stdout + done.stderr


@pytest.mark.slow
@pytest.mark.parametrize("slug", SLUGS)
def test_case_runs_in_quick_mode(slug: str, quick_run) -> None:
    tmp_path, done = quick_run(slug)
    assert done.returncode == 0, f"{' '.join(done.args)} failed:\n{done.stdout}\n{done.stderr}"

    record = json.loads((tmp_path / "results.json").read_text())["cases"][slug]
    assert record["mode"] == "quick"
    assert record["metrics"], f"case {slug} wrote no metrics"
    assert not non_finite(record["metrics"]), f"case {slug} has non-finite metrics: {non_finite(record['metrics'])}"
    assert not error_outputs(nbformat.read(tmp_path / "executed" / f"{slug}.ipynb", as_version=4))
