"""What each case's headline compares: the reporter's model, the classical baseline and the fix, on one metric.

The results page and its charts read these keys from a case's metrics JSON (this build's run and the committed
full run alike), so the page names the metric in words and says which direction is better.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Headline:
    """One case's headline metric: its name in words, its direction, and the dotted keys of the three runs."""

    metric: str
    lower_is_better: bool
    reporter: str
    baseline: str
    baseline_name: str
    fix: str
    fix_name: str

    def runs(self) -> list[tuple[str, str]]:
        """``(label, dotted key)`` of the reporter's model, the baseline and the fix, in that order."""
        return [("reporter's model", self.reporter), (self.baseline_name, self.baseline), (self.fix_name, self.fix)]


HEADLINES = {
    "01-transcript-segmentation": Headline(
        "Pk (segmentation error)", True, "reporter.pk", "strongest_baseline.pk",
        "the strongest learning-free baseline", "best.pk", "the best trained model"
    ),
    "02-pose-heatmaps": Headline(
        "PCK (share of keypoints found)", False, "reporter.pck", "baseline.pck", "the mean pose", "best.pck", "the fix"
    ),
    "03-batchnorm-regression": Headline(
        "NMSE (error / variance of the maps)", True, "reporter_bn.nmse", "baseline.nmse", "the blob counter",
        "bn_standardised.nmse", "the fix (standardised targets)",
    ),
    "04-bnn-uncertainty": Headline(
        "NLL (negative log-likelihood)", True, "synthetic.reporter.nll", "synthetic.mc_dropout.nll", "MC dropout",
        "synthetic.fixed.nll", "the fix",
    ),
    "05-siamese-speakers": Headline(
        "EER (equal error rate)", True, "reporter.eer", "xent_baseline.eer", "the cross-entropy speaker classifier", "fixed.eer",
        "the fix",
    ),
    "06-ship-segmentation": Headline(
        "F2 (the Airbus competition's score)", False, "reporter_biased.f2", "baseline.f2", "the threshold detector",
        "best.f2", "the fix",
    ),
    "07-output-heads": Headline(
        "mAP (mean average precision over the 8 labels)", False, "softmax_all.map", "baseline.map",
        "a vote of the 15 nearest pictures", "best.map", "the best head",
    ),
}
