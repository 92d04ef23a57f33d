"""Book machinery: config, table of contents, staging, the results page and (marked ``book``) a build."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import nbformat
import pytest

from dlclinic.build import book

ROOT = Path(__file__).resolve().parents[1]
BOOK = ROOT / "book"
MATHJAX = ROOT / "node_modules" / "mathjax"
CASE = "03-batchnorm-regression"


def final_sphinx_config() -> dict:
    """The Sphinx configuration Jupyter Book derives from book/_config.yml."""
    config, _ = pytest.importorskip("jupyter_book.config").get_final_config(
        user_yaml=BOOK / "_config.yml",
        cli_config={"latex_individualpages": False},
        sourcedir=BOOK,
        raise_on_invalid=True,
    )
    return config


def case_notebook(outputs: list | None = None) -> nbformat.NotebookNode:
    """A two-cell case notebook; ``outputs`` go on its code cell (papermill's executed copy)."""
    notebook = nbformat.v4.new_notebook()
    notebook.cells = [nbformat.v4.new_markdown_cell("# A case"), nbformat.v4.new_code_cell("print(1)")]
    notebook.cells[1].outputs = outputs or []
    return notebook


def fake_mathjax(root: Path, version: str = "3.2.2") -> Path:
    """An npm ``mathjax`` folder holding one file per part the book copies."""
    (root / "es5").mkdir(parents=True)
    (root / "package.json").write_text(json.dumps({"name": "mathjax", "version": version}))
    for part in book.MATHJAX_PARTS:
        target = root / "es5" / part
        if part.endswith(".js"):
            target.write_text("// mathjax")
        else:
            target.mkdir(parents=True)
            (target / "part.js").write_text("// part")
    return root


@pytest.fixture
def project(tmp_path: Path) -> dict[str, Path]:
    """A copy of book/ with one committed case, its executed copy, fake results, a fake MathJax and an empty
    folder of committed full runs."""
    source = tmp_path / "book"
    shutil.copytree(BOOK, source, ignore=shutil.ignore_patterns("_build", "cases"))
    (source / "cases").mkdir()
    nbformat.write(case_notebook(), source / "cases" / f"{CASE}.ipynb")
    build = tmp_path / "build"
    (build / "executed").mkdir(parents=True)
    output = nbformat.v4.new_output("stream", name="stdout", text="1\n")
    nbformat.write(case_notebook([output]), build / "executed" / f"{CASE}.ipynb")
    metrics = {"reporter_bn": {"nmse": 1.5}, "baseline": {"nmse": 0.4}, "bn_standardised": {"nmse": 0.123456}}
    record = {"mode": "quick", "seconds": 12.345, "device": "CPU", "metrics": metrics}
    (build / "results.json").write_text(json.dumps({"cases": {CASE: record}}))
    records = tmp_path / "benchmarks" / "full"
    records.mkdir(parents=True)
    return {"source": source, "build": build, "mathjax": fake_mathjax(tmp_path / "mathjax"), "records": records}


def test_config_renders_saved_outputs_with_local_mathjax() -> None:
    config = final_sphinx_config()
    assert config["nb_execution_mode"] == "off"
    assert not config["mathjax_path"].startswith(("http:", "https:", "//"))
    assert book.VENDOR_DIR in config["html_extra_path"]
    assert Path(book.MATHJAX_DEST, config["mathjax_path"]).parts[-2:] == ("mathjax", "tex-chtml.js")
    assert {"sphinx_exercise", "sphinxcontrib.bibtex", "myst_nb"} <= set(config["extensions"])
    assert config["bibtex_bibfiles"] == ["references.bib"] and (BOOK / "references.bib").is_file()
    assert config["bibtex_reference_style"] == "author_year"


def test_config_keeps_launch_and_download_buttons() -> None:
    theme = final_sphinx_config()["html_theme_options"]
    assert theme["launch_buttons"]["binderhub_url"] == "https://mybinder.org"
    assert theme["launch_buttons"]["colab_url"] == "https://colab.research.google.com"
    assert theme["repository_url"] == "https://github.com/dlclinic/deep-learning-clinic"
    assert (theme["repository_branch"], theme["path_to_docs"]) == ("main", "book")
    assert theme["use_download_button"] is True


def parse_toc() -> object:
    """book/_toc.yml as sphinx-external-toc reads it (a ``SiteMap``)."""
    return pytest.importorskip("sphinx_external_toc.parsing").parse_toc_yaml(BOOK / "_toc.yml")


def test_every_case_notebook_is_in_the_toc() -> None:
    patfilter = pytest.importorskip("sphinx.util.matching").patfilter
    site = parse_toc()
    cases = [f"cases/{path.stem}" for path in book.case_notebooks(BOOK)] + ["cases/99-a-future-case"]
    listed = set(site)
    for pattern in site.globs():
        listed.update(patfilter(cases, pattern))
    assert set(cases) <= listed


def test_toc_pages_exist_except_the_generated_results_page() -> None:
    site = parse_toc()
    pages = [path for path in BOOK.rglob("*") if path.suffix in {".md", ".ipynb"}]
    written = {
        path.relative_to(BOOK).with_suffix("").as_posix() for path in pages if "_build" not in path.parts
    }
    assert set(site) - written == {Path(book.RESULTS_PAGE).stem}


def test_stage_uses_executed_notebooks_mathjax_and_results(project: dict[str, Path]) -> None:
    injected = nbformat.v4.new_code_cell("quick = True", metadata={"tags": ["injected-parameters"]})
    executed = nbformat.read(project["build"] / "executed" / f"{CASE}.ipynb", as_version=4)
    executed.cells.insert(1, injected)
    nbformat.write(executed, project["build"] / "executed" / f"{CASE}.ipynb")
    stage, missing = book.stage_book(project["source"], project["build"], project["mathjax"], project["records"])
    assert missing == []
    staged = nbformat.read(stage / "cases" / f"{CASE}.ipynb", as_version=4)
    assert staged.cells[2].outputs[0].text == "1\n"
    assert staged.cells[1].metadata.tags == ["injected-parameters", "remove-cell"]  # the build machine's paths
    assert (stage / book.MATHJAX_DEST / "tex-chtml.js").is_file()
    assert (stage / book.MATHJAX_DEST / "output" / "chtml" / "part.js").is_file()
    page = (stage / book.RESULTS_PAGE).read_text()
    assert f"### {{doc}}`cases/{CASE}`" in page and f"(_results/{CASE}.png)" in page
    assert (stage / "_results" / f"{CASE}.png").stat().st_size > 1000
    assert "the fix (standardised targets) beats the blob counter on NMSE (0.123 vs 0.4, 3.24×)" in page
    assert "- **No full run recorded yet**." in page
    assert json.loads((stage / "_results" / "results.json").read_text())["cases"][CASE]["seconds"] == 12.345


def test_stage_notes_missing_results_instead_of_failing(project: dict[str, Path]) -> None:
    (project["build"] / "results.json").unlink()
    stage, _ = book.stage_book(project["source"], project["build"], project["mathjax"], project["records"])
    page = (stage / book.RESULTS_PAGE).read_text()
    assert "This build ran no case" in page and f"### {{doc}}`cases/{CASE}`" in page


def test_stage_falls_back_to_the_committed_notebook(project: dict[str, Path], capsys) -> None:
    (project["build"] / "executed" / f"{CASE}.ipynb").unlink()
    stage, missing = book.stage_book(project["source"], project["build"], project["mathjax"], project["records"])
    assert missing == [CASE]
    assert nbformat.read(stage / "cases" / f"{CASE}.ipynb", as_version=4).cells[1].outputs == []
    assert f"no executed copy of {CASE}.ipynb" in capsys.readouterr().err


def test_stage_warns_when_the_case_changed_after_execution(project: dict[str, Path], capsys) -> None:
    edited = case_notebook()
    edited.cells[1].source = "print(2)"
    nbformat.write(edited, project["source"] / "cases" / f"{CASE}.ipynb")
    book.stage_book(project["source"], project["build"], project["mathjax"], project["records"])
    assert "executed from an older" in capsys.readouterr().err


def test_stage_rejects_an_executed_notebook_with_an_error(project: dict[str, Path]) -> None:
    error = nbformat.v4.new_output("error", ename="ValueError", evalue="bad shape", traceback=[])
    nbformat.write(case_notebook([error]), project["build"] / "executed" / f"{CASE}.ipynb")
    with pytest.raises(book.BookError, match="cell 1: ValueError: bad shape"):
        book.stage_book(project["source"], project["build"], project["mathjax"], project["records"])


def test_stage_rejects_malformed_results(project: dict[str, Path]) -> None:
    (project["build"] / "results.json").write_text("{not json")
    with pytest.raises(book.BookError, match="results.json is not valid JSON"):
        book.stage_book(project["source"], project["build"], project["mathjax"], project["records"])


def test_stage_requires_mathjax_3(project: dict[str, Path], tmp_path: Path) -> None:
    with pytest.raises(book.BookError, match="npm ci"):
        book.stage_book(project["source"], project["build"], tmp_path / "no-mathjax", project["records"])
    mathjax_4 = fake_mathjax(tmp_path / "mj4", "4.1.3")
    with pytest.raises(book.BookError, match="must be MathJax 3.x"):
        book.stage_book(project["source"], project["build"], mathjax_4, project["records"])


def test_results_page_shows_the_committed_full_run_beside_this_build(project: dict[str, Path]) -> None:
    run = {"date": "2026-11-30", "device": "CPU (2 cores)", "commit": "abc1234", "seconds": 1520.0,
           "peak_host_mib": 1759}
    full = {"reporter_bn": {"nmse": 1.08}, "baseline": {"nmse": 0.399}, "bn_standardised": {"nmse": 0.037}, "run": run}
    (project["records"] / f"{CASE}.json").write_text(json.dumps(full))
    stage, _ = book.stage_book(project["source"], project["build"], project["mathjax"], project["records"])
    page = (stage / book.RESULTS_PAGE).read_text()
    said = "Full run of 2026-11-30 on CPU (2 cores), commit abc1234, 1520 s**: the fix (standardised targets) beats"
    assert said in page
    assert "1520 (≤ 2700) | CPU (2 cores), 2026-11-30, abc1234 (committed) | 1759 MiB" in page
    assert f"<_results/full/{CASE}.json>" in page
    (project["records"] / "01-a.json").write_text("{}")
    with pytest.raises(book.BookError, match="01-a.json: 'run' is a required property"):
        book.stage_book(project["source"], project["build"], project["mathjax"], project["records"])


def test_a_case_without_a_headline_is_still_listed(tmp_path: Path) -> None:
    page = book.results_markdown({"cases": {}}, {}, ["07-new"], tmp_path)
    assert "### {doc}`cases/07-new`" in page and "No headline is defined for this case yet." in page


def test_remote_assets_finds_cdn_scripts_only(tmp_path: Path) -> None:
    (tmp_path / "page.html").write_text(
        '<script src="https://cdn.jsdelivr.net/npm/mathjax@3/es5/tex-chtml.js"></script>'
        '<script defer src="_static/mathjax/tex-chtml.js"></script>'
        '<a href="https://mybinder.org/v2/gh/x">Binder</a>'
    )
    assert book.remote_assets(tmp_path) == [
        "page.html: https://cdn.jsdelivr.net/npm/mathjax@3/es5/tex-chtml.js"
    ]


def test_build_html_requires_a_build_folder(tmp_path: Path) -> None:
    with pytest.raises(book.BookError, match="named _build"):
        book.build_html(tmp_path, tmp_path / "html", strict=True)


@pytest.mark.book
@pytest.mark.skipif(not (MATHJAX / "package.json").is_file(), reason="run `npm ci` to vendor MathJax")
def test_build_renders_glue_and_math_offline(project: dict[str, Path], tmp_path: Path) -> None:
    papermill = pytest.importorskip("papermill")
    notebook = nbformat.v4.new_notebook()
    notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    notebook.cells = [
        nbformat.v4.new_markdown_cell("# A case\n\nThe second moment $E[y^2]$ is {glue:text}`second:.3f`."),
        nbformat.v4.new_code_cell("from myst_nb import glue\nglue('second', 1 / 3, display=False)"),
    ]
    committed = project["source"] / "cases" / f"{CASE}.ipynb"
    nbformat.write(notebook, committed)
    papermill.execute_notebook(committed, project["build"] / "executed" / committed.name, progress_bar=False)

    html = book.build_book(project["source"], project["build"], tmp_path / "_build", MATHJAX, project["records"], False)

    page = (html / "cases" / f"{CASE}.html").read_text()
    assert "0.333" in page and r"\(E[y^2]\)" in page
    assert 'src="../_static/mathjax/tex-chtml.js' in page
    assert (html / "_static" / "mathjax" / "output" / "chtml" / "fonts" / "woff-v2").is_dir()
    assert book.remote_assets(html) == []
    assert "0.123" in (html / "results.html").read_text()


def test_a_third_edition_case_lists_its_evidence_from_the_full_run(tmp_path: Path) -> None:
    row = {"kind": "trained", "value": 0.88, "spread": 0.02, "seeds": 5}
    evidence = {"metric": {"name": "test F2", "lower_is_better": False, "floor": 0.01},
                "fix": row | {"name": "fix", "change": "the fix"},
                "best": row | {"name": "best", "change": "the best", "value": 0.9},
                "strongest_baseline": {"name": "det", "change": "the detector", "kind": "control", "value": 0.85,
                                       "spread": 0.0, "seeds": 1},
                "fix_vs_baseline": {"verb": "ties", "gain": 0.03, "ratio": 1.035},
                "best_vs_baseline": {"verb": "beats", "gain": 0.05, "ratio": 1.06},
                "rivals": [{"name": "det", "change": "the detector", "kind": "control", "value": 0.85, "spread": 0.0,
                            "seeds": 1, "verb": "ties"}]}
    full = {"evidence": evidence, "run": {"date": "2026-12-06", "device": "CPU (2 cores)", "commit": "abc1234",
                                          "seconds": 1500.0, "peak_host_mib": 1000}}
    quick = {"mode": "quick", "seconds": 60.0, "device": "CPU (2 cores)",
             "metrics": {"evidence": evidence | {"fix_vs_baseline": {"verb": "loses to"}}}}
    page = book.results_markdown({"cases": {"09-x": quick}}, {"09-x": full}, ["09-x"], tmp_path)
    assert ("- **Named fix** — the fix: 0.88 ± 0.02 (5 seeds); against the strongest baseline (the detector: 0.85): "
            "ties, 1.03×.") in page
    assert "- **Controls and baselines that beat or tie the named fix** — the detector: 0.85 (ties)." in page
    assert "the named fix loses to the strongest baseline — differs." in page
