"""A cgroup per sandbox: one limit on memory, tasks and CPU for all of its processes, and an atomic kill.

The grader makes each sandbox's cgroup **under its own** (the cgroup it runs in, in each hierarchy: what it
may manage without leaving its own limits), and uses what the machine offers, found once per process:

- cgroup v2 (the unified hierarchy, at ``/sys/fs/cgroup`` or, on a hybrid machine, ``/sys/fs/cgroup/unified``),
  where the grader may make cgroups: ``cgroup.kill`` (Linux 5.14) kills every process of the sandbox at once,
  and ``memory.max``, ``pids.max``, ``cpu.max`` where those controllers are delegated to the grader's cgroup
  (listed in its ``cgroup.subtree_control``);
- cgroup v1 hierarchies for what v2 does not give: ``memory.limit_in_bytes``, ``pids.max``, ``cpu.cfs_quota_us``,
  ``cpuacct`` (CPU seconds) and, without v2, the ``freezer`` for an atomic kill (freeze, kill, thaw);
- nothing (a user without cgroup delegation): the sandbox keeps its PID namespace, torn down whole when its
  first process dies, and per-process rlimits. ``describe()`` says which is used.
"""

from __future__ import annotations

import contextlib
import functools
import os
import secrets
import signal
import time
from dataclasses import dataclass, field
from pathlib import Path

LIMITS = ("memory", "pids", "cpu")  # what a sandbox's cgroup limits
V1_EXTRA = ("cpuacct", "freezer")  # v1 only: CPU seconds, and the kill where there is no v2
PERIOD_US = 100_000  # the CPU quota's period
PREFIX = "dlclinic-sandbox"


class CgroupError(OSError):
    """A sandbox's cgroup could not be made or limited."""


@dataclass(frozen=True)
class Hierarchy:
    """A cgroup hierarchy the grader may make cgroups in: its version and the grader's own cgroup there."""

    version: int
    base: Path


@dataclass(frozen=True)
class Support:
    """Where each control of a sandbox's cgroup is made: ``memory``, ``pids``, ``cpu``, ``kill`` (cgroup v2's
    ``cgroup.kill``), ``cpuacct`` and ``freezer`` (v1), each mapped to its hierarchy; empty without cgroups."""

    where: dict[str, Hierarchy] = field(default_factory=dict)

    def hierarchies(self) -> list[Hierarchy]:
        return sorted(set(self.where.values()), key=lambda h: (h.version, str(h.base)))

    def describe(self) -> str:
        """One line: how a sandbox is killed and limited here."""
        if "kill" in self.where:
            kill = "killed at once by cgroup v2's cgroup.kill"
        elif "freezer" in self.where:
            kill = "killed at once by cgroup v1's freezer (frozen, killed, thawed)"
        else:
            kill = "killed with its PID namespace (no cgroup the grader may manage)"
        limited = [f"{name} (cgroup v{self.where[name].version})" for name in LIMITS if name in self.where]
        missing = [name for name in LIMITS if name not in self.where]
        text = f"sandboxes are {kill}"
        if limited:
            text += f"; limited in total: {', '.join(limited)}"
        if missing:
            text += f"; per process only (rlimits): {', '.join(missing)}"
        return text


def _mounts() -> list[tuple[str, str, str, set[str]]]:
    """``(mount point, root within the hierarchy, fstype, super options)`` of every cgroup mount."""
    found = []
    for line in Path("/proc/self/mountinfo").read_text().splitlines():
        left, _, right = line.partition(" - ")
        fields, after = left.split(), right.split()
        if len(fields) >= 5 and len(after) >= 3 and after[0] in ("cgroup", "cgroup2"):
            found.append((fields[4], fields[3], after[0], set(after[2].split(","))))
    return found


def _own_paths() -> dict[str, str]:
    """The grader's cgroup in each hierarchy: ``{"": v2 path, "memory": v1 path, ...}``."""
    paths = {}
    for line in Path("/proc/self/cgroup").read_text().splitlines():
        parts = line.split(":", 2)
        if len(parts) == 3:
            for name in parts[1].split(",") if parts[1] else [""]:
                paths[name] = parts[2]
    return paths


