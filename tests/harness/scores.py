"""Per-cell scores of one autograded submission, read back from the gradebook."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class CellScore:
    """The grade of one nbgrader grade cell; ``score`` is ``None`` while a manual grade is pending."""

    grade_id: str
    score: float | None
    max_score: float
    manual: bool
    error: str = ""  # the cell's error and stderr output, if any, from the autograded notebook


@dataclass(frozen=True)
class Scores:
    """All grade cells of one submitted notebook, in notebook order."""

    student: str
    cells: dict[str, CellScore] = field(default_factory=dict)

    def as_dict(self) -> dict[str, tuple[float | None, float]]:
        """``{grade_id: (score, max_score)}`` for every grade cell."""
        return {gid: (cell.score, cell.max_score) for gid, cell in self.cells.items()}

    @property
    def autograded(self) -> dict[str, CellScore]:
        """The cells nbgrader scores by itself (the test cells)."""
        return {gid: cell for gid, cell in self.cells.items() if not cell.manual}

    @property
    def manual(self) -> dict[str, CellScore]:
        """The manually graded answers."""
        return {gid: cell for gid, cell in self.cells.items() if cell.manual}

    def subtotal(self, grade_ids: list[str]) -> tuple[float, float]:
        """``(score, max_score)`` summed over ``grade_ids``; a pending score counts as 0."""
        chosen = [self.cells[gid] for gid in grade_ids]
        return sum(c.score or 0.0 for c in chosen), sum(c.max_score for c in chosen)

    @property
    def total(self) -> tuple[float, float]:
        """``(score, max_score)`` over the autograded cells."""
        return self.subtotal(list(self.autograded))

    def table(self, grade_ids: list[str] | None = None) -> str:
        """A plain-text table of the chosen cells (all by default), with a total line and any errors."""
        chosen = list(self.cells) if grade_ids is None else grade_ids
        width = max([len(gid) for gid in chosen] + [len("grade_id")])
        lines = [f"{'grade_id':<{width}}  {'score':>6}  {'max':>6}  kind", "-" * (width + 26)]
        for gid in chosen:
            cell = self.cells[gid]
            score = "-" if cell.score is None else f"{cell.score:g}"
            flag = "" if cell.score is None or cell.score >= cell.max_score else "  <-- lost points"
            kind = "manual" if cell.manual else "auto"
            lines.append(f"{gid:<{width}}  {score:>6}  {cell.max_score:>6g}  {kind}{flag}")
        score, max_score = self.subtotal([gid for gid in chosen if not self.cells[gid].manual])
        lines.append(f"{'total (autograded)':<{width}}  {score:>6g}  {max_score:>6g}")
        for gid in chosen:
            if self.cells[gid].error:
                lines += ["", f"[{gid}] output:", self.cells[gid].error]
        return "\n".join(lines)
