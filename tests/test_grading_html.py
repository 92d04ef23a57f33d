"""Student HTML made harmless wherever a person opens it, and the instructor's feedback and export (issue 27).

Fast tests (no nbgrader run): every XSS vector of ``harness.xss`` is cleaned out of what nbgrader's Formgrader
and feedback templates render, with the course's ``nbgrader_config.py`` as nbgrader loads it (and is there
without it: the control); forged notebook fields are cleaned; the course's own notebooks and honest answers are
left exactly as they are; the strict check refuses parser tricks; feedback reports carry the content-security
policy and name what each test grades.

The ``grading`` tests grade a small class of the toy assignment from the outputs its notebooks carry (nothing is
executed: the XSS student's outputs are what IPython's display formatter makes), then run the instructor's
``feedback`` and ``export``. With Chromium (required when ``DLCLINIC_REQUIRE_BROWSER=1``, as in ``.ci/run``),
the XSS student's feedback report and the Formgrader's view of the submission (a Jupyter server on the loopback,
the page opened with the instructor's token as the Formgrader's panel opens it) are opened in headless
Chromium: no payload runs, no request leaves the page but the page's own, nothing is written into the course.
"""

from __future__ import annotations

import copy
import csv
import os
import shutil
from pathlib import Path

import nbformat
import pytest
from harness import browser, cells, toy, xss
from harness.mutants import solved_submission
from nbconvert.exporters import HTMLExporter
from nbgrader.api import Gradebook
from test_grading_lib import release_of
from traitlets.config import Config
from traitlets.config.loader import PyFileConfigLoader

from dlclinic.build import site_check
from dlclinic.grading.__main__ import main as grading_main
from dlclinic.grading.autograde import REGRADE_FROM_OUTPUTS
from dlclinic.grading.course import CONFIG_FILE, run_nbgrader
from dlclinic.grading.feedback import (
    NO_MATHJAX_MARK,
    OFFLINE_MARK,
    FeedbackError,
    grade_labels,
    offline_report,
    script_hash,
)
from dlclinic.grading.harmless import NOTE, clean_html, clean_notebook, html_problems, markdown_problems

ROOT = Path(__file__).resolve().parents[1]
SLUG = toy.SLUG
BEACON = "http://127.0.0.1:9"  # the fast tests' payloads call nothing that listens
NBGRADER_TEMPLATES = Path(__import__("nbgrader").__file__).parent / "server_extensions" / "formgrader" / "templates"
BOOTSTRAP_CSS = NBGRADER_TEMPLATES.parent / "static" / "node_modules" / "bootstrap" / "dist" / "css"
FORMGRADE_RESOURCES = {
    "assignment_id": SLUG,
    "notebook_id": SLUG,
    "submission_id": "0" * 32,
    "index": 0,
    "total": 1,
    "base_url": "",
    "student": "mallory",
    "last_name": None,
    "first_name": None,
    "notebook_path": f"autograded/mallory/{SLUG}/{SLUG}.ipynb",
}
FEEDBACK_RESOURCES = {"nbgrader": {"notebook": SLUG, "score": 0, "max_score": 8, "late_penalty": 0}}

# One worker builds the graded course (the fixture is per module) and runs the tests that use it.
pytestmark = pytest.mark.xdist_group("grading-html")

needs_chromium = pytest.mark.skipif(
    os.environ.get("DLCLINIC_REQUIRE_BROWSER") != "1" and not any(shutil.which(n) for n in site_check.CHROMIUM_NAMES),
    reason="Chromium is not installed (DLCLINIC_REQUIRE_BROWSER=1 makes this a failure)",
)


def course_config() -> Config:
    """The repository's ``nbgrader_config.py``, loaded as nbgrader loads it."""
    return PyFileConfigLoader(CONFIG_FILE, path=str(ROOT)).load_config()


def render(notebook: nbformat.NotebookNode, template: str, config: Config | None = None) -> str:
    """``notebook`` as nbgrader's ``formgrade`` or ``feedback`` template renders it, with ``config``."""
    config = copy.deepcopy(config) if config is not None else Config()
    config.HTMLExporter.template_name = template
    config.HTMLExporter.extra_template_basedirs = [str(NBGRADER_TEMPLATES)]
    config.HTMLExporter.extra_template_paths = [str(BOOTSTRAP_CSS)]  # the feedback template inlines it
    resources = dict(FORMGRADE_RESOURCES if template == "formgrade" else FEEDBACK_RESOURCES)
    notebook = copy.deepcopy(notebook)
    for cell in notebook.cells:  # the scores nbgrader's GetGrades adds for the feedback
        cell.get("metadata", {}).get("nbgrader", {}).setdefault("score", 0)
    page, _ = HTMLExporter(config=config).from_notebook_node(notebook, resources=resources)
    return page


