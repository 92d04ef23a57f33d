"""Build the HTML book from the notebooks papermill executed, offline, with Jupyter Book 1.

``python -m dlclinic.build.book`` stages ``book/`` into ``build/book/`` (executed case notebooks in place of the
committed ones, MathJax from ``node_modules/mathjax``, a results page generated from ``build/`` and the
committed full runs in ``benchmarks/full/``) and runs
``jupyter-book build`` on the staged copy; the site lands in ``book/_build/html``. Jupyter Book never
executes anything: running the cases is ``python -m dlclinic.build.run``'s job.
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import nbformat

from dlclinic.build.report import results_markdown
from dlclinic.build.results import FULL_RECORDS, RecordError, load_full_records, load_results

CASES_DIR = "cases"
RESULTS_PAGE = "results.md"
# Staged MathJax goes through ``html_extra_path: [_vendor]`` (see book/_config.yml) and so lands in the
# site's ``_static/mathjax/``, where ``mathjax_path: mathjax/tex-chtml.js`` points.
VENDOR_DIR = "_vendor"
MATHJAX_DEST = Path(VENDOR_DIR, "_static", "mathjax")
MATHJAX_MAJOR = "3"
# What tex-chtml.js loads at run time: TeX extensions on demand, CHTML fonts, menu, accessibility, speech.
MATHJAX_PARTS = ("tex-chtml.js", "input/tex/extensions", "output/chtml", "ui", "a11y", "sre")
REMOTE_ASSET = re.compile(r"<(?:script|link)\b[^>]*?\b(?:src|href)=[\"']((?:https?:)?//[^\"']+)", re.I)


class BookError(RuntimeError):
    """A problem that stops the book build, with a message that says what to do."""


def warn(message: str) -> None:
    """Print a build warning to stderr."""
    print(f"dlclinic.build.book: warning: {message}", file=sys.stderr)


def case_notebooks(book_dir: Path) -> list[Path]:
    """Return the case notebooks of a book folder, in case order (``cases/NN-name.ipynb``)."""
    return sorted((book_dir / CASES_DIR).glob("*.ipynb"))


def copy_source(source: Path, stage: Path) -> None:
    """Replace ``stage`` with a copy of the book source, leaving out build output and checkpoints."""
    if not (source / "_config.yml").is_file():
        raise BookError(f"source must be a Jupyter Book folder with _config.yml; got {source}")
    if stage.exists():
        shutil.rmtree(stage)
    shutil.copytree(source, stage, ignore=shutil.ignore_patterns("_build", ".ipynb_checkpoints", VENDOR_DIR))


def error_outputs(notebook: nbformat.NotebookNode) -> list[str]:
    """Return ``"cell N: ErrorName: message"`` for every error output in a notebook."""
    errors = []
    for index, cell in enumerate(notebook.cells):
        for output in cell.get("outputs", []):
            if output.get("output_type") == "error":
                errors.append(f"cell {index}: {output.get('ename')}: {output.get('evalue')}")
    return errors


def stored_glue_names(notebook: nbformat.NotebookNode) -> list[str]:
    """The names ``myst_nb.glue`` stored in an executed notebook's outputs, in order, repeats included."""
    names = (output.get("metadata", {}).get("scrapbook", {}).get("name")
             for cell in notebook.cells for output in cell.get("outputs", []))
    return [name for name in names if name]


def repeated_glue_names(notebook: nbformat.NotebookNode) -> list[str]:
    """Names that ``myst_nb.glue`` stored more than once in an executed notebook (the book build refuses them)."""
    names = stored_glue_names(notebook)
    return sorted({name for name in names if names.count(name) > 1})


GLUE_ROLE = re.compile(r"\{glue(?::[a-z]*)?\}`([^`]+)`")  # {glue:text}`name:fmt`, {glue}`name`
GLUE_DIRECTIVE = re.compile(r"^[`:]{3,}\{glue(?::[a-z]*)?\}[ \t]+(\S+)", re.M)  # ```{glue:figure} name


