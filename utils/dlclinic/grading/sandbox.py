"""Run one command in a bubblewrap sandbox: no network, read-only system and course sources, bounded resources.

The sandbox (``bwrap``, Debian package ``bubblewrap``) gets new PID, network, IPC, UTS, mount and cgroup
namespaces (and a user namespace when not run by root): the loopback interface works (the kernel talks to
nbgrader over it) and nothing else does. Only the system folders, the Python installation, the virtual
environment and the course's package are visible, read-only; ``course_dir`` is mounted read-only at
``/grading/in`` for the command to copy; the only writable places are the working folder ``/grading/work``,
``/tmp`` and ``/dev/shm``, all in memory (tmpfs), in the sandbox's own mount namespace: nothing the command
writes reaches the host's disk, and it all goes with the sandbox.

What comes out: the command's standard output and error (the kernel's, too), read through a pipe with at most
``Limits.output_bytes`` kept, and the bytes it writes to the **hand-off pipe** (its file descriptor is in
``$DLCLINIC_HANDOFF_FD``), at most ``Limits.notebook_bytes``. Past either cap the sandbox is killed and
``Outcome.over`` says so; the grader's memory never grows with what a kernel prints.

Limits (``Limits``): the sandbox's processes together get one cgroup (``dlclinic.grading.cgroup``: total memory,
tasks, CPU) where the machine lets the grader make one, and each process an address-space and process-count
rlimit; the writable places share one tmpfs of ``disk_bytes`` and ``inodes`` when the grader runs as root (it
mounts it), or get a tmpfs of ``disk_bytes`` each otherwise (bubblewrap cannot cap inodes). When the command
ends, runs past ``wall_seconds`` or passes a cap, every process of the sandbox is killed at once (``cgroup.kill``,
the freezer, or the PID namespace torn down whole). Run as root, each sandbox runs as a user that no other
sandbox on the machine runs as at the same time (``claimed_uid``: ``SANDBOX_UID`` and up, a lock file each), so
the process limit, which counts all of a user's processes, counts the sandbox's only, whoever started the other.
"""

from __future__ import annotations

import collections
import contextlib
import fcntl
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from dlclinic.grading.cgroup import CgroupError, SandboxCgroup, Usage, support

WORK = "/grading/work"
COURSE_IN = "/grading/in"  # the staged course, read-only: the command copies it into WORK
PACKAGE = "/grading/utils"
INPUTS = "/grading/inputs.json"  # the grader's inputs for the hidden tests, read-only (dlclinic.grading.handout)
HANDOFF_ENV = "DLCLINIC_HANDOFF_FD"  # the file descriptor of the hand-off pipe, inside the sandbox
SANDBOX_UID = 61000  # run by root, sandboxes run as 61000, 61001, ...: users with no files and no other processes
SANDBOX_UIDS = 256  # how many sandboxes may run at once on one machine
UID_LOCKS = Path(tempfile.gettempdir()) / f"dlclinic-sandbox-uids-{os.geteuid()}"  # the grader's own folder
SYSTEM_DIRS = ("/usr", "/etc", "/lib", "/lib64", "/lib32", "/bin", "/sbin")
MB = 2**20
LOG_KEPT = 64 * 1024  # bytes of the command's output kept for the reason a run failed (head and tail)

# Run by root before bubblewrap, in a private mount namespace: one tmpfs for every writable place.
_MOUNT = """\
mount -t tmpfs -o "size=$2,nr_inodes=$3,mode=0755" dlclinic-sandbox "$1" || exit 125
mkdir "$1/work" "$1/tmp" "$1/shm" && chown "$4:$4" "$1/work" && chmod 1777 "$1/tmp" "$1/shm" || exit 125
shift 4
exec "$@"
"""
# The sandbox's first process joins its cgroups before anything else runs.
_JOIN = 'while [ "$1" != -- ]; do echo $$ > "$1" || exit 125; shift; done; shift; exec "$@"'


