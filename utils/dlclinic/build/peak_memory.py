"""Peak memory while a case runs: host RSS of the runner's child processes and, with ``nvidia-smi``, GPU memory;
with them, the CPU seconds those processes used and the machine's load average, so that a run timed on a busy
machine says so.

``track_peak_memory()`` samples in a background thread about once a second: the summed resident set size of
every process the runner started while tracking (papermill's Jupyter kernel and anything it spawns; processes
that were already running, such as a kernel another run left shutting down, do not count), and the GPU memory in
use on all GPUs minus what was in use when tracking began. Sampling is best effort: an error in one sample
skips that sample and never reaches the run.
"""

from __future__ import annotations

import contextlib
import shutil
import subprocess
import threading
from collections.abc import Iterator
from dataclasses import dataclass

import psutil

MIB = 2**20
NVIDIA_SMI_QUERY = ["--query-gpu=memory.used", "--format=csv,noheader,nounits"]
NVIDIA_SMI_TIMEOUT_S = 10.0


@dataclass
class Peaks:
    """The highest memory use seen so far, in MiB; ``None`` where nothing was measured."""

    host_mib: float | None = None
    gpu_mib: float | None = None
    cpu_seconds: float | None = None  # user + system CPU time of the tracked processes
    load_average: float | None = None  # the machine's 1-minute load average, averaged over the samples


def gpu_memory_used_mib() -> float | None:
    """GPU memory in use, summed over GPUs, in MiB; ``None`` without ``nvidia-smi`` or when its query fails."""
    nvidia_smi = shutil.which("nvidia-smi")
    if nvidia_smi is None:
        return None
    try:
        done = subprocess.run(
            [nvidia_smi, *NVIDIA_SMI_QUERY], capture_output=True, text=True, timeout=NVIDIA_SMI_TIMEOUT_S, check=True
        )
        return sum(float(line) for line in done.stdout.split())
    except (OSError, subprocess.SubprocessError, ValueError):  # no driver, a hang, "[N/A]" on some boards
        return None


def children_rss_mib(process: psutil.Process, exclude: frozenset[int] = frozenset()) -> float | None:
    """The summed RSS of ``process``'s descendants but those in ``exclude`` (pids), in MiB; ``None`` when there
    are none (or none could be read)."""
    total, seen = 0, False
    for child in process.children(recursive=True):
        if child.pid in exclude:
            continue
        with contextlib.suppress(psutil.Error):  # a child can exit (or hide) between listing and reading
            total += child.memory_info().rss
            seen = True
    return total / MIB if seen else None


@contextlib.contextmanager
def track_peak_memory(interval_s: float = 1.0) -> Iterator[Peaks]:
    """Track the peak memory of this process's children (and the GPU) while the block runs.

    Yields a ``Peaks`` that is filled in as samples come and final when the block ends. ``gpu_mib`` stays
    ``None`` without ``nvidia-smi``; it counts every process on the GPU, so it is only meaningful when the
    tracked run is the GPU's sole new user.
    """
    if not interval_s > 0:
        raise ValueError(f"interval_s must be a positive number of seconds; got {interval_s!r}")
    peaks = Peaks()
    runner = psutil.Process()
    before = frozenset(child.pid for child in runner.children(recursive=True))
    gpu_baseline = None
    with contextlib.suppress(Exception):  # measuring must never fail the run it measures
        gpu_baseline = gpu_memory_used_mib()
    if gpu_baseline is not None:
        peaks.gpu_mib = 0.0

    cpu: dict[int, float] = {}
    loads: list[float] = []

    def sample() -> None:
        for child in runner.children(recursive=True):
            if child.pid not in before:
                with contextlib.suppress(psutil.Error):
                    times = child.cpu_times()
                    cpu[child.pid] = times.user + times.system
        if cpu:
            peaks.cpu_seconds = sum(cpu.values())
        loads.append(psutil.getloadavg()[0])
        peaks.load_average = sum(loads) / len(loads)
        host = children_rss_mib(runner, before)
        if host is not None:
            peaks.host_mib = max(peaks.host_mib or 0.0, host)
        if gpu_baseline is not None:
            used = gpu_memory_used_mib()
            if used is not None:
                peaks.gpu_mib = max(peaks.gpu_mib or 0.0, used - gpu_baseline)

    stop = threading.Event()

    def loop() -> None:
        while True:
            with contextlib.suppress(Exception):
                sample()
            if stop.wait(interval_s):
                return

    thread = threading.Thread(target=loop, name="peak-memory", daemon=True)
    thread.start()
    try:
        yield peaks
    finally:
        stop.set()
        thread.join(timeout=NVIDIA_SMI_TIMEOUT_S + interval_s)
