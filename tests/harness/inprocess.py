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

What this does not exercise is nbgrader itself: the solution, blank and class runs do that, and
``tests/test_grading_lib.py`` checks that this runner scores the toy's mutants exactly as nbgrader does.
"""

from __future__ import annotations

import copy
import io
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
import traceback
import warnings
from collections.abc import Mapping
from pathlib import Path

from harness import cells
from harness.scores import CellScore, Scores
from nbformat import NotebookNode

from dlclinic.grading.course import grading_env

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


def run_mutants(
    source: NotebookNode,
    runs: Mapping[str, tuple[NotebookNode, list[str]]],
    workdir: Path,
    timeout: int,
) -> dict[str, tuple[Scores, float]]:
    """Run each ``{name: (submission, targeted test ids)}`` in one subprocess whose working directory is
    ``workdir`` (a copy of the release folder, as nbgrader's kernel runs in the submission's folder).

    Returns ``{name: (scores of every test cell run, seconds)}``; only cells up to the last targeted test run.
    """
    spec = {"timeout": int(timeout), "runs": {}}
    for name, (submission, targeted) in runs.items():
        executed = executed_cells(submission, source)
        last = max(i for i, cell in enumerate(executed) if cells.grade_id(cell) in targeted)
        spec["runs"][name] = [
            {"source": cell.source, "nbgrader": cells.nbgrader_meta(cell) if cells.is_test(cell) else None}
            for cell in executed[: last + 1]
        ]
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
        name: (
            Scores(
                student=f"mutant-{name}",
                cells={
                    gid: CellScore(gid, score, top, manual=False, error=error)
                    for gid, score, top, error in result["cells"]
                },
            ),
            result["seconds"],
        )
        for name, result in results.items()
    }


# --- the subprocess ---


class CellTimeout(Exception):
    """A cell ran past the course's seconds per cell."""


def _execute(shell, source: str, timeout: int) -> list[NotebookNode]:
    """Run one cell in ``shell``; return the outputs a kernel would have sent for it (stdout is dropped)."""
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


def main(spec_path: str, out_path: str) -> None:
    from IPython.core.interactiveshell import InteractiveShell
    from nbformat.v4 import new_code_cell
    from nbgrader.utils import determine_grade
    from traitlets.config import Config

    config = Config()
    config.HistoryManager.hist_file = ":memory:"  # as nbgrader starts its kernels
    shell = InteractiveShell.instance(config=config)
    sys.path.insert(0, os.getcwd())  # a kernel imports from its working directory
    spec = json.loads(Path(spec_path).read_text(encoding="utf-8"))
    results = {}
    for name, run in spec["runs"].items():
        start = time.perf_counter()
        shell.reset(new_session=False)
        scored = []
        with warnings.catch_warnings():  # entering resets the warning registries: each warning shows again
            for cell in run:
                outputs = _execute(shell, cell["source"], spec["timeout"])
                if cell["nbgrader"] is not None:
                    node = new_code_cell(cell["source"], metadata={"nbgrader": cell["nbgrader"]}, outputs=outputs)
                    score, max_score = determine_grade(node)
                    scored.append([cell["nbgrader"]["grade_id"], float(score), float(max_score), _error_text(outputs)])
        _forget_session()
        results[name] = {"cells": scored, "seconds": time.perf_counter() - start}
    Path(out_path).write_text(json.dumps(results), encoding="utf-8")


if __name__ == "__main__":
    main(*sys.argv[1:])
