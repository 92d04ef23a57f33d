"""Grading a class safely (issue 18), on the toy assignment: the instructor page's grading steps run as written,
then a class of attacks is autograded in sandboxes (``python -m dlclinic.grading autograde``).

Each attack ends with 0 points or a scan flag; the classmate graded earlier keeps every score; no process is left
behind and nothing is written outside the submission; a submission that cannot be graded is reported with the
reason and exported without a score; ``repair`` makes a Colab-stripped and a metadata-edited submission gradable
with the answers intact. The fast tests (no kernel) check repair, scan, audit and the commands' bad input.
"""

from __future__ import annotations

import ast
import copy
import csv
import json
import os
import re
import shutil
import socket
import sqlite3
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
from harness import cells, toy
from harness.attacks import HANDED_IN, SHADOWER, answer_sources, attacks, forgers, resource_attacks
from harness.autograde import cell_timeouts
from harness.mutants import solved_fast_submission, solved_submission
from test_grading_lib import release_of
from test_grading_scan import TOY_GRADED

from dlclinic.grading.__main__ import main as grading_main
from dlclinic.grading.autograde import autograde
from dlclinic.grading.cgroup import support
from dlclinic.grading.feedback import OFFLINE_MARK
from dlclinic.grading.gradebook import snapshot
from dlclinic.grading.repair import metadata_problems, repair_notebook
from dlclinic.grading.sandbox import MB, Limits
from dlclinic.grading.scan import scan_notebook

ROOT = Path(__file__).resolve().parents[1]
SLUG = toy.SLUG
DOC_SLUG = "03-batchnorm-regression"  # the assignment the instructor page's commands name
MARKER = "dlclinic-sandbox-test-child"
STUBBORN_TIMEOUT = 5  # seconds for the cell whose loop ignores the interrupt
FORGERS = ["forker", "callback", "shadow", "transformer", "importer", "helper", "lookup", "reader"]
REAL = ["01-transcript-segmentation", "02-pose-heatmaps", "03-batchnorm-regression", "04-bnn-uncertainty"]
REAL += ["05-siamese-speakers", "07-output-heads"]
RESOURCES = ["flood", "bigoutput", "hog"]  # issue 27's #9 and #10
# The attacked class's caps (MiB): small, so that the resource attacks pass them in seconds on a shared machine;
# 3 GiB of address space per process: the importer's kernel imports TensorFlow (1.6 GB of it)
CAPS = {"memory": 3072, "disk": 64, "output": 1, "notebook": 4}
CAPPED = Limits(
    memory_bytes=CAPS["memory"] * MB,
    disk_bytes=CAPS["disk"] * MB,
    output_bytes=CAPS["output"] * MB,
    notebook_bytes=CAPS["notebook"] * MB,
    wall_seconds=600,
)

# One worker builds the course the attacks are graded in (the fixtures are per module); its tests run there.
pytestmark = pytest.mark.xdist_group("grading-sandbox")

# CI installs bubblewrap and sets DLCLINIC_REQUIRE_BWRAP, so there these tests fail rather than skip without it.
needs_bwrap = pytest.mark.skipif(
    shutil.which("bwrap") is None and not os.environ.get("DLCLINIC_REQUIRE_BWRAP"),
    reason="bubblewrap is not installed (apt-get install bubblewrap)",
)


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT / "utils"), env.get("PYTHONPATH", "")])
    return env


def documented_steps() -> str:
    """The instructor page's grading block (the fenced ``bash`` block that starts with its comment line)."""
    page = (ROOT / "book" / "instructor.md").read_text(encoding="utf-8")
    blocks = re.findall(r"```bash\n(# Grade one assignment.*?)```", page, flags=re.S)
    assert len(blocks) == 1, "book/instructor.md needs one ```bash block starting '# Grade one assignment'"
    return blocks[0]


