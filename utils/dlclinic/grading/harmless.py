"""Student HTML made harmless before a person opens it: in the Formgrader, in the feedback, in JupyterLab.

A submission is HTML waiting to be rendered in the instructor's logged-in browser: markdown answers pass raw
HTML through (nbconvert renders them with ``escape=False``), outputs carry ``text/html``, SVG, JavaScript and
markdown, and a few notebook fields are pasted into the page unescaped (the execution count, a stream's name,
an image's size). ``clean_notebook`` rewrites a notebook so that what any of those viewers renders from it holds
no script, no event handler, no ``javascript:`` link, no style, frame or form, and nothing that loads from
elsewhere (``data:`` images only); MathJax's TeX commands that make links, styles or ids are refused too.

The test is strict rather than clever: a markdown cell is rendered as nbconvert renders it, and kept as written
only when every tag of the result is on a short allowlist, written in the one plain form both a browser and this
module read the same way (``<tag name="value">``), with safe attribute values. Anything else is shown as text:
a markdown answer becomes a code block of its source under a note, an HTML output keeps its allowed tags and
loses the rest, a script output becomes the text of the script. Honest answers (prose, lists, tables, code,
formulas, a few tags such as ``<br>``, ``<sup>``, ``<details>``) render as before.

``CleanStudentHtml`` is the nbconvert preprocessor that runs this on every notebook the Formgrader shows and
every feedback report (``c.HTMLExporter.preprocessors`` in ``nbgrader_config.py``); ``clean_autograded`` runs
it on an assignment's autograded notebooks on disk (``autograde`` and ``feedback`` call it), for whoever opens
them in JupyterLab.
"""

from __future__ import annotations

import base64
import binascii
import html
import re
from html.parser import HTMLParser
from pathlib import Path

import nbformat
from nbconvert.preprocessors import Preprocessor
from nbformat import NotebookNode

NOTE = "dlclinic grading"
MARKDOWN_NOTE = (
    f"**[{NOTE}: this answer held HTML or TeX that could act in a browser ({{why}}); its source is shown as text "
    "below, unchanged in the submitted notebook.]**"
)
OUTPUT_NOTE = f"[{NOTE}: an output that could act in a browser was removed ({{why}}); its text follows.]\n"

# Tags kept, and the attributes each may carry (``*``: every kept tag). No tag whose content a browser reads
# differently (script, style, textarea, title, svg, math ...), nothing that loads, frames or submits.
_PLAIN = (
    "a abbr b blockquote br caption code col colgroup dd del details div dl dt em figcaption figure h1 h2 h3 h4 h5 "
    "h6 hr i img ins kbd li mark ol p pre q s samp small span strike strong sub summary sup table tbody td tfoot th "
    "thead tr tt u ul var"
)
TAGS = frozenset(_PLAIN.split())
ATTRIBUTES = {
    "*": {"class", "title", "align", "lang", "dir"},
    "a": {"href"},
    "img": {"src", "alt", "width", "height"},
    "td": {"colspan", "rowspan", "style"},
    "th": {"colspan", "rowspan", "style"},
    "ol": {"start", "type"},
    "li": {"value"},
    "details": {"open"},
    "table": {"border"},
    **{f"h{level}": {"id"} for level in range(1, 7)},  # nbconvert's heading anchors
}
_BOOLEAN = {"open"}
_SAFE_SCHEMES = {"http", "https", "mailto"}
_DATA_IMAGE = re.compile(r"^data:image/(png|jpeg|gif|webp);base64,[A-Za-z0-9+/=\s]*$")
_NUMBER = re.compile(r"^\d{1,5}(\.\d{1,3})?%?$")
_TEXT_ALIGN = re.compile(r"^text-align:\s*(left|right|center);?$")
# Classes some renderer acts on: MathJax's "process this" switches, mermaid's diagrams.
_ACTIVE_CLASS = re.compile(r"process|mermaid", re.I)
_ID = re.compile(r"^[^\s\"<>]{1,200}$")
# The one form of a tag accepted: lower-case name, attributes with double-quoted values holding no < > ".
_STRICT_TAG = re.compile(r'<(/?)([a-z][a-z0-9]*)((?:[ \t\n\f\r]+[a-z][a-z0-9-]*(?:="[^"<>]*")?)*)[ \t\n\f\r]*(/?)>')
_STRICT_ATTR = re.compile(r'[ \t\n\f\r]+([a-z][a-z0-9-]*)(?:="([^"<>]*)")?')  # HTML's blanks only, as a browser reads
# MathJax (2 in the Formgrader, 3 in the feedback) TeX commands that make links, styles, ids, classes or load
# code; a formula that uses one is shown as text.
_TEX_COMMANDS = re.compile(
    r"\\(href|url|class|cssId|style|data|unicode|require|bbox|mmlToken|mathtip|texttip|toggle|html|fragment"
    r"|color|textcolor|colorbox|fcolorbox|definecolor|pagecolor|newcommand|renewcommand|def|let|newenvironment"
    r"|renewenvironment)(?![A-Za-z])"
)
_VOID = {"br", "hr", "img", "col"}
# Dropped with their content when cleaning an HTML output (the rest of an unknown tag's content is kept as text).
_DROP_CONTENT = {
    "script",
    "style",
    "template",
    "textarea",
    "title",
    "iframe",
    "object",
    "embed",
    "noscript",
    "noembed",
    "noframes",
    "xmp",
    "plaintext",
    "svg",
    "math",
    "select",
    "option",
    "head",
    "frameset",
}
SHOWN_CHARACTERS = 20_000  # of a removed output, shown as text
OUTPUT_MIMES = (
    "text/plain",
    "text/html",
    "text/markdown",
    "text/latex",
    "image/png",
    "image/jpeg",
    "image/gif",
    "image/svg+xml",
)
_IMAGE_MIMES = ("image/png", "image/jpeg", "image/gif")
# An SVG output (nbconvert shows it as an image, which runs nothing; JupyterLab shows none from a notebook it
# does not trust) is kept only without what could act or load if another viewer inlined it.
_SVG_DANGER = re.compile(
    r"<\s*(script|foreignobject|iframe|object|embed|a|image|animate\w*|set|handler|listener)\b|\bon\w+\s*="
    r"|javascript:|@import|<!entity|(?:xlink:)?href\s*=\s*[\"']?(?!#)|url\(\s*[\"']?(?!#)",
    re.I,
)
_GRADE_ID = re.compile(r"^[A-Za-z0-9_.-]{1,200}$")
_STREAMS = {"stdout", "stderr"}


