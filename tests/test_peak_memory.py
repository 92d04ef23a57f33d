"""The peak-memory sampler, without a GPU: a child process that holds memory, and a faked nvidia-smi."""

from __future__ import annotations

import subprocess
import sys
import time

import pytest

from dlclinic.build import peak_memory

HOLD_MIB = 100
# Touch every page (bytes multiplication writes them), say so, then hold the memory until stdin closes.
HOLDER = f"import sys; held = b'x' * ({HOLD_MIB} * 2**20); print('ready', flush=True); sys.stdin.read()"


def test_host_peak_is_the_rss_of_the_child_processes_started_while_tracking(monkeypatch) -> None:
    monkeypatch.setattr(peak_memory, "gpu_memory_used_mib", lambda: None)
    # A child that was already there (like a kernel an earlier run left shutting down) and grows meanwhile.
    neighbour = subprocess.Popen([sys.executable, "-c", HOLDER.replace(str(HOLD_MIB), "300")], stdin=subprocess.PIPE,
                                 stdout=subprocess.PIPE)
    try:
        with peak_memory.track_peak_memory(interval_s=0.05) as peaks:
            child = subprocess.Popen([sys.executable, "-c", HOLDER], stdin=subprocess.PIPE, stdout=subprocess.PIPE)
            assert child.stdout.readline() == b"ready\n" and neighbour.stdout.readline() == b"ready\n"
            time.sleep(0.5)
            child.communicate()
    finally:
        neighbour.communicate()
    assert HOLD_MIB <= peaks.host_mib < HOLD_MIB + 100  # the holder and its interpreter, not the neighbour
    assert peaks.gpu_mib is None


def test_no_child_process_gives_no_host_peak(monkeypatch) -> None:
    monkeypatch.setattr(peak_memory, "gpu_memory_used_mib", lambda: None)
    with peak_memory.track_peak_memory(interval_s=0.05) as peaks:
        time.sleep(0.1)
    assert (peaks.host_mib, peaks.gpu_mib, peaks.cpu_seconds) == (None, None, None)


def test_gpu_peak_is_the_highest_use_above_the_start(monkeypatch) -> None:
    readings = iter([1000.0, 1500.0, None, 3500.0, 2000.0])  # the first is the baseline; None: a failed query
    monkeypatch.setattr(peak_memory, "gpu_memory_used_mib", lambda: next(readings, 1200.0))
    with peak_memory.track_peak_memory(interval_s=0.01) as peaks:
        time.sleep(0.3)
    assert peaks.gpu_mib == 2500.0


def test_sampling_errors_never_reach_the_run(monkeypatch) -> None:
    def broken(*args) -> float:
        raise RuntimeError("the driver went away")

    monkeypatch.setattr(peak_memory, "gpu_memory_used_mib", broken)
    monkeypatch.setattr(peak_memory, "children_rss_mib", broken)
    with peak_memory.track_peak_memory(interval_s=0.01) as peaks:
        time.sleep(0.1)
    assert (peaks.host_mib, peaks.gpu_mib, peaks.cpu_seconds) == (None, None, None)

    readings = iter([500.0])  # a baseline, then errors
    monkeypatch.setattr(peak_memory, "gpu_memory_used_mib", lambda: next(readings))
    with peak_memory.track_peak_memory(interval_s=0.01) as peaks:
        time.sleep(0.1)
    assert peaks.gpu_mib == 0.0


def test_the_nvidia_smi_query_sums_the_gpus(monkeypatch) -> None:
    monkeypatch.setattr(peak_memory.shutil, "which", lambda name: None)
    assert peak_memory.gpu_memory_used_mib() is None

    calls = []

    def fake_run(command, **kwargs):
        calls.append(command)
        return subprocess.CompletedProcess(command, 0, stdout=answer, stderr="")

    monkeypatch.setattr(peak_memory.shutil, "which", lambda name: f"/usr/bin/{name}")
    monkeypatch.setattr(peak_memory.subprocess, "run", fake_run)
    answer = "1024\n512\n"
    assert peak_memory.gpu_memory_used_mib() == 1536.0
    assert calls[0] == ["/usr/bin/nvidia-smi", "--query-gpu=memory.used", "--format=csv,noheader,nounits"]
    answer = "[N/A]\n"
    assert peak_memory.gpu_memory_used_mib() is None


def test_a_failing_nvidia_smi_means_no_gpu_reading(monkeypatch) -> None:
    def failing_run(command, **kwargs):
        raise subprocess.CalledProcessError(9, command)

    monkeypatch.setattr(peak_memory.shutil, "which", lambda name: f"/usr/bin/{name}")
    monkeypatch.setattr(peak_memory.subprocess, "run", failing_run)
    assert peak_memory.gpu_memory_used_mib() is None


def test_the_interval_must_be_positive() -> None:
    with pytest.raises(ValueError, match="interval_s must be a positive"):
        with peak_memory.track_peak_memory(interval_s=0):
            pass
