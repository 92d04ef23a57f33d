"""Issue 33's conventions, checked on every assignment whose scores are decided outside the kernel (it has a
``checks.py``): points by kind, hints without answer lines, no graded name in a locked cell, a small release.

These read the committed notebooks only (no kernel, no nbgrader run).
"""

from __future__ import annotations

import builtins
import keyword
import os
import re
from pathlib import Path

import nbformat
import pytest
from harness import cells

from dlclinic.grading.autograde import load_assignment_checks
from dlclinic.grading.course import RELEASE_DIR, SOURCE_DIR, assignment_slugs
from dlclinic.grading.outside import CHECKS_FILE

REPO_ROOT = Path(os.environ.get("DLCLINIC_REPO_ROOT") or Path(__file__).resolve().parents[1]).resolve()
CONVERTED = [s for s in assignment_slugs(REPO_ROOT) if (REPO_ROOT / SOURCE_DIR / s / CHECKS_FILE).is_file()]
RELEASE_LIMIT_MB = 5.0
PATIENT_SHARE, DIAGNOSIS_SHARE = 0.40, 0.60  # of the autograded points
SHORTEST_ANSWER_LINE = 16  # characters, once normalised: shorter lines ("return out") say nothing


def _source(slug: str) -> nbformat.NotebookNode:
    return nbformat.read(REPO_ROOT / SOURCE_DIR / slug / f"{slug}.ipynb", as_version=4)


def _release(slug: str) -> nbformat.NotebookNode:
    return nbformat.read(REPO_ROOT / RELEASE_DIR / slug / f"{slug}.ipynb", as_version=4)


def _solution_lines(cell: nbformat.NotebookNode) -> list[str]:
    lines = cell.source.splitlines()
    inside, kept = False, []
    for line in lines:
        if "### BEGIN SOLUTION" in line:
            inside = True
        elif "### END SOLUTION" in line:
            inside = False
        elif inside and line.strip() and not line.strip().startswith("#"):
            kept.append(line)
    return kept


KEPT_NAMES = {"np", "tf", "keras", "math", "scipy", "ops", "tfp"} | set(dir(builtins))


def normalised(code: str) -> str:
    """``code`` without whitespace, every name the author chose (not an attribute, a builtin or a library's
    alias) replaced by ``_``: a hint that renames the answer's variables still matches it."""
    tokens = re.findall(r"\.?[A-Za-z_]\w*|\S", code)
    return "".join("_" if t[0] != "." and t not in KEPT_NAMES and not keyword.iskeyword(t) else t for t in tokens)


def _hint_code(nb: nbformat.NotebookNode) -> list[str]:
    """Every piece of code shown in a hint: inline `spans` and fenced blocks inside <details>."""
    pieces = []
    for cell in nb.cells:
        if cell.cell_type != "markdown":
            continue
        for hint in re.findall(r"<details>(.*?)</details>", cell.source, flags=re.S):
            pieces += re.findall(r"```[a-z]*\n(.*?)```", hint, flags=re.S)
            pieces += re.findall(r"`([^`\n]+)`", re.sub(r"```.*?```", "", hint, flags=re.S))
    return pieces


@pytest.mark.parametrize("slug", CONVERTED)
def test_diagnosis_carries_the_points(slug):
    by_kind = cells.points_by_kind(_source(slug))
    autograded = sum(points for kind, points in by_kind.items() if kind != "written")
    patient, diagnose = by_kind.get("patient", 0.0), by_kind.get("diagnose", 0.0)
    assert patient >= PATIENT_SHARE * autograded, f"new patients earn {patient} of {autograded} points: {by_kind}"
    assert patient + diagnose >= DIAGNOSIS_SHARE * autograded, f"diagnosis earns too little: {by_kind}"


@pytest.mark.parametrize("slug", CONVERTED)
def test_no_hint_holds_an_answer_line(slug):
    source = _source(slug)
    hints = _hint_code(source)
    leaks = []
    for cell in source.cells:
        if not cells.is_answer(cell) or cell.cell_type != "code":
            continue
        shown = [normalised(piece) for piece in hints]
        for line in _solution_lines(cell):
            key = normalised(line)
            if len(key) >= SHORTEST_ANSWER_LINE and any(key in piece for piece in shown):
                leaks.append(f"{cells.grade_id(cell)}: {line.strip()}")
    assert not leaks, "hints that give an answer line:\n" + "\n".join(leaks)


@pytest.mark.parametrize("slug", CONVERTED)
def test_no_locked_cell_brings_a_graded_name(slug):
    graded = load_assignment_checks(REPO_ROOT, slug).graded
    brought = []
    for cell in _release(slug).cells:
        if cell.cell_type != "code" or cells.is_answer(cell):
            continue
        for dotted in graded:
            module, name = dotted.rsplit(".", 1)
            imported = re.search(rf"from\s+{re.escape(module)}\s+import\s+[^\n]*\b{name}\b", cell.source)
            if imported or dotted in cell.source:
                brought.append(f"{cells.grade_id(cell) or 'a locked cell'}: {dotted}")
    assert not brought, "locked cells of the release that bring a graded name:\n" + "\n".join(brought)


@pytest.mark.parametrize("slug", CONVERTED)
def test_the_release_is_small(slug):
    size = sum(p.stat().st_size for p in (REPO_ROOT / RELEASE_DIR / slug).rglob("*") if p.is_file())
    assert size < RELEASE_LIMIT_MB * 2**20, f"{RELEASE_DIR}/{slug}/ holds {size / 2**20:.1f} MB"


def test_the_hint_check_can_fail():
    answer = "    cut = w / (1.0 + w) * np.mean(y)"
    assert normalised(answer) in normalised("threshold = weight / (1.0 + weight) * np.mean(labels)")
    assert normalised(answer) not in normalised("np.mean(labels)")
    assert len(normalised("return float(x)")) < SHORTEST_ANSWER_LINE
