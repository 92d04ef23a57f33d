"""Shared pytest configuration."""

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def pytest_configure(config):
    config.addinivalue_line(
        "markers", "grading: autogrades course notebooks with nbgrader (slow; deselect with -m 'not grading')"
    )
    config.addinivalue_line(
        "markers", "slow: executes the case notebooks in quick mode (minutes; deselect with -m 'not slow')"
    )
    config.addinivalue_line(
        "markers", "book: builds the Jupyter Book (~15 s; needs npm ci; deselect with -m 'not book')"
    )


@pytest.fixture(scope="session")
def quick_run(tmp_path_factory):
    """Run a case once per session in quick mode through ``python -m dlclinic.run``; return its build folder.

    The notebook hygiene test and each case's own checks share the one run (minutes on 2 cores).
    """
    builds: dict[str, tuple[Path, subprocess.CompletedProcess]] = {}

    def run(slug: str) -> tuple[Path, subprocess.CompletedProcess]:
        if slug not in builds:
            build = tmp_path_factory.mktemp(slug)
            command = [sys.executable, "-m", "dlclinic.run", "--build-dir", str(build), slug]
            builds[slug] = (build, subprocess.run(command, cwd=ROOT, capture_output=True, text=True))
        return builds[slug]

    return run