def _base(mount_point: str, mount_root: str, own: str) -> Path | None:
    """The grader's own cgroup as a folder under ``mount_point``; ``None`` when the mount does not show it."""
    own_path, root = Path(own), Path(mount_root)
    if own_path != root and root not in own_path.parents:
        return None
    return Path(mount_point) / own_path.relative_to(root)


def _may_make(base: Path) -> set[str] | None:
    """The files of a cgroup made (and removed) under ``base``; ``None`` when the grader may not make one."""
    probe = base / f"{PREFIX}-probe-{os.getpid()}-{secrets.token_hex(3)}"
    try:
        probe.mkdir()
    except OSError:
        return None
    try:
        return {p.name for p in probe.iterdir()}
    finally:
        probe.rmdir()


@functools.cache
def support() -> Support:
    """What this machine lets the grader do with cgroups (looked up once per process)."""
    try:
        mounts, own = _mounts(), _own_paths()
    except OSError:
        return Support()
    where: dict[str, Hierarchy] = {}
    for point, root, fstype, _options in mounts:
        if fstype != "cgroup2" or "" not in own:
            continue
        base = _base(point, root, own[""])
        files = _may_make(base) if base is not None else None
        if files is None:
            continue
        hierarchy = Hierarchy(2, base)
        if "cgroup.kill" in files:
            where["kill"] = hierarchy
        delegated = _read(base / "cgroup.subtree_control").split()
        where.update({name: hierarchy for name in LIMITS if name in delegated})
        break
    for point, root, fstype, options in mounts:
        if fstype != "cgroup":
            continue
        wanted = [name for name in (*LIMITS, *V1_EXTRA) if name in options and name not in where]
        if not wanted or wanted[0] not in own:
            continue
        base = _base(point, root, own[wanted[0]])
        if base is not None and _may_make(base) is not None:
            where.update({name: Hierarchy(1, base) for name in wanted})
    if "kill" in where:
        where.pop("freezer", None)
    return Support(where)


def _read(path: Path) -> str:
    try:
        return path.read_text()
    except OSError:
        return ""


def _write(path: Path, value: str) -> None:
    try:
        path.write_text(value)
    except OSError as error:
        raise CgroupError(f"cannot write {value!r} to {path}: {error.strerror or error}") from None


@dataclass(frozen=True)
class Usage:
    """What a sandbox used, as its cgroup counted it (``None`` where nothing counted it)."""

    memory_peak: int | None
    oom_kills: int
    cpu_seconds: float | None
    throttled: int


