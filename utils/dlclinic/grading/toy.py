"""A tiny nbgrader assignment, ``00-toy``, that follows every course convention; it tests the grading
machinery itself without the real cases (and without minutes of training).

``write_toy_repo(root, config)`` lays out ``root`` like the repository: ``nbgrader_config.py``,
``solutions/00-toy/``, ``tests/mutants/00-toy/`` and, with ``release=True``, ``exercises/00-toy/``.
"""

from __future__ import annotations

import shutil
import textwrap
from pathlib import Path

import nbformat
from nbformat import NotebookNode
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from dlclinic.grading.course import CONFIG_FILE, generate_release

SLUG = "00-toy"
KINDS = {  # kind: (grade, solution, locked)
    "answer": (False, True, False),
    "test": (True, False, True),
    "manual": (True, True, False),
    "readonly": (False, False, True),
}


def nbgrader_cell(
    kind: str,
    source: str,
    grade_id: str,
    points: float = 0,
    tags: list[str] | None = None,
    markdown: bool = False,
) -> NotebookNode:
    """A cell with nbgrader metadata; ``kind`` is one of ``answer``, ``test``, ``manual``, ``readonly``."""
    grade, solution, locked = KINDS[kind]
    cell = new_markdown_cell(source) if markdown else new_code_cell(source)
    cell.metadata["nbgrader"] = {
        "grade": grade,
        "solution": solution,
        "locked": locked,
        "grade_id": grade_id,
        "schema_version": 3,
    }
    if grade:
        cell.metadata["nbgrader"]["points"] = points
    if tags:
        cell.metadata["tags"] = list(tags)
    return cell


def _src(text: str) -> str:
    return textwrap.dedent(text).strip("\n")


def toy_notebook(slow_seconds: float = 3.0) -> NotebookNode:
    """The source notebook: two graded functions, a ``slow`` training stand-in and a written answer."""
    double = """
        def double(x):
            ### BEGIN SOLUTION
            return 2 * x
            ### END SOLUTION
        """
    test_double = """
        assert double(2) == 4
        ### BEGIN HIDDEN TESTS
        assert double(-1.5) == -3.0
        ### END HIDDEN TESTS
        """
    tf_square = """
        def tf_square(x):
            ### BEGIN SOLUTION
            return tf.square(tf.convert_to_tensor(x))
            ### END SOLUTION
        """
    test_tf_square_hidden = """
        ### BEGIN HIDDEN TESTS
        np.testing.assert_allclose(tf_square([-3.0]).numpy(), [9.0])
        ### END HIDDEN TESTS
        """
    train_model = f"""
        import time


        def train_model(steps):
            ### BEGIN SOLUTION
            time.sleep({slow_seconds})  # stands in for a minute of training
            return tf.constant(float(steps))
            ### END SOLUTION


        result = train_model(42)
        """
    explain = """
        ### BEGIN SOLUTION
        Doubling is linear, squaring is not.
        ### END SOLUTION
        """
    cells = [
        new_markdown_cell("# Toy case\nA stand-in assignment for testing the grading machinery."),
        nbgrader_cell("readonly", "from dlclinic.backend import tf\n\nimport numpy as np", "imports"),
        nbgrader_cell("answer", _src(double), "double"),
        nbgrader_cell("test", _src(test_double), "test_double", points=1),
        nbgrader_cell("answer", _src(tf_square), "tf_square"),
        nbgrader_cell(
            "test",
            "np.testing.assert_allclose(tf_square([1.0, 2.0]).numpy(), [1.0, 4.0])",
            "test_tf_square",
            1,
        ),
        nbgrader_cell("test", _src(test_tf_square_hidden), "test_tf_square_hidden", points=2),
        nbgrader_cell("answer", _src(train_model), "train_model", tags=["slow"]),
        nbgrader_cell("test", "assert float(result) == 42.0", "test_train_model", points=2),
        nbgrader_cell("manual", _src(explain), "explain_double", points=2, markdown=True),
    ]
    nb = new_notebook(cells=cells)
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    return nb


TOY_MUTANTS = {
    "double_adds_two": "# replaces: double\n# mistake: adds two (right for x == 2 only)\n"
    "def double(x):\n    return x + 2\n",
    "tf_square_abs": "# replaces: tf_square\n# mistake: absolute value instead of square\n"
    "def tf_square(x):\n    return tf.abs(tf.convert_to_tensor(x))\n",
    "train_model_off_by_one": "# replaces: train_model\n# mistake: one step too many\n"
    "def train_model(steps):\n    return tf.constant(float(steps + 1))\n\n\nresult = train_model(42)\n",
}


def write_toy_repo(root: Path, config: Path, release: bool = True) -> Path:
    """Lay out a toy repository at ``root`` using the nbgrader config file ``config``; return ``root``."""
    root = Path(root)
    (root / "solutions" / SLUG).mkdir(parents=True, exist_ok=True)
    shutil.copy2(config, root / CONFIG_FILE)
    nbformat.write(toy_notebook(), root / "solutions" / SLUG / f"{SLUG}.ipynb")
    mutants = root / "tests" / "mutants" / SLUG
    mutants.mkdir(parents=True, exist_ok=True)
    for name, text in TOY_MUTANTS.items():
        (mutants / f"{name}.py").write_text(text, encoding="utf-8")
    if release:
        generate_release(root, SLUG)
    return root
