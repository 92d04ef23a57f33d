"""Run mutants in one Python process: whether a test cell catches a mistake does not depend on nbgrader.

nbgrader starts a kernel per submission, and each kernel imports TensorFlow again (seconds on 2 cores). Here
one subprocess per assignment (``python -m harness.inprocess``) imports TensorFlow once and, for each mutant,
in a fresh IPython namespace, runs the code cells nbgrader would run (the mutant's submission, with locked and
test cells restored from the source notebook as nbgrader's ``OverwriteCells`` does, so hidden tests run) up to
the last test cell of the answer it replaces. Each test cell run is scored by nbgrader's own
``determine_grade`` from outputs recorded as a kernel sends them: an exception is an ``error`` output;
anything written to ``sys.stderr`` (warnings included) is a ``stderr`` stream (0 points, as nbgrader scores
it); the value of a last expression is an ``execute_result`` (partial credit). Bytes that C++ code writes to
file descriptor 2 are not outputs: nbgrader's kernel does not send them either (the toy test checks it). A cell gets the
course's ``Execute.timeout``, and the warning registries are reset per mutant, so a warning shows every time
as in a fresh kernel.

Most mutants change one answer of a notebook whose earlier cells are the solution's. Given the solution as
``reference`` (its ``slow`` cells as their release stubs, as in a mutant's submission), the runner executes the
reference once, keeps a copy of the namespace (deep-copied, aliasing kept; modules and objects that cannot be
copied are shared) and of the random states just before each answer a mutant replaces, and runs each such
mutant from that copy: only its answer and the cells up to its last targeted test run again; the earlier test
cells keep the reference's scores, which are the same cells run on the same state. Before a copy is used, the
solution's own cells are run from it and must score exactly as in the uninterrupted run; where they do not,
or where the cells to run hold a ``slow`` cell, the mutants starting there run from the first cell as before.

What this does not exercise is nbgrader itself: the solution, blank and class runs do that, and
``tests/test_grading_lib.py`` checks that this runner scores the toy's mutants exactly as nbgrader does.
"""

from __future__ import annotations

import copy
import gc
import io
import json
import os
import secrets
import signal
import subprocess
import sys
import tempfile
import time
import traceback
import warnings
from collections.abc import Mapping
from pathlib import Path
from typing import NamedTuple

from harness import cells
from harness.scores import CellScore, Scores
from nbformat import NotebookNode

from dlclinic.grading.course import grading_env
from dlclinic.grading.handout import INPUTS_ENV
from dlclinic.grading.outside import (
    Checks,
    Verdict,
    decide,
    draw_inputs,
    handed_out,
    load_checks,
    verdict_outputs,
    write_kernel_inputs,
)

TESTS_DIR = Path(__file__).resolve().parents[1]
MAX_ERROR_CHARS = 3000


def executed_cells(submission: NotebookNode, source: NotebookNode) -> list[NotebookNode]:
    """The code cells of ``submission`` as ``nbgrader autograde`` runs them: a locked or test cell takes its
    source and nbgrader metadata from ``source`` (hidden tests included); answers stay as submitted."""
    originals = cells.cells_by_id(source)
    executed = []
    for cell in submission.cells:
        if cell.cell_type != "code":
            continue
        cell = copy.deepcopy(cell)
        meta, gid = cells.nbgrader_meta(cell), cells.grade_id(cell)
        if gid in originals and (meta.get("locked") or cells.is_test(cell)):
            cell.source = originals[gid].source
            cell.metadata["nbgrader"] = dict(cells.nbgrader_meta(originals[gid]))
        executed.append(cell)
    return executed


def _cell_spec(cell: NotebookNode) -> dict:
    return {"source": cell.source, "nbgrader": cells.nbgrader_meta(cell) if cells.is_test(cell) else None}


def _first_difference(executed: list[NotebookNode], reference: list[NotebookNode]) -> int:
    """Index of the first cell of ``executed`` that is not the same cell of ``reference``."""
    for index, (cell, ref) in enumerate(zip(executed, reference, strict=False)):
        if _cell_spec(cell) != _cell_spec(ref):
            return index
    return min(len(executed), len(reference))