def missing_glue_names(notebook: nbformat.NotebookNode) -> list[str]:
    """Names the markdown cells of an executed notebook glue in but no output stored (the book build refuses
    them); a ``path::key`` reference to another document is left to the book build."""
    wanted = {
        reference.split(":")[0].strip()
        for cell in notebook.cells
        if cell.cell_type == "markdown"
        for pattern in (GLUE_ROLE, GLUE_DIRECTIVE)
        for reference in pattern.findall(cell.source)
        if "::" not in reference
    }
    return sorted(wanted - set(stored_glue_names(notebook)))


def _code_sources(notebook: nbformat.NotebookNode) -> list[str]:
    """Code cell sources, without the parameters cell papermill injects."""
    return [
        cell.source
        for cell in notebook.cells
        if cell.cell_type == "code" and "injected-parameters" not in cell.metadata.get("tags", [])
    ]


def hide_injected_parameters(notebook: nbformat.NotebookNode) -> None:
    """Tag papermill's injected-parameters cell ``remove-cell``: it shows the build machine's paths, not the lesson."""
    for cell in notebook.cells:
        tags = cell.metadata.get("tags", [])
        if "injected-parameters" in tags and "remove-cell" not in tags:
            cell.metadata["tags"] = [*tags, "remove-cell"]


def use_executed_notebooks(stage: Path, executed_dir: Path) -> list[str]:
    """Swap each staged case notebook for its executed copy; return the slugs left unexecuted.

    Raises ``BookError`` if an executed copy holds an error output: the book never shows a failed run.
    """
    missing = []
    for committed in case_notebooks(stage):
        executed = executed_dir / committed.name
        if not executed.is_file():
            warn(f"no executed copy of {committed.name} in {executed_dir}; the book shows it without outputs")
            missing.append(committed.stem)
            continue
        notebook = nbformat.read(executed, as_version=4)
        errors = error_outputs(notebook)
        if errors:
            raise BookError(f"{executed} has error outputs; fix the case and rerun it:\n  " + "\n  ".join(errors))
        if _code_sources(notebook) != _code_sources(nbformat.read(committed, as_version=4)):
            warn(f"{executed} was executed from an older {CASES_DIR}/{committed.name}; rerun the case")
        hide_injected_parameters(notebook)
        nbformat.write(notebook, committed)
    staged = {path.name for path in case_notebooks(stage)}
    for extra in sorted(executed_dir.glob("*.ipynb")):
        if extra.name not in staged:
            warn(f"{extra} has no {CASES_DIR}/{extra.name} in the book; it is left out")
    return missing


def copy_mathjax(mathjax_root: Path, stage: Path) -> None:
    """Copy the parts of the npm ``mathjax`` package the site loads into the staged book."""
    package = mathjax_root / "package.json"
    if not package.is_file():
        raise BookError(f"MathJax not found at {mathjax_root}; run `npm ci --no-audit --no-fund` at the repo root")
    version = json.loads(package.read_text(encoding="utf-8"))["version"]
    if version.split(".")[0] != MATHJAX_MAJOR:
        raise BookError(f"{package} must be MathJax {MATHJAX_MAJOR}.x (what Sphinx 7 configures); got {version}")
    dest = stage / MATHJAX_DEST
    for part in MATHJAX_PARTS:
        src = mathjax_root / "es5" / part
        if src.is_dir():
            shutil.copytree(src, dest / part)
        else:
            dest.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, dest / part)


def write_results_page(build_dir: Path, stage: Path, full_dir: Path) -> None:
    """Write the results page (``dlclinic.build.report``) into the staged book from ``build/results.json`` and
    the committed full runs in ``full_dir``."""
    results_path = build_dir / "results.json"
    if not results_path.is_file():
        warn(f"{results_path} not found; the results page shows the committed full runs only")
    slugs = [path.stem for path in case_notebooks(stage)]
    try:
        page = results_markdown(load_results(results_path), load_full_records(full_dir), slugs, stage)
    except RecordError as error:
        raise BookError(str(error)) from None
    (stage / RESULTS_PAGE).write_text(page, encoding="utf-8")


