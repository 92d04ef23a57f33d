"""The first code cell of every case notebook and assignment: install the learner package where it is missing.

In Colab, on Binder or in any Jupyter where ``import dlclinic`` fails, the cell installs the package from the
course's repository (quietly, keeping a TensorFlow that already fits its ranges); where it is installed, the
cell does nothing. The repository's URL and branch live in one place, ``book/_config.yml``.

``python -m dlclinic.build.install_cell`` checks every notebook; ``--write`` puts the current cell first.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import nbformat

from dlclinic.build.site_check import repository

CONFIG = Path("book", "_config.yml")
NOTEBOOK_GLOBS = ("book/cases/*.ipynb", "solutions/*/*.ipynb")
FIRST_LINE = "# Colab, Binder or your own Jupyter: install the course's package once (a no-op where it is installed)."
TAGS = ["remove-cell"]  # plumbing: the book does not show it


def install_source(config: Path = CONFIG) -> str:
    """The install cell's source for the repository named in ``config``."""
    repo, branch = repository(config)
    return "\n".join([
        FIRST_LINE,
        "import importlib",
        "",
        "try:",
        "    import dlclinic",
        "except ImportError:",
        f'    %pip install --quiet "dlclinic @ git+https://github.com/{repo}@{branch}"',
        "    importlib.invalidate_caches()",
    ])


def first_code_cell(notebook: nbformat.NotebookNode) -> nbformat.NotebookNode | None:
    return next((cell for cell in notebook.cells if cell.cell_type == "code"), None)


def install_cell_problem(notebook: nbformat.NotebookNode, source: str) -> str | None:
    """Why the notebook's first code cell is not the install cell, or ``None`` when it is."""
    cell = first_code_cell(notebook)
    if cell is None or not cell.source.startswith(FIRST_LINE):
        return "its first code cell is not the install cell"
    if cell.source != source:
        return "its install cell differs from the one book/_config.yml's repository implies"
    return None


def put_install_cell(notebook: nbformat.NotebookNode, source: str) -> bool:
    """Make the install cell the first code cell (replacing an older one); return whether anything changed."""
    cell = first_code_cell(notebook)
    if cell is not None and cell.source == source and cell.metadata.get("tags") == TAGS:
        return False
    if cell is not None and cell.source.startswith(FIRST_LINE):
        cell.source, cell.metadata["tags"] = source, list(TAGS)
        return True
    index = notebook.cells.index(cell) if cell is not None else len(notebook.cells)
    notebook.cells.insert(index, nbformat.v4.new_code_cell(source, metadata={"tags": list(TAGS)}))
    return True


def course_notebooks(root: Path) -> list[Path]:
    return sorted(path for pattern in NOTEBOOK_GLOBS for path in root.glob(pattern))


def main(argv: list[str] | None = None) -> int:
    """Check (or with ``--write`` update) the install cell of every case notebook and assignment source."""
    parser = argparse.ArgumentParser(prog="python -m dlclinic.build.install_cell", description=__doc__.split("\n")[0])
    parser.add_argument("--root", type=Path, default=Path("."), help="repository root (.)")
    parser.add_argument("--write", action="store_true", help="insert or update the cell (then run make release)")
    args = parser.parse_args(argv)
    source = install_source(args.root / CONFIG)
    bad = 0
    for path in course_notebooks(args.root):
        notebook = nbformat.read(path, as_version=4)
        if args.write:
            if put_install_cell(notebook, source):
                nbformat.write(notebook, path)
                print(f"{path}: install cell written")
        elif (problem := install_cell_problem(notebook, source)) is not None:
            print(f"{path}: {problem}", file=sys.stderr)
            bad += 1
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
