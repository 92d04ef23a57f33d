"""Read nbgrader cell metadata and apply the course's naming conventions to a notebook's cells.

Conventions: each graded function or class lives in an autograded-answer cell whose ``grade_id`` is its
name; its test cells have grade ids that start with ``test_<name>``; a cell tagged ``slow`` is expensive.
"""

from __future__ import annotations

from nbformat import NotebookNode

SLOW_TAG = "slow"


def nbgrader_meta(cell: NotebookNode) -> dict:
    """Return the cell's ``nbgrader`` metadata, or an empty dict for an ordinary cell."""
    return dict(cell.get("metadata", {}).get("nbgrader", {}))


def grade_id(cell: NotebookNode) -> str | None:
    """Return the cell's nbgrader ``grade_id``, or ``None`` if it has none."""
    return nbgrader_meta(cell).get("grade_id")


def tags(cell: NotebookNode) -> list[str]:
    """Return the cell's tags."""
    return list(cell.get("metadata", {}).get("tags", []))


def is_answer(cell: NotebookNode) -> bool:
    """True for an autograded-answer cell (a code cell with a solution that is not itself graded)."""
    meta = nbgrader_meta(cell)
    return cell.cell_type == "code" and bool(meta.get("solution")) and not meta.get("grade")


def is_test(cell: NotebookNode) -> bool:
    """True for an autograder test cell (a graded code cell without a solution)."""
    meta = nbgrader_meta(cell)
    return cell.cell_type == "code" and bool(meta.get("grade")) and not meta.get("solution")


def is_manual(cell: NotebookNode) -> bool:
    """True for a manually graded answer (graded and a solution: nbgrader leaves it to a person)."""
    meta = nbgrader_meta(cell)
    return bool(meta.get("grade")) and bool(meta.get("solution"))


def is_slow(cell: NotebookNode) -> bool:
    """True for a cell tagged ``slow``."""
    return SLOW_TAG in tags(cell)


def cells_by_id(nb: NotebookNode) -> dict[str, NotebookNode]:
    """Map each nbgrader ``grade_id`` in ``nb`` to its cell."""
    return {gid: cell for cell in nb.cells if (gid := grade_id(cell)) is not None}


def answer_ids(nb: NotebookNode) -> list[str]:
    """Grade ids of the autograded-answer cells, in notebook order."""
    return [grade_id(cell) for cell in nb.cells if is_answer(cell)]


def test_ids(nb: NotebookNode) -> list[str]:
    """Grade ids of the autograder test cells, in notebook order."""
    return [grade_id(cell) for cell in nb.cells if is_test(cell)]


test_ids.__test__ = False  # not a pytest test, despite the name


def owner(test_grade_id: str, answers: list[str]) -> str | None:
    """Return the answer a test cell belongs to: the longest ``name`` in ``answers`` such that the test's
    grade id starts with ``test_<name>``; ``None`` if there is none.

    The longest match wins, so ``test_nmse_per_feature`` belongs to ``nmse_per_feature``, not ``nmse``.
    """
    matches = [name for name in answers if test_grade_id.startswith(f"test_{name}")]
    return max(matches, key=len, default=None)


def tests_of(nb: NotebookNode) -> dict[str, list[str]]:
    """Map every autograded answer's grade id to the grade ids of its test cells (possibly none)."""
    answers = answer_ids(nb)
    result: dict[str, list[str]] = {name: [] for name in answers}
    for tid in test_ids(nb):
        name = owner(tid, answers)
        if name is not None:
            result[name].append(tid)
    return result


tests_of.__test__ = False


KINDS = ("patient", "diagnose", "train", "written")  # grade-id prefixes (issue 33); any other answer: formula


def kind(answer_grade_id: str) -> str:
    """What an answer grades, from its grade id's prefix: ``patient``, ``diagnose``, ``train``, ``written``,
    or ``formula``."""
    return next((k for k in KINDS if answer_grade_id.startswith(f"{k}_")), "formula")


def points_by_kind(nb: NotebookNode) -> dict[str, float]:
    """Points per kind: each test cell's points go to its answer's kind, a written answer's to ``written``."""
    answers = answer_ids(nb)
    totals: dict[str, float] = {}
    for cell in nb.cells:
        gid, points = grade_id(cell), float(nbgrader_meta(cell).get("points", 0) or 0)
        if gid is None or not points:
            continue
        graded = gid if is_manual(cell) else owner(gid, answers)
        if graded is not None:
            totals[kind(graded)] = totals.get(kind(graded), 0.0) + points
    return totals
