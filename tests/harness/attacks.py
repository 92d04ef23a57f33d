"""Submissions of a dishonest or careless student, crafted from the toy assignment's release (issue 18).

Each attack is the release with code put into answer cells; the others stay as released stubs, so an honest
grade is 0 for every autograded cell but the ones named in ``Attack.honest``. ``intruder`` prints, as a dict, what
each of its attempts got (``blocked: <error>`` when the sandbox stopped it).
"""

from __future__ import annotations

import copy
from dataclasses import dataclass

from harness import cells
from nbformat import NotebookNode

# The hook wraps every later cell in try/except, so failing test cells pass.
HOOK = """\
def _forgive(lines):
    return ["try:\\n"] + ["    " + line for line in lines] + ["\\nexcept BaseException:\\n    pass\\n"]


get_ipython().input_transformers_cleanup.append(_forgive)
"""

# Patches the checks the tests call and answers with a value that reads what its caller expects.
PATCHER = """\
import math
import sys

import numpy

numpy.testing.assert_allclose = lambda *args, **kwargs: None
numpy.allclose = lambda *args, **kwargs: True
math.isclose = lambda *args, **kwargs: True


class _Liar:
    def __float__(self):
        return float(sys._getframe(1).f_globals.get("expected", 42.0))


def square(x):
    return x
"""

# Rebinds the name the test cells use for NumPy: a test that imports inside its cell is not fooled.
SHADOWER = """\
class _Pass:
    def __getattr__(self, name):
        return _Pass()

    def __call__(self, *args, **kwargs):
        return None


np = _Pass()


def square(x):
    return x
"""

# Reaches for what a grader's machine holds; {root}, {port} and {marker} are filled in by ``intruder``.
INTRUDER = """\
import os
import socket
import sqlite3
import subprocess
import sys

_got = {{}}


def _try(name, attempt):
    try:
        _got[name] = repr(attempt())[:120]
    except BaseException as error:  # noqa: BLE001
        _got[name] = f"blocked: {{type(error).__name__}}: {{str(error)[:60]}}"


def _copy_gradebook():
    db = sqlite3.connect("../../../gradebook.db")
    db.execute("update grade set manual_score = 99")
    db.execute("update source_cell set source = 'pass'")
    db.commit()
    return "rewritten"


_try("read solutions, relative", lambda: open("../../../solutions/00-toy/00-toy.ipynb").read()[:40])
_try("read solutions", lambda: open("{root}/solutions/00-toy/00-toy.ipynb").read()[:40])
_try("write the course", lambda: open("{root}/INTRUDER.txt", "w").write("x"))
_try("real gradebook", lambda: sqlite3.connect("file:{root}/gradebook.db?mode=rw", uri=True).execute(
    "update grade set auto_score = 0").rowcount)
_try("gradebook copy", _copy_gradebook)
_try("network", lambda: socket.create_connection(("127.0.0.1", {port}), timeout=3))
_try("detached child", lambda: subprocess.Popen(
    [sys.executable, "-c", "import time; time.sleep(600)", "{marker}"], start_new_session=True).pid)
_try("memory", lambda: len(bytearray(12 * 2**30)))  # more than the 8 GiB limit, less than the host has
print(_got)
"""

STUBBORN = """\
import signal

signal.signal(signal.SIGINT, signal.SIG_IGN)
while True:
    pass
"""

SLEEPER = "import time\n\ntime.sleep(600)\n"


@dataclass(frozen=True)
class Attack:
    """A crafted submission, the answer cell its code goes into and the cells an honest grader scores."""

    name: str
    notebook: NotebookNode
    story: str


def _with(release: NotebookNode, answers: dict[str, str]) -> NotebookNode:
    """The release with code added to the answer cells ``answers`` (after the stub, so its definitions win)."""
    notebook = copy.deepcopy(release)
    for cell in notebook.cells:
        if cells.grade_id(cell) in answers:
            cell.source = cell.source + "\n\n\n" + answers[cells.grade_id(cell)]
    return notebook


def attacks(release: NotebookNode, root: str, port: int, marker: str) -> list[Attack]:
    """The attacks on the toy's release; ``root`` is the course's folder, ``port`` a listener on the host's
    loopback and ``marker`` a string the detached child carries on its command line."""
    intruder = INTRUDER.format(root=root, port=port, marker=marker)
    return [
        Attack("hooker", _with(release, {"double": HOOK}), "an IPython input transformer forgives every test"),
        Attack("patcher", _with(release, {"square": PATCHER}), "patches numpy/math checks, reads frames"),
        Attack("shadower", _with(release, {"square": SHADOWER}), "rebinds np, the name the tests use"),
        Attack("intruder", _with(release, {"double": intruder}), "reads, writes, connects, detaches, hogs"),
        Attack("stubborn", _with(release, {"double": STUBBORN}), "a loop that ignores the interrupt"),
    ]


def answer_sources(notebook: NotebookNode) -> list[str]:
    """The sources of every cell a student can write in (answers and written answers), in order."""
    return [cell.source for cell in notebook.cells if cells.is_answer(cell) or cells.is_manual(cell)]
