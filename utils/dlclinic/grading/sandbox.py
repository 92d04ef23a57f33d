"""Run one command in a bubblewrap sandbox: no network, read-only system and course sources, one writable folder.

The sandbox (``bwrap``, Debian package ``bubblewrap``) gets new user, PID, network, IPC, UTS and cgroup
namespaces: the loopback interface works (the kernel talks to nbgrader over it) and nothing else does. Only
the system folders, the Python installation, the virtual environment and the course's package are visible,
read-only; ``workdir`` is the one writable folder, mounted at ``/grading/work``; ``/tmp`` is private. When the
command ends or runs past ``wall_seconds``, every process in the sandbox dies with it (the PID namespace ends).
Run as root, each sandbox runs as a user of its own (``SANDBOX_UID`` and up), so the process limit counts the
sandbox's processes only.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

WORK = "/grading/work"
PACKAGE = "/grading/utils"
INPUTS = "/grading/inputs.json"  # the grader's inputs for the hidden tests, read-only (dlclinic.grading.handout)
SANDBOX_UID = 61000  # run by root, sandboxes run as 61000, 61001, ...: users with no files and no other processes
TMPFS_BYTES = 2**30  # each of the sandbox's /tmp and /dev/shm
SYSTEM_DIRS = ("/usr", "/etc", "/lib", "/lib64", "/lib32", "/bin", "/sbin")


@dataclass(frozen=True)
class Limits:
    """Resource limits of one sandboxed run: address space and file size per process, tasks, wall clock."""

    memory_bytes: int = 8 * 2**30
    tasks: int = 512
    file_bytes: int = 2 * 2**30
    wall_seconds: float = 1800.0


@dataclass(frozen=True)
class Outcome:
    """How a sandboxed command ended: its exit status (``None`` when killed at the wall clock) and its log."""

    returncode: int | None
    log: str
    timed_out: bool


class SandboxUnavailable(RuntimeError):
    """``bwrap`` is missing or cannot create namespaces on this machine."""


def bwrap() -> str:
    """The path of ``bwrap``; raises ``SandboxUnavailable`` with the install command when it is missing."""
    found = shutil.which("bwrap")
    if found is None:
        raise SandboxUnavailable("bubblewrap is not installed: run `apt-get install -y bubblewrap` (Debian/Ubuntu)")
    return found


def probe(package_dir: Path) -> None:
    """Start an empty sandbox; raise ``SandboxUnavailable`` with bubblewrap's complaint when it cannot start."""
    with tempfile.TemporaryDirectory(prefix="sandbox-probe-") as folder:
        os.chmod(folder, 0o755)
        command = sandbox_command(["/bin/true"], Path(folder), package_dir, {})
        done = subprocess.run(command, capture_output=True, text=True, timeout=60, check=False)
    if done.returncode != 0:
        complaint = (done.stderr.strip().splitlines() or ["no message"])[-1]
        raise SandboxUnavailable(
            f"bubblewrap cannot start a sandbox here ({complaint}); in a container, allow user namespaces "
            "(Docker: --security-opt seccomp=unconfined) or grade on the host"
        )


def _python_dirs() -> list[Path]:
    """The interpreter's installation and the virtual environment, resolved (both are mounted read-only)."""
    dirs = {Path(sys.base_prefix).resolve(), Path(sys.prefix).resolve()}
    return sorted(dirs)


def sandbox_python() -> str:
    """The virtual environment's interpreter, by the path it has inside the sandbox."""
    return str(Path(sys.prefix).resolve() / "bin" / "python")


def _mounts(workdir: Path, package_dir: Path, files: dict[str, Path] | None = None) -> list[tuple[str, str, str]]:
    """``(option, source, destination)`` of every mount: system and Python read-only, ``workdir`` writable,
    ``files`` (``{path in the sandbox: file}``) read-only."""
    mounts = [("--ro-bind-try", folder, folder) for folder in SYSTEM_DIRS]
    mounts += [("--ro-bind", str(folder), str(folder)) for folder in _python_dirs()]
    mounts.append(("--ro-bind", str(Path(package_dir).resolve()), PACKAGE))
    mounts += [("--ro-bind", str(Path(file).resolve()), dest) for dest, file in (files or {}).items()]
    mounts.append(("--bind", str(Path(workdir).resolve()), WORK))
    return mounts


