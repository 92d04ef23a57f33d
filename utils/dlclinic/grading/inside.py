"""The nbgrader run inside the sandbox: ``python -m dlclinic.grading.inside SLUG STUDENT``.

It runs ``nbgrader autograde`` in this process on the course at the current folder (the sandbox's writable
folder, holding a copy of the gradebook). Before that it makes itself undumpable, so the student's kernel, which
runs as the same user, cannot attach to it; right after the notebook has run, ``KillStragglers`` kills every
process left in the sandbox (a child the student detached, say), so nothing of the student's runs while nbgrader
scores and writes the executed notebook.
"""

from __future__ import annotations

import ctypes
import os
import signal
import sys
from pathlib import Path

from nbgrader.preprocessors import NbGraderPreprocessor

PR_SET_DUMPABLE = 4


class KillStragglers(NbGraderPreprocessor):
    """Kill every process in the sandbox but this one and its ancestors (nbgrader's kernel is gone by then)."""

    def preprocess(self, nb, resources):  # noqa: ANN001, ANN201 - nbconvert's signature
        keep = _ancestors(os.getpid())
        for entry in Path("/proc").iterdir():
            if entry.name.isdigit() and int(entry.name) not in keep:
                try:
                    os.kill(int(entry.name), signal.SIGKILL)
                except (ProcessLookupError, PermissionError):
                    pass
        return nb, resources


def _ancestors(pid: int) -> set[int]:
    """``pid`` and every process above it, up to the sandbox's PID 1."""
    chain = {pid}
    while pid > 1:
        stat = Path(f"/proc/{pid}/stat").read_text()
        pid = int(stat.rsplit(")", 1)[1].split()[1])
        chain.add(pid)
    return chain


def _undumpable() -> None:
    """Forbid ptrace and /proc/<pid>/mem access to this process from processes of the same user."""
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) != 0:
        raise OSError(ctypes.get_errno(), "prctl(PR_SET_DUMPABLE, 0) failed")


def main(slug: str, student: str) -> None:
    """Autograde ``student``'s submission of ``slug`` in the course at the current folder."""
    _undumpable()
    from nbgrader.apps.nbgraderapp import NbGraderApp

    sys.argv = ["nbgrader", "autograde", slug, f"--student={student}", "--force"]
    NbGraderApp.launch_instance()


if __name__ == "__main__":
    main(*sys.argv[1:])
