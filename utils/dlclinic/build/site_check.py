"""Read the built book the way a learner does: every page in headless Chromium, from a local server.

``python -m dlclinic.build.site_check [--html book/_build/html] [--screenshots build/screenshots]`` serves the
site, renders each page (JavaScript and MathJax included) and fails on error or stderr output cells, math
that did not render, links and images that point at missing files, a sidebar that misses a case, case pages
without their Colab / Binder / download buttons, and blank screenshots of the landing page and the first
case page (kept as build artifacts).
"""

from __future__ import annotations

import argparse
import functools
import html.parser
import os
import re
import shutil
import subprocess
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import unquote, urlsplit

from dlclinic.build.run import SLUG

CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--hide-scrollbars",
]
CHROMIUM_NAMES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
IGNORED_REQUESTS = {"/favicon.ico"}  # Chromium asks every site for one; the book has none
RENDER_BUDGET_MS = 8000  # virtual time for scripts (MathJax typesets in well under a second)
BAD_OUTPUTS = {"output traceback": "an error output cell", "output stderr": "a stderr output cell"}
LAUNCHERS = {
    "Colab": "https://colab.research.google.com/github/{repo}/blob/{branch}/{path}",
    "Binder": "https://mybinder.org/v2/gh/{repo}/{branch}?urlpath=lab/tree/{path}",
}


class SiteError(RuntimeError):
    """Chromium is missing or failed; the message says what to install or what went wrong."""


def find_chromium() -> str:
    """The Chromium executable: ``$CHROMIUM`` or the first of the usual names on ``PATH``."""
    for name in ([os.environ["CHROMIUM"]] if os.environ.get("CHROMIUM") else []) + list(CHROMIUM_NAMES):
        found = shutil.which(name)
        if found:
            return found
    raise SiteError(f"no Chromium found (tried $CHROMIUM, {', '.join(CHROMIUM_NAMES)}); apt install chromium")


class _Server(ThreadingHTTPServer):
    """A local server that remembers the paths it could not serve and keeps its logs to itself."""

    missing: list[str]

    def handle_error(self, request: object, client_address: object) -> None:
        pass  # Chromium may close a connection before a reply is written: not the site's problem


class _QuietHandler(SimpleHTTPRequestHandler):
    def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
        if code == 404:
            self.server.missing.append(urlsplit(self.path).path)
        super().send_error(code, message, explain)

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - the base class's name
        pass


@contextmanager
def serve(root: Path) -> Iterator[tuple[str, list[str]]]:
    """Serve ``root`` on a free local port during the block; yield its base URL and the list of missing paths
    requested so far (it grows while the block runs)."""
    server = _Server(("127.0.0.1", 0), functools.partial(_QuietHandler, directory=str(root)))
    server.missing = []
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/", server.missing
    finally:
        server.shutdown()
        server.server_close()


def _chromium(chromium: str, *args: str) -> subprocess.CompletedProcess:
    command = [chromium, *CHROMIUM_FLAGS, f"--virtual-time-budget={RENDER_BUDGET_MS}", *args]
    done = subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)
    if done.returncode != 0:
        raise SiteError(f"{' '.join(command)} exited with {done.returncode}:\n{done.stderr[-2000:]}")
    return done


def render(chromium: str, url: str) -> str:
    """The page's DOM after its scripts ran."""
    return _chromium(chromium, "--dump-dom", url).stdout