class SandboxCgroup:
    """One sandbox's cgroup (a folder in each hierarchy ``support()`` found), with its limits written."""

    def __init__(self, name: str, memory_bytes: int, tasks: int, cpus: float | None, found: Support | None = None):
        self.support = found or support()
        unique = f"{PREFIX}-{os.getpid()}-{name}-{secrets.token_hex(4)}"
        self.dirs: dict[Hierarchy, Path] = {}
        try:
            for hierarchy in self.support.hierarchies():
                folder = hierarchy.base / unique
                folder.mkdir()
                self.dirs[hierarchy] = folder
            self._limit(memory_bytes, tasks, cpus)
        except OSError as error:
            self.remove()
            raise CgroupError(f"the sandbox's cgroup: {error}") from None

    def _dir(self, control: str) -> Path | None:
        hierarchy = self.support.where.get(control)
        return self.dirs.get(hierarchy) if hierarchy else None

    def _limit(self, memory_bytes: int, tasks: int, cpus: float | None) -> None:
        if (folder := self._dir("memory")) is not None:
            if folder.joinpath("memory.max").exists():
                _write(folder / "memory.max", str(memory_bytes))
                if folder.joinpath("memory.swap.max").exists():
                    _write(folder / "memory.swap.max", "0")
            else:
                _write(folder / "memory.limit_in_bytes", str(memory_bytes))
                if folder.joinpath("memory.memsw.limit_in_bytes").exists():
                    _write(folder / "memory.memsw.limit_in_bytes", str(memory_bytes))
        if (folder := self._dir("pids")) is not None:
            _write(folder / "pids.max", str(tasks))
        if (folder := self._dir("cpu")) is not None and cpus:
            quota = max(1000, int(cpus * PERIOD_US))
            if folder.joinpath("cpu.max").exists():
                _write(folder / "cpu.max", f"{quota} {PERIOD_US}")
            else:
                _write(folder / "cpu.cfs_period_us", str(PERIOD_US))
                _write(folder / "cpu.cfs_quota_us", str(quota))

    @property
    def procs_files(self) -> list[Path]:
        """The ``cgroup.procs`` files the sandbox's first process writes its PID to, before anything else."""
        return [folder / "cgroup.procs" for folder in self.dirs.values()]

    def pids(self) -> set[int]:
        found = set()
        for path in self.procs_files:
            found.update(int(pid) for pid in _read(path).split())
        return found

    def kill(self) -> None:
        """SIGKILL every process of the sandbox at once (no fork can escape in between)."""
        if (folder := self._dir("kill")) is not None:
            with contextlib.suppress(CgroupError):
                _write(folder / "cgroup.kill", "1")
        elif (folder := self._dir("freezer")) is not None:
            with contextlib.suppress(CgroupError):
                _write(folder / "freezer.state", "FROZEN")
                deadline = time.monotonic() + 5
                while _read(folder / "freezer.state").strip() == "FREEZING" and time.monotonic() < deadline:
                    time.sleep(0.01)
            self._signal_all()
            with contextlib.suppress(CgroupError):
                _write(folder / "freezer.state", "THAWED")
        self._signal_all()

    def _signal_all(self) -> None:
        for pid in self.pids():
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.kill(pid, signal.SIGKILL)

    def wait_empty(self, seconds: float = 30.0) -> bool:
        """Wait until no process is left in the sandbox's cgroup (killing again meanwhile); whether it is empty."""
        deadline = time.monotonic() + seconds
        while self.pids():
            if time.monotonic() > deadline:
                return False
            self.kill()
            time.sleep(0.02)
        return True

    def usage(self) -> Usage:
        peak, ooms, cpu, throttled = None, 0, None, 0
        if (folder := self._dir("memory")) is not None:
            for name in ("memory.peak", "memory.max_usage_in_bytes"):
                if (text := _read(folder / name).strip()).isdigit():
                    peak = int(text)
            for name in ("memory.events", "memory.oom_control"):
                ooms = max(ooms, _stat(folder / name).get("oom_kill", 0))
        for folder in self.dirs.values():
            stat = _stat(folder / "cpu.stat")
            throttled = max(throttled, stat.get("nr_throttled", 0))
            if "usage_usec" in stat:
                cpu = stat["usage_usec"] / 1e6
        if cpu is None and (folder := self._dir("cpuacct")) is not None:
            if (text := _read(folder / "cpuacct.usage").strip()).isdigit():
                cpu = int(text) / 1e9
        return Usage(peak, ooms, cpu, throttled)

    def remove(self) -> None:
        """Kill what is left and remove the cgroup's folders."""
        if self.dirs and not self.wait_empty():
            return  # a process that does not die keeps its folder; the next run's names differ
        for folder in self.dirs.values():
            for _ in range(50):
                try:
                    folder.rmdir()
                    break
                except FileNotFoundError:
                    break
                except OSError:
                    time.sleep(0.02)
        self.dirs = {}


def _stat(path: Path) -> dict[str, int]:
    """A flat-keyed cgroup file (``name value`` per line) as numbers."""
    values = {}
    for line in _read(path).splitlines():
        parts = line.split()
        if len(parts) == 2 and parts[1].isdigit():
            values[parts[0]] = int(parts[1])
    return values