def html_problems(markup: str) -> list[str]:
    """Why ``markup`` (HTML as it will reach a browser) could act there; empty when it is harmless."""
    problems: list[str] = []
    position = 0
    for match in re.finditer("<", markup):
        start = match.start()
        if start < position:
            continue
        problems += _tex_problems(markup[position:start])  # also in code: a browser may not nest it as written
        tag = _STRICT_TAG.match(markup, start)
        if tag is None:
            problems.append(f"markup that is no plain tag: {markup[start : start + 30]!r}")
            position = start + 1
            continue
        closing, name, attributes = tag.group(1) == "/", tag.group(2), tag.group(3)
        problems += _tag_problems(name, attributes, closing)
        position = tag.end()
    problems += _tex_problems(markup[position:])
    return problems


def _tag_problems(name: str, attributes: str, closing: bool) -> list[str]:
    if name not in TAGS:
        return [f"tag {name}"]
    if closing and attributes.strip():
        return [f"closing tag {name} with attributes"]
    problems = []
    for attribute, value in _STRICT_ATTR.findall(attributes):
        problem = _attribute_problem(name, attribute, html.unescape(value) if value else None)
        if problem:
            problems.append(f"{attribute} of {name}: {problem}")
    return problems


def _attribute_problem(tag: str, name: str, value: str | None) -> str:
    """Why the attribute is refused, or ''."""
    if name not in ATTRIBUTES["*"] | ATTRIBUTES.get(tag, set()):
        return "attribute not allowed"
    if value is None:
        return "" if name in _BOOLEAN else "attribute without a value"
    if name == "href":
        return "" if _safe_link(value) else "link that is not http(s), mailto or relative"
    if name == "src":
        return "" if _DATA_IMAGE.match(value) else "image that is not an embedded png, jpeg, gif or webp"
    if name in ("width", "height", "colspan", "rowspan", "start", "value", "border"):
        return "" if _NUMBER.match(value) else "not a number"
    if name == "style":
        return "" if _TEXT_ALIGN.match(value.strip()) else "style other than text-align"
    if name == "class":
        return "" if not _ACTIVE_CLASS.search(value) else "class a renderer acts on"
    if name == "id":
        return "" if _ID.match(value) else "odd id"
    return ""


