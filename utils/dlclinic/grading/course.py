"""Throw-away nbgrader course directories, and running the nbgrader command line in them.

A course directory mirrors the repository: ``nbgrader_config.py`` at its root, the source notebooks under
``solutions/<slug>/`` and the release under ``exercises/<slug>/``, plus its own ``gradebook.db``.
"""

from __future__ import annotations

import fnmatch
import os
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

import nbformat
from nbformat import NotebookNode
from traitlets.config.loader import PyFileConfigLoader

from dlclinic.quiet import QUIET_ENV

CONFIG_FILE = "nbgrader_config.py"
SOURCE_DIR = "solutions"
RELEASE_DIR = "exercises"
# nbgrader's default CourseDirectory.ignore: never copied into a course, never compared.
IGNORE = (".ipynb_checkpoints", "*.pyc", "__pycache__", "feedback")


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


def run_nbgrader(args: list[str], root: Path, timeout: float | None = None) -> str:
    """Run ``python -m nbgrader <args>`` on the course at ``root``; return its log, raise on failure."""
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
        env = grading_env()
        env["JUPYTER_CONFIG_DIR"] = config_dir  # keeps ~/.jupyter/nbgrader_config.py out of the run
        done = subprocess.run(command, cwd=root, env=env, capture_output=True, text=True, timeout=timeout, check=False)
    log = done.stdout + done.stderr
    if done.returncode != 0:
        raise NbgraderError(f"{' '.join(command)}\nexited with {done.returncode}:\n{log}")
    return log


def _ignored(name: str) -> bool:
    return any(fnmatch.fnmatch(name, pattern) for pattern in IGNORE)


def _copy_ignore(_directory: str, names: list[str]) -> list[str]:
    return [name for name in names if _ignored(name)]


@dataclass(frozen=True)
class Course:
    """A course directory holding one assignment, ``slug``, whose main notebook is ``<slug>.ipynb``."""

    root: Path
    slug: str

    @property
    def db_url(self) -> str:
        """The SQLAlchemy URL of the course's gradebook."""
        return f"sqlite:///{self.root / 'gradebook.db'}"

    @property
    def course_id(self) -> str:
        """The ``CourseDirectory.course_id`` set in the course's ``nbgrader_config.py``."""
        config = PyFileConfigLoader(CONFIG_FILE, path=str(self.root)).load_config()
        return str(config.CourseDirectory.get("course_id", "default_course"))

    @property
    def source_dir(self) -> Path:
        """Where the source (instructor) notebooks of the assignment live."""
        return self.root / SOURCE_DIR / self.slug

    @property
    def release_dir(self) -> Path:
        """Where ``generate_assignment`` wrote the release (student) version."""
        return self.root / RELEASE_DIR / self.slug

    def source_notebook(self) -> NotebookNode:
        """The assignment's main source notebook."""
        return nbformat.read(self.source_dir / f"{self.slug}.ipynb", as_version=4)

    def release_notebook(self) -> NotebookNode:
        """The assignment's main release notebook."""
        return nbformat.read(self.release_dir / f"{self.slug}.ipynb", as_version=4)


def assignment_slugs(repo_root: Path) -> list[str]:
    """The assignments of a repository: the folders under ``solutions/``, sorted."""
    source = Path(repo_root) / SOURCE_DIR
    return sorted(
        p.name for p in source.glob("*") if p.is_dir() and not p.name.startswith((".", "_")) and p.name not in IGNORE
    )


def generate_release(root: Path, slug: str) -> str:
    """Run ``nbgrader generate_assignment <slug> --force`` on the course at ``root``; return the log."""
    return run_nbgrader(["generate_assignment", slug, "--force"], root)


def make_course(repo_root: Path, slug: str, root: Path) -> Course:
    """Create a course at ``root`` (which must not exist) from the repository's ``nbgrader_config.py`` and
    ``solutions/<slug>/``, and generate its release there."""
    repo_root, root = Path(repo_root), Path(root)
    source = repo_root / SOURCE_DIR / slug
    if not (source / f"{slug}.ipynb").is_file():
        raise FileNotFoundError(f"no source notebook {source / f'{slug}.ipynb'}")
    root.mkdir(parents=True)
    shutil.copy2(repo_root / CONFIG_FILE, root / CONFIG_FILE)
    shutil.copytree(source, root / SOURCE_DIR / slug, ignore=_copy_ignore)
    generate_release(root, slug)
    return Course(root=root.resolve(), slug=slug)
