"""Feedback reports that are safe to open, render their formulas offline and say what each test grades.

``generate_feedback`` cleans the autograded notebooks (``dlclinic.grading.harmless``: student HTML made
harmless), runs ``nbgrader generate_feedback`` (which cleans again as it renders, through
``c.HTMLExporter.preprocessors`` in ``nbgrader_config.py``) and then rewrites every report of the assignment:

- nbgrader's template loads MathJax 2 from a CDN; the report gets MathJax 3's self-contained SVG bundle from the
  course's npm ``mathjax`` package (``make setup`` installs it), inlined: about 2 MB per report and no other
  file to hand out. Without it the report is still written, its formulas shown as TeX, and the command says so.
- a content-security policy that lets only those two scripts of the course's own run (by their SHA-256 hashes):
  no other script, event handler or ``javascript:`` link, no request of any kind (images only from ``data:``),
  no frame, form or plugin. A student's HTML that the cleaning missed still cannot act or call out.
- the summary's links, which nbgrader names "Test cell" (and "Comment") all alike, are named by the section and
  the answer each cell grades ("2. The KL weight: hidden tests of kl_weight", "Comment on kl_weight").
"""

from __future__ import annotations

import base64
import hashlib
import html
import re
from pathlib import Path

from nbformat import NotebookNode

from dlclinic.grading.course import SOURCE_DIR, run_nbgrader
from dlclinic.grading.harmless import clean_autograded
from dlclinic.grading.notebooks import grade_id, nbgrader_meta, read_notebook

MATHJAX_BUNDLE = Path("es5", "tex-svg-full.js")
_CDN_LOADER = re.compile(
    r'<!-- Load mathjax -->\s*<script src="https://[^"]*mathjax[^"]*">\s*</script>.*?'
    r"<!-- End of mathjax configuration -->",
    re.S,
)
_CONFIG = """
window.MathJax = {
  tex: {inlineMath: [["$", "$"], ["\\\\(", "\\\\)"]], displayMath: [["$$", "$$"], ["\\\\[", "\\\\]"]],
        processEscapes: true, processEnvironments: true, tags: "ams"},
  svg: {fontCache: "global"}
};
"""
OFFLINE_MARK = "<!-- MathJax 3, inlined by dlclinic.grading feedback -->"
NO_MATHJAX_MARK = "<!-- MathJax 3 was not found when dlclinic.grading feedback ran: formulas are shown as TeX -->"
# Everything a report needs is inside it; only the course's own scripts run (their hashes fill {scripts}).
POLICY = (
    "default-src 'none'; script-src {scripts}; style-src 'unsafe-inline'; img-src data:; font-src data:; "
    "base-uri 'none'; form-action 'none'; frame-src 'none'; object-src 'none'"
)
_TOC_LINK = re.compile(r'<a href="#([A-Za-z0-9_.-]+)">(Test cell|Coding free-response|Written response|Task)</a>')
_COMMENT_LINK = re.compile(r'<a href="#comment-([A-Za-z0-9_.-]+)">Comment</a>')


class FeedbackError(ValueError):
    """A report cannot be rewritten (one sentence, no traceback)."""


def mathjax_missing(mathjax_root: Path) -> str:
    """Why MathJax 3 cannot be inlined from ``mathjax_root`` (the npm package's folder), or ''."""
    path = Path(mathjax_root) / MATHJAX_BUNDLE
    if path.is_file():
        return ""
    return (
        f"MathJax 3 was not found at {path}: the reports show formulas as TeX. `make setup` installs it "
        "(npm ci; or pass --mathjax with the npm mathjax package's folder); then run feedback again"
    )


def read_bundle(mathjax_root: Path) -> str | None:
    """MathJax 3's SVG bundle from the npm package at ``mathjax_root``, safe to inline in a ``<script>``;
    ``None`` when it is not there."""
    path = Path(mathjax_root) / MATHJAX_BUNDLE
    if not path.is_file():
        return None
    return re.sub("</script", "<\\/script", path.read_text(encoding="utf-8"), flags=re.I)


def script_hash(text: str) -> str:
    """The CSP source that allows an inline ``<script>`` whose text is exactly ``text``."""
    return "'sha256-" + base64.b64encode(hashlib.sha256(text.encode("utf-8")).digest()).decode("ascii") + "'"


def policy(scripts: list[str]) -> str:
    """The report's content-security policy, allowing the inline scripts ``scripts`` and nothing else."""
    return POLICY.format(scripts=" ".join(script_hash(s) for s in scripts) or "'none'")


