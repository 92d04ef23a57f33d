"""Feedback reports whose formulas render offline.

nbgrader's feedback template loads MathJax 2 from a CDN (its ``mathjax()`` macro with the default URL), so a
report opened offline shows raw TeX. ``generate_feedback`` runs ``nbgrader generate_feedback`` and then, in
every report of the assignment, replaces that loader with MathJax 3's self-contained SVG bundle from the
course's npm ``mathjax`` package (``npm ci`` installs it for the book), inlined: about 2 MB per report, and no
other file to hand out with it.
"""

from __future__ import annotations

import re
from pathlib import Path

from dlclinic.grading.course import run_nbgrader

MATHJAX_BUNDLE = Path("es5", "tex-svg-full.js")
_CDN_LOADER = re.compile(
    r'<!-- Load mathjax -->\s*<script src="https://[^"]*mathjax[^"]*">\s*</script>.*?'
    r"<!-- End of mathjax configuration -->",
    re.S,
)
_CONFIG = """<script>
window.MathJax = {
  tex: {inlineMath: [["$", "$"], ["\\\\(", "\\\\)"]], displayMath: [["$$", "$$"], ["\\\\[", "\\\\]"]],
        processEscapes: true, processEnvironments: true, tags: "ams"},
  svg: {fontCache: "global"}
};
</script>"""
OFFLINE_MARK = "<!-- MathJax 3, inlined by dlclinic.grading feedback -->"


class FeedbackError(ValueError):
    """Feedback cannot be made offline (one sentence, no traceback)."""


def read_bundle(mathjax_root: Path) -> str:
    """MathJax 3's SVG bundle from the npm package at ``mathjax_root``, safe to inline in a ``<script>``."""
    path = Path(mathjax_root) / MATHJAX_BUNDLE
    if not path.is_file():
        raise FeedbackError(
            f"MathJax 3 was not found at {path}: run `npm ci --no-audit --no-fund` in the course's root "
            "(`make setup` does), or pass --mathjax with the npm mathjax package's folder"
        )
    return re.sub("</script", "<\\/script", path.read_text(encoding="utf-8"), flags=re.I)


def offline_report(html: str, bundle: str) -> str:
    """``html`` (an nbgrader feedback report) with its CDN MathJax loader replaced by ``bundle`` inlined."""
    if OFFLINE_MARK in html:
        return html
    script = f"{OFFLINE_MARK}\n{_CONFIG}\n<script>{bundle}</script>"
    offline, count = _CDN_LOADER.subn(lambda _match: script, html)
    if count != 1:
        raise FeedbackError(f"expected nbgrader's MathJax loader once in the report; found it {count} times")
    return offline


def generate_feedback(root: Path, slug: str, students: list[str] | None, mathjax_root: Path) -> list[Path]:
    """Write the HTML feedback of ``slug`` (for ``students``, default everyone graded) with offline MathJax;
    return the reports written."""
    bundle = read_bundle(mathjax_root)
    for student in students or [None]:
        run_nbgrader(["generate_feedback", slug, *([f"--student={student}"] if student else [])], root)
    reports = sorted(
        path
        for student in students or ["*"]
        for path in (Path(root) / "feedback").glob(f"{student}/{slug}/*.html")
    )
    for report in reports:
        report.write_text(offline_report(report.read_text(encoding="utf-8"), bundle), encoding="utf-8")
    return reports
