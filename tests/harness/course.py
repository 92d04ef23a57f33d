"""Throw-away nbgrader course directories, one assignment each, made from a repository's ``solutions/<slug>/``.

A course mirrors the repository: ``nbgrader_config.py`` at its root, the source notebooks under
``solutions/<slug>/``, the release generated under ``exercises/<slug>/`` and its own ``gradebook.db``.
"""

from __future__ import annotations

import fnmatch
import shutil
from dataclasses import dataclass
from pathlib import Path

import nbformat
from nbformat import NotebookNode
from traitlets.config.loader import PyFileConfigLoader

from dlclinic.grading.course import CONFIG_FILE, IGNORE, RELEASE_DIR, SOURCE_DIR, generate_release


def _copy_ignore(_directory: str, names: list[str]) -> list[str]:
    return [name for name in names if any(fnmatch.fnmatch(name, pattern) for pattern in IGNORE)]


@dataclass(frozen=True)
class Course:
    """A course directory holding one assignment, ``slug``, whose main notebook is ``<slug>.ipynb``."""

    root: Path
    slug: str

    @property
    def db_url(self) -> str:
        """The SQLAlchemy URL of the course's gradebook."""
        return f"sqlite:///{self.root / 'gradebook.db'}"

    def _config(self):
        return PyFileConfigLoader(CONFIG_FILE, path=str(self.root)).load_config()

    @property
    def course_id(self) -> str:
        """The ``CourseDirectory.course_id`` set in the course's ``nbgrader_config.py``."""
        return str(self._config().CourseDirectory.get("course_id", "default_course"))

    @property
    def cell_timeout(self) -> int:
        """The seconds per cell (``Execute.timeout``) set in the course's ``nbgrader_config.py``."""
        return int(self._config().Execute.get("timeout", 30))  # 30: nbgrader's default

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