@pytest.fixture(scope="module")
def toy_notebooks():
    source = nbformat.read(toy.source_path(), as_version=4)
    return source, release_of(source)


@pytest.fixture(scope="module")
def attacked(toy_notebooks) -> nbformat.NotebookNode:
    return xss.xss_submission(*toy_notebooks, BEACON)


@pytest.mark.parametrize("template", ["formgrade", "feedback"])
def test_the_course_config_cleans_what_nbgrader_renders(attacked, template):
    bare = xss.active_content(render(attacked, template), BEACON)
    assert len(bare) >= 15, bare  # the control: without the config the vectors reach the page
    assert xss.active_content(render(attacked, template, course_config()), BEACON) == []


def test_what_was_cleaned_is_still_there_to_read(attacked):
    cleaned = copy.deepcopy(attacked)
    changes = clean_notebook(cleaned)
    written = cells.cells_by_id(cleaned)[xss.WRITTEN].source
    assert written.startswith(f"**[{NOTE}: this answer held HTML or TeX") and "onerror=" in written
    original = cells.cells_by_id(attacked)[xss.WRITTEN].source
    assert original.replace("\\href", "\u29f5href") in written  # the student's text, a TeX backslash aside
    outputs = cells.cells_by_id(cleaned)[xss.CODE].outputs
    shown = "\n".join(output.data.get("text/plain", "") for output in outputs)
    for removed in ("application/javascript", "image/svg+xml", "text/markdown", "text/latex"):
        assert f"--- {removed} ---" in shown, removed
    assert any("text/html cleaned" in change for change in changes)
    assert "widgets" not in cleaned.metadata
    assert clean_notebook(cleaned) == []  # cleaning twice changes nothing


def test_forged_fields_are_cleaned():
    notebook = xss.crafted_outputs(BEACON)
    valid = copy.deepcopy(notebook)  # nbconvert refuses a notebook whose execution count is no number
    valid.cells[0].execution_count = valid.cells[0].outputs[1].execution_count = 1
    assert len(xss.active_content(render(valid, "feedback"), BEACON)) >= 2, "the control: forged fields reach the page"
    changes = clean_notebook(notebook)
    assert xss.active_content(render(notebook, "feedback"), BEACON) == []
    said = " | ".join(changes)
    for change in ("odd stream name", "odd execution count", "width", "filenames", "raw cell shown as text"):
        assert change in said, (change, said)
    assert "attachments that are no images removed" in said
    code = notebook.cells[0]
    assert code.outputs[0].name == "stdout" and code.execution_count is None
    assert "application/vnd.jupyter.widget-view+json" not in code.outputs[2].data
    assert "image/png" not in code.outputs[3].data  # not base64: shown as text


@pytest.mark.parametrize("folder", ["solutions", "exercises"])
def test_the_course_notebooks_are_left_as_they_are(folder):
    for path in sorted((ROOT / folder).glob("*/*.ipynb")) + [toy.source_path()]:
        notebook = nbformat.read(path, as_version=4)
        assert clean_notebook(notebook) == [], path


def test_a_heading_cannot_take_a_score_fields_id(toy_notebooks):
    notebook = copy.deepcopy(toy_notebooks[1])
    notebook.cells.insert(1, nbformat.v4.new_markdown_cell("## written_double\n\nMy notes."))
    notebook.cells.insert(2, nbformat.v4.new_markdown_cell("## Explain double\n\nMy notes."))
    changes = clean_notebook(notebook)
    assert changes == ["cell 1: markdown shown as text (a heading named like the grading page's 'written_double')"]


