"""Compare a freshly generated release with the committed one, and say readably how they differ.

Notebooks are compared on what a student sees and nbgrader relies on: each cell's type, source, tags and
nbgrader metadata, whether it carries outputs, and the kernel. Cell ids and execution counts are ignored.
"""

from __future__ import annotations

import difflib
import fnmatch
import json
from pathlib import Path

import nbformat
from nbformat import NotebookNode

from dlclinic.grading.course import IGNORE


def render_notebook(nb: NotebookNode) -> list[str]:
    """A line-per-line text rendering of the parts of ``nb`` that a release must reproduce."""
    kernel = nb.get("metadata", {}).get("kernelspec", {}).get("name", "")
    lines = [f"kernelspec: {kernel}"]
    for index, cell in enumerate(nb.cells):
        meta = cell.get("metadata", {})
        nbgrader = json.dumps(meta.get("nbgrader", {}), sort_keys=True)
        lines.append(f"=== cell {index} [{cell.cell_type}] tags={meta.get('tags', [])} nbgrader={nbgrader}")
        if cell.get("outputs"):
            lines.append(f"    ({len(cell.outputs)} outputs)")
        lines.extend(cell.source.split("\n"))
    return lines


def notebook_diff(expected: NotebookNode, actual: NotebookNode, expected_name: str, actual_name: str) -> str:
    """A unified diff of the two notebooks' renderings; empty when they match."""
    diff = difflib.unified_diff(
        render_notebook(expected), render_notebook(actual), expected_name, actual_name, lineterm=""
    )
    return "\n".join(diff)


def _files(directory: Path) -> set[str]:
    found = set()
    for path in directory.rglob("*"):
        relative = path.relative_to(directory)
        if path.is_file() and not any(fnmatch.fnmatch(part, p) for part in relative.parts for p in IGNORE):
            found.add(relative.as_posix())
    return found


def diff_release_dirs(committed: Path, generated: Path) -> str:
    """Every difference between the committed release dir and a generated one; empty when they match."""
    committed, generated = Path(committed), Path(generated)
    if not committed.is_dir():
        return f"{committed} does not exist: the release was never generated and committed"
    ours, theirs = _files(committed), _files(generated)
    report = [f"missing from {committed}: {name}" for name in sorted(theirs - ours)]
    report += [f"in {committed} but not generated: {name}" for name in sorted(ours - theirs)]
    for name in sorted(ours & theirs):
        old, new = committed / name, generated / name
        if name.endswith(".ipynb"):
            text = notebook_diff(
                nbformat.read(old, as_version=4),
                nbformat.read(new, as_version=4),
                f"committed/{name}",
                f"generated/{name}",
            )
            if text:
                report.append(text)
        elif old.read_bytes() != new.read_bytes():
            try:
                lines = difflib.unified_diff(
                    old.read_text().splitlines(),
                    new.read_text().splitlines(),
                    f"committed/{name}",
                    f"generated/{name}",
                    lineterm="",
                )
                report.append("\n".join(lines))
            except UnicodeDecodeError:
                report.append(f"binary file differs: {name}")
    return "\n".join(report)
