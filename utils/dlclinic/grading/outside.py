"""The grader's side of grading: scores decided outside the kernel, by the assignment's check module.

An assignment whose hidden tests hand their answers out (``dlclinic.grading.handout``) has a check module,
``solutions/<slug>/checks.py``, that is never released (``nbgrader_config.py`` ignores the name) and never
copied into a sandbox. It defines:

- ``GRADED``: the dotted names in ``dlclinic`` that the learner writes (``"dlclinic.pkg.module.name"``); the
  sandbox's copy of the package raises "write this yourself" for each (``dlclinic.grading.stubs``);
- ``inputs(rng)``: the grader's inputs, a dict drawn from ``rng`` (a NumPy generator seeded at grading time);
  keys that start with ``_`` (held-out labels, say) stay outside: the kernel gets the others;
- one check per autograded test cell, a function named by the cell's grade id,
  ``test_x(inputs, answers)``: ``answers`` holds what the cell handed out. It returns ``None`` (full points),
  a number of points, or ``(points, message)``; an exception (``Wrong``, an ``AssertionError``, anything)
  gives 0 points with its message. The cell's points are nbgrader's (its metadata, the gradebook).

After the notebook has run, ``decide_cells`` replaces the outputs of every checked cell of the executed
notebook by the check's verdict (a line saying why, and the points as nbgrader's partial credit, or an error),
so nbgrader's own scoring of outputs, the gradebook, the feedback and the Formgrader work as before; whatever
the kernel printed, raised or forged in those cells counts for nothing. ``solutions/README.md`` is the
author's guide.
"""

from __future__ import annotations

import copy
import importlib.util
import json
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from nbformat import NotebookNode
from nbformat.v4 import new_output

from dlclinic.grading.codec import Function, Opaque, decode_all, encode_all
from dlclinic.grading.handout import MIME
from dlclinic.grading.notebooks import grade_id, nbgrader_meta

CHECKS_FILE = "checks.py"
CHECKED_MARK = "dlclinic.grading.outside"  # the output metadata key of a verdict written by the grader


class ChecksError(ValueError):
    """The check module is missing a part or does not fit its notebook (one sentence)."""


class Wrong(AssertionError):
    """What a check raises for a wrong answer; its message is the learner's feedback."""


class Answers(dict):
    """What one cell handed out, by name; ``types`` gives each value's type as the kernel had it
    (``float``, ``numpy.float64``...); ``stopped`` says how the cell stopped, when it raised."""

    def __init__(self, values: dict[str, Any], types: dict[str, str], stopped: str = "") -> None:
        super().__init__(values)
        self.types, self.stopped = types, stopped

    def __missing__(self, name: str) -> Any:
        why = f": the cell stopped at {self.stopped}" if self.stopped else ""
        raise Wrong(f"no answer {name!r} was handed out{why}")


@dataclass(frozen=True)
class Checks:
    """One assignment's check module: its graded names, its inputs and a check per test cell."""

    path: Path
    graded: tuple[str, ...]
    draw: Callable[[np.random.Generator], dict[str, Any]]
    cells: dict[str, Callable[..., Any]] = field(default_factory=dict)

    def problems(self, test_ids: list[str]) -> list[str]:
        """What keeps the module from grading a notebook whose autograded test cells are ``test_ids``."""
        missing = [f"no check for the test cell {gid!r}" for gid in test_ids if gid not in self.cells]
        stray = [f"check {name!r} has no test cell of that grade id" for name in self.cells if name not in test_ids]
        return missing + stray


def checks_path(source_dir: Path) -> Path:
    """Where an assignment's check module lives: ``solutions/<slug>/checks.py``."""
    return Path(source_dir) / CHECKS_FILE