HONEST_MARKDOWN = [
    "The std is $\\sigma = 10^{-3} + \\log 2 \\approx 0.694$, so for $x<y$ and $a > b$ it never drops.",
    "A list:\n\n- one\n- **two**, *three*, `code <b>`\n\n1. first\n2. second",
    "A table:\n\n| a | b |\n|:--|--:|\n| 1 | 2 |",
    "A line<br>break, x<sup>2</sup>, H<sub>2</sub>O and <details><summary>more</summary>hidden</details>",
    "```python\nprint('<script>alert(1)</script>')\n```",
    "A [link](https://keras.io/) and another to [a section](#the-floor), and <https://example.org>.",
    "## A heading with 'quotes'\n\n> a quotation\n\n---\n\n$$\\frac{1}{n}\\sum_i (y_i - \\mu)^2$$",
]


@pytest.mark.parametrize("source", HONEST_MARKDOWN)
def test_honest_markdown_is_kept(source):
    assert markdown_problems(source) == []


PARSER_TRICKS = [
    '<img src=x onerror="alert(1)">',
    "<IMG SRC=x ONERROR=alert(1)>",
    "<a href='javascript:alert(1)'>x</a>",  # single quotes: not the one accepted form
    '<a href="jav&#x09;ascript:alert(1)">x</a>',
    '<a href="&#106;avascript:alert(1)">x</a>',
    '<a href=" javascript:alert(1)">x</a>',
    '<a href="vbscript:x">x</a>',
    '<img src="data:image/svg+xml;base64,PHN2Zz4=">',
    '<img src="//evil.example/x.png">',
    "<svg><style><img src=x onerror=alert(1)></style></svg>",
    '<noscript><p title="</noscript><img src=x onerror=alert(1)>"></noscript>',
    "<!--><img src=x onerror=alert(1)>-->",
    "<![CDATA[<img src=x onerror=alert(1)>]]>",
    "<p/onclick=alert(1)>x</p>",
    '<p style="background:url(//evil.example/x)">x</p>',
    '<div class="tex2jax_process">$\\href{javascript:alert(1)}{x}$</div>',
    "$\\href{javascript:alert(1)}{x}$",
    "$\\style{background:url(//evil.example)}{x}$",
    "&#36;&#92;href{javascript:alert(1)}{x}&#36;",
    '<a href="x" onmouseover="alert(1)">x</a>',
    "<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>",
    "<textarea><img src=x onerror=alert(1)></textarea>",
    '<table background="//evil.example/x"><tr><td>x</td></tr></table>',
    "<video><source onerror=alert(1)></video>",
    '<input autofocus onfocus="alert(1)">',
    '<a href="x">x</a ',
    '<p\xa0onclick="alert(1)">x</p>',  # a blank Python's \s knows and HTML does not
    "<table><tr><td><code>x</td><td>$\\href{javascript:alert(1)}{y}$</td></tr></table>",  # code ends with its cell
]


@pytest.mark.parametrize("markup", PARSER_TRICKS)
def test_the_strict_check_refuses_tricks_and_the_cleaner_removes_them(markup):
    assert html_problems(markup), markup
    cleaned = clean_html(markup)
    tex = "\\href" in cleaned or "\\style" in cleaned or "&#92;href" in markup
    assert tex or html_problems(cleaned) == [], cleaned


def test_a_report_gets_offline_mathjax_a_policy_and_named_links():
    loader = '<!-- Load mathjax -->\n<script src="https://cdn.example/mathjax/latest.js"> </script>\n'
    loader += "<!-- MathJax configuration -->\n<script>init();</script>\n<!-- End of mathjax configuration -->"
    toc = '<li><a href="#test_x">Test cell</a> (Score: 1.0 / 1.0)</li><li><a href="#comment-x">Comment</a></li>'
    report = offline_report(f"<html><head>{loader}</head><body>{toc}</body></html>", "bundle();", {"test_x": "1. X"})
    assert "cdn.example" not in report and "<script>bundle();</script>" in report and OFFLINE_MARK in report
    policy = report.split('http-equiv="Content-Security-Policy" content="')[1].split('"')[0]
    assert "default-src &#x27;none&#x27;" in policy and script_hash("bundle();").replace("'", "&#x27;") in policy
    assert "unsafe-inline&#x27;; img" in policy and "script-src &#x27;unsafe-inline" not in policy
    assert '<a href="#test_x">1. X</a>' in report and '<a href="#comment-x">Comment on x</a>' in report
    assert offline_report(report, "bundle();", {}) == report  # feedback run again after hand-grading
    bare = offline_report(f"<head>{loader}</head>", None)
    assert NO_MATHJAX_MARK in bare and "script-src &#x27;none&#x27;" in bare and "<script" not in bare
    with pytest.raises(FeedbackError, match="found it 0 times"):
        offline_report("<head></head>", "bundle();")