@dataclass(frozen=True)
class Limits:
    """Resource limits of one sandboxed run.

    ``memory_bytes``: all processes together (cgroup) and each one's address space; ``tasks``: processes and
    threads; ``cpus``: CPU seconds per second (``None``: the machine's cores shared by the parallel sandboxes);
    ``disk_bytes`` and ``inodes``: what the sandbox can write; ``output_bytes``: the command's standard output
    and error, and each stored output of the executed notebook; ``notebook_bytes``: the executed notebook
    handed back (hand-outs are bounded by it only); ``wall_seconds``: the whole run."""

    memory_bytes: int = 8 * 2**30
    tasks: int = 512
    cpus: float | None = None
    disk_bytes: int = 2**30
    inodes: int = 16384
    output_bytes: int = 8 * MB
    notebook_bytes: int = 64 * MB
    wall_seconds: float = 1800.0


@dataclass(frozen=True)
class Outcome:
    """How a sandboxed command ended: its exit status (``None`` when killed), the head and tail of its log,
    what it handed back, why it was cut off (``over``: '' or a reason) and what its cgroup counted."""

    returncode: int | None
    log: str
    timed_out: bool
    handed_back: bytes = b""
    over: str = ""
    usage: Usage | None = None


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
        course = Path(folder) / "in"
        course.mkdir()
        done = run_sandboxed(["/bin/true"], course, package_dir, {}, Limits(wall_seconds=60))
    if done.returncode != 0:
        complaint = (done.log.strip().splitlines() or ["no message"])[-1]
        raise SandboxUnavailable(
            f"bubblewrap cannot start a sandbox here ({complaint}); in a container, allow user namespaces "
            "(Docker: --security-opt seccomp=unconfined) or grade on the host"
        )


def containment(limits: Limits) -> str:
    """One line: how sandboxes are killed and limited on this machine, with ``limits``."""
    disk = f"{limits.disk_bytes / MB:g} MB"
    if os.geteuid() == 0:
        writable = f"one tmpfs of {disk} and {limits.inodes} inodes for the working folder, /tmp and /dev/shm"
    else:
        writable = f"a tmpfs of {disk} each for the working folder, /tmp and /dev/shm (no inode cap: not root)"
    return f"{support().describe()}; writable: {writable}"


def _python_dirs() -> list[Path]:
    """The interpreter's installation and the virtual environment, resolved (both are mounted read-only)."""
    dirs = {Path(sys.base_prefix).resolve(), Path(sys.prefix).resolve()}
    return sorted(dirs)


def sandbox_python() -> str:
    """The virtual environment's interpreter, by the path it has inside the sandbox."""
    return str(Path(sys.prefix).resolve() / "bin" / "python")


def _mounts(course_dir: Path, package_dir: Path, files: dict[str, Path] | None) -> list[tuple[str, str, str]]:
    """``(option, source, destination)`` of every read-only mount: system, Python, package, course, ``files``."""
    mounts = [("--ro-bind-try", folder, folder) for folder in SYSTEM_DIRS]
    mounts += [("--ro-bind", str(folder), str(folder)) for folder in _python_dirs()]
    mounts.append(("--ro-bind", str(Path(package_dir).resolve()), PACKAGE))
    mounts.append(("--ro-bind", str(Path(course_dir).resolve()), COURSE_IN))
    mounts += [("--ro-bind", str(Path(file).resolve()), dest) for dest, file in (files or {}).items()]
    return mounts


