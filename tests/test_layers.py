"""Two layers, one direction: what notebooks import (the learner package) never imports the course's tooling."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "utils" / "dlclinic"
TOOLING = ("build", "grading")  # dlclinic.build (run, book, benchmark, site check) and dlclinic.grading
# What the learner install (`pip install dlclinic`, no extras) does not bring.
COURSE_ONLY = ("dlclinic.build", "dlclinic.grading", "nbgrader", "papermill", "nbformat", "nbconvert", "psutil",
               "jsonschema", "myst_nb", "jupyter_book", "pytest")
LEARNER_MODULES = sorted(p for p in PACKAGE.rglob("*.py") if p.relative_to(PACKAGE).parts[0] not in TOOLING)


def imported_modules(path: Path) -> set[str]:
    modules = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            modules |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            modules.add(node.module)
            modules |= {f"{node.module}.{alias.name}" for alias in node.names}
    return modules


def test_the_learner_package_has_modules() -> None:
    assert len(LEARNER_MODULES) > 20


@pytest.mark.parametrize("path", LEARNER_MODULES, ids=lambda p: str(p.relative_to(PACKAGE)))
def test_learner_module_imports_no_course_tooling(path: Path) -> None:
    bad = sorted(m for m in imported_modules(path) for name in COURSE_ONLY if m == name or m.startswith(name + "."))
    assert not bad, f"{path.relative_to(PACKAGE)} imports course tooling {bad}; the learner package must not"