def _colab(notebook: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """As Colab can save it: no nbgrader metadata, new cell ids."""
    stripped = copy.deepcopy(notebook)
    for index, cell in enumerate(stripped.cells):
        cell.metadata = {}
        cell.id = f"colab-{index}"
    return stripped


def _edited(notebook: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """A student raised a test's points, renamed an answer's grade_id and turned a markdown answer into raw."""
    edited = copy.deepcopy(notebook)
    by_id = cells.cells_by_id(edited)
    by_id["test_double"].metadata.nbgrader["points"] = 5
    by_id["double"].metadata.nbgrader["grade_id"] = "my_double"
    index = edited.cells.index(by_id["written_double"])
    raw = nbformat.v4.new_raw_cell(by_id["written_double"].source, metadata=by_id["written_double"].metadata)
    edited.cells[index] = raw
    return edited


def _place(
    root: Path, student: str, notebook: nbformat.NotebookNode | str, files: dict[str, str] | None = None
) -> Path:
    path = root / "submitted" / student / SLUG / f"{SLUG}.ipynb"
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(notebook, str):
        path.write_text(notebook, encoding="utf-8")
    else:
        nbformat.write(notebook, path)
    for name, text in (files or {}).items():  # handed in beside the notebook
        (path.parent / name).parent.mkdir(parents=True, exist_ok=True)
        (path.parent / name).write_text(text, encoding="utf-8")
    return path


def _bad_metadata(release: nbformat.NotebookNode) -> dict[str, str]:
    """Issue 27's #11: a grade_id that is a list, a cell whose source is a number (as JSON, as handed in)."""
    listed, numbered = copy.deepcopy(release), copy.deepcopy(release)
    cells.cells_by_id(listed)["double"].metadata.nbgrader["grade_id"] = ["double"]
    numbered.cells[3].source = 42
    return {name: json.dumps(notebook) for name, notebook in {"listed": listed, "numbered": numbered}.items()}


def _outside_files(root: Path) -> set[str]:
    """Every file of the course but what grading writes (``autograded/``, the gradebook, the export)."""
    skip = ("autograded", "gradebook.db", "grades.csv")
    return {str(p.relative_to(root)) for p in root.rglob("*") if p.relative_to(root).parts[0] not in skip}


def _processes_with(text: str) -> list[str]:
    found = []
    for entry in Path("/proc").iterdir():
        try:
            if entry.name.isdigit() and text.encode() in (entry / "cmdline").read_bytes():
                found.append(entry.name)
        except OSError:
            continue
    return found


@pytest.fixture(scope="module")
def documented(tmp_path_factory):
    """The toy course after the instructor page's grading block ran, literally, for the student ``ada``."""
    root = toy.write_toy_repo(tmp_path_factory.mktemp("documented") / "course", release=False)
    (root / ".venv").symlink_to(Path(sys.prefix).resolve())
    (root / "node_modules").symlink_to(ROOT / "node_modules")  # MathJax for the feedback, as `make` installs it
    home = tmp_path_factory.mktemp("home")
    source = nbformat.read(toy.source_path(root), as_version=4)
    (home / "Downloads").mkdir()
    script = documented_steps().replace(DOC_SLUG, SLUG)
    env = _env() | {"HOME": str(home)}
    # ada hands in the solution, made from the release the script's first line generates
    first, rest = script.split("\n", 2)[:2], script.split("\n", 2)[2]
    subprocess.run(["bash", "-euo", "pipefail", "-c", "\n".join(first)], cwd=root, env=env, check=True)
    release = nbformat.read(root / "exercises" / SLUG / f"{SLUG}.ipynb", as_version=4)
    nbformat.write(solved_submission(source, release), home / "Downloads" / f"{SLUG}.ipynb")
    done = subprocess.run(["bash", "-euo", "pipefail", "-c", rest], cwd=root, env=env, capture_output=True, text=True)
    return root, done


@pytest.mark.grading
@needs_bwrap
def test_the_documented_grading_steps_run_as_written(documented):
    root, done = documented
    assert done.returncode == 0, done.stdout + done.stderr
    assert "ada: graded" in done.stdout and "Traceback" not in done.stderr
    assert re.search(r"^ada: graded, 12 / 14 points \(written_double to grade by hand\), \d+ s$", done.stdout, re.M)
    with open(root / "grades.csv", newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    waiting = "waiting for hand-grading: written_double; 12 of the other 12 points so far"  # the written answer
    assert [(r["student_id"], r["score"], r["status"]) for r in rows] == [("ada", "", waiting)]
    report = (root / "feedback" / "ada" / SLUG / f"{SLUG}.html").read_text(encoding="utf-8")
    assert OFFLINE_MARK in report and "window.MathJax" in report
    assert not re.search(r"""<(script|link)[^>]+(src|href)=["']https?://""", report), "the report loads from the web"


@pytest.fixture(scope="module")
def attacked(documented):
    """The class of attacks, autograded in one run after ``ada``; returns what the test checks."""
    root, _ = documented
    source = nbformat.read(toy.source_path(root), as_version=4)
    release = nbformat.read(root / "exercises" / SLUG / f"{SLUG}.ipynb", as_version=4)
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    listener.settimeout(0.2)
    crafted = {a.name: a.notebook for a in attacks(release, str(root), listener.getsockname()[1], MARKER)}
    intruder = crafted["intruder"]  # also shadows np in square: the visible test is fooled, the hidden not
    cells.cells_by_id(intruder)["square"].source += "\n\n\n" + SHADOWER
    solved = solved_fast_submission(source, release)
    _place(root, "intruder", intruder, HANDED_IN)  # #4: the file must not reach the kernel's folder
    _place(root, "stubborn", crafted["stubborn"])
    _place(root, "colab_raw", _colab(solved))
    _place(root, "edited_raw", _edited(solved))
    _place(root, "broken", "this is not a notebook")
    for student, text in _bad_metadata(release).items():
        _place(root, student, text)
    for attack in forgers(release) + resource_attacks(release, CAPS):
        _place(root, attack.name, attack.notebook, attack.files)
    linked = root / "submitted" / "linker" / SLUG / f"{SLUG}.ipynb"  # "hands in" the source notebook by a link
    linked.parent.mkdir(parents=True)
    linked.symlink_to(toy.source_path(root))
    repaired = {}
    for student, damaged in {"colab": _colab(solved), "edited": _edited(solved)}.items():
        path = _place(root, student, damaged)
        repaired[student] = (grading_main(["--root", str(root), "repair", str(path)]), nbformat.read(path, 4))
    before, files = snapshot(root, SLUG), _outside_files(root)
    stubborn_cell = cells.cells_by_id(crafted["stubborn"])["double"].source
    students = ["intruder", "stubborn", "colab", "edited", "colab_raw", "edited_raw", "broken", "linker"]
    students += ["listed", "numbered", *FORGERS, *RESOURCES]
    config = cell_timeouts({stubborn_cell: STUBBORN_TIMEOUT}, 300)  # the course's timeout, 5 s for the loop
    result = autograde(root, SLUG, students, CAPPED, jobs=2, config=config)
    try:
        listener.accept()
        connected = True
    except OSError:
        connected = False
    listener.close()
    return {
        "root": root,
        "solved": solved,
        "result": result,
        "before": before,
        "after": snapshot(root, SLUG),
        "files": (files, _outside_files(root)),
        "connected": connected,
        "repaired": repaired,
    }


def _total(scores: dict[str, list[float | None]]) -> float:
    return sum(auto or 0.0 for auto, _ in scores.values())


def _printed(root: Path, student: str, grade_id: str) -> str:
    """What the cell ``grade_id`` of the student's executed notebook printed (kept: it is no test cell)."""
    notebook = nbformat.read(root / "autograded" / student / SLUG / f"{SLUG}.ipynb", 4)
    cell = cells.cells_by_id(notebook)[grade_id]
    return "".join(out.get("text", "") for out in cell.get("outputs", []) if out.get("name") == "stdout")


@pytest.mark.grading
@needs_bwrap
def test_forged_success_earns_nothing(attacked):
    """Issue 27's #2-#8 and #12 (#5 and #7 are issue 18's hooker and patcher, rewritten): no point that the
    release does not earn, or not graded; the bad notebooks of #11 are not graded, named, and the class is
    graded around them."""
    result, after, root = attacked["result"], attacked["after"], attacked["root"]
    for student in FORGERS:
        assert student in result.not_graded or _total(after[student]) == 0.0, (student, after.get(student))
    assert set(result.not_graded) & set(FORGERS) <= {"forker"}, result.not_graded  # only #2 may lose its notebook
    importer = nbformat.read(root / "autograded" / "importer" / SLUG / f"{SLUG}.ipynb", 4)
    verdict = cells.cells_by_id(importer)["test_diagnose_positive_rate_hidden"].outputs[0]
    assert "predicted_positive_rate is graded: write it yourself" in verdict.evalue, verdict
    lookup = nbformat.read(root / "autograded" / "lookup" / SLUG / f"{SLUG}.ipynb", 4)
    verdict = cells.cells_by_id(lookup)["test_train_model"].outputs[0]  # #8: its "model" has no weights
    assert "predict does not use the trained model" in verdict.evalue, verdict
    hidden = _printed(root, "reader", "double")  # #12: the hidden test it read hands out, it compares nothing
    assert "_handout.hand_out(squares=square(" in hidden and "** 2" not in hidden, hidden
    assert "cell 4 has grade_id ['double'], which is not a name" in result.not_graded["listed"]
    assert "cell 4's source is int, not text" in result.not_graded["numbered"], result.not_graded["numbered"]
    assert attacked["before"]["ada"] == after["ada"]


@pytest.mark.grading
@needs_bwrap
def test_attacks_in_the_sandbox(attacked):
    result, after, root = attacked["result"], attacked["after"], attacked["root"]
    assert attacked["before"]["ada"] == after["ada"], "ada's scores changed while others were graded"
    assert result.problems == [], result.problems
    assert _total(after["intruder"]) == 0.0, after["intruder"]  # the shadowed np fools no check
    printed = [
        out.text
        for cell in nbformat.read(root / "autograded" / "intruder" / SLUG / f"{SLUG}.ipynb", 4).cells
        for out in cell.get("outputs", [])
        if out.get("name") == "stdout"
    ]
    got = ast.literal_eval(printed[-1].strip())  # what each of the intruder's attempts got
    for attempt in ("read solutions, relative", "read solutions", "write the course", "real gradebook", "network"):
        assert got[attempt].startswith("blocked: "), got
    assert got["memory"].startswith("blocked: MemoryError"), got
    assert "handed_in.py" not in got["files in the working folder"], got  # only the notebook was copied in
    assert got["import from the working folder"].startswith("blocked: ModuleNotFoundError"), got
    assert not attacked["connected"], "the kernel reached a listener on the host's loopback"
    assert not (root / "INTRUDER.txt").exists()
    files_before, files_after = attacked["files"]
    assert files_after == files_before, files_after ^ files_before
    assert not _processes_with(MARKER), "the intruder's detached child outlived grading"
    assert grading_main(["--root", str(root), "audit", SLUG]) == 0


@pytest.mark.grading
@needs_bwrap
def test_resource_attacks_are_contained(attacked):
    """Issue 27's #9 and #10, graded in the class above (``CAPS``): the flood of the kernel's standard output
    and the output past the executed notebook's cap are not graded, named by their cap; the hog is held to
    the sandbox's disk, inodes, memory summed over its children, tasks and CPU, and earns nothing. Nothing
    reached the host's disk and no classmate's score changed (``test_attacks_in_the_sandbox``)."""
    result, after, root = attacked["result"], attacked["after"], attacked["root"]
    assert result.not_graded["flood"] == "output over 1 MB on the kernel's standard output and error"
    assert result.not_graded["bigoutput"] == "output over 4 MB in the executed notebook"
    assert "hog" not in result.not_graded and _total(after["hog"]) == 0.0, result.not_graded.get("hog")
    got = ast.literal_eval(_printed(root, "hog", "double").strip())
    disk = re.fullmatch(r"stopped at (\d+) MiB: No space left on device", got["disk"])
    assert disk and int(disk.group(1)) <= CAPS["disk"], got
    tasks = re.fullmatch(r"refused after (\d+) processes: Resource temporarily unavailable", got["tasks"])
    assert tasks and int(tasks.group(1)) < CAPPED.tasks, got
    where = support().where
    if os.geteuid() == 0:  # one tmpfs with an inode cap for every writable place
        inodes = re.fullmatch(r"stopped at (\d+) files: No space left on device", got["inodes"])
        assert inodes and int(inodes.group(1)) <= CAPPED.inodes, got
    if "memory" in where:  # the sum over the children passes the cap: one is killed
        usage = result.usage["hog"]
        assert -9 in got["memory"] and usage.oom_kills >= 1 and usage.memory_peak <= CAPPED.memory_bytes, usage
    if "cpu" in where:  # four processes burning CPU get the sandbox's share (one core of two here), no more
        share = max(1.0, len(os.sched_getaffinity(0)) / 2)  # throttling itself: tests/test_grading_contain.py
        assert result.usage["hog"].cpu_seconds <= share * result.seconds["hog"], result.usage["hog"]


@pytest.mark.grading
@needs_bwrap
def test_ungradeable_submissions_are_reported_not_exported_as_zero(attacked, capsys):
    result, root = attacked["result"], attacked["root"]
    reasons = {s: why for s, why in result.not_graded.items() if s not in FORGERS and s not in RESOURCES}
    assert sorted(reasons) == ["broken", "colab_raw", "edited_raw", "linker", "listed", "numbered", "stubborn"]
    assert "symbolic link" in reasons["linker"]
    assert "Timeout" in reasons["stubborn"] or "limit" in reasons["stubborn"], reasons["stubborn"]
    assert "not a Jupyter notebook" in reasons["broken"]
    assert "cell 5 ('test_double') has points 5, the release has 1" in reasons["edited_raw"], reasons["edited_raw"]
    assert "repair" in reasons["colab_raw"]
    assert grading_main(["--root", str(root), "export", SLUG, "--to", str(root / "grades.csv")]) == 0
    with open(root / "grades.csv", newline="", encoding="utf-8") as handle:
        rows = {row["student_id"]: row for row in csv.DictReader(handle)}
    for student in reasons:
        assert rows[student]["score"] == "" and rows[student]["status"].startswith("not graded: "), rows[student]
    assert rows["ada"]["status"].startswith("waiting for hand-grading: written_double")


@pytest.mark.grading
@needs_bwrap
def test_repair_makes_damaged_submissions_gradable_with_answers_intact(attacked):
    after, root = attacked["after"], attacked["root"]
    for student, (status, notebook) in attacked["repaired"].items():
        assert status == 0
        assert answer_sources(notebook) == answer_sources(attacked["solved"]), student
        assert _total(after[student]) == 7.0, (student, after[student])  # all but the patients and the training
        graded = nbformat.read(root / "autograded" / student / SLUG / f"{SLUG}.ipynb", 4)
        assert answer_sources(graded) == answer_sources(attacked["solved"]), student


@pytest.mark.grading
@needs_bwrap
def test_a_notebook_past_its_wall_clock_is_killed_and_not_graded(attacked):
    root = attacked["root"]
    source = nbformat.read(toy.source_path(root), as_version=4)
    release = nbformat.read(root / "exercises" / SLUG / f"{SLUG}.ipynb", as_version=4)
    _place(root, "sleeper", solved_submission(source, release))
    result = autograde(root, SLUG, ["sleeper"], Limits(wall_seconds=3))
    assert result.not_graded == {"sleeper": "ran past the 3 s limit for one notebook"}
    assert "sleeper" not in snapshot(root, SLUG)
    assert not _processes_with("dlclinic.grading.inside\x0000-toy\x00sleeper")


# --- fast: no kernel ---


@pytest.fixture
def toy_notebooks():
    """The toy's source and release (made in this process, as generate_assignment makes it)."""
    source = nbformat.read(toy.source_path(), as_version=4)
    return source, release_of(source)


def test_repair_restores_metadata_cell_by_cell(toy_notebooks):
    source, release = toy_notebooks
    solved = solved_fast_submission(source, release)
    assert metadata_problems(solved, release) == []
    for damage in (_colab, _edited):
        damaged = damage(solved)
        assert metadata_problems(damaged, release)
        damaged.cells.insert(3, nbformat.v4.new_code_cell("# my own notes"))
        changes = repair_notebook(damaged, release)
        assert changes and all(line.startswith(("cell ", "kept ", "inserted ")) for line in changes), changes
        assert metadata_problems(damaged, release) == [], damage.__name__
        assert answer_sources(damaged) == answer_sources(solved)
        assert "# my own notes" in [cell.source for cell in damaged.cells]
    copied = copy.deepcopy(solved)
    copied.cells.append(copy.deepcopy(cells.cells_by_id(copied)["test_double"]))
    assert "kept the last copy of test_double" in repair_notebook(copied, release)[0]


@pytest.mark.parametrize("slug", REAL)
def test_repair_of_a_colab_copy_of_each_real_release(slug):
    release = nbformat.read(ROOT / "exercises" / slug / f"{slug}.ipynb", as_version=4)
    source = nbformat.read(ROOT / "solutions" / slug / f"{slug}.ipynb", as_version=4)
    solved = solved_submission(source, release)
    damaged = _colab(solved)
    repair_notebook(damaged, release)
    assert metadata_problems(damaged, release) == []
    assert answer_sources(damaged) == answer_sources(solved)


def test_the_scan_flags_every_attack(toy_notebooks):
    source, release = toy_notebooks
    assert scan_notebook(solved_submission(source, release), release) == []
    expected = {
        "hooker": "input_transformers_cleanup",
        "patcher": "changes the module numpy.testing (numpy.testing.assert_allclose)",
        "intruder": "uses sqlite3, which no solution needs",
        "stubborn": "uses signal, which no solution needs",
    }
    # #4 hands in files (the scan names them: tests/test_grading_scan.py); #8 is ordinary code, which the
    # grader's held-out points defeat, not the scan
    scanned = [a for a in forgers(release) if not a.files and a.name != "lookup"]
    for attack in attacks(release, "/srv/course", 9, MARKER) + scanned:
        flags = " | ".join(str(flag) for flag in scan_notebook(attack.notebook, release, TOY_GRADED))
        if attack.name in expected:
            assert expected[attack.name] in flags, (attack.name, flags)
        assert flags, attack.name
    assert "inspects frames" in " | ".join(str(f) for f in scan_notebook(attacks(release, "/", 9, "")[1].notebook))
    shadow = copy.deepcopy(release)
    cells.cells_by_id(shadow)["square"].source += "\n" + SHADOWER
    assert "rebinds np, a name of the release" in str(scan_notebook(shadow, release))


@pytest.mark.grading
@needs_bwrap
def test_the_audit_catches_a_tampered_gradebook(attacked, tmp_path, capsys):
    root = Path(shutil.copytree(attacked["root"], tmp_path / "course", symlinks=True))
    assert grading_main(["--root", str(root), "audit", SLUG]) == 0
    capsys.readouterr()
    tampering = {
        "update source_cell set source = 'pass' where name = 'test_square_hidden'": "stored cell "
        "'test_square_hidden' differs",
        "update grade set auto_score = 0": "ada: autograded scores changed outside grading",
        "update grade set manual_score = 1 where cell_id in (select id from base_cell where name = 'test_double')": (
            "manual score set before hand-grading started"
        ),
    }
    for statement, says in tampering.items():
        db = sqlite3.connect(root / "gradebook.db")
        db.execute(statement)
        db.commit()
        db.close()
        assert grading_main(["--root", str(root), "audit", SLUG]) == 1
        assert says in capsys.readouterr().err


@pytest.mark.parametrize(
    ("argv", "says"),
    [
        (["autograde", "99-nothing"], "no assignment '99-nothing'"),
        (["audit", "99-nothing"], "no assignment '99-nothing'"),
        (["export", "99-nothing", "--to", "x.csv"], "no assignment '99-nothing'"),
        (["feedback", "99-nothing"], "no assignment '99-nothing'"),
        (["scan", "99-nothing"], "nothing to scan"),
        (["repair", "missing.ipynb"], "no such file"),
        (["repair", "notes.ipynb"], "no release"),
        (["repair", "00-toy.ipynb"], "not a Jupyter notebook (not JSON)"),
        (["scan", "00-toy.ipynb"], "not a Jupyter notebook (not JSON)"),
    ],
)
def test_bad_input_gets_one_sentence(tmp_path, capsys, argv, says):
    root = toy.write_toy_repo(tmp_path / "course", release=False)
    (root / "00-toy.ipynb").write_text("not json")
    nbformat.write(nbformat.v4.new_notebook(), root / "notes.ipynb")
    argv = [str(root / a) if a.endswith((".ipynb", ".txt")) else a for a in argv]
    assert grading_main(["--root", str(root), *argv]) != 0
    err = capsys.readouterr().err
    assert says in err and "Traceback" not in err and len(err.strip().splitlines()) == 1, err


def test_autograde_before_the_release_says_to_release(tmp_path, capsys):
    root = toy.write_toy_repo(tmp_path / "course", release=False)
    (root / "exercises" / SLUG).mkdir(parents=True)
    shutil.copy2(toy.source_path(root), root / "exercises" / SLUG / f"{SLUG}.ipynb")
    assert grading_main(["--root", str(root), "autograde", SLUG]) == 2
    says = "the gradebook does not know '00-toy' yet: run `python -m dlclinic.grading release"
    assert says in capsys.readouterr().err


def test_repair_goes_on_past_a_bad_notebook(tmp_path, capsys):
    """#11: a grade_id that is a list is repaired, a source that is a number is named; neither stops the other."""
    root = toy.write_toy_repo(tmp_path / "course", release=False)
    release = release_of(nbformat.read(toy.source_path(root), as_version=4))
    (root / "exercises" / SLUG).mkdir(parents=True)
    nbformat.write(release, root / "exercises" / SLUG / f"{SLUG}.ipynb")
    listed, numbered = (_place(root, student, text) for student, text in _bad_metadata(release).items())
    assert grading_main(["--root", str(root), "repair", str(numbered), str(listed)]) == 1
    out, err = capsys.readouterr()
    assert f"{numbered}: cell 4's source is int, not text" in err and "Traceback" not in err, err
    assert out.startswith(f"{listed}: ") and "grade_id ['double'] is not in the release" in out, out
    assert metadata_problems(nbformat.read(listed, as_version=4), release) == []
