"""``python -m dlclinic.grading autograde SLUG [--student ID ...]``: autograde each submission in its own sandbox.

For each student, ``submitted/<student>/<slug>/`` is copied into a fresh folder with a copy of the gradebook that
holds only this assignment and this student, and ``nbgrader autograde`` runs there inside the sandbox
(``dlclinic.grading.sandbox``, ``dlclinic.grading.inside``). The real gradebook and the rest of the course are out
of the kernel's reach; of the submission's folder only the notebook goes in. The executed notebook comes back
through a pipe that only nbgrader's process holds (capped in bytes, as each of its outputs is), and the whole
sandbox is killed at once before it is read; nothing the kernel wrote in the sandbox is read back. An assignment
with a check module (``solutions/<slug>/checks.py``, ``dlclinic.grading.outside``) has its scores decided outside
the kernel: the sandbox gets the grader's inputs, drawn from a seed made for this run, and a copy of ``dlclinic``
without the graded names; back outside, each check reads what its cell handed out and writes the cell's verdict in
place of the kernel's outputs. Then nbgrader scores the executed notebooks against the real gradebook in one run
that executes nothing (``REGRADE_FROM_OUTPUTS``: locked and test cells are restored from the gradebook, each test
cell is scored from its outputs). A submission that cannot be graded is listed with the reason and left out of the
gradebook; students not graded in this run must keep their scores, and the audit runs last.
"""

from __future__ import annotations

import fnmatch
import json
import os
import re
import secrets
import shutil
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import nbformat
from nbformat import NotebookNode

from dlclinic.grading.cgroup import Usage
from dlclinic.grading.course import (
    CONFIG_FILE,
    IGNORE,
    PRIVATE,
    RELEASE_DIR,
    SOURCE_DIR,
    NbgraderError,
    run_nbgrader,
)
from dlclinic.grading.gradebook import GRADEBOOK, has_assignment, private_copy, snapshot
from dlclinic.grading.handout import INPUTS_ENV, MIME
from dlclinic.grading.notebooks import grade_id, read_notebook
from dlclinic.grading.outside import (
    Checks,
    ChecksError,
    decide_cells,
    draw_inputs,
    is_test_cell,
    load_checks,
    write_kernel_inputs,
)
from dlclinic.grading.record import Record, load_record, save_record
from dlclinic.grading.repair import metadata_problems
from dlclinic.grading.sandbox import (
    INPUTS,
    MB,
    PACKAGE,
    WORK,
    Limits,
    probe,
    run_sandboxed,
    sandbox_python,
)
from dlclinic.grading.stubs import StubError, stubbed_package
from dlclinic.quiet import QUIET_ENV

# The folder holding the ``dlclinic`` package this command runs (the course's own): read-only in the sandbox.
PACKAGE_DIR = Path(__file__).resolve().parents[2]
STUDENT_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.@-]*$")

# nbgrader configuration that scores submissions from the outputs they carry instead of executing them: its
# default preprocessors but ``ClearOutput`` (sanitising) and ``Execute`` (autograding).
REGRADE_FROM_OUTPUTS = """\
from nbgrader.converters import Autograde

c = get_config()  # noqa: F821
_DEFAULTS = Autograde.class_traits()
c.Autograde.sanitize_preprocessors = [
    p for p in _DEFAULTS["sanitize_preprocessors"].default() if p.__name__ != "ClearOutput"
]
c.Autograde.autograde_preprocessors = [
    p for p in _DEFAULTS["autograde_preprocessors"].default() if p.__name__ != "Execute"
]
"""

# Appended to the course's nbgrader_config.py inside the sandbox: the course is the sandbox's folder, and the
# executed notebook is handed back right after it has run (the grader scores it outside).
SANDBOX_CONFIG = f"""

# --- added for the sandboxed run (dlclinic.grading.autograde) ---
from nbgrader.converters import Autograde as _Autograde  # noqa: E402

from dlclinic.grading.inside import HandBack as _HandBack  # noqa: E402

c.CourseDirectory.root = "{WORK}"
c.CourseDirectory.db_url = "sqlite:///{WORK}/{GRADEBOOK}"
_steps = _Autograde.class_traits()["autograde_preprocessors"].default()
c.Autograde.autograde_preprocessors = [_steps[0], _HandBack]
"""

_ERROR_LINE = re.compile(r"\[\w+App \| ERROR\]\s*(.+)")


class GradingError(ValueError):
    """The assignment or a student cannot be graded at all (one sentence, no traceback)."""


@dataclass
class Result:
    """One autograde run: who was graded, who was not and why, and what the audit found."""

    graded: list[str] = field(default_factory=list)
    not_graded: dict[str, str] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)
    seconds: dict[str, float] = field(default_factory=dict)  # wall time of each submission's sandbox
    usage: dict[str, Usage] = field(default_factory=dict)  # what each sandbox's cgroup counted (where there is one)