def _safe_link(url: str) -> bool:
    """True for http(s), mailto, fragment and relative links, read as a browser reads them."""
    squeezed = re.sub(r"[\x00-\x20\x7f]", "", url).lower()  # browsers drop controls and blanks in schemes
    scheme = re.match(r"^([a-z][a-z0-9+.-]*):", squeezed)
    return scheme is None or scheme.group(1) in _SAFE_SCHEMES


def _tex_problems(text: str) -> list[str]:
    found = sorted(set(_TEX_COMMANDS.findall(html.unescape(text))))
    return [f"TeX command {command}" for command in found]


class _Cleaner(HTMLParser):
    """Re-writes HTML with only the allowed tags and attributes, in the strict form; the rest becomes text."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.dropping: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if self.dropping or tag in _DROP_CONTENT:
            if tag in _DROP_CONTENT and tag not in _VOID:
                self.dropping.append(tag)
            return
        if tag not in TAGS or (tag == "img" and not any(n == "src" and _DATA_IMAGE.match(v or "") for n, v in attrs)):
            return  # an image that would load from elsewhere (or nowhere) is left out
        kept = "".join(
            f' {name}="{html.escape(value or "", quote=True)}"'
            if value is not None or name not in _BOOLEAN
            else f" {name}"
            for name, value in attrs
            if not _attribute_problem(tag, name, value)
        )
        self.parts.append(f"<{tag}{kept}>")

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)
        if tag in self.dropping[-1:]:
            self.dropping.pop()

    def handle_endtag(self, tag: str) -> None:
        if self.dropping:
            if tag == self.dropping[-1]:
                self.dropping.pop()
            return
        if tag in TAGS and tag not in _VOID:
            self.parts.append(f"</{tag}>")

    def handle_data(self, data: str) -> None:
        if not self.dropping:
            self.parts.append(html.escape(data, quote=False))


def clean_html(markup: str) -> str:
    """``markup`` with only the allowed tags and attributes, every other tag dropped (scripts, styles, frames
    and the like with their content) and the text escaped."""
    cleaner = _Cleaner()
    cleaner.feed(markup)
    cleaner.close()
    return "".join(cleaner.parts)


def render_markdown(source: str, attachments: dict | None = None) -> str:
    """``source`` rendered as nbconvert renders a markdown cell for the Formgrader and the feedback."""
    from nbconvert.filters.markdown_mistune import IPythonRenderer, MarkdownWithMath

    renderer = IPythonRenderer(escape=False, attachments=attachments or {}, anchor_link_text="¶")
    return str(MarkdownWithMath(renderer=renderer).render(source))


def markdown_problems(source: str, attachments: dict | None = None, reserved: frozenset = frozenset()) -> list[str]:
    """Why the markdown ``source`` could act in a browser once rendered; empty when harmless. A heading whose
    anchor is one of the ``reserved`` ids (those the grading page's own script looks up) is refused too."""
    try:
        rendered = render_markdown(source, attachments)
    except Exception as error:  # noqa: BLE001 - a missing attachment and the like: the page would not render
        return [f"markdown that does not render ({type(error).__name__})"]
    taken = {html.unescape(name) for name in re.findall(r' id="([^"]*)"', rendered)} & reserved
    return html_problems(rendered) + [f"a heading named like the grading page's {name!r}" for name in sorted(taken)]


def reserved_ids(notebook: NotebookNode) -> frozenset:
    """The element ids the Formgrader's and the feedback's pages use for the notebook's graded cells and
    themselves: a student's heading with one of them would take the place of a score field or a link."""
    page = {"notebook", "notebook-container", "statusmessage", "toc", "top"}
    for cell in notebook.get("cells", []):
        meta = cell.get("metadata", {}).get("nbgrader")
        gid = str(meta.get("grade_id", "")) if isinstance(meta, dict) else ""
        if gid:
            page |= {gid, f"{gid}-comment", f"{gid}_extra_credit", f"comment-{gid}"}
    return frozenset(page)


def as_text_markdown(source: str, why: str) -> str:
    """Markdown that shows ``source`` in a code block under a note saying ``why``: verbatim, but for the
    backslash of a refused TeX command, shown as U+29F5 (the check reads code too)."""
    why = re.sub(r"[^\w .,;:'()=/-]+", " ", why).strip()  # nothing the note's own markdown could act on
    source = _TEX_COMMANDS.sub(lambda match: "\u29f5" + match.group(1), source)
    fence = "~" * max(3, 1 + max((len(run) for run in re.findall("~+", source)), default=0))
    return f"{MARKDOWN_NOTE.format(why=why)}\n\n{fence}text\n{source}\n{fence}\n"


def _summary(problems: list[str]) -> str:
    shown = sorted(set(problems))
    return "; ".join(shown[:3]) + (f"; {len(shown) - 3} more" if len(shown) > 3 else "")


def clean_notebook(notebook: NotebookNode) -> list[str]:
    """Make every cell and output of ``notebook`` harmless to render, in place; return what changed."""
    changes = []
    if "widgets" in notebook.get("metadata", {}):
        del notebook.metadata["widgets"]  # its presence makes nbconvert load widget code from a CDN
        changes.append("notebook: widget state removed")
    reserved = reserved_ids(notebook)
    for index, cell in enumerate(notebook.get("cells", [])):
        changes += [f"cell {index}: {change}" for change in _clean_cell(cell, reserved)]
    return changes


def _clean_cell(cell: NotebookNode, reserved: frozenset) -> list[str]:
    changes = []
    source = cell.get("source", "")
    if not isinstance(source, str):
        cell["source"] = source = "".join(source) if isinstance(source, list) else str(source)
    meta = cell.setdefault("metadata", NotebookNode())
    nbgrader = meta.get("nbgrader")
    if nbgrader is not None and not (isinstance(nbgrader, dict) and _GRADE_ID.match(str(nbgrader.get("grade_id", "")))):
        del meta["nbgrader"]
        changes.append("nbgrader metadata with an odd grade_id removed")
    cell_type = cell.get("cell_type")
    if cell_type not in ("markdown", "code"):
        cell["cell_type"] = "markdown"
        cell["source"] = as_text_markdown(source, f"a {cell_type} cell")
        for key in ("outputs", "execution_count"):
            cell.pop(key, None)
        return changes + [f"{cell_type} cell shown as text"]
    if cell_type == "markdown":
        attachments = cell.get("attachments") or {}
        if not isinstance(attachments, dict) or any(not _harmless_attachment(a) for a in attachments.values()):
            cell.pop("attachments", None)
            attachments = {}
            changes.append("attachments that are no images removed")
        problems = markdown_problems(source, attachments, reserved)
        if problems:
            cell["source"] = as_text_markdown(source, _summary(problems))
            cell.pop("attachments", None)
            changes.append(f"markdown shown as text ({_summary(problems)})")
        return changes
    if not isinstance(cell.get("execution_count"), (int, type(None))) or isinstance(cell.get("execution_count"), bool):
        cell["execution_count"] = None
        changes.append("odd execution count removed")
    outputs = cell.get("outputs") or []
    cell["outputs"] = outputs if isinstance(outputs, list) else []
    for number, output in enumerate(cell["outputs"]):
        changes += [f"output {number}: {change}" for change in _clean_output(output)]
    return changes


def _harmless_attachment(bundle: object) -> bool:
    return isinstance(bundle, dict) and all(m in _IMAGE_MIMES and _is_base64(d) for m, d in bundle.items())


def _is_base64(data: object) -> bool:
    if not isinstance(data, str) or not re.fullmatch(r"[A-Za-z0-9+/=\s]*", data):
        return False
    try:
        base64.b64decode(re.sub(r"\s", "", data), validate=True)
    except (binascii.Error, ValueError):
        return False
    return True


def _clean_output(output: NotebookNode) -> list[str]:
    kind = output.get("output_type")
    if kind == "stream":
        changes = [] if output.get("name") in _STREAMS else ["odd stream name replaced"]
        output["name"] = output.get("name") if not changes else "stdout"
        output["text"] = _as_text(output.get("text", ""))
        return changes
    if kind == "error":
        traceback = output.get("traceback")
        if not (isinstance(traceback, list) and all(isinstance(line, str) for line in traceback)):
            output["traceback"] = [_as_text(traceback)]
            return ["odd traceback made text"]
        return []
    if kind not in ("display_data", "execute_result"):
        output.clear()
        output.update({"output_type": "stream", "name": "stdout", "text": f"[{NOTE}: an odd output removed]\n"})
        return [f"output of type {kind!r} removed"]
    changes = []
    if kind == "execute_result" and not _is_count(output.get("execution_count")):
        output["execution_count"] = None
        changes.append("odd execution count removed")
    data = output.get("data") if isinstance(output.get("data"), dict) else {}
    removed: dict[str, str] = {}  # mime: why
    kept = NotebookNode()
    for mime, value in data.items():
        text = "".join(value) if isinstance(value, list) else value
        why = _output_problem(mime, text)
        if why:
            removed[mime] = why
            if mime == "text/html" and "could act" in why:
                cleaned = clean_html(text)
                if not html_problems(cleaned):
                    kept[mime] = cleaned
                    changes.append(f"text/html cleaned ({why.split(': ', 1)[-1]})")
                    del removed[mime]
        else:
            kept[mime] = text
    if removed:
        shown = "\n".join(f"--- {mime} ---\n{_as_text(data[mime], SHOWN_CHARACTERS)}" for mime in removed)
        note = OUTPUT_NOTE.format(why="; ".join(sorted({f"{m}: {w}" for m, w in removed.items()})))
        kept["text/plain"] = (
            note + shown + ("\n--- text/plain ---\n" + kept["text/plain"] if "text/plain" in kept else "")
        )
        changes.append("removed " + ", ".join(sorted(removed)))
    output["data"] = kept
    changes += _clean_output_metadata(output)
    return changes


def _clean_output_metadata(output: NotebookNode) -> list[str]:
    """Drop what the templates paste into a page from an output's metadata: image sizes that are no numbers
    (unquoted in the ``<img>`` tag), local file names (requests), HTML marked "isolated" (an iframe)."""
    meta = output.get("metadata")
    if not isinstance(meta, dict):
        output["metadata"] = NotebookNode()
        return ["odd output metadata removed"] if meta is not None else []
    removed = []
    for scope in [meta, *(value for value in meta.values() if isinstance(value, dict))]:
        for key in ("width", "height"):
            if key in scope and not _is_count(scope[key]):
                removed.append(f"{key} {str(scope.pop(key))[:40]!r}")
        for key in ("filenames", "isolated"):
            if key in scope:
                removed.append(key)
                del scope[key]
    return [f"output metadata removed: {', '.join(removed)}"] if removed else []


def _as_text(value: object, limit: int = 0) -> str:
    text = "".join(map(str, value)) if isinstance(value, list) else value if isinstance(value, str) else repr(value)
    if limit and len(text) > limit:
        return f"{text[:limit]}\n[... {len(text) - limit} more characters]"
    return text


def _is_count(value: object) -> bool:
    return value is None or (isinstance(value, int) and not isinstance(value, bool) and value >= 0)


def _output_problem(mime: str, text: object) -> str:
    """Why an output's ``mime`` part is not rendered as it stands, or ''."""
    if mime not in OUTPUT_MIMES:
        return "a kind of output that is not shown"
    if not isinstance(text, str):
        return "not text"
    if mime in _IMAGE_MIMES:
        return "" if _is_base64(text) else "image data that is not base64"
    if mime == "text/html":
        problems = html_problems(text)
        return f"could act: {_summary(problems)}" if problems else ""
    if mime == "text/markdown":
        problems = markdown_problems(text)
        return _summary(problems)
    if mime == "text/latex":
        return _summary(_tex_problems(text))
    if mime == "image/svg+xml":
        danger = _SVG_DANGER.search(text)
        return f"SVG with {danger.group(0)!r}" if danger else ""
    return ""


class CleanStudentHtml(Preprocessor):
    """nbconvert preprocessor: ``clean_notebook`` on every notebook converted (the Formgrader's view of a
    submission, each feedback report); named in ``nbgrader_config.py`` as ``c.HTMLExporter.preprocessors``."""

    def preprocess(self, nb: NotebookNode, resources: dict) -> tuple[NotebookNode, dict]:
        clean_notebook(nb)
        return nb, resources


def clean_file(path: Path) -> list[str]:
    """Clean the notebook at ``path`` in place (rewritten only when something changed); return what changed."""
    notebook = nbformat.read(path, as_version=4)
    changes = clean_notebook(notebook)
    if changes:
        nbformat.write(notebook, path)
    return changes


def autograded_notebooks(root: Path, slug: str, students: list[str] | None) -> list[Path]:
    """The autograded notebooks of ``slug`` (of ``students``; ``None``: everyone's)."""
    chosen = ["*"] if students is None else students
    return sorted(path for student in chosen for path in (Path(root) / "autograded").glob(f"{student}/{slug}/*.ipynb"))


def clean_autograded(root: Path, slug: str, students: list[str] | None = None) -> dict[Path, list[str]]:
    """Make the student HTML of every autograded notebook of ``slug`` harmless, on disk; return what changed."""
    changed = {}
    for path in autograded_notebooks(root, slug, students):
        try:
            changes = clean_file(path)
        except Exception as error:  # noqa: BLE001 - one unreadable notebook must not stop the class
            changes = [f"could not be cleaned ({type(error).__name__}); nbgrader cleans it again as it renders"]
        if changes:
            changed[path] = changes
    return changed
