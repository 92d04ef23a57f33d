"""Comparison sentences from numbers: the verb (beats / ties / loses to) and the ratio come from the values.

Every sentence of a case that compares two results is made here, so the prose is right in quick and full mode
alike: ``compare_sentence("the fix", 0.037, "the blob counter", 0.399, "NMSE", lower_is_better=True)`` gives
"the fix beats the blob counter on NMSE (0.037 vs 0.399, 10.8×)"; with the numbers the other way round it
"loses to" it, "(… 0.093×)". Two results tie when they differ by at most ``tie`` (relative) or by no more than
their spreads (e.g. the standard deviations over seeds) added up.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

TIE = 0.05  # relative difference at or below which two results tie


@dataclass(frozen=True)
class Comparison:
    """How ``a`` compares with ``b``: ``verb`` is "beats", "ties" or "loses to"; ``ratio`` > 1 means ``a`` is
    better (lower-is-better metrics: b / a; higher-is-better: a / b)."""

    verb: str
    ratio: float

    @property
    def better(self) -> bool:
        return self.verb == "beats"


def _ratio(better: float, worse: float) -> float:
    if worse == 0:
        return 1.0 if better == 0 else math.inf
    return better / worse


def compare(
    a: float, b: float, lower_is_better: bool, tie: float = TIE, a_spread: float = 0.0, b_spread: float = 0.0
) -> Comparison:
    """Compare ``a`` with ``b`` on a metric whose direction is ``lower_is_better``."""
    for name, value in (("a", a), ("b", b), ("a_spread", a_spread), ("b_spread", b_spread)):
        if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
            raise ValueError(f"{name} must be a finite number; got {value!r}")
    if tie < 0 or a_spread < 0 or b_spread < 0:
        raise ValueError(f"tie and the spreads must be >= 0; got tie={tie}, spreads {a_spread}, {b_spread}")
    ratio = _ratio(b, a) if lower_is_better else _ratio(a, b)
    scale = max(abs(a), abs(b))
    if abs(a - b) <= max(tie * scale, a_spread + b_spread):
        return Comparison("ties", ratio)
    a_better = a < b if lower_is_better else a > b
    return Comparison("beats" if a_better else "loses to", ratio)


def compare_sentence(
    a_name: str,
    a: float,
    b_name: str,
    b: float,
    metric: str,
    lower_is_better: bool,
    digits: int = 3,
    tie: float = TIE,
    a_spread: float = 0.0,
    b_spread: float = 0.0,
) -> str:
    """"<a_name> beats / ties / loses to <b_name> on <metric> (a vs b, ratio×)", from the numbers."""
    found = compare(a, b, lower_is_better, tie, a_spread, b_spread)
    ratio = "∞" if math.isinf(found.ratio) else f"{found.ratio:.3g}"
    return f"{a_name} {found.verb} {b_name} on {metric} ({a:.{digits}g} vs {b:.{digits}g}, {ratio}×)"