def sandbox_command(
    command: list[str],
    workdir: Path,
    package_dir: Path,
    env: dict[str, str],
    uid: int = SANDBOX_UID,
    files: dict[str, Path] | None = None,
) -> list[str]:
    """The ``bwrap`` command line that runs ``command`` in the sandbox with ``env`` as its whole environment.

    Run by root, bwrap keeps the user namespace of the host and the command drops to ``uid`` inside
    (``setpriv``), so that the task limit counts the sandbox's processes, not every process of root.
    """
    as_root = os.geteuid() == 0
    args = [bwrap(), "--die-with-parent", "--new-session", "--hostname", "grader"]
    if as_root:
        args += ["--unshare-pid", "--unshare-net", "--unshare-ipc", "--unshare-uts", "--unshare-cgroup-try"]
        args += ["--cap-drop", "ALL", "--cap-add", "CAP_SETUID", "--cap-add", "CAP_SETGID"]
    else:
        args += ["--unshare-all"]
    args += ["--proc", "/proc", "--dev", "/dev"]
    for scratch in ("/dev/shm", "/tmp"):  # in memory, so bounded
        args += ["--size", str(TMPFS_BYTES), "--tmpfs", scratch, "--chmod", "1777", scratch]
    mounts = _mounts(workdir, package_dir, files)
    parents = sorted({str(p) for _, _, dest in mounts for p in Path(dest).parents if str(p) != "/"}, key=len)
    for parent in parents:
        args += ["--perms", "0755", "--dir", parent]
    for option, source, dest in mounts:
        args += [option, source, dest]
    args += ["--chdir", WORK, "--clearenv"]
    for name, value in env.items():
        args += ["--setenv", name, value]
    if as_root:
        drop = [f"--reuid={uid}", f"--regid={uid}", "--clear-groups", "--inh-caps=-all", "--bounding-set=-all"]
        command = ["/usr/bin/setpriv", *drop, *command]
    return [*args, "--", *command]


def run_sandboxed(
    command: list[str],
    workdir: Path,
    package_dir: Path,
    env: dict[str, str],
    limits: Limits,
    uid: int = SANDBOX_UID,
    files: dict[str, Path] | None = None,
) -> Outcome:
    """Run ``command`` in the sandbox with ``limits`` and ``files`` mounted read-only; kill everything it
    started when it ends or times out."""
    workdir = Path(workdir)
    if os.geteuid() == 0:  # the sandbox's user must own its writable folder
        for path in [workdir, *workdir.rglob("*")]:
            os.chown(path, uid, uid, follow_symlinks=False)
    limit_args = [
        shutil.which("prlimit") or "prlimit",
        f"--as={limits.memory_bytes}",
        f"--nproc={limits.tasks}",
        f"--fsize={limits.file_bytes}",
        "--core=0",
    ]
    full = [*limit_args, *sandbox_command(command, workdir, package_dir, env, uid, files)]
    process = subprocess.Popen(
        full, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, errors="replace", start_new_session=True
    )
    try:
        log, _ = process.communicate(timeout=limits.wall_seconds)
        return Outcome(process.returncode, log, timed_out=False)
    except subprocess.TimeoutExpired:
        _kill_group(process.pid)
        log, _ = process.communicate()
        return Outcome(None, log, timed_out=True)
    finally:
        _kill_group(process.pid)


def _kill_group(pgid: int) -> None:
    """SIGKILL the sandbox's process group; the PID namespace takes every process inside with it."""
    try:
        os.killpg(pgid, signal.SIGKILL)
    except ProcessLookupError:
        pass
