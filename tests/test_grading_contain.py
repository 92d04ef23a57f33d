"""Issue 27's items 4 and 5 at the sandbox's level: small Python scripts in ``run_sandboxed`` (no nbgrader, no
kernel, no TensorFlow: a second each), one per class of attack.

#2: processes that fork in a loop are all gone when the run ends, and the hand-off pipe holds only what the
run's own (undumpable) process wrote; #9: a flood of the standard output is cut at its cap and the grader's
memory does not grow with it; #10: memory summed over children, tasks, CPU, disk and inodes are capped for the
sandbox as a whole, and nothing reaches the host's disk. ``tests/test_grading_sandbox.py`` grades the same
attacks as toy submissions. Where this machine gives no cgroup (``dlclinic.grading.cgroup.support``), the
tests check the weaker guarantee the instructor page states for that case.
"""

from __future__ import annotations

import concurrent.futures
import contextlib
import os
import re
import shutil
import signal
import textwrap
import time
from pathlib import Path

import nbformat
import pytest
from test_grading_sandbox import needs_bwrap

from dlclinic.grading.autograde import PACKAGE_DIR, oversized_output
from dlclinic.grading.cgroup import PREFIX, support
from dlclinic.grading.handout import MIME
from dlclinic.grading.sandbox import (
    HANDOFF_ENV,
    MB,
    Limits,
    claimed_uid,
    containment,
    run_sandboxed,
    sandbox_python,
)

MARKER = "dlclinic-contain-test-straggler"
SMALL = Limits(memory_bytes=512 * MB, tasks=64, cpus=1.0, disk_bytes=32 * MB, inodes=500, wall_seconds=120)


def _run(tmp_path: Path, script: str, limits: Limits = SMALL):
    course = tmp_path / "in"
    course.mkdir(parents=True, exist_ok=True)
    command = [sandbox_python(), "-c", textwrap.dedent(script)]
    return run_sandboxed(command, course, PACKAGE_DIR, {"PYTHONSAFEPATH": "1"}, limits)


def _processes_with(text: str) -> list[str]:
    found = []
    for entry in Path("/proc").iterdir():
        try:
            if entry.name.isdigit() and text.encode() in (entry / "cmdline").read_bytes():
                found.append(entry.name)
        except OSError:
            continue
    return found


def _status_kib(field: str) -> int:
    return int(re.search(rf"^{field}:\s+(\d+) kB", Path("/proc/self/status").read_text(), re.M).group(1))


def _peak_growth_mib(run) -> tuple[object, float]:  # noqa: ANN001 - a callable
    """``run()``'s result and how far this process's resident memory rose above where it started, in MiB."""
    Path("/proc/self/clear_refs").write_text("5")  # resets the peak (VmHWM) to the current size
    before = _status_kib("VmRSS")
    result = run()
    return result, (_status_kib("VmHWM") - before) / 1024


def _leftover_cgroups() -> list[Path]:
    mine = f"{PREFIX}-{os.getpid()}-"
    return [p for h in support().hierarchies() for p in h.base.glob(f"{mine}*")]


@needs_bwrap
def test_stragglers_die_at_once_and_cannot_touch_the_hand_off(tmp_path):
    """#2: a process that forks every 10 ms (a new PID each time, plus idle decoys) and tries the hand-off pipe
    of the run's process (undumpable, the pipe not inherited) is gone when the run ends; the pipe holds what
    the run's process wrote."""
    straggler = """
        import os, sys, time
        parent, fd = int(sys.argv[1]), int(sys.argv[2])
        for way, attempt in [("inherited", lambda: os.write(fd, b"forged")),
                             ("through /proc", lambda: os.open(f"/proc/{parent}/fd/{fd}", os.O_WRONLY))]:
            try:
                attempt()
                print(f"hand-off {way}: written", flush=True)
            except OSError as error:
                print(f"hand-off {way}: blocked ({error.strerror})", flush=True)
        os.setsid()
        for _ in range(5):
            if os.fork() == 0:
                time.sleep(600)  # an idle decoy
        while True:
            if os.fork():
                os._exit(0)
            time.sleep(0.01)
    """
    script = f"""
        import ctypes, os, subprocess, sys, time
        ctypes.CDLL(None).prctl(4, 0, 0, 0, 0)  # PR_SET_DUMPABLE 0, as dlclinic.grading.inside does
        fd = int(os.environ["{HANDOFF_ENV}"])
        os.set_inheritable(fd, False)
        subprocess.Popen([sys.executable, "-c", {textwrap.dedent(straggler)!r}, str(os.getpid()), str(fd), "{MARKER}"])
        time.sleep(1.5)
        os.write(fd, b"the executed notebook")
    """
    outcome = _run(tmp_path, script)
    assert outcome.returncode == 0, outcome.log
    assert outcome.handed_back == b"the executed notebook", (outcome.handed_back, outcome.log)
    assert "hand-off inherited: blocked (Bad file descriptor)" in outcome.log, outcome.log
    assert "hand-off through /proc: blocked (Permission denied)" in outcome.log, outcome.log
    assert not _processes_with(MARKER), "a process of the sandbox outlived it"
    assert not _leftover_cgroups()


