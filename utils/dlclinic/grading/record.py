"""What the grading commands remember between runs, per assignment, in ``autograded/grading-<slug>.json``.

``scores`` is the gradebook's snapshot after the last sandboxed grading (the audit compares the gradebook with
it: a score that changed since was changed outside grading); ``not_graded`` maps each student whose submission
could not be graded to the reason.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from dlclinic.grading.gradebook import Snapshot


@dataclass
class Record:
    """The last grading of one assignment."""

    scores: Snapshot = field(default_factory=dict)
    not_graded: dict[str, str] = field(default_factory=dict)


def record_path(root: Path, slug: str) -> Path:
    """Where the record of ``slug`` lives (``autograded/`` is git-ignored, like the gradebook)."""
    return Path(root) / "autograded" / f"grading-{slug}.json"


def load_record(root: Path, slug: str) -> Record | None:
    """The record of ``slug``, or ``None`` before the first sandboxed grading."""
    path = record_path(root, slug)
    if not path.is_file():
        return None
    data = json.loads(path.read_text(encoding="utf-8"))
    return Record(scores=data.get("scores", {}), not_graded=data.get("not_graded", {}))


def save_record(root: Path, slug: str, record: Record) -> None:
    """Write the record of ``slug``."""
    path = record_path(root, slug)
    path.parent.mkdir(parents=True, exist_ok=True)
    data = {"scores": record.scores, "not_graded": record.not_graded}
    path.write_text(json.dumps(data, indent=1, sort_keys=True) + "\n", encoding="utf-8")