@pytest.mark.parametrize("slug", sorted(p.name for p in (ROOT / "solutions").iterdir() if p.is_dir()))
def test_every_test_cell_is_named_by_the_answer_it_grades(slug):
    source = nbformat.read(ROOT / "solutions" / slug / f"{slug}.ipynb", as_version=4)
    labels = grade_labels(source)
    answers = [cells.grade_id(cell) for cell in source.cells if cells.is_answer(cell)]
    tests = [cells.grade_id(cell) for cell in source.cells if cells.is_test(cell)]
    assert tests and set(tests) <= set(labels)
    for test in tests:
        graded = [answer for answer in answers if test.startswith(f"test_{answer}")]
        assert graded and f"tests of {graded[0]}" in labels[test] and ": " in labels[test], (test, labels[test])


# --- grading: a small class graded from its outputs, then feedback, the Formgrader and export ---


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    """The toy course with ``mallory`` (every XSS vector, and an honest formula), ``ada`` (the solution) and
    ``nobody`` (no submission) graded from their notebooks' outputs; then ``feedback``. The beacon listens
    while the module's tests run."""
    with browser.beacon() as (beacon, calls):
        root = toy.write_toy_repo(tmp_path_factory.mktemp("html") / "course")
        source = nbformat.read(toy.source_path(root), as_version=4)
        release = nbformat.read(root / "exercises" / SLUG / f"{SLUG}.ipynb", as_version=4)
        mallory = xss.xss_submission(source, release, beacon)
        mallory.cells.insert(1, nbformat.v4.new_markdown_cell("An honest formula: $\\sigma = \\log 2$."))
        for student, notebook in {"mallory": mallory, "ada": solved_submission(source, release)}.items():
            path = root / "submitted" / student / SLUG / f"{SLUG}.ipynb"
            path.parent.mkdir(parents=True)
            nbformat.write(notebook, path)
        run_nbgrader(["db", "student", "add", "nobody"], root)
        run_nbgrader(["autograde", SLUG, "--force"], root, config=REGRADE_FROM_OUTPUTS)
        uncleaned = nbformat.read(root / "autograded" / "mallory" / SLUG / f"{SLUG}.ipynb", as_version=4)
        mathjax = ROOT / "node_modules" / "mathjax"
        assert grading_main(["--root", str(root), "feedback", SLUG, "--mathjax", str(mathjax)]) == 0
        yield {"root": root, "beacon": beacon, "calls": calls, "uncleaned": uncleaned}


def _report(root: Path, student: str) -> Path:
    return root / "feedback" / student / SLUG / f"{SLUG}.html"


@pytest.mark.grading
def test_feedback_reports_are_cleaned_and_name_their_tests(graded):
    root = graded["root"]
    report = _report(root, "mallory").read_text(encoding="utf-8")
    assert OFFLINE_MARK in report and "Content-Security-Policy" in report
    assert xss.active_content(report.split(OFFLINE_MARK)[0] + report.split("</script>")[-1], graded["beacon"]) == []
    assert ">Test cell<" not in report and ">Comment<" not in report
    assert ">Toy case: hidden tests of square</a>" in report
    on_disk = nbformat.read(root / "autograded" / "mallory" / SLUG / f"{SLUG}.ipynb", as_version=4)
    assert clean_notebook(on_disk) == [], "feedback leaves the autograded notebook cleaned on disk"
    assert clean_notebook(copy.deepcopy(graded["uncleaned"])), "the control: nbgrader's autograde does not clean"


@pytest.mark.grading
@needs_chromium
def test_no_script_runs_in_the_feedback(graded):
    root, calls = graded["root"], graded["calls"]
    seen = browser.visit(_report(root, "mallory").as_uri())
    assert seen.ran() == [] and browser.strange_requests(seen.requests) == [] and calls == [], (seen.ran(), calls)
    assert "<mjx-container" in seen.dom, "the honest formula did not render under the content-security policy"
    assert "Toy case: tests of double (some hidden)" in seen.dom
    control = root / "control.html"  # the same notebook as nbgrader's bare HTML export renders it
    control.write_text(HTMLExporter(template_name="classic").from_notebook_node(graded["uncleaned"])[0])
    calls.clear()
    browser.visit(control.as_uri())
    ran = {path for path in calls if path.startswith("/ran/")}  # the page itself may be refreshed away
    assert len(ran) >= 5, f"the control: the payloads run in a page that is not cleaned ({sorted(calls)})"
    calls.clear()