@needs_bwrap
def test_a_flood_of_the_standard_output_is_cut_and_the_grader_does_not_grow(tmp_path):
    """#9: 1 GiB written to the standard output; the run is killed past ``output_bytes`` and the grader keeps
    only the log's head and tail."""
    script = """
        import os
        chunk = b"x" * 2**20
        for _ in range(1024):
            os.write(1, chunk)
    """
    limits = Limits(**{**SMALL.__dict__, "output_bytes": 2 * MB})
    start = time.monotonic()
    outcome, growth = _peak_growth_mib(lambda: _run(tmp_path, script, limits))
    assert outcome.over == "output over 2 MB on the kernel's standard output and error", outcome.over
    assert outcome.returncode is None and not outcome.handed_back
    assert len(outcome.log) < 200_000 and growth < 48, growth
    assert time.monotonic() - start < 60


@needs_bwrap
def test_a_hand_off_past_its_cap_is_not_kept(tmp_path):
    """#10 (a 300 MB output): what is handed back past ``notebook_bytes`` is drained, not kept."""
    script = f"""
        import os
        fd, chunk = int(os.environ["{HANDOFF_ENV}"]), b"x" * 2**20
        for _ in range(300):
            os.write(fd, chunk)
    """
    limits = Limits(**{**SMALL.__dict__, "notebook_bytes": 4 * MB})
    outcome, growth = _peak_growth_mib(lambda: _run(tmp_path, script, limits))
    assert outcome.over == "output over 4 MB in the executed notebook", outcome.over
    assert outcome.handed_back == b"" and growth < 48, growth


@needs_bwrap
def test_disk_and_inodes_are_capped_and_nothing_reaches_the_host(tmp_path):
    """#10: 3 GiB of files and 100k empty files in the working folder."""
    script = """
        import os
        written, fd = 0, os.open("filler.bin", os.O_WRONLY | os.O_CREAT)
        try:
            for _ in range(3 * 1024):
                written += os.write(fd, b"\\0" * 2**20)
        except OSError as error:
            print(f"disk: {written} bytes, then {error.strerror}")
        made = 0
        try:
            for made in range(100_000):
                open(f"/tmp/{made}", "w").close()
        except OSError as error:
            print(f"inodes: {made} files, then {error.strerror}")
    """
    outcome = _run(tmp_path, script)
    disk = re.search(r"disk: (\d+) bytes, then No space left on device", outcome.log)
    inodes = re.search(r"inodes: (\d+) files, then No space left on device", outcome.log)
    assert disk and int(disk.group(1)) <= SMALL.disk_bytes, outcome.log
    if os.geteuid() == 0:  # one tmpfs with an inode cap for every writable place
        assert inodes and int(inodes.group(1)) <= SMALL.inodes, outcome.log
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in"], "the sandbox left something on the host's disk"
    assert list((tmp_path / "in").iterdir()) == []


@needs_bwrap
def test_memory_is_summed_over_every_process(tmp_path):
    """#10: three children of 240 MiB each under a 512 MiB sandbox (each under its own address-space limit)."""
    script = """
        import os, time
        pids = []
        for _ in range(3):
            pid = os.fork()
            if pid == 0:
                held = bytearray(240 * 2**20)
                time.sleep(2)
                os._exit(0)
            pids.append(pid)
        print("exit codes:", [os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1]) for pid in pids])
    """
    outcome = _run(tmp_path, script)
    codes = re.search(r"exit codes: \[(.*)\]", outcome.log)
    assert codes, outcome.log
    if "memory" not in support().where:
        pytest.skip(f"no memory cgroup here ({support().describe()}): each process is limited, not their sum")
    assert "-9" in codes.group(1), outcome.log  # the memory cgroup killed a child
    assert outcome.usage.oom_kills >= 1 and outcome.usage.memory_peak <= SMALL.memory_bytes, outcome.usage


@needs_bwrap
def test_tasks_are_capped(tmp_path):
    script = """
        import os, time
        count = 0
        try:
            while count < 10_000:
                if os.fork() == 0:
                    time.sleep(3)
                    os._exit(0)
                count += 1
        except OSError as error:
            print(f"forked {count}, then {error.strerror}")
    """
    outcome = _run(tmp_path, script)
    forked = re.search(r"forked (\d+), then Resource temporarily unavailable", outcome.log)
    assert forked and int(forked.group(1)) < SMALL.tasks, outcome.log


