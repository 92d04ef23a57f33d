"""Mutant submissions: the solution with one answer cell replaced by a plausible mistake.

A mutant file ``tests/mutants/<slug>/<name>.py`` starts with a header, then holds the complete replacement
source of one autograded-answer cell::

    # replaces: density_map
    # mistake: sigma used as variance
    def density_map(...):
        ...

See ``tests/mutants/README.md`` for the rules.
"""

from __future__ import annotations

import copy
import re
from dataclasses import dataclass
from pathlib import Path

from harness import cells
from nbformat import NotebookNode

HEADER_KEYS = ("replaces", "mistake")
_HEADER_LINE = re.compile(r"^#\s*(?P<key>[a-z]+)\s*:\s*(?P<value>.*?)\s*$")
_DELIMITER_LINE = re.compile(r"^\s*#+\s*(BEGIN|END) SOLUTION\s*$")


class MutantError(ValueError):
    """A mutant file is malformed or does not fit its notebook."""


@dataclass(frozen=True)
class Mutant:
    """One mistake: ``source`` replaces the answer cell whose grade id is ``replaces``."""

    name: str
    replaces: str
    mistake: str
    source: str


def parse_mutant(text: str, name: str) -> Mutant:
    """Parse a mutant file's text; the header lines (and blank lines right after them) are dropped."""
    lines = text.splitlines()
    header: dict[str, str] = {}
    body_start = 0
    for index, line in enumerate(lines):
        match = _HEADER_LINE.match(line)
        if match is None or match["key"] not in HEADER_KEYS:
            break
        if match["key"] in header:
            raise MutantError(f"mutant {name!r}: '# {match['key']}:' appears twice")
        header[match["key"]] = match["value"]
        body_start = index + 1
    missing = [key for key in HEADER_KEYS if not header.get(key)]
    if missing:
        wanted = ", ".join(f"'# {key}: ...'" for key in missing)
        raise MutantError(f"mutant {name!r}: the file must start with {wanted} (see tests/mutants/README.md)")
    source = "\n".join(lines[body_start:]).strip("\n")
    if not source.strip():
        raise MutantError(f"mutant {name!r}: no replacement source after the header")
    return Mutant(name=name, replaces=header["replaces"], mistake=header["mistake"], source=source)


def load_mutant(path: Path) -> Mutant:
    """Read and parse one mutant file; its name is the file's stem."""
    return parse_mutant(Path(path).read_text(encoding="utf-8"), Path(path).stem)


def mutant_files(directory: Path) -> list[Path]:
    """The mutant files (``*.py``) in ``directory``, sorted; an empty list if it does not exist."""
    directory = Path(directory)
    return sorted(directory.glob("*.py")) if directory.is_dir() else []


def strip_delimiters(source: str) -> str:
    """Drop the ``### BEGIN SOLUTION`` / ``### END SOLUTION`` lines, as a student's answer would lack them."""
    return "\n".join(line for line in source.split("\n") if not _DELIMITER_LINE.match(line))


def solved_submission(source: NotebookNode, release: NotebookNode) -> NotebookNode:
    """The release notebook with every answer (autograded or manual) filled in from the source notebook."""
    answers = cells.cells_by_id(source)
    submission = copy.deepcopy(release)
    for cell in submission.cells:
        gid = cells.grade_id(cell)
        if gid is not None and cells.nbgrader_meta(cell).get("solution") and gid in answers:
            cell.source = strip_delimiters(answers[gid].source)
    return submission


def solved_fast_submission(source: NotebookNode, release: NotebookNode) -> NotebookNode:
    """The solved submission with every ``slow`` cell left as its release version (an answer's stub fails fast)."""
    submission = solved_submission(source, release)
    for cell, released in zip(submission.cells, release.cells, strict=True):
        if cells.is_slow(cell):
            cell.source = released.source
    return submission


def mutant_submission(source: NotebookNode, release: NotebookNode, mutant: Mutant) -> NotebookNode:
    """The solved submission with ``mutant`` applied, and every ``slow`` cell it does not target reverted to
    its release version (for an answer cell: the stub, which fails fast)."""
    target = cells.cells_by_id(source).get(mutant.replaces)
    if target is None or not cells.is_answer(target):
        answers = ", ".join(cells.answer_ids(source)) or "none"
        raise MutantError(
            f"mutant {mutant.name!r} replaces {mutant.replaces!r}, which is not an autograded-answer cell "
            f"of the notebook (answer cells: {answers})"
        )
    if mutant.source.strip() == strip_delimiters(target.source).strip():
        raise MutantError(f"mutant {mutant.name!r} is identical to the solution of {mutant.replaces!r}")
    submission = solved_fast_submission(source, release)
    for cell in submission.cells:
        if cells.grade_id(cell) == mutant.replaces:
            cell.source = mutant.source
    return submission