def submissions(root: Path, slug: str) -> list[str]:
    """The students with a ``submitted/<student>/<slug>/`` folder, sorted."""
    return sorted(p.parent.name for p in (Path(root) / "submitted").glob(f"*/{slug}") if p.is_dir())


def check_course(root: Path, slug: str) -> None:
    """Raise ``GradingError`` unless ``slug`` has a source notebook, a release and a place in the gradebook."""
    if not (Path(root) / SOURCE_DIR / slug / f"{slug}.ipynb").is_file():
        raise GradingError(f"no assignment {slug!r}: {SOURCE_DIR}/{slug}/{slug}.ipynb does not exist under {root}")
    if not (Path(root) / RELEASE_DIR / slug / f"{slug}.ipynb").is_file():
        raise GradingError(f"{RELEASE_DIR}/{slug}/ is missing: run `python -m dlclinic.grading release {slug}` first")
    if not has_assignment(root, slug):
        raise GradingError(
            f"the gradebook does not know {slug!r} yet: run `python -m dlclinic.grading release {slug}` "
            "(or make release) first; it records the assignment in gradebook.db"
        )


@dataclass(frozen=True)
class Run:
    """What every sandbox of one grading run shares."""

    root: Path
    slug: str
    release: NotebookNode
    scratch: Path
    limits: Limits
    config: str
    package_dir: Path = PACKAGE_DIR
    checks: Checks | None = None
    inputs: dict[str, Any] = field(default_factory=dict)

    @property
    def staging(self) -> Path:
        return self.scratch / "executed"

    @property
    def inputs_file(self) -> Path:
        return self.scratch / "inputs.json"


def load_assignment_checks(root: Path, slug: str) -> Checks | None:
    """The assignment's check module, checked against its source notebook; ``None`` for an assignment whose
    tests are still scored inside the kernel. Raises ``GradingError`` when it does not fit."""
    source_dir = Path(root) / SOURCE_DIR / slug
    try:
        checks = load_checks(source_dir)
    except ChecksError as error:
        raise GradingError(str(error)) from None
    if checks is None:
        return None
    source = read_notebook(source_dir / f"{slug}.ipynb")
    problems = checks.problems([gid for cell in source.cells if is_test_cell(cell) and (gid := grade_id(cell))])
    if problems:
        raise GradingError(f"{checks.path} does not fit {SOURCE_DIR}/{slug}/{slug}.ipynb: {'; '.join(problems)}")
    return checks


def autograde(
    root: Path,
    slug: str,
    students: list[str] | None = None,
    limits: Limits | None = None,
    cell_timeout: int = 0,
    jobs: int = 1,
    config: str = "",
    seed: int | None = None,
) -> Result:
    """Grade ``students`` (default: every submission of ``slug``) in sandboxes, ``jobs`` at a time; merge the
    scores into the gradebook; audit. ``config`` is nbgrader configuration added to the sandboxed runs'.

    With a check module (``dlclinic.grading.outside``), the grader's inputs are drawn from ``seed`` (default: a
    fresh random one per run), the sandbox gets them and a copy of ``dlclinic`` without the graded names, and
    the checks score the executed notebooks outside the sandbox before nbgrader does."""
    from dlclinic.grading.audit import audit  # the audit reads the record this module writes

    root, limits = Path(root).resolve(), limits or Limits()
    if limits.cpus is None:  # the machine's cores shared by the parallel sandboxes: none starves another
        limits = replace(limits, cpus=max(1.0, len(os.sched_getaffinity(0)) / max(1, jobs)))
    check_course(root, slug)
    checks = load_assignment_checks(root, slug)
    probe(PACKAGE_DIR)
    chosen = students or submissions(root, slug)
    if not chosen:
        raise GradingError(f"no submissions: nothing under submitted/*/{slug}/")
    for student in chosen:
        if not STUDENT_ID.match(student):
            raise GradingError(f"student id {student!r} must match {STUDENT_ID.pattern}")
    result = Result()
    before = snapshot(root, slug)
    record = load_record(root, slug) or Record(scores=before)
    release = read_notebook(root / RELEASE_DIR / slug / f"{slug}.ipynb")
    with tempfile.TemporaryDirectory(prefix=f"grading-{slug}-") as scratch:
        extra = config + (f"\nc.Execute.timeout = {int(cell_timeout)}\n" if cell_timeout else "")
        run = Run(root, slug, release, Path(scratch), limits, extra)
        if checks is not None:
            run = _with_checks(run, checks, secrets.randbits(128) if seed is None else seed)

        def grade(student: str) -> str:
            start = time.monotonic()
            try:
                return _grade_in_sandbox(run, student, result.usage)
            except Exception as error:  # noqa: BLE001 - one submission never stops the class
                path = f"submitted/{student}/{slug}/{slug}.ipynb"
                return f"grading {path} failed: {type(error).__name__}: {str(error)[:300]}"
            finally:
                result.seconds[student] = time.monotonic() - start

        with ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
            reasons = dict(zip(chosen, pool.map(grade, chosen), strict=True))
        result.not_graded.update({student: reason for student, reason in reasons.items() if reason})
        staged = sorted(p.name for p in run.staging.glob("*") if p.is_dir())
        if staged:
            result.not_graded.update(regrade_from_outputs(root, slug, run.staging, staged))
    result.graded = [s for s in chosen if s not in result.not_graded]
    after = snapshot(root, slug)
    result.problems += [
        f"{student}: scores changed although {student} was not graded in this run"
        for student in sorted(set(before) | set(after))
        if student not in chosen and before.get(student) != after.get(student)
    ]
    record.not_graded = {s: r for s, r in record.not_graded.items() if s not in chosen} | result.not_graded
    kept = {s: v for s, v in record.scores.items() if s not in chosen}
    record.scores = kept | {s: after[s] for s in after if s in chosen}
    save_record(root, slug, record)
    result.problems += audit(root, slug).problems
    return result


