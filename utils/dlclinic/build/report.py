"""The book's results page, for readers: per case what its numbers support.

A case whose committed full run carries the runner's ``evidence`` summary (third edition) gets the named fix, the
best treatment, each against the strongest baseline, and every control or baseline that beats or ties the fix,
from that run, with this build's agreement. A second-edition case (``dlclinic.build.headlines``) gets a bar chart
of the reporter's model, the classical baseline and the fix, this build's run beside the committed full run, and
one sentence per mode (verbs from ``dlclinic.compare``). Then the timings in one compact table, and the raw
metrics as downloads.
"""

from __future__ import annotations

from pathlib import Path

from dlclinic.build.benchmark import benchmark_rows, benchmark_table
from dlclinic.build.headlines import HEADLINES, Headline
from dlclinic.build.results import write_json
from dlclinic.compare import compare_sentence
from dlclinic.full_runs import describe_run, metric

CHARTS_DIR = "_results"


def headline_values(headline: Headline, metrics: dict | None) -> list[float | None]:
    """The headline metric of the reporter, the baseline and the fix in ``metrics`` (``None`` where missing)."""
    return [None if metrics is None else metric(metrics, key) for _, key in headline.runs()]


def mode_sentences(headline: Headline, metrics: dict | None) -> list[str]:
    """The fix against the baseline and against the reporter's model, when the run has all three numbers."""
    reporter, baseline, fix = headline_values(headline, metrics)
    if None in (reporter, baseline, fix):
        return []
    name = headline.metric.split(" (")[0]
    return [
        compare_sentence(headline.fix_name, fix, headline.baseline_name, baseline, name, headline.lower_is_better),
        compare_sentence(headline.fix_name, fix, "the reporter's model", reporter, name, headline.lower_is_better),
    ]


def headline_chart(headline: Headline, this_run: dict | None, mode: str, full: dict | None, path: Path) -> Path:
    """Grouped bars (reporter, baseline, fix) of this build's run and the committed full run; saved as PNG."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    labels = [label for label, _ in headline.runs()]
    series = [(f"this build ({mode})", headline_values(headline, this_run), "#4c72b0"),
              ("committed full run", headline_values(headline, full), "#dd8452")]
    figure, axes = plt.subplots(figsize=(6.4, 3.2))
    width = 0.38
    for offset, (name, values, colour) in zip((-width / 2, width / 2), series, strict=True):
        xs = [i + offset for i, value in enumerate(values) if value is not None]
        heights = [value for value in values if value is not None]
        bars = axes.bar(xs, heights, width, label=name, color=colour)
        axes.bar_label(bars, fmt="%.3g", fontsize=8)
    axes.set_xticks(range(len(labels)), labels)
    better = "lower is better" if headline.lower_is_better else "higher is better"
    axes.set_ylabel(headline.metric.split(" (")[0])
    axes.set_title(f"{headline.metric}: {better}", fontsize=10)
    axes.legend(fontsize=8, frameon=False)
    axes.margins(y=0.15)
    figure.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, dpi=110)
    plt.close(figure)
    return path


def _said(row: dict, digits: int = 3) -> str:
    spread = f" ± {row['spread']:.2g} ({row['seeds']} seeds)" if row["seeds"] > 1 else ""
    return f"{row['change']}: {row['value']:.{digits}g}{spread}"


def _versus(found: dict) -> str:
    ratio = "" if found.get("ratio") is None else f", {found['ratio']:.3g}×"
    return f"{found['verb']}{ratio}"


def evidence_section(evidence: dict, smoke: dict | None, mode: str) -> list[str]:
    """A third-edition case's findings from its committed full run (the ``evidence`` entry of its record): the
    named fix, the best treatment, each against the strongest baseline, and every row that beats or ties the fix;
    with this build's agreement where it ran."""
    metric = evidence["metric"]
    better = "lower is better" if metric["lower_is_better"] else "higher is better"
    base = evidence["strongest_baseline"]
    lines = [f"Metric: {metric['name']} ({better}; two results tie within {metric['floor']:g} or their spreads).", "",
             f"- **Named fix** — {_said(evidence['fix'])}; against the strongest baseline ({_said(base)}): "
             f"{_versus(evidence['fix_vs_baseline'])}.",
             f"- **Best treatment** — {_said(evidence['best'])}; against the strongest baseline: "
             f"{_versus(evidence['best_vs_baseline'])}."]
    rivals = [rival for rival in evidence["rivals"] if rival["kind"] != "trained"]
    lines.append("- **Controls and baselines that beat or tie the named fix** — "
                 + ("; ".join(f"{_said(rival)} ({rival['verb']})" for rival in rivals) if rivals else "none") + ".")
    if smoke is not None:
        agree = smoke["fix_vs_baseline"]["verb"] == evidence["fix_vs_baseline"]["verb"]
        lines.append(f"- This build ({mode} mode, a smoke test): the named fix {smoke['fix_vs_baseline']['verb']} "
                     f"the strongest baseline — {'agrees' if agree else 'differs'}.")
    return lines + [""]