def load_checks(source_dir: Path) -> Checks | None:
    """The check module of the assignment whose source folder is ``source_dir``; ``None`` when it has none
    (its tests are scored inside the kernel, as before)."""
    path = checks_path(source_dir)
    if not path.is_file():
        return None
    name = f"_dlclinic_checks_{abs(hash(str(path.resolve())))}"
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    try:
        spec.loader.exec_module(module)
    except Exception as error:  # noqa: BLE001 - the author's module: one sentence, not a traceback
        raise ChecksError(f"{path} cannot be loaded: {type(error).__name__}: {error}") from None
    draw = getattr(module, "inputs", None)
    if not callable(draw):
        raise ChecksError(f"{path} needs a function inputs(rng) returning the grader's inputs")
    graded = getattr(module, "GRADED", ())
    dotted = all(isinstance(name, str) and name.startswith("dlclinic.") for name in graded)
    if not isinstance(graded, list | tuple) or not dotted:
        raise ChecksError(f"{path}: GRADED must be a list of dotted names in dlclinic ('dlclinic.pkg.module.name')")
    cells = {key: value for key, value in vars(module).items() if key.startswith("test_") and callable(value)}
    return Checks(path=path, graded=tuple(graded), draw=draw, cells=cells)


def draw_inputs(checks: Checks, seed: int) -> dict[str, Any]:
    """The grader's inputs for one grading run: ``checks.inputs`` with a generator seeded by ``seed``."""
    inputs = checks.draw(np.random.default_rng(seed))
    if not isinstance(inputs, dict) or not all(isinstance(key, str) for key in inputs):
        raise ChecksError(f"{checks.path}: inputs(rng) must return a dict with string keys")
    return inputs


def write_kernel_inputs(inputs: dict[str, Any], path: Path) -> Path:
    """Write the part of ``inputs`` the kernel may see (no key that starts with ``_``) to ``path``."""
    shown = {key: value for key, value in inputs.items() if not key.startswith("_")}
    Path(path).write_text(json.dumps(encode_all(shown)), encoding="utf-8")
    return Path(path)


def handed_out(cell: NotebookNode) -> Answers:
    """What ``cell`` handed out (every hand-out output of the cell, later names winning) and how it stopped."""
    values: dict[str, Any] = {}
    types: dict[str, str] = {}
    stopped = ""
    for output in cell.get("outputs", []):
        if output.get("output_type") == "error" and not stopped:
            stopped = f"{output.get('ename', 'an error')}: {str(output.get('evalue', ''))[:300]}"
        data = output.get("data", {}) if output.get("output_type") in ("display_data", "execute_result") else {}
        payload = data.get(MIME) if isinstance(data, dict) else None
        if not isinstance(payload, dict):
            continue
        raw = payload.get("answers")
        try:
            values.update(decode_all(raw))
            types.update({name: str(item.get("type")) for name, item in raw.items()})
        except (ValueError, TypeError, KeyError, AttributeError, RecursionError):
            stopped = stopped or "a hand-out that is not the grader's data"
    return Answers(values, types, stopped)


@dataclass(frozen=True)
class Verdict:
    """A checked cell's score and why."""

    grade_id: str
    points: float
    max_points: float
    message: str


def decide(check: Callable[..., Any], inputs: dict[str, Any], answers: Answers, max_points: float) -> tuple[float, str]:
    """Run one check on its own copy of the inputs (a check that changes them changes no classmate's);
    return ``(points, message)``."""
    try:
        result = check(copy.deepcopy(inputs), answers)
        points, message = result if isinstance(result, tuple) else (result, "")
        points = max_points if points is None else float(points)
    except Exception as error:  # noqa: BLE001 - every failure of a check is the answer's 0 points
        text = str(error).strip() or type(error).__name__
        return 0.0, text if isinstance(error, AssertionError) else f"{type(error).__name__}: {text}"
    if not math.isfinite(points):
        return 0.0, f"the check gave {points} points"
    return min(max(points, 0.0), max_points), str(message)