class MutantRun(NamedTuple):
    """A mutant's scores (every test cell it ran or took from the reference), the seconds it took, and the
    index of the code cell it ran from (0: the first; more: a copy of the reference's state there)."""

    scores: Scores
    seconds: float
    first_cell: int


def run_mutants(
    source: NotebookNode,
    runs: Mapping[str, tuple[NotebookNode, list[str]]],
    workdir: Path,
    timeout: int,
    reference: NotebookNode | None = None,
    source_dir: Path | None = None,
) -> dict[str, MutantRun]:
    """Run each ``{name: (submission, targeted test ids)}`` in one subprocess whose working directory is
    ``workdir`` (a copy of the release folder, as nbgrader's kernel runs in the submission's folder).

    Returns ``{name: MutantRun}``; only cells up to the last targeted test run.
    With ``reference`` (the solution as a submission, ``slow`` cells as their stubs), a mutant whose cells
    before its change are the reference's runs from a copy of the reference's state there (module docstring).
    With ``source_dir`` (the assignment's source folder) holding a check module, the checked cells are scored
    as the grader scores them: the cells get the grader's inputs (one fresh seed for the whole run) and the
    checks decide each checked cell from what it handed out.
    """
    checks = source_dir is not None and load_checks(source_dir) is not None
    spec = {
        "timeout": int(timeout),
        "runs": {},
        "reference": [],
        "checks": str(source_dir) if checks else None,
        "seed": secrets.randbits(128),
    }
    ref = executed_cells(reference, source) if reference is not None else []
    for name, (submission, targeted) in runs.items():
        executed = executed_cells(submission, source)
        last = max(i for i, cell in enumerate(executed) if cells.grade_id(cell) in targeted)
        start = _first_difference(executed[: last + 1], ref) if ref else 0
        if start > last or any(cells.is_slow(cell) for cell in executed[start : last + 1] + ref[start : last + 1]):
            start = 0
        spec["runs"][name] = {"start": start, "cells": [_cell_spec(cell) for cell in executed[: last + 1]]}
    ends = [len(run["cells"]) for run in spec["runs"].values() if run["start"]]
    spec["reference"] = [_cell_spec(cell) for cell in ref[: max(ends, default=0)]]
    with tempfile.TemporaryDirectory(prefix="mutant-runner-") as scratch:
        spec_path, out_path = Path(scratch) / "spec.json", Path(scratch) / "scores.json"
        spec_path.write_text(json.dumps(spec), encoding="utf-8")
        env = grading_env()
        env["PYTHONPATH"] = os.pathsep.join(p for p in [str(TESTS_DIR), env.get("PYTHONPATH", "")] if p)
        env["IPYTHONDIR"] = str(Path(scratch) / "ipython")
        env["NBGRADER_EXECUTION"] = "autograde"  # as nbgrader sets it while it executes a submission
        env["MPLBACKEND"] = "module://matplotlib_inline.backend_inline"  # a kernel's default backend
        command = [sys.executable, "-m", "harness.inprocess", str(spec_path), str(out_path)]
        done = subprocess.run(command, cwd=workdir, env=env, capture_output=True, text=True, check=False)
        if done.returncode != 0 or not out_path.is_file():
            log = (done.stdout + done.stderr)[-4000:]
            raise RuntimeError(f"the mutant runner exited with {done.returncode}:\n{log}")
        results = json.loads(out_path.read_text(encoding="utf-8"))
    return {
        name: MutantRun(
            Scores(
                student=f"mutant-{name}",
                cells={
                    gid: CellScore(gid, score, top, manual=False, error=error)
                    for gid, score, top, error in result["cells"]
                },
            ),
            result["seconds"],
            result["first_cell"],
        )
        for name, result in results.items()
    }


# --- the subprocess ---


class CellTimeout(Exception):
    """A cell ran past the course's seconds per cell."""