@pytest.mark.grading
@needs_chromium
def test_no_script_runs_in_the_formgrader(graded):
    root, calls = graded["root"], graded["calls"]
    calls.clear()
    with Gradebook(f"sqlite:///{root / 'gradebook.db'}", "dlclinic") as gradebook:
        submission = gradebook.find_submission_notebook(SLUG, SLUG, "mallory").id
    # as plain `nbgrader autograde` leaves it (feedback cleaned it on disk): the Formgrader must clean as it renders
    nbformat.write(graded["uncleaned"], root / "autograded" / "mallory" / SLUG / f"{SLUG}.ipynb")
    before = {p.name for p in root.rglob("*")}
    with browser.formgrader(root) as (base, token):
        seen = browser.visit(f"{base}/formgrader/submissions/{submission}/?token={token}", budget_ms=8000)
    assert "Student's answer" in seen.dom and NOTE in seen.dom, "the Formgrader did not show the submission"
    assert seen.ran() == [] and calls == [], (seen.ran(), calls)
    assert browser.strange_requests(seen.requests, base) == []
    assert not [p for p in root.rglob("xss-*")] and {p.name for p in root.rglob("*")} <= before | {".jupyter"}


@pytest.mark.grading
def test_feedback_without_mathjax_still_writes_the_reports(graded, capsys, tmp_path):
    root = graded["root"]
    argv = ["--root", str(root), "feedback", SLUG, "--student", "ada", "--mathjax", str(tmp_path / "none")]
    assert grading_main(argv) == 0
    out, err = capsys.readouterr()
    assert "formulas shown as TeX" in out and err.startswith("warning: MathJax 3 was not found") and "make setup" in err
    report = _report(root, "ada").read_text(encoding="utf-8")
    assert NO_MATHJAX_MARK in report and "<script" not in report


@pytest.mark.grading
def test_export_merges_assignments_and_says_what_each_score_is(graded, tmp_path, capsys):
    root = graded["root"]
    grades = tmp_path / "grades.csv"
    other = "assignment,student_id,score,max_score,status\n99-other,ada,3.0,4.0,graded\n"
    grades.write_text(other)
    assert grading_main(["--root", str(root), "export", SLUG, "--to", str(grades)]) == 0
    rows = {(r["assignment"], r["student_id"]): r for r in csv.DictReader(grades.open(newline=""))}
    assert rows[("99-other", "ada")]["score"] == "3.0", "another assignment's rows were lost"
    waiting = rows[(SLUG, "ada")]
    assert waiting["status"] == "waiting for hand-grading: written_double; 12 of the other 12 points so far", waiting
    assert waiting["score"] == waiting["raw_score"] == ""
    nobody = rows[(SLUG, "nobody")]
    assert nobody["status"] == "no submission" and nobody["score"] == nobody["raw_score"] == "", nobody
    with Gradebook(f"sqlite:///{root / 'gradebook.db'}", "dlclinic") as gradebook:  # as the Formgrader saves it
        grade = gradebook.find_grade("written_double", SLUG, SLUG, "ada")
        grade.manual_score, grade.needs_manual_grade = 2.0, False
        gradebook.db.commit()
    assert grading_main(["--root", str(root), "export", SLUG, "--to", str(grades)]) == 0
    rows = {(r["assignment"], r["student_id"]): r for r in csv.DictReader(grades.open(newline=""))}
    assert (rows[(SLUG, "ada")]["status"], float(rows[(SLUG, "ada")]["score"])) == ("graded", 14.0)
    assert len(rows) == 4 and rows[("99-other", "ada")]["score"] == "3.0"
    capsys.readouterr()
    notes = tmp_path / "notes.csv"
    notes.write_text("my,own\nnotes,here\n")
    assert grading_main(["--root", str(root), "export", SLUG, "--to", str(notes)]) == 2
    assert "not a grades file written by export" in capsys.readouterr().err
    assert notes.read_text() == "my,own\nnotes,here\n"
