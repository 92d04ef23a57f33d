"""The toy assignment ``00-toy``: a committed fixture (``tests/fixtures/toy/``) laid out like the repository,
that follows every course convention and tests the grading machinery without the real cases' training.

Its source notebook has two graded functions (``double``; ``square`` with a hidden test), a ``slow`` training
stand-in that starts TensorFlow and sleeps 3 s (the only cell that imports it, so that only kernels that train
pay for the import, as a real assignment's memory limits must allow), and a written answer;
``tests/mutants/00-toy/`` holds one mutant per graded answer.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from dlclinic.grading.course import CONFIG_FILE, generate_release

SLUG = "00-toy"
FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "toy"
REPO_CONFIG = Path(__file__).resolve().parents[2] / CONFIG_FILE


def write_toy_repo(root: Path, release: bool = True) -> Path:
    """Copy the fixture to ``root`` with the repository's ``nbgrader_config.py``, generate its release there
    (``exercises/00-toy/``) unless ``release`` is false, and return ``root``."""
    root = Path(root)
    shutil.copytree(FIXTURE, root)
    shutil.copy2(REPO_CONFIG, root / CONFIG_FILE)
    if release:
        generate_release(root, SLUG)
    return root


def source_path(root: Path = FIXTURE) -> Path:
    """The toy's source notebook under ``root`` (by default the committed fixture)."""
    return Path(root) / "solutions" / SLUG / f"{SLUG}.ipynb"
