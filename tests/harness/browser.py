"""Open a page in headless Chromium as a person would, and say what it did: its DOM after the scripts ran, and
every request it sent over the network (from Chromium's net log).

``Beacon`` is a server on the loopback that records what it is asked for: a payload that runs, or a page that
loads from elsewhere, calls it. ``formgrader`` starts a Jupyter server on the loopback (the Formgrader is one
of its extensions), bounded in time, for the course at a given root.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from dlclinic.build.site_check import CHROMIUM_FLAGS, find_chromium

# Requests Chromium makes for itself (updates, accounts, spell-check dictionaries), whatever the page does.
BROWSER_OWN = re.compile(r"^https?://([a-z0-9-]+\.)*(google\.com|googleapis\.com|gvt1\.com|gstatic\.com)(:\d+)?/")
RAN = re.compile(r'data-xss-(\d+)="ran"')


@dataclass
class Visit:
    """What a page did in the browser."""

    dom: str
    requests: list[str]  # URLs sent over the network by the page (file:// and data: are not network)

    def ran(self) -> list[int]:
        """The numbers of the payloads that ran (each marks ``<html>`` with ``data-xss-<n>="ran"``)."""
        return sorted({int(n) for n in RAN.findall(self.dom)})


def visit(url: str, budget_ms: int = 6000) -> Visit:
    """Open ``url`` in headless Chromium, let its scripts run for ``budget_ms`` of virtual time."""
    with tempfile.TemporaryDirectory(prefix="chromium-") as scratch:
        log = Path(scratch) / "net.json"
        command = [
            find_chromium(),
            *CHROMIUM_FLAGS,
            f"--user-data-dir={scratch}/profile",
            f"--virtual-time-budget={budget_ms}",
            f"--log-net-log={log}",
            "--dump-dom",
            url,
        ]
        done = subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)
        if done.returncode != 0:
            raise RuntimeError(f"{' '.join(command)} exited with {done.returncode}:\n{done.stderr[-2000:]}")
        return Visit(dom=done.stdout, requests=_requests(log))


def _requests(log: Path) -> list[str]:
    """The URLs of the network requests in a Chromium net log, but Chromium's own."""
    data = json.loads(log.read_text(encoding="utf-8"))
    start = data["constants"]["logEventTypes"]["URL_REQUEST_START_JOB"]
    urls = {e["params"]["url"] for e in data["events"] if e["type"] == start and "url" in e.get("params", {})}
    return sorted(url for url in urls if not BROWSER_OWN.match(url))


class _Recorder(BaseHTTPRequestHandler):
    def _record(self) -> None:
        self.server.paths.append(self.path)
        self.send_response(404)
        self.end_headers()

    do_GET = do_POST = do_PUT = _record  # noqa: N815 - the names BaseHTTPRequestHandler calls

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - the base class's name
        pass


@contextmanager
def beacon() -> Iterator[tuple[str, list[str]]]:
    """A server on the loopback during the block; yields its base URL and the paths it was asked for."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Recorder)
    server.paths = []
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", server.paths
    finally:
        server.shutdown()
        server.server_close()


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextmanager
def formgrader(root: Path, seconds: float = 120) -> Iterator[tuple[str, str]]:
    """A Jupyter server for the course at ``root``, on the loopback only, started from the course's root as the
    instructor page says; yields its base URL and token. It is stopped after the block or after ``seconds``."""
    port, token = _free_port(), secrets.token_hex(16)
    with tempfile.TemporaryDirectory(prefix="jupyter-") as home:
        env = dict(os.environ, HOME=home, JUPYTER_CONFIG_DIR=f"{home}/config", JUPYTER_RUNTIME_DIR=f"{home}/run")
        command = [
            sys.executable,
            "-m",
            "jupyter_server",
            "--ServerApp.ip=127.0.0.1",
            f"--ServerApp.port={port}",
            "--ServerApp.port_retries=0",
            f"--IdentityProvider.token={token}",
            "--ServerApp.open_browser=False",
            *(["--allow-root"] if os.geteuid() == 0 else []),
        ]
        server = subprocess.Popen(command, cwd=root, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        timer = threading.Timer(seconds, server.kill)
        timer.start()
        try:
            base = f"http://127.0.0.1:{port}"
            _wait_until_up(f"{base}/api/status?token={token}", server, seconds)
            yield base, token
        finally:
            timer.cancel()
            server.terminate()
            try:
                server.wait(timeout=10)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait()


def _wait_until_up(url: str, server: subprocess.Popen, seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"the Jupyter server exited with {server.returncode}: {server.stderr.read()[-2000:]}")
        try:
            with urllib.request.urlopen(url, timeout=2):
                return
        except OSError:
            time.sleep(0.3)
    raise RuntimeError(f"the Jupyter server did not answer {url} within {seconds:g} s")


# The requests the Formgrader's page makes by itself, whatever the submission holds: the page, the login its
# token goes through, its own scripts and styles, its grade and comment API, and MathJax 2 from a CDN (nbgrader's
# template; it fails offline).
FORMGRADER_OWN = (
    r"^{base}/(favicon\.ico|login.*|formgrader/static/.*|formgrader/api/(grades|comments)(\?.*)?"
    r"|formgrader/submissions/[0-9a-f]+/(\?.*)?)$|^https://cdnjs\.cloudflare\.com/ajax/libs/mathjax/"
)


def strange_requests(requests: list[str], base: str = "") -> list[str]:
    """The requests a page made that are not its own: every one for a file:// page, for the Formgrader at
    ``base`` those not in ``FORMGRADER_OWN``."""
    own = re.compile(FORMGRADER_OWN.replace("{base}", re.escape(base))) if base else None
    return [url for url in requests if own is None or not own.match(url)]