def _with_checks(run: Run, checks: Checks, seed: int) -> Run:
    """``run`` with the grader's inputs drawn and written for the sandboxes, and the package's graded names
    stubbed in the copy the sandboxes see."""
    mounted = [Path(p).resolve() for p in (sys.prefix, sys.base_prefix)]  # the sandbox reads them
    if checks.graded and any(PACKAGE_DIR.resolve().is_relative_to(folder) for folder in mounted):
        raise GradingError(
            f"dlclinic is installed inside {sys.prefix}, which every sandbox can read, graded answers included: "
            "grade from the course's editable install (`make setup`)"
        )
    try:
        inputs = draw_inputs(checks, seed)
        package = stubbed_package(PACKAGE_DIR, checks.graded, run.scratch / "package")
    except (ChecksError, StubError) as error:
        raise GradingError(f"{checks.path}: {error}") from None
    write_kernel_inputs(inputs, run.scratch / "inputs.json")
    return replace(run, package_dir=package, checks=checks, inputs=inputs)


def _grade_in_sandbox(run: Run, student: str, usage: dict[str, Usage]) -> str:
    """Run nbgrader on one submission in a sandbox, let the checks decide its checked cells, and stage the
    executed notebook it handed back; return why it cannot be graded, or ''."""
    root, slug = run.root, run.slug
    folder = root / "submitted" / student / slug
    notebook_path = folder / f"{slug}.ipynb"
    if not folder.is_dir():
        return f"no submission: {folder} does not exist"
    if notebook_path.is_symlink() or folder.is_symlink():
        return "the submission is a symbolic link, not a notebook the student handed in"
    if notebook_path.is_file() and notebook_path.stat().st_size > run.limits.notebook_bytes:
        return f"the submitted notebook is over {run.limits.notebook_bytes / MB:g} MB"
    try:
        submission = read_notebook(notebook_path)
    except ValueError as error:
        return str(error).replace(str(root) + "/", "")
    problems = metadata_problems(submission, run.release)
    if problems:
        command = f"python -m dlclinic.grading repair submitted/{student}/{slug}/{slug}.ipynb"
        return f"nbgrader metadata differs from the release ({'; '.join(problems)}); run `{command}`"
    staged = run.scratch / student / "in"
    _course_copy(root, slug, student, notebook_path, staged, run.config)
    env = {
        "PATH": f"{Path(sandbox_python()).parent}:/usr/bin:/bin",
        "HOME": "/tmp",
        "PYTHONPATH": PACKAGE,
        "PYTHONUNBUFFERED": "1",
        "PYTHONDONTWRITEBYTECODE": "1",
        "PYTHONSAFEPATH": "1",  # the working folder is not on the import path (nor IPython's '')
        "LANG": "C.UTF-8",
        "JUPYTER_CONFIG_DIR": "/tmp/jupyter-config",
        "JUPYTER_RUNTIME_DIR": "/tmp/jupyter-runtime",
        "IPYTHONDIR": "/tmp/ipython",
        "MPLCONFIGDIR": "/tmp/matplotlib",
        **QUIET_ENV,
    }
    files = {}
    if run.checks is not None:
        env[INPUTS_ENV] = INPUTS
        files[INPUTS] = run.inputs_file
    command = [sandbox_python(), "-m", "dlclinic.grading.inside", slug, student]
    outcome = run_sandboxed(command, staged, run.package_dir, env, run.limits, files)
    if outcome.usage is not None:
        usage[student] = outcome.usage
    if outcome.over:
        return outcome.over
    if outcome.timed_out:
        return f"ran past the {run.limits.wall_seconds:g} s limit for one notebook"
    if outcome.returncode != 0 or not outcome.handed_back:
        if outcome.usage is not None and outcome.usage.oom_kills:
            return f"a process passed the sandbox's {run.limits.memory_bytes / MB:g} MB of memory and was killed"
        return _failure(outcome.log, outcome.returncode)
    try:
        notebook = nbformat.reads(outcome.handed_back.decode("utf-8"), as_version=4)
    except Exception:  # noqa: BLE001 - whatever it is, it is no executed notebook
        return "what the sandbox handed back is not a notebook"
    too_big = oversized_output(notebook, run.limits.output_bytes)
    if too_big:
        return too_big
    changed = metadata_problems(notebook, run.release)
    if changed:
        return f"the executed notebook's nbgrader metadata changed while it ran (tampering): {changed[0]}"
    if run.checks is not None:
        decide_cells(notebook, run.checks, run.inputs)
    target = run.staging / student / slug
    target.mkdir(parents=True)
    nbformat.write(notebook, target / f"{slug}.ipynb")
    if (folder / "timestamp.txt").is_file():
        shutil.copy2(folder / "timestamp.txt", target / "timestamp.txt")
    return ""