def verdict_outputs(verdict: Verdict) -> list[NotebookNode]:
    """The outputs nbgrader scores a checked cell from: a line saying why, then the points (partial credit)
    or, for none, an error."""
    mark = {CHECKED_MARK: {"points": verdict.points, "max_points": verdict.max_points}}
    line = f"Checked by the grader outside your kernel: {verdict.points:g} of {verdict.max_points:g} points"
    line += f". {verdict.message}" if verdict.message else "."
    if verdict.points <= 0:
        message = verdict.message or "no points"
        return [
            new_output("error", ename="AssertionError", evalue=message, traceback=[line]),
        ]
    return [
        new_output("stream", name="stdout", text=line + "\n"),
        new_output("execute_result", data={"text/plain": repr(verdict.points)}, metadata=mark, execution_count=None),
    ]


def is_test_cell(cell: NotebookNode) -> bool:
    """An autograded test cell: a graded code cell that is not an answer."""
    meta = nbgrader_meta(cell)
    return cell.get("cell_type") == "code" and bool(meta.get("grade")) and not meta.get("solution")


def decide_cells(notebook: NotebookNode, checks: Checks, inputs: dict[str, Any]) -> list[Verdict]:
    """Replace the outputs of every checked test cell of the executed ``notebook`` by its check's verdict
    (in place); return the verdicts."""
    verdicts = []
    for cell in notebook.cells:
        gid = grade_id(cell)
        if not is_test_cell(cell) or not isinstance(gid, str) or gid not in checks.cells:
            continue
        top = float(nbgrader_meta(cell).get("points", 0) or 0)
        points, message = decide(checks.cells[gid], inputs, handed_out(cell), top)
        verdict = Verdict(gid, points, top, message)
        cell.outputs = verdict_outputs(verdict)
        verdicts.append(verdict)
    return verdicts


# --- helpers for check modules ---


def as_array(what: str, got: object, shape: tuple[int, ...] | None = None) -> np.ndarray:
    """``got`` as a float array (of ``shape``, when given); raises ``Wrong`` for anything else."""
    if isinstance(got, Function | Opaque) or got is None or isinstance(got, str | dict):
        raise Wrong(f"{what}: expected numbers, got {type(got).__name__}")
    try:
        array = np.asarray(got, dtype=float)
    except (TypeError, ValueError):
        raise Wrong(f"{what}: expected numbers, got {type(got).__name__}") from None
    if shape is not None and array.shape != tuple(shape):
        raise Wrong(f"{what}: expected shape {tuple(shape)}, got {array.shape}")
    return array


def close(what: str, got: object, expected: object, rtol: float = 1e-6, atol: float = 1e-9) -> np.ndarray:
    """``got`` as a float array of ``expected``'s shape, close to it; raises ``Wrong`` saying where not."""
    want = np.asarray(expected, dtype=float)
    array = as_array(what, got, want.shape)
    bad = ~np.isclose(array, want, rtol=rtol, atol=atol)
    if bad.any():
        raise Wrong(f"{what}: wrong at {int(bad.sum())} of {bad.size} values")
    return array


def python_float(answers: Answers, name: str) -> float:
    """The handed-out ``name``, which must be a Python ``float`` (not a NumPy scalar, not an array)."""
    value = answers[name]
    if answers.types.get(name) != "float":
        raise Wrong(f"{name} should be a Python float; it was {answers.types.get(name)}")
    return value


def own_function(answers: Answers, name: str) -> None:
    """Raise ``Wrong`` unless the handed-out ``name`` is a function defined in the notebook itself."""
    value = answers[name]
    if not isinstance(value, Function):
        raise Wrong(f"{name} should be a function you define in the notebook; it was {answers.types.get(name)}")
    if value.module != "__main__":
        raise Wrong(f"{name} comes from {value.module}: write it yourself in the notebook")


__all__ = [
    "CHECKS_FILE",
    "Answers",
    "Checks",
    "ChecksError",
    "Verdict",
    "Wrong",
    "as_array",
    "close",
    "decide_cells",
    "draw_inputs",
    "handed_out",
    "load_checks",
    "own_function",
    "python_float",
    "write_kernel_inputs",
]