def sandbox_command(
    command: list[str],
    course_dir: Path,
    package_dir: Path,
    env: dict[str, str],
    limits: Limits,
    uid: int = SANDBOX_UID,
    files: dict[str, Path] | None = None,
    writable: Path | None = None,
) -> list[str]:
    """The ``bwrap`` command line that runs ``command`` in the sandbox with ``env`` as its whole environment.

    Run by root (``writable``: the empty folder its tmpfs is mounted on, in a private mount namespace), bwrap
    keeps the user namespace of the host and the command drops to ``uid`` inside (``setpriv``), so that the
    task limit counts the sandbox's processes, not every process of root."""
    as_root = os.geteuid() == 0
    args = [bwrap(), "--die-with-parent", "--new-session", "--hostname", "grader"]
    if as_root:
        args += ["--unshare-pid", "--unshare-net", "--unshare-ipc", "--unshare-uts", "--unshare-cgroup-try"]
        args += ["--cap-drop", "ALL", "--cap-add", "CAP_SETUID", "--cap-add", "CAP_SETGID"]
    else:
        args += ["--unshare-all"]
    args += ["--proc", "/proc", "--dev", "/dev"]
    # the writable places first, so that a read-only mount below one of them (a virtual environment under /tmp)
    # lands on top of it instead of being hidden by it
    places = {WORK: "work", "/tmp": "tmp", "/dev/shm": "shm"}
    mounts = _mounts(course_dir, package_dir, files)
    destinations = [dest for _, _, dest in mounts] + list(places)
    parents = sorted({str(p) for dest in destinations for p in Path(dest).parents if str(p) != "/"}, key=len)
    below = [p for p in parents if any(Path(p).is_relative_to(place) for place in places)]
    for parent in [p for p in parents if p not in below]:  # readable by the sandbox's user (0755)
        args += ["--perms", "0755", "--dir", parent]
    for place, name in places.items():
        if as_root and writable is not None:
            args += ["--bind", str(writable / name), place]
        else:
            args += ["--size", str(limits.disk_bytes), "--tmpfs", place]
            args += ["--chmod", "1777" if place != WORK else "0755", place]
    for parent in below:
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


def _launcher(cgroup: SandboxCgroup | None, limits: Limits, uid: int, writable: Path | None) -> list[str]:
    """What runs before bubblewrap: join the cgroup, set the rlimits, mount the tmpfs (as root)."""
    join = ["/bin/sh", "-c", _JOIN, "sh", *map(str, cgroup.procs_files), "--"] if cgroup else []
    rlimits = [shutil.which("prlimit") or "prlimit", f"--as={limits.memory_bytes}", f"--nproc={limits.tasks}"]
    rlimits += ["--core=0"]
    mount = []
    if writable is not None:
        private = [shutil.which("unshare") or "unshare", "--mount", "--propagation", "private", "--"]
        mount = [*private, "/bin/sh", "-c", _MOUNT, "sh", str(writable), str(limits.disk_bytes), str(limits.inodes)]
        mount.append(str(uid))
    return [*join, *rlimits, *mount]


class _Reader(threading.Thread):
    """Reads a pipe to its end; keeps all of it up to ``cap`` bytes (``whole``) or its head and tail; calls
    ``over()`` once when more than ``cap`` bytes came."""

    def __init__(self, fd: int, cap: int, whole: bool, over) -> None:  # noqa: ANN001 - a callable
        super().__init__(daemon=True)
        self.fd, self.cap, self.whole, self.over = fd, cap, whole, over
        self.total, self.head, self.tail = 0, bytearray(), collections.deque()
        self.tail_bytes = 0

    def run(self) -> None:
        try:
            while data := os.read(self.fd, 1 << 16):
                self.total += len(data)
                if self.total > self.cap:
                    if self.total - len(data) <= self.cap:
                        self.over()
                    continue  # drained, never kept
                if self.whole or len(self.head) < LOG_KEPT:
                    self.head += data
                else:
                    self.tail.append(data)
                    self.tail_bytes += len(data)
                    while self.tail_bytes - len(self.tail[0]) > LOG_KEPT:
                        self.tail_bytes -= len(self.tail.popleft())
        finally:
            os.close(self.fd)

    def text(self) -> str:
        middle = "\n[...]\n" if self.tail and self.total > len(self.head) + self.tail_bytes else ""
        return (bytes(self.head) + middle.encode() + b"".join(self.tail)).decode("utf-8", errors="replace")


