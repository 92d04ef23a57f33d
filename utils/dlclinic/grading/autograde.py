"""``python -m dlclinic.grading autograde SLUG [--student ID ...]``: autograde each submission in its own sandbox.

For each student, ``submitted/<student>/<slug>/`` is copied into a fresh folder with a copy of the gradebook that
holds only this assignment and this student, and ``nbgrader autograde`` runs there inside the sandbox
(``dlclinic.grading.sandbox``, ``dlclinic.grading.inside``). The real gradebook and the rest of the course are
out of the kernel's reach. Back outside, nbgrader scores the executed notebooks against the real gradebook in
one run that executes nothing (``REGRADE_FROM_OUTPUTS``: locked and test cells are restored from the gradebook,
each test cell is scored from its outputs). A submission that cannot be graded is listed with the reason and
left out of the gradebook; students not graded in this run must keep their scores, and the audit runs last.
"""

from __future__ import annotations

import re
import shutil
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from queue import Queue

import nbformat
from nbformat import NotebookNode

from dlclinic.grading.course import CONFIG_FILE, IGNORE, RELEASE_DIR, SOURCE_DIR, NbgraderError, run_nbgrader
from dlclinic.grading.gradebook import GRADEBOOK, has_assignment, private_copy, snapshot
from dlclinic.grading.notebooks import read_notebook
from dlclinic.grading.record import Record, load_record, save_record
from dlclinic.grading.repair import metadata_problems
from dlclinic.grading.sandbox import PACKAGE, SANDBOX_UID, WORK, Limits, probe, run_sandboxed, sandbox_python
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

# Appended to the course's nbgrader_config.py inside the sandbox: the course is the sandbox's folder, and every
# process the student left behind is killed right after the notebook has run.
SANDBOX_CONFIG = f"""

# --- added for the sandboxed run (dlclinic.grading.autograde) ---
from nbgrader.converters import Autograde as _Autograde  # noqa: E402

from dlclinic.grading.inside import KillStragglers as _KillStragglers  # noqa: E402

c.CourseDirectory.root = "{WORK}"
c.CourseDirectory.db_url = "sqlite:///{WORK}/{GRADEBOOK}"
_steps = _Autograde.class_traits()["autograde_preprocessors"].default()
c.Autograde.autograde_preprocessors = [_steps[0], _KillStragglers, *_steps[1:]]
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


def autograde(
    root: Path,
    slug: str,
    students: list[str] | None = None,
    limits: Limits | None = None,
    cell_timeout: int = 0,
    jobs: int = 1,
    config: str = "",
) -> Result:
    """Grade ``students`` (default: every submission of ``slug``) in sandboxes, ``jobs`` at a time; merge the
    scores into the gradebook; audit. ``config`` is nbgrader configuration added to the sandboxed runs'."""
    from dlclinic.grading.audit import audit  # the audit reads the record this module writes

    root, limits = Path(root).resolve(), limits or Limits()
    check_course(root, slug)
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
        staging = Path(scratch) / "executed"
        slots: Queue[int] = Queue()
        for slot in range(max(1, jobs)):
            slots.put(SANDBOX_UID + slot)  # one user per parallel sandbox: the task limit counts per user

        def grade(student: str) -> str:
            uid, start = slots.get(), time.monotonic()
            try:
                extra = config + (f"\nc.Execute.timeout = {int(cell_timeout)}\n" if cell_timeout else "")
                return _grade_in_sandbox(root, slug, student, release, Path(scratch), staging, limits, extra, uid)
            finally:
                result.seconds[student] = time.monotonic() - start
                slots.put(uid)

        with ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
            reasons = dict(zip(chosen, pool.map(grade, chosen), strict=True))
        result.not_graded.update({student: reason for student, reason in reasons.items() if reason})
        staged = sorted(p.name for p in staging.glob("*") if p.is_dir())
        if staged:
            result.not_graded.update(_score_outside(root, slug, staging, staged))
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


def _grade_in_sandbox(
    root: Path,
    slug: str,
    student: str,
    release: NotebookNode,
    scratch: Path,
    staging: Path,
    limits: Limits,
    config: str,
    uid: int,
) -> str:
    """Run nbgrader on one submission in a sandbox and stage the executed notebook; return why not, or ''."""
    folder = root / "submitted" / student / slug
    notebook_path = folder / f"{slug}.ipynb"
    if not folder.is_dir():
        return f"no submission: {folder} does not exist"
    if notebook_path.is_symlink() or folder.is_symlink():
        return "the submission is a symbolic link, not a notebook the student handed in"
    try:
        submission = read_notebook(notebook_path)
    except ValueError as error:
        return str(error).replace(str(root) + "/", "")
    problems = metadata_problems(submission, release)
    if problems:
        command = f"python -m dlclinic.grading repair submitted/{student}/{slug}/{slug}.ipynb"
        return f"nbgrader metadata differs from the release ({'; '.join(problems)}); run `{command}`"
    work = scratch / student
    _course_copy(root, slug, student, folder, work, config)
    env = {
        "PATH": f"{Path(sandbox_python()).parent}:/usr/bin:/bin",
        "HOME": "/tmp",
        "PYTHONPATH": PACKAGE,
        "PYTHONUNBUFFERED": "1",
        "PYTHONDONTWRITEBYTECODE": "1",
        "LANG": "C.UTF-8",
        "JUPYTER_CONFIG_DIR": "/tmp/jupyter-config",
        "JUPYTER_RUNTIME_DIR": "/tmp/jupyter-runtime",
        "IPYTHONDIR": "/tmp/ipython",
        "MPLCONFIGDIR": "/tmp/matplotlib",
        **QUIET_ENV,
    }
    command = [sandbox_python(), "-m", "dlclinic.grading.inside", slug, student]
    outcome = run_sandboxed(command, work, PACKAGE_DIR, env, limits, uid)
    executed = work / "autograded" / student / slug / f"{slug}.ipynb"
    if outcome.timed_out:
        return f"ran past the {limits.wall_seconds:g} s limit for one notebook"
    if outcome.returncode != 0 or not executed.is_file():
        return _failure(outcome.log, outcome.returncode)
    if executed.is_symlink() or not executed.resolve().is_relative_to(work.resolve()):
        return "the executed notebook was replaced by a link (tampering)"
    target = staging / student / slug
    target.mkdir(parents=True)
    nbformat.write(read_notebook(executed), target / f"{slug}.ipynb")
    if (folder / "timestamp.txt").is_file():
        shutil.copy2(folder / "timestamp.txt", target / "timestamp.txt")
    return ""


def _course_copy(root: Path, slug: str, student: str, folder: Path, work: Path, config: str) -> None:
    """The sandbox's course: config, private gradebook, the submission, the source's data files (no notebooks)."""
    (work / SOURCE_DIR / slug).mkdir(parents=True)
    for path in (root / SOURCE_DIR / slug).rglob("*"):
        if path.is_file() and path.suffix != ".ipynb" and not any(part in IGNORE for part in path.parts):
            target = work / SOURCE_DIR / slug / path.relative_to(root / SOURCE_DIR / slug)
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(path, target)
    target = work / "submitted" / student / slug  # links are copied as links: they lead nowhere in the sandbox
    shutil.copytree(folder, target, symlinks=True, ignore=shutil.ignore_patterns(*IGNORE))
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


def _score_outside(root: Path, slug: str, staging: Path, staged: list[str]) -> dict[str, str]:
    """Score the executed notebooks against the real gradebook (nothing runs); return who could not be scored."""
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