def oversized_output(notebook: NotebookNode, cap: int) -> str:
    """Why ``notebook`` is not graded for an output over ``cap`` bytes (hand-outs are exempt: the executed
    notebook's cap bounds them), or ''."""
    for number, cell in enumerate(notebook.cells, start=1):
        for output in cell.get("outputs", []) if isinstance(cell, dict) else []:
            if not isinstance(output, dict):
                continue
            data = output.get("data") if isinstance(output.get("data"), dict) else {}
            rest = {key: value for key, value in output.items() if key != "data"}
            size = len(json.dumps(rest)) + sum(len(json.dumps(v)) for k, v in data.items() if k != MIME)
            if size > cap:
                return f"output over {cap / MB:g} MB in cell {number}"
    return ""


def _course_copy(root: Path, slug: str, student: str, notebook: Path, work: Path, config: str) -> None:
    """The sandbox's course: config, private gradebook, the submitted notebook (nothing else of the submission's
    folder), the source's data files (no notebooks)."""
    (work / SOURCE_DIR / slug).mkdir(parents=True)
    for path in (root / SOURCE_DIR / slug).rglob("*"):
        private = any(fnmatch.fnmatch(path.name, pattern) for pattern in PRIVATE)  # the checks stay outside
        if path.is_file() and path.suffix != ".ipynb" and not private and not any(p in IGNORE for p in path.parts):
            target = work / SOURCE_DIR / slug / path.relative_to(root / SOURCE_DIR / slug)
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(path, target)
    target = work / "submitted" / student / slug
    target.mkdir(parents=True)
    shutil.copyfile(notebook, target / notebook.name)
    private_copy(root, slug, student, work / GRADEBOOK)
    text = (root / CONFIG_FILE).read_text(encoding="utf-8") + SANDBOX_CONFIG + config
    (work / CONFIG_FILE).write_text(text, encoding="utf-8")


def _failure(log: str, returncode: int | None) -> str:
    """The reason an nbgrader run in the sandbox left no executed notebook, in one line."""
    if "DeadKernelError" in log or "Kernel died" in log:
        return "the kernel died (a crash, or the memory or process limit)"
    errors = [m.group(1).strip() for m in _ERROR_LINE.finditer(log)]
    useful = [e for e in errors if not e.startswith(("There was an error processing", "Removing failed"))]
    if useful:
        return f"nbgrader failed: {useful[0][:300]}"
    tail = [line for line in log.strip().splitlines() if line.strip()][-1:] or ["no output"]
    return f"nbgrader exited with {returncode}: {tail[0][:300]}"


def regrade_from_outputs(root: Path, slug: str, staging: Path, staged: list[str]) -> dict[str, str]:
    """Score the executed notebooks under ``staging/<student>/<slug>/`` against the real gradebook (nothing
    runs: every test cell is scored from its outputs); return who could not be scored, and why."""
    args = ["autograde", slug, "--force", f"--CourseDirectory.submitted_directory={staging}"]
    try:
        run_nbgrader(args, root, config=REGRADE_FROM_OUTPUTS)
        log = ""
    except NbgraderError as error:
        log = str(error)
    failed = {}
    for student in staged:
        if not (root / "autograded" / student / slug / f"{slug}.ipynb").is_file():
            failed[student] = _failure(log, 1) if log else "nbgrader could not score the executed notebook"
    return failed
