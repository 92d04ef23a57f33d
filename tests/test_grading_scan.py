"""``scan`` as an allowlist (issue 27, item 7): no flag on any honest notebook, a flag on every rewrite of an attack.

Honest: every assignment's solution, its release, every mutant (mistakes people really make) and the scripted
class, the toy's included. Dishonest: the attacks of issue 27's table that a scan can see (#2-#7, #12, #13),
each written several ways (aliases, ``getattr``, ``posix_spawn``, ``_sqlite3``, paths built at run time...).
Fast: no kernel.
"""

from __future__ import annotations

import copy
from pathlib import Path

import nbformat
import pytest
from graded_course import WRONG_SHAPE
from harness import cells, toy
from harness.classroom import class_roster
from harness.mutants import load_mutant, mutant_files, mutant_submission, solved_submission
from test_grading_lib import release_of

from dlclinic.grading.__main__ import main as grading_main
from dlclinic.grading.course import assignment_slugs
from dlclinic.grading.scan import extra_files, scan_notebook, scan_source

ROOT = Path(__file__).resolve().parents[1]
TOY_GRADED = ("dlclinic.ship_segmentation.diagnosis.predicted_positive_rate",)


def _assignments():
    """``(slug, source, release, mutants folder, graded names, wrong-shape answer)`` of every assignment."""
    found = []
    for slug in assignment_slugs(ROOT):
        source = nbformat.read(ROOT / "solutions" / slug / f"{slug}.ipynb", as_version=4)
        release = nbformat.read(ROOT / "exercises" / slug / f"{slug}.ipynb", as_version=4)
        found.append((slug, source, release, ROOT / "tests" / "mutants" / slug, (), WRONG_SHAPE.get(slug)))
    source = nbformat.read(toy.source_path(), as_version=4)
    found.append((toy.SLUG, source, release_of(source), toy.FIXTURE / "tests/mutants" / toy.SLUG, TOY_GRADED, "square"))
    return found


ASSIGNMENTS = _assignments()


@pytest.mark.parametrize("assignment", ASSIGNMENTS, ids=[a[0] for a in ASSIGNMENTS])
def test_no_honest_notebook_is_flagged(assignment):
    slug, source, release, mutants, graded, wrong_shape = assignment
    honest = {"solution": solved_submission(source, release), "release": release}
    for path in mutant_files(mutants):
        mutant = load_mutant(path)
        honest[f"mutant {mutant.name}"] = mutant_submission(source, release, mutant)
    if wrong_shape:
        honest |= {f"class {s.id}": s.notebook for s in class_roster(source, release, wrong_shape)}
    flagged = {name: [str(f) for f in scan_notebook(nb, release, graded)] for name, nb in honest.items()}
    assert not {name: flags for name, flags in flagged.items() if flags}, f"{slug}: false positives"
    assert len(honest) > 3


# Each snippet does what a dishonest submission needs, written another way; each must be flagged. The setup
# (as a locked cell would have it) binds np and os.
REWRITES = {
    # subprocess, shell, processes (#2, #13)
    "subprocess alias": "import subprocess as sp\nsp.run(['ls'])",
    "subprocess from": "from subprocess import Popen\nPopen(['ls'])",
    "dunder import": "sp = __import__('subprocess')",
    "importlib": "import importlib\nimportlib.import_module('subprocess')",
    "os.system": "os.system('ls')",
    "os alias": "o = os\no.system('ls')",
    "posix_spawn": "os.posix_spawn('/bin/ls', ['ls'], {})",
    "from os import": "from os import posix_spawn as go\ngo('x', [], {})",
    "posix module": "import posix\nposix.system('ls')",
    "fork loop": "while True:\n    if os.fork():\n        os._exit(0)",
    "getattr computed": "getattr(os, 'sys' + 'tem')('ls')",
    "getattr constant": "run = getattr(os, 'system')\nrun('ls')",
    "container alias": "mods = [os]\nmods[0].system('ls')",
    "tuple alias": "a, b = os, 1\na.system('ls')",
    "loop alias": "for m in [os]:\n    m.system('ls')",
    "returned module": "def g():\n    return os\n\n\ng().system('ls')",
    "sys.modules": "import sys\nsys.modules['os'].system('ls')",
    "shell escape": "!ls /",
    "magic": "%load_ext something",
    "signal": "import signal\nsignal.signal(signal.SIGINT, signal.SIG_IGN)",
    "threading": "import threading\nthreading.Thread(target=print).start()",
    "ctypes": "from ctypes import CDLL",
    # databases and files (#12, #13)
    "sqlite3": "import sqlite3",
    "_sqlite3": "import _sqlite3 as db\ndb.connect('gradebook.db')",
    "nbgrader api": "from nbgrader.api import Gradebook",
    "path joined at run time": "open('/'.join(['', 'grading', 'work', 'gradebook.db']))",
    "path from codes": "open(chr(47) + 'etc')",
    "parent folder": "open('../../gradebook.db')",
    "computed name and folder": "name = chr(47) + 'etc'\nopen(f'{name}/passwd')",
    "computed name, formatted": "open(f'{name!r}.json')",
    "environment": "print(os.environ)",
    # IPython internals (#3, #5)
    "post_run_cell": "get_ipython().events.register('post_run_cell', print)",
    "transformer by name": "ip = get_ipython()\ngetattr(ip, 'input_transformers_' + 'cleanup').append(print)",
    "IPython import": "from IPython import get_ipython as g\ng()",
    "IPython module": "import IPython\nIPython.get_ipython()",
    "kernel history": "print(In[-1])",
    # patched helpers and modules (#7)
    "patch numpy": "np.testing.assert_allclose = lambda *a, **k: None",
    "patch through alias": "t = np.testing\nt.assert_allclose = print",
    "patch through container": "[np][0].allclose = print",
    "setattr": "setattr(np, 'allclose', print)",
    "patch dlclinic": "import dlclinic.assertions as da\nda.assert_close = print",
    "builtins": "import builtins\nbuiltins.float = int",
    "rebind release name by unpacking": "np, x = None, 1",
    "fake own function": "square.__module__ = '__main__'",
    "subclasses": "().__class__.__base__.__subclasses__()",
    "globals": "square.__globals__['np'] = None",
    "frames": "import sys\nsys._getframe(1).f_locals",
    "exec": "exec('import os')",
    # graded answers imported (#6) and the grader's package
    "graded from": "from dlclinic.ship_segmentation.diagnosis import predicted_positive_rate",
    "graded through module": "import dlclinic.ship_segmentation.diagnosis as d\nd.predicted_positive_rate([0.5])",
    "graded attribute": "from dlclinic.ship_segmentation import diagnosis\nf = diagnosis.predicted_positive_rate",
    "graded getattr": "from dlclinic.ship_segmentation import diagnosis\ngetattr(diagnosis, 'predicted_positive_rate')",
    "grader's package": "from dlclinic.grading import handout\nhandout.hand_out(x=1.0)",
    "star import": "from dlclinic.ship_segmentation.diagnosis import *",
    # a cell that cannot be read
    "unparsable": "def f(:\n    pass",
}