def _execute(shell, source: str, timeout: int) -> list[NotebookNode]:
    """Run one cell in ``shell``; return the outputs a kernel would have sent for it (stdout is dropped;
    display outputs, hand-outs among them, are kept)."""
    from nbformat.v4 import new_output

    def alarm(_signum, _frame):
        raise CellTimeout(f"the cell ran past its {timeout} s")

    python_err, saved = io.StringIO(), (sys.stdout, sys.stderr)
    sys.stdout, sys.stderr = io.StringIO(), python_err
    previous = signal.signal(signal.SIGALRM, alarm)
    signal.alarm(timeout)
    try:
        result = shell.run_cell(source, store_history=False)
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)
        sys.stdout, sys.stderr = saved
    written = python_err.getvalue()
    outputs = [new_output("stream", name="stderr", text=written)] if written else []
    outputs += shell.display_pub.take()
    error = result.error_before_exec or result.error_in_exec
    if error is not None:
        text = "".join(traceback.format_exception(error))
        outputs.append(new_output("error", ename=type(error).__name__, evalue=str(error), traceback=[text]))
    elif result.result is not None:
        data, metadata = shell.display_formatter.format(result.result)
        outputs.append(new_output("execute_result", data=data, metadata=metadata, execution_count=1))
    return outputs


def _error_text(outputs: list[NotebookNode]) -> str:
    """The cell's error and stderr outputs, as ``harness.autograde`` reports them from an autograded notebook."""
    errors = [o.traceback[0] for o in outputs if o.output_type == "error"]
    text = "\n".join(["stderr: " + o.text for o in outputs if o.output_type == "stream"] + errors)
    return text if len(text) <= MAX_ERROR_CHARS else "...\n" + text[-MAX_ERROR_CHARS:]


def _forget_session() -> None:
    """Drop what a previous mutant left in the libraries' global state, as a fresh kernel would not have it."""
    for name in ("keras", "tf_keras"):
        if name in sys.modules:
            sys.modules[name].backend.clear_session()
    if "matplotlib.pyplot" in sys.modules:
        sys.modules["matplotlib.pyplot"].close("all")
    warnings.onceregistry.clear()


class _Grader:
    """The grader's side in the runner: the check module and the inputs it drew (``None`` for none)."""

    checks: Checks | None = None
    inputs: dict = {}


def _decide(node: NotebookNode) -> None:
    """Replace a checked cell's outputs by its check's verdict, as the grader does outside the kernel."""
    gid = node.metadata["nbgrader"]["grade_id"]
    if _Grader.checks is None or gid not in _Grader.checks.cells:
        return
    top = float(node.metadata["nbgrader"].get("points", 0))
    points, message = decide(_Grader.checks.cells[gid], _Grader.inputs, handed_out(node), top)
    node.outputs = verdict_outputs(Verdict(gid, points, top, message))


def _run_cells(
    shell, run: list[dict], first: int, timeout: int, snapshots: dict[int, tuple] | None = None
) -> dict[int, list]:
    """Run ``run[first:]`` in ``shell``; return each test cell's ``[grade id, score, max score, error text]``
    by its index, scored by nbgrader's ``determine_grade`` (a checked cell after its check's verdict). Each
    index that is a key of ``snapshots`` gets the state just before its cell (``_capture``)."""
    from nbformat.v4 import new_code_cell
    from nbgrader.utils import determine_grade

    scored = {}
    with warnings.catch_warnings():  # entering resets the warning registries: each warning shows again
        for index in range(first, len(run)):
            if snapshots is not None and index in snapshots:
                snapshots[index] = _capture(shell)
            cell = run[index]
            outputs = _execute(shell, cell["source"], timeout)
            if cell["nbgrader"] is not None:
                node = new_code_cell(cell["source"], metadata={"nbgrader": cell["nbgrader"]}, outputs=outputs)
                _decide(node)
                score, max_score = determine_grade(node)
                error = _error_text(node.outputs)
                scored[index] = [cell["nbgrader"]["grade_id"], float(score), float(max_score), error]
    _forget_session()
    return scored


def _capture(shell) -> tuple[dict, dict, tuple]:
    """A copy of the user's namespace (one deep copy, so aliases stay aliases; what cannot be copied, modules
    included, is shared) and of Python's and NumPy's random states."""
    import random

    import numpy as np

    names = {k: v for k, v in shell.user_ns.items() if k not in shell.user_ns_hidden}
    shared = {}
    for key, value in names.items():
        try:
            copy.deepcopy(value)
        except Exception:  # noqa: BLE001 - modules, locks, compiled models: shared, not copied
            shared[key] = value
    copyable = copy.deepcopy({k: v for k, v in names.items() if k not in shared})
    return copyable, shared, (random.getstate(), np.random.get_state())


