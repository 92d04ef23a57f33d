"""Running the nbgrader command line on a course directory laid out like the repository.

A course directory holds ``nbgrader_config.py`` at its root, the source notebooks under ``solutions/<slug>/``
and the release under ``exercises/<slug>/``, plus its own ``gradebook.db``.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path

from dlclinic.quiet import QUIET_ENV

CONFIG_FILE = "nbgrader_config.py"
SOURCE_DIR = "solutions"
RELEASE_DIR = "exercises"
# nbgrader's default CourseDirectory.ignore: never copied into a course, never compared.
IGNORE = (".ipynb_checkpoints", "*.pyc", "__pycache__", "feedback")
# Files of solutions/<slug>/ that are never released nor copied into a sandbox (nbgrader_config.py adds them to
# CourseDirectory.ignore): the check module, which holds the references (dlclinic.grading.outside), and the
# instructor's scripts.
PRIVATE = ("checks.py", "instructor_*")


class NbgraderError(RuntimeError):
    """An nbgrader command exited with an error; the message holds its command line and log."""


def grading_env() -> dict[str, str]:
    """The environment for nbgrader and its kernels: the current one, with TensorFlow told to be quiet and
    this interpreter's scripts first on ``PATH`` (nbgrader runs ``alembic`` from there to create a gradebook).
    """
    env = dict(os.environ)
    env.update(QUIET_ENV)
    env["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), env.get("PATH", "")])
    env["PYTHONUNBUFFERED"] = "1"
    return env


def run_nbgrader(
    args: list[str], root: Path, timeout: float | None = None, config: str = "", env: dict[str, str] | None = None
) -> str:
    """Run ``python -m nbgrader <args>`` on the course at ``root``; return its log, raise on failure.

    ``config`` is extra nbgrader configuration (Python, as in ``nbgrader_config.py``) for this run only; the
    course's own ``nbgrader_config.py`` is read after it and wins where both set the same option. ``env``
    adds environment variables (the kernels inherit them).
    """
    root = Path(root).resolve()
    command = [
        sys.executable,
        "-m",
        "nbgrader",
        *args,
        f"--CourseDirectory.root={root}",
        f"--CourseDirectory.db_url=sqlite:///{root / 'gradebook.db'}",
        f"--CourseDirectory.source_directory={SOURCE_DIR}",
        f"--CourseDirectory.release_directory={RELEASE_DIR}",
    ]
    with tempfile.TemporaryDirectory(prefix="jupyter-config-") as config_dir:
        env = grading_env() | (env or {})
        env["JUPYTER_CONFIG_DIR"] = config_dir  # keeps ~/.jupyter/nbgrader_config.py out of the run
        if config:
            Path(config_dir, CONFIG_FILE).write_text(config, encoding="utf-8")
        done = subprocess.run(command, cwd=root, env=env, capture_output=True, text=True, timeout=timeout, check=False)
    log = done.stdout + done.stderr
    if done.returncode != 0:
        raise NbgraderError(f"{' '.join(command)}\nexited with {done.returncode}:\n{log}")
    return log


def assignment_slugs(repo_root: Path) -> list[str]:
    """The assignments of a repository: the folders under ``solutions/``, sorted."""
    source = Path(repo_root) / SOURCE_DIR
    return sorted(
        p.name for p in source.glob("*") if p.is_dir() and not p.name.startswith((".", "_")) and p.name not in IGNORE
    )


def generate_release(root: Path, slug: str) -> str:
    """Run ``nbgrader generate_assignment <slug> --force`` on the course at ``root``; return the log."""
    return run_nbgrader(["generate_assignment", slug, "--force"], root)