def offline_report(report: str, bundle: str | None, labels: dict[str, str] | None = None) -> str:
    """``report`` (an nbgrader feedback page) with MathJax 3 ``bundle`` inlined in place of the CDN loader (or
    no MathJax when ``bundle`` is ``None``), the content-security policy, and the summary's links named by
    ``labels`` (grade id: name). A report rewritten before is returned unchanged."""
    if OFFLINE_MARK in report or NO_MATHJAX_MARK in report:
        return report
    scripts = [_CONFIG, bundle] if bundle is not None else []
    mathjax = f"{OFFLINE_MARK}\n" + "".join(f"<script>{s}</script>" for s in scripts) if scripts else NO_MATHJAX_MARK
    rewritten, count = _CDN_LOADER.subn(lambda _match: mathjax, report)
    if count != 1:
        raise FeedbackError(f"expected nbgrader's MathJax loader once in the report; found it {count} times")
    meta = f'<meta http-equiv="Content-Security-Policy" content="{html.escape(policy(scripts))}">'
    rewritten, count = re.subn(r"<head>", lambda _match: f"<head>\n{meta}", rewritten, count=1)
    if count != 1:
        raise FeedbackError("expected a <head> in the report for its content-security policy")
    names = labels or {}
    rewritten = _TOC_LINK.sub(
        lambda m: f'<a href="#{m.group(1)}">{html.escape(names[m.group(1)])}</a>' if m.group(1) in names else m[0],
        rewritten,
    )
    return _COMMENT_LINK.sub(lambda m: f'<a href="#comment-{m.group(1)}">Comment on {m.group(1)}</a>', rewritten)


def grade_labels(source: NotebookNode) -> dict[str, str]:
    """A name for every graded cell of the source notebook ``source``: its section (the last markdown heading
    before it) and what it grades, e.g. ``"1. The floor: hidden tests of std_floor"``."""
    labels: dict[str, str] = {}
    section, answer = "", ""
    for cell in source.cells:
        text = cell.source if isinstance(cell.source, str) else ""
        meta, gid = nbgrader_meta(cell), grade_id(cell)
        if cell.cell_type == "markdown" and not meta:
            headings = re.findall(r"^#{1,6}\s+(.+?)\s*#*\s*$", text, flags=re.M)
            section = headings[-1] if headings else section
            continue
        if not gid:
            continue
        if meta.get("solution") and not meta.get("grade"):
            answer = gid
            continue
        where = f"{section}: " if section else ""
        if meta.get("task"):
            labels[gid] = f"{where}task {gid}"
        elif meta.get("solution"):
            labels[gid] = f"{where}{'written answer' if cell.cell_type == 'markdown' else 'answer'} {gid}"
        elif meta.get("grade"):
            labels[gid] = f"{where}{_tests_of(text, answer)}" if answer else f"{where}tests {gid}"
    return labels


def _tests_of(source: str, answer: str) -> str:
    """ "tests of X", "hidden tests of X" or "tests of X (some hidden)", from a test cell's source."""
    visible = re.sub(r"### BEGIN HIDDEN TESTS.*?(### END HIDDEN TESTS|\Z)", "", source, flags=re.S)
    if len(visible) == len(source):
        return f"tests of {answer}"
    shown = [line for line in visible.splitlines() if line.strip() and not line.strip().startswith("#")]
    return f"tests of {answer} (some hidden)" if shown else f"hidden tests of {answer}"


def generate_feedback(root: Path, slug: str, students: list[str] | None, mathjax_root: Path) -> list[Path]:
    """Write the HTML feedback of ``slug`` (for ``students``, default everyone graded): student HTML cleaned,
    MathJax inlined when ``mathjax_root`` holds it, the content-security policy, named links; return the
    reports written."""
    bundle = read_bundle(mathjax_root)
    clean_autograded(root, slug, students)
    for student in students or [None]:
        # --force: a report made before hand-grading is made again with the manual scores
        run_nbgrader(["generate_feedback", slug, "--force", *([f"--student={student}"] if student else [])], root)
    reports = sorted(
        path for student in students or ["*"] for path in (Path(root) / "feedback").glob(f"{student}/{slug}/*.html")
    )
    source = Path(root) / SOURCE_DIR / slug / f"{slug}.ipynb"
    labels = grade_labels(read_notebook(source)) if source.is_file() else {}
    for report in reports:
        report.write_text(offline_report(report.read_text(encoding="utf-8"), bundle, labels), encoding="utf-8")
    return reports