@contextlib.contextmanager
def claimed_uid() -> Iterator[int]:
    """A sandbox user that no other sandbox on this machine runs as until the block ends (a lock file per user):
    two sandboxes of one user would share its process-count rlimit, and one could not start beside the other."""
    UID_LOCKS.mkdir(mode=0o700, exist_ok=True)
    for uid in range(SANDBOX_UID, SANDBOX_UID + SANDBOX_UIDS):
        fd = os.open(UID_LOCKS / f"{uid}.lock", os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            continue
        try:
            yield uid
        finally:
            os.close(fd)
        return
    raise SandboxUnavailable(f"all {SANDBOX_UIDS} sandbox users are busy on this machine: wait for a grading to end")


def run_sandboxed(
    command: list[str],
    course_dir: Path,
    package_dir: Path,
    env: dict[str, str],
    limits: Limits,
    files: dict[str, Path] | None = None,
) -> Outcome:
    """Run ``command`` in a sandbox with ``course_dir`` and ``files`` mounted read-only, within ``limits``, as a
    user of its own (``claimed_uid``); kill every process it started, at once, when it ends, times out or passes an
    output cap."""
    if os.geteuid() != 0:  # not root: no user to drop to, the sandbox runs as the caller in a user namespace
        return _run_as(SANDBOX_UID, command, Path(course_dir), package_dir, env, limits, files)
    with claimed_uid() as uid:
        return _run_as(uid, command, Path(course_dir), package_dir, env, limits, files)


def _run_as(
    uid: int,
    command: list[str],
    course_dir: Path,
    package_dir: Path,
    env: dict[str, str],
    limits: Limits,
    files: dict[str, Path] | None,
) -> Outcome:
    if os.geteuid() == 0:  # the sandbox's user reads the staged course (mounted read-only)
        for path in [course_dir, *course_dir.rglob("*")]:
            os.chown(path, uid, uid, follow_symlinks=False)
    try:
        cgroup = SandboxCgroup(f"uid{uid}", limits.memory_bytes, limits.tasks, limits.cpus) if support().where else None
    except CgroupError as error:
        raise SandboxUnavailable(str(error)) from None
    writable = Path(tempfile.mkdtemp(prefix="sandbox-rw-", dir=course_dir.parent)) if os.geteuid() == 0 else None
    handoff_read, handoff_write = os.pipe()
    env = {**env, HANDOFF_ENV: str(handoff_write)}
    full = [*_launcher(cgroup, limits, uid, writable)]
    full += sandbox_command(command, course_dir, package_dir, env, limits, uid, files, writable)
    try:
        process = subprocess.Popen(
            full,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            pass_fds=(handoff_write,),
            start_new_session=True,
        )
    except OSError:
        os.close(handoff_read)
        if cgroup:
            cgroup.remove()
        raise
    finally:
        os.close(handoff_write)
    reasons: list[str] = []

    def kill_all() -> None:
        if cgroup:
            cgroup.kill()
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(process.pid, signal.SIGKILL)  # bwrap's first process: its PID namespace goes with it

    def stop(reason: str) -> None:
        if not reasons:
            reasons.append(reason)
        kill_all()

    log = _Reader(
        os.dup(process.stdout.fileno()),
        limits.output_bytes,
        whole=False,
        over=lambda: stop(f"output over {limits.output_bytes / MB:g} MB on the kernel's standard output and error"),
    )
    process.stdout.close()
    back = _Reader(
        handoff_read,
        limits.notebook_bytes,
        whole=True,
        over=lambda: stop(f"output over {limits.notebook_bytes / MB:g} MB in the executed notebook"),
    )
    log.start()
    back.start()
    timed_out = False
    try:
        process.wait(timeout=limits.wall_seconds)
    except subprocess.TimeoutExpired:
        timed_out = True
    kill_all()
    process.wait()
    usage = None
    if cgroup:
        cgroup.wait_empty()
        usage = cgroup.usage()
        cgroup.remove()
    for reader in (log, back):
        reader.join(timeout=30)
    if writable is not None:
        with contextlib.suppress(OSError):
            writable.rmdir()
    returncode = None if timed_out or reasons else process.returncode
    handed_back = bytes(back.head) if not reasons and not timed_out and not back.is_alive() else b""
    return Outcome(returncode, log.text(), timed_out, handed_back, reasons[0] if reasons else "", usage)
