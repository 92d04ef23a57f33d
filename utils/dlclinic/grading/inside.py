"""The nbgrader run inside the sandbox: ``python -m dlclinic.grading.inside SLUG STUDENT``.

It copies the staged course (``/grading/in``, read-only: config, a private gradebook, the notebook, the
assignment's data files) into the working folder and runs ``nbgrader autograde`` there, in this process. Before
anything of the student's runs it makes itself undumpable (the kernel runs as the same user: no ptrace, no
``/proc/<pid>/mem`` or ``fd``) and keeps the hand-off pipe to itself (not inherited by the kernel). Right after
the notebook has run and its kernel is shut down, ``HandBack`` writes the executed notebook, from this
process's memory, to that pipe and exits: nothing a student's process left behind can change it, and nothing
it wrote in the sandbox is read back. The grader then kills the whole sandbox at once.
"""

from __future__ import annotations

import ctypes
import json
import os
import shutil
import sys

from nbgrader.preprocessors import NbGraderPreprocessor

from dlclinic.grading.sandbox import COURSE_IN, HANDOFF_ENV

PR_SET_DUMPABLE = 4


class HandBack(NbGraderPreprocessor):
    """Write the executed notebook to the hand-off pipe and end the sandbox's run (its kernel is gone)."""

    def preprocess(self, nb, resources):  # noqa: ANN001, ANN201 - nbconvert's signature
        data = json.dumps(nb).encode("utf-8")
        with os.fdopen(int(os.environ[HANDOFF_ENV]), "wb") as pipe:
            pipe.write(data)
        os._exit(0)


def _undumpable() -> None:
    """Forbid ptrace and /proc/<pid>/mem access to this process from processes of the same user."""
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) != 0:
        raise OSError(ctypes.get_errno(), "prctl(PR_SET_DUMPABLE, 0) failed")


def main(slug: str, student: str) -> None:
    """Autograde ``student``'s submission of ``slug`` in a copy of the staged course, in the current folder."""
    _undumpable()
    os.set_inheritable(int(os.environ[HANDOFF_ENV]), False)
    shutil.copytree(COURSE_IN, ".", dirs_exist_ok=True)
    from nbgrader.apps.nbgraderapp import NbGraderApp

    sys.argv = ["nbgrader", "autograde", slug, f"--student={student}", "--force"]
    NbGraderApp.launch_instance()


if __name__ == "__main__":
    main(*sys.argv[1:])
