"""Keep TensorFlow's start-up chatter off stderr, so graded cells stay clean.

nbgrader scores a test cell 0 when it writes anything to stderr, and the TensorFlow wheel prints C++ log
lines at import time (before it reads ``TF_CPP_MIN_LOG_LEVEL``) and at its first op on a machine without a
GPU. The import and the device probe therefore run with file descriptor 2 pointed at a temporary file; if
they fail, what was captured is printed with the error.
"""

from __future__ import annotations

import contextlib
import os
import sys
import tempfile
from collections.abc import Iterator

QUIET_ENV = {"TF_CPP_MIN_LOG_LEVEL": "3", "GRPC_VERBOSITY": "ERROR", "KMP_WARNINGS": "0"}


def set_quiet_env() -> None:
    """Set the log-level variables TensorFlow reads, unless the user chose their own."""
    for name, value in QUIET_ENV.items():
        os.environ.setdefault(name, value)


@contextlib.contextmanager
def captured_stderr_fd() -> Iterator[None]:
    """Send C-level writes to stderr into a temporary file; replay them if the block raises."""
    sys.stderr.flush()
    saved = os.dup(2)
    with tempfile.TemporaryFile(mode="w+b") as sink:
        os.dup2(sink.fileno(), 2)
        try:
            yield
        except BaseException:
            os.dup2(saved, 2)
            sink.seek(0)
            sys.stderr.write(sink.read().decode(errors="replace"))
            raise
        finally:
            os.dup2(saved, 2)
            os.close(saved)