def _reset(shell) -> None:
    """An empty namespace, as in a fresh kernel. What survives it (modules, TensorFlow's graph of objects, the
    reference's copies) is then frozen out of the garbage collector's scans: each later ``gc.collect`` (two per
    mutant: IPython's reset, Keras' ``clear_session``) scans only what the mutants made, which with TensorFlow
    loaded makes it take milliseconds instead of about a second."""
    shell.reset(new_session=False)
    gc.freeze()


def _restore(shell, snapshot: tuple[dict, dict, tuple]) -> None:
    import random

    import numpy as np

    copyable, shared, (python_state, numpy_state) = snapshot
    _reset(shell)
    shell.user_ns.update(copy.deepcopy(copyable))
    shell.user_ns.update(shared)
    random.setstate(python_state)
    np.random.set_state(numpy_state)


def _points(scored: dict[int, list]) -> dict[int, tuple[float, float]]:
    return {index: (score, top) for index, (_gid, score, top, _error) in scored.items()}


def _capturing_publisher():
    """A display publisher that keeps what the cell displays (``take`` returns it and starts afresh)."""
    from IPython.core.displaypub import DisplayPublisher
    from nbformat.v4 import new_output

    class Capturing(DisplayPublisher):
        def __init__(self, **kwargs) -> None:
            super().__init__(**kwargs)
            self.shown: list = []

        def publish(self, data, metadata=None, source=None, *, transient=None, update=False, **kwargs):
            self.shown.append(new_output("display_data", data=data, metadata=metadata or {}))

        def take(self) -> list:
            taken, self.shown = self.shown, []
            return taken

    return Capturing()


def main(spec_path: str, out_path: str) -> None:
    from IPython.core.interactiveshell import InteractiveShell
    from traitlets.config import Config

    config = Config()
    config.HistoryManager.hist_file = ":memory:"  # as nbgrader starts its kernels
    shell = InteractiveShell.instance(config=config)
    shell.display_pub = _capturing_publisher()
    sys.path.insert(0, os.getcwd())  # a kernel imports from its working directory
    spec = json.loads(Path(spec_path).read_text(encoding="utf-8"))
    timeout, reference = spec["timeout"], spec["reference"]
    if spec["checks"]:
        _Grader.checks = load_checks(Path(spec["checks"]))
        _Grader.inputs = draw_inputs(_Grader.checks, spec["seed"])
        kernel_inputs = Path(spec_path).parent / "inputs.json"
        os.environ[INPUTS_ENV] = str(write_kernel_inputs(_Grader.inputs, kernel_inputs))

    starts = sorted({run["start"] for run in spec["runs"].values() if run["start"]})
    snapshots, reference_scores = dict.fromkeys(starts), {}
    if starts:  # the reference once, from its first cell, with a copy of its state before each start
        _reset(shell)
        reference_scores = _run_cells(shell, reference, 0, timeout, snapshots)
    faithful = set()
    for start in starts:  # the solution's own cells from each copy must score as in the uninterrupted run
        end = max(len(run["cells"]) for run in spec["runs"].values() if run["start"] == start)
        _restore(shell, snapshots[start])
        again = _run_cells(shell, reference[:end], start, timeout)
        if _points(again) == {i: p for i, p in _points(reference_scores).items() if start <= i < end}:
            faithful.add(start)

    results = {}
    for name, run in spec["runs"].items():
        begin = time.perf_counter()
        first = run["start"] if run["start"] in faithful else 0
        if first:
            _restore(shell, snapshots[first])
            scored = {i: s for i, s in reference_scores.items() if i < first}
        else:
            _reset(shell)
            scored = {}
        scored |= _run_cells(shell, run["cells"], first, timeout)
        results[name] = {
            "cells": [scored[i] for i in sorted(scored)],
            "seconds": time.perf_counter() - begin,
            "first_cell": first,
        }
    Path(out_path).write_text(json.dumps(results), encoding="utf-8")


if __name__ == "__main__":
    main(*sys.argv[1:])
