"""Every case notebook and assignment starts with the install cell for the repository in book/_config.yml."""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest
from IPython.core.inputtransformer2 import TransformerManager

from dlclinic.build.install_cell import (
    FIRST_LINE,
    course_notebooks,
    install_cell_problem,
    install_source,
    main,
    put_install_cell,
)

ROOT = Path(__file__).resolve().parents[1]
SOURCE = install_source(ROOT / "book" / "_config.yml")


@pytest.mark.parametrize("path", course_notebooks(ROOT), ids=lambda p: str(p.relative_to(ROOT)))
def test_notebook_starts_with_the_install_cell(path: Path) -> None:
    problem = install_cell_problem(nbformat.read(path, as_version=4), SOURCE)
    assert problem is None, f"{path}: {problem}; run `python -m dlclinic.build.install_cell --write`, then make release"


def test_the_cell_installs_from_the_configured_repository_and_is_a_no_op_here() -> None:
    assert '"dlclinic @ git+https://github.com/dlclinic/deep-learning-clinic@main"' in SOURCE
    python = TransformerManager().transform_cell(SOURCE)  # what IPython runs: %pip becomes a magic call
    calls = []
    namespace = {"get_ipython": lambda: type("Shell", (), {"run_line_magic": lambda *a: calls.append(a)})()}
    exec(compile(python, "<install cell>", "exec"), namespace)
    assert calls == [] and "dlclinic" in namespace  # installed here: nothing is installed again


def test_write_inserts_then_updates_the_cell(tmp_path: Path) -> None:
    (tmp_path / "book" / "cases").mkdir(parents=True)
    config = (ROOT / "book" / "_config.yml").read_text().replace("dlclinic/deep-learning-clinic", "me/fork")
    (tmp_path / "book" / "_config.yml").write_text(config)
    notebook = nbformat.v4.new_notebook()
    notebook.cells = [nbformat.v4.new_markdown_cell("# Case"), nbformat.v4.new_code_cell("x = 1")]
    path = tmp_path / "book" / "cases" / "01-a.ipynb"
    nbformat.write(notebook, path)
    assert main(["--root", str(tmp_path)]) == 1
    assert main(["--root", str(tmp_path), "--write"]) == 0 and main(["--root", str(tmp_path)]) == 0
    cells = nbformat.read(path, as_version=4).cells
    assert [c.cell_type for c in cells] == ["markdown", "code", "code"] and "me/fork@main" in cells[1].source
    assert cells[1].metadata.tags == ["remove-cell"]
    assert not put_install_cell(nbformat.read(path, as_version=4), install_source(tmp_path / "book" / "_config.yml"))
    stale = nbformat.read(path, as_version=4)
    stale.cells[1].source = FIRST_LINE + "\nold"
    assert "differs from the one book/_config.yml's repository implies" in install_cell_problem(stale, SOURCE)