def test_a_patient_file_opened_by_its_name_is_not_flagged():
    assert not scan_source("for name in ('a', 'b'):\n    open(f'{name}.json')", frozenset(), TOY_GRADED, {})


@pytest.mark.parametrize("name", list(REWRITES))
def test_every_rewrite_of_an_attack_is_flagged(name):
    aliases = {"np": "numpy", "os": "os"}
    flags = scan_source(REWRITES[name], frozenset({"np", "square"}), TOY_GRADED, aliases)
    assert flags, f"{name!r} is not flagged:\n{REWRITES[name]}"


def test_aliases_carry_from_cell_to_cell_and_released_cells_teach_them():
    source = nbformat.read(toy.source_path(), as_version=4)
    release = release_of(source)
    notebook = copy.deepcopy(release)
    by_id = cells.cells_by_id(notebook)
    by_id["double"].source = "import os as o\n\n\ndef double(x):\n    return 2 * x"
    by_id["square"].source = "def square(x):\n    o.system('ls')\n    return np.square(x)"
    flags = [str(f) for f in scan_notebook(notebook, release, TOY_GRADED)]
    assert flags == ["cell 7, line 2: uses os.system, which no solution needs"], flags


def test_files_beside_a_submitted_notebook_are_named(tmp_path):
    folder = tmp_path / "submitted" / "eve" / toy.SLUG
    (folder / "sklearn").mkdir(parents=True)
    (folder / "sklearn" / "__init__.py").write_text("import IPython\n")
    (folder / "timestamp.txt").write_text("2026-01-01")
    notebook = folder / f"{toy.SLUG}.ipynb"
    nbformat.write(release_of(nbformat.read(toy.source_path(), as_version=4)), notebook)
    assert extra_files(notebook) == ["sklearn/__init__.py"]
    assert extra_files(tmp_path / "loose.ipynb") == []


def test_one_bad_notebook_never_stops_the_scan(tmp_path, capsys):
    """#11: a grade_id that is a list, a source that is a number: the scan names the file and goes on."""
    root = toy.write_toy_repo(tmp_path / "course", release=False)
    release = release_of(nbformat.read(toy.source_path(root), as_version=4))
    (root / "exercises" / toy.SLUG).mkdir(parents=True)
    nbformat.write(release, root / "exercises" / toy.SLUG / f"{toy.SLUG}.ipynb")
    listed, numbered, honest = copy.deepcopy(release), copy.deepcopy(release), copy.deepcopy(release)
    cells.cells_by_id(listed)["double"].metadata.nbgrader["grade_id"] = ["double"]
    numbered.cells[3].source = 42
    cells.cells_by_id(honest)["square"].source += "\n\n\nimport subprocess"
    for student, notebook in {"a_listed": listed, "b_numbered": numbered, "c_honest": honest}.items():
        path = root / "submitted" / student / toy.SLUG / f"{toy.SLUG}.ipynb"
        path.parent.mkdir(parents=True)
        nbformat.write(notebook, path)
    assert grading_main(["--root", str(root), "scan", toy.SLUG]) == 1
    out, err = capsys.readouterr()
    assert "b_numbered/00-toy/00-toy.ipynb: cell 4's source is int, not text" in err and "Traceback" not in err
    assert "c_honest/00-toy/00-toy.ipynb: cell 7, line 5: uses subprocess" in out, out
    assert "3 notebooks flagged" in out or "2 of 3 notebooks flagged" in out, out