def case_section(slug: str, record: dict | None, full: dict | None, stage: Path, has_page: bool) -> str:
    """One case's part of the page: its findings from the full run (third edition), or its chart and the
    comparison sentences of each mode (second edition)."""
    headline = HEADLINES.get(slug)
    title = f"{{doc}}`cases/{slug}`" if has_page else f"`{slug}`"
    lines = [f"### {title}", ""] if has_page else [f"### {slug}", ""]
    if full is not None and "evidence" in full:
        smoke = (record or {}).get("metrics", {}).get("evidence") if record and record["mode"] == "quick" else None
        lines += evidence_section(full["evidence"], smoke, record["mode"] if record else "quick")
        lines.append(f"Evidence: the committed {describe_run(full)}.")
        return "\n".join(lines) + "\n"
    if headline is None:
        return "\n".join(lines + ["No headline is defined for this case yet.", ""])
    mode = record["mode"] if record else "quick"
    this_run = record["metrics"] if record else None
    chart = headline_chart(headline, this_run, mode, full, stage / CHARTS_DIR / f"{slug}.png")
    lines += [f"![{headline.metric} of {slug}]({chart.relative_to(stage).as_posix()})", ""]
    described = describe_run(full)
    for label, metrics in ((f"This build ({mode} mode)", this_run), (described[0].upper() + described[1:], full)):
        sentences = mode_sentences(headline, metrics)
        lines.append(f"- **{label}**: " + "; ".join(sentences) + "." if sentences else f"- **{label}**.")
    return "\n".join(lines) + "\n"


def results_markdown(results: dict, full_records: dict[str, dict], case_slugs: list[str], stage: Path) -> str:
    """The whole results page; charts and the downloadable JSON files are written into ``stage``."""
    cases = results.get("cases", {})
    parts = [
        "# Results\n",
        "Each case's findings on the field's metric, from its committed full run, the chapter's evidence: the fix "
        "it names, the best treatment measured, each against the strongest baseline (learning-free controls "
        "included), and every control or baseline that beats or ties the fix. Quick mode is what a laptop runs in "
        "minutes: a smoke test that says whether it agrees.\n",
    ]
    if not cases:
        parts.append(":::{note}\nThis build ran no case: run `make book` (or `python -m dlclinic.build.run`) to "
                     "execute them. The committed full runs are shown below.\n:::\n")
    parts.append("## Headlines\n")
    for slug in sorted(set(case_slugs) | set(cases) | set(full_records)):
        parts.append(case_section(slug, cases.get(slug), full_records.get(slug), stage, slug in case_slugs))
    parts.append("## Timings\n\nQuick mode must take at most 180 s per case on 2 CPU cores; full mode at most "
                 "45 minutes on 2 CPU cores (600 s on one GPU).\n\n" + benchmark_table(benchmark_rows(results,
                                                                                                    full_records)))
    downloads = stage / CHARTS_DIR
    write_json(downloads / "results.json", results)
    links = ["{download}`this build's metrics (results.json) <_results/results.json>`"]
    for slug, record in sorted(full_records.items()):
        write_json(downloads / "full" / f"{slug}.json", record)
        links.append(f"{{download}}`{slug} full run <_results/full/{slug}.json>`")
    parts.append("\n## Raw metrics\n\n" + "\n".join(f"- {link}" for link in links) + "\n")
    return "\n".join(parts)