def screenshot(chromium: str, url: str, path: Path, size: tuple[int, int] = (1280, 1600)) -> Path:
    """Save a PNG of the page at ``url`` as a reader's window of ``size`` pixels shows it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    _chromium(chromium, f"--screenshot={path.resolve()}", f"--window-size={size[0]},{size[1]}", url)
    if not path.is_file():
        raise SiteError(f"Chromium wrote no screenshot to {path}")
    return path


def is_blank(png: Path, min_std: float = 0.02) -> bool:
    """True when the image is (nearly) one colour: its pixel values barely vary."""
    import matplotlib.image

    return float(matplotlib.image.imread(png).std()) < min_std


class _Refs(html.parser.HTMLParser):
    """The local ``href`` and ``src`` targets of a page."""

    def __init__(self) -> None:
        super().__init__()
        self.refs: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for name, value in attrs:
            if name in ("href", "src") and value and not re.match(r"^(\w+:|#|//)", value):
                self.refs.append(value)


def broken_refs(root: Path, page: Path, dom: str) -> list[str]:
    """Local links and images of ``page`` that point at no file of the site."""
    parser = _Refs()
    parser.feed(dom)
    broken = []
    for ref in parser.refs:
        target = unquote(urlsplit(ref).path)
        if not target:
            continue
        resolved = (root / target.lstrip("/")) if target.startswith("/") else (page.parent / target)
        if resolved.is_dir():
            resolved = resolved / "index.html"
        if not resolved.resolve().is_file():
            broken.append(ref)
    return sorted(set(broken))


def page_problems(root: Path, page: Path, dom: str) -> list[str]:
    """What a reader would see wrong on one rendered page."""
    name = page.relative_to(root).as_posix()
    problems = [f"{name}: {what}" for marker, what in BAD_OUTPUTS.items() if f'class="{marker}' in dom]
    static = page.read_text(encoding="utf-8")
    if 'class="math' in static:
        if "<mjx-container" not in dom:
            problems.append(f"{name}: math did not render (no MathJax output after the scripts ran)")
        if "<mjx-merror" in dom:
            problems.append(f"{name}: MathJax reported an error in a formula")
    problems += [f"{name}: broken link or image {ref}" for ref in broken_refs(root, page, dom)]
    return problems


def case_page_problems(name: str, dom: str, repo: str, branch: str = "main") -> list[str]:
    """The launch and download buttons a case page must carry, pointing at its own notebook."""
    slug = Path(name).stem
    path = f"book/cases/{slug}.ipynb"
    problems = [
        f"{name}: no {button} button for {path}"
        for button, pattern in LAUNCHERS.items()
        if pattern.format(repo=repo, branch=branch, path=path) not in dom
    ]
    if f"_sources/cases/{slug}.ipynb" not in dom:
        problems.append(f"{name}: no download link for the notebook")
    return problems


def repository(config: Path) -> tuple[str, str]:
    """``(owner/name, branch)`` of the book's repository, from ``_config.yml``."""
    text = config.read_text(encoding="utf-8")
    url = re.search(r"^\s*url:\s*https://github\.com/([^\s/]+/[^\s/]+?)/?\s*$", text, re.M)
    branch = re.search(r"^\s*branch:\s*(\S+)", text, re.M)
    if not url:
        raise SiteError(f"{config} has no repository url: https://github.com/<owner>/<name>")
    return url.group(1), branch.group(1) if branch else "main"


def check_site(root: Path, screenshots: Path, config: Path) -> list[str]:
    """Render every page of the site at ``root``; return the problems (empty when the site is sound)."""
    root = Path(root).resolve()
    chromium = find_chromium()
    pages = sorted(p for p in root.rglob("*.html") if not p.relative_to(root).parts[0].startswith("_"))
    cases = [p for p in pages if p.parent.name == "cases" and SLUG.match(p.stem)]
    if not cases:
        return [f"{root}: no case pages under cases/"]
    repo, branch = repository(config)
    problems = []
    with serve(root) as (base, missing):
        for page in pages:
            url = base + page.relative_to(root).as_posix()
            requested = len(missing)
            dom = render(chromium, url)
            problems += page_problems(root, page, dom)
            problems += [
                f"{page.relative_to(root).as_posix()}: the browser asked for a missing file {path}"
                for path in sorted(set(missing[requested:]))
                if path not in IGNORED_REQUESTS
            ]
            if page in cases:
                problems += case_page_problems(page.relative_to(root).as_posix(), dom, repo, branch)
            if page.name == "index.html" and page.parent == root:
                problems += [
                    f"index.html: the sidebar does not list {case.stem}"
                    for case in cases
                    if f"cases/{case.name}" not in dom
                ]
        for name, page in (("landing", root / "intro.html"), ("case", cases[0])):
            png = screenshot(chromium, base + page.relative_to(root).as_posix(), screenshots / f"{name}.png")
            if is_blank(png):
                problems.append(f"{png}: the screenshot of {page.name} is blank")
    return problems


def main(argv: list[str] | None = None) -> int:
    """Check the built site; print the problems; return the exit status."""
    parser = argparse.ArgumentParser(prog="python -m dlclinic.build.site_check", description=__doc__.split("\n")[0])
    parser.add_argument("--html", type=Path, default=Path("book/_build/html"), help="the built site")
    parser.add_argument("--screenshots", type=Path, default=Path("build/screenshots"), help="where PNGs go")
    parser.add_argument("--config", type=Path, default=Path("book/_config.yml"), help="the book's _config.yml")
    parser.add_argument("--optional", action="store_true", help="without Chromium, say so and exit 0")
    args = parser.parse_args(argv)
    if args.optional:
        try:
            find_chromium()
        except SiteError as error:
            print(f"site check skipped: {error}")
            return 0
    try:
        problems = check_site(args.html, args.screenshots, args.config)
    except SiteError as error:
        print(error, file=sys.stderr)
        return 1
    for problem in problems:
        print(problem, file=sys.stderr)
    print(f"site check: {len(problems)} problems; screenshots in {args.screenshots}")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