@needs_bwrap
def test_cpu_is_capped(tmp_path):
    """#10: four processes that burn CPU for 3 s in a sandbox allowed a tenth of a CPU: throttled to it (the
    quota holds per 100 ms period), so a classmate graded beside it keeps the rest."""
    if "cpu" not in support().where:
        pytest.skip(f"no cpu cgroup here ({support().describe()}): sandboxes share the CPU")
    script = """
        import os, time
        for _ in range(4):
            if os.fork() == 0:
                end = time.monotonic() + 3
                while time.monotonic() < end:
                    pass
                os._exit(0)
        for _ in range(4):
            os.wait()
    """
    limits = Limits(**{**SMALL.__dict__, "cpus": 0.1})
    start = time.monotonic()
    outcome = _run(tmp_path, script, limits)
    seconds = time.monotonic() - start
    assert outcome.returncode == 0, outcome.log
    assert outcome.usage.throttled > 0 and outcome.usage.cpu_seconds <= 0.1 * seconds + 0.05, (outcome.usage, seconds)


def test_outputs_over_the_cap_are_named_and_hand_outs_are_exempt():
    notebook = nbformat.v4.new_notebook()
    big = {"text/plain": "x" * (2 * MB)}
    notebook.cells = [
        nbformat.v4.new_code_cell("a", outputs=[nbformat.v4.new_output("display_data", data={MIME: "y" * 3 * MB})]),
        nbformat.v4.new_code_cell("b", outputs=[nbformat.v4.new_output("stream", name="stdout", text="ok")]),
    ]
    assert oversized_output(notebook, MB) == ""
    notebook.cells[0].outputs[0].data.update(big)  # riding along with a hand-out does not exempt it
    assert oversized_output(notebook, MB) == "output over 1 MB in cell 1"


def test_containment_says_what_is_used():
    text = containment(Limits())
    kills = r"sandboxes are killed (at once by cgroup v2's cgroup\.kill|at once by cgroup v1's freezer|with)"
    assert re.match(kills, text)
    assert "1024 MB" in text and ("16384 inodes" in text or os.geteuid() != 0)
    assert shutil.which("bwrap") is None or "writable: " in text


def test_a_virtual_environment_under_tmp_is_not_hidden_by_the_sandboxs_tmp(tmp_path):
    """The writable places are mounted before the read-only ones, so an interpreter under /tmp (a fresh clone
    there, as CI makes) stays visible: mounted after, the sandbox's /tmp hid it ("setpriv: failed to execute")."""
    from dlclinic.grading.sandbox import Limits, sandbox_command

    args = sandbox_command(["true"], tmp_path, tmp_path, {}, Limits(), writable=tmp_path)
    tmp_mount = next(i for i, a in enumerate(args) if a == "/tmp" and args[i - 1] in ("--tmpfs", "--bind")
                     or a == "/tmp" and args[i - 2] == "--bind")
    first_read_only = next(i for i, a in enumerate(args) if a in ("--ro-bind", "--ro-bind-try"))
    assert tmp_mount < first_read_only


@needs_bwrap
def test_a_sandbox_starts_beside_another_that_uses_most_of_its_tasks(tmp_path):
    """The failure of 2026-12-06: a sandbox of 64 tasks could not even start (setpriv: "Resource temporarily
    unavailable") while another sandbox of the same user ran a kernel's threads, since the process-count rlimit
    counts all of a user's processes. Each sandbox now runs as a user of its own, whoever started the other."""
    marker = "dlclinic-contain-test-holder"
    holder = f"""
        import os, time  # {marker}
        for _ in range(80):
            if os.fork() == 0:
                time.sleep(120)
                os._exit(0)
        time.sleep(120)
    """
    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
        first = pool.submit(_run, tmp_path / "first", holder, Limits(**{**SMALL.__dict__, "tasks": 200}))
        deadline = time.monotonic() + 60
        while len(_processes_with(marker)) < 81 and time.monotonic() < deadline and first.running():
            time.sleep(0.2)
        held = len(_processes_with(marker))  # more than the second sandbox's 64 tasks
        second = _run(tmp_path / "second", "print('started')")
        running = first.running()
        for pid in _processes_with(marker):
            with contextlib.suppress(ProcessLookupError):
                os.kill(int(pid), signal.SIGKILL)
        assert held >= 81 and running, f"the first sandbox held {held} processes, running: {running}"
        assert second.returncode == 0 and "started" in second.log, second.log
        assert "Resource temporarily unavailable" not in first.result().log, first.result().log


def test_no_two_sandboxes_of_one_machine_share_a_user():
    with claimed_uid() as first, claimed_uid() as second:
        assert first != second