def stage_book(source: Path, build_dir: Path, mathjax_root: Path, full_dir: Path) -> tuple[Path, list[str]]:
    """Stage the book into ``build_dir/book``; return the staged folder and the cases left unexecuted."""
    stage = build_dir / "book"
    copy_source(source, stage)
    missing = use_executed_notebooks(stage, build_dir / "executed")
    copy_mathjax(mathjax_root, stage)
    write_results_page(build_dir, stage, full_dir)
    return stage, missing


def _jupyter_book() -> str:
    """The ``jupyter-book`` script of this interpreter's environment (or the one on PATH)."""
    local = Path(sys.executable).with_name("jupyter-book")
    found = str(local) if local.is_file() else shutil.which("jupyter-book")
    if found is None:
        raise BookError("jupyter-book not found; install the book extra: pip install -e '.[book]'")
    return found


def build_html(stage: Path, out: Path, strict: bool) -> Path:
    """Run ``jupyter-book build`` on the staged book into ``out/html``; return that folder.

    ``strict`` turns Sphinx warnings into errors (``-W --keep-going``: all warnings are listed first).
    """
    if out.name != "_build":
        raise BookError(f"out must be a folder named _build (Jupyter Book's fixed name); got {out}")
    command = [_jupyter_book(), "build", str(stage), "--path-output", str(out.parent), "--all"]
    if strict:
        command += ["-W", "--keep-going"]
    if subprocess.run(command).returncode != 0:
        raise BookError(f"jupyter-book build failed (see the log above): {' '.join(command)}")
    return out / "html"


def remote_assets(html_dir: Path) -> list[str]:
    """Return ``"page: url"`` for every script or stylesheet the built site would fetch from the network."""
    found = []
    for page in sorted(html_dir.rglob("*.html")):
        for url in REMOTE_ASSET.findall(page.read_text(encoding="utf-8", errors="replace")):
            found.append(f"{page.relative_to(html_dir)}: {url}")
    return found


def build_book(
    source: Path, build_dir: Path, out: Path, mathjax_root: Path, full_dir: Path, allow_warnings: bool
) -> Path:
    """Stage and build the book, then check that the site loads nothing from the network."""
    stage, missing = stage_book(source, build_dir, mathjax_root, full_dir)
    strict = not allow_warnings and not missing
    if missing and not allow_warnings:
        warn("building without -W because some cases are unexecuted (their glue values are missing)")
    html = build_html(stage, out, strict)
    remote = remote_assets(html)
    if remote:
        raise BookError("the site loads assets from the network; it must work offline:\n  " + "\n  ".join(remote))
    return html


def main(argv: list[str] | None = None) -> int:
    """Command line entry point; returns the exit status."""
    parser = argparse.ArgumentParser(prog="python -m dlclinic.build.book", description=__doc__.splitlines()[0])
    parser.add_argument("--source", type=Path, default=Path("book"), help="book source folder (book)")
    parser.add_argument("--build-dir", type=Path, default=Path("build"), help="runner output and stage (build)")
    parser.add_argument("--out", type=Path, default=Path("book/_build"), help="_build folder (book/_build)")
    parser.add_argument("--mathjax", type=Path, default=Path("node_modules/mathjax"), help="npm mathjax package")
    parser.add_argument("--full-records", type=Path, default=FULL_RECORDS, help="committed full runs")
    parser.add_argument("--allow-warnings", action="store_true", help="do not treat Sphinx warnings as errors")
    args = parser.parse_args(argv)
    start = time.perf_counter()
    try:
        html = build_book(args.source, args.build_dir, args.out, args.mathjax, args.full_records, args.allow_warnings)
    except BookError as error:
        print(f"dlclinic.build.book: error: {error}", file=sys.stderr)
        return 1
    print(f"dlclinic.build.book: built {html / 'index.html'} in {time.perf_counter() - start:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
