"""Execute the case notebooks with papermill and record their metrics and wall times.

``python -m dlclinic.build.run [--full] [CASE ...]`` runs ``book/cases/<slug>.ipynb`` into
``build/executed/<slug>.ipynb`` with the parameters ``quick``, ``seed`` and ``results_path``, then merges every
case's metrics JSON into ``build/results.json`` and writes the runtime table ``build/runtimes.md``; both are
read by ``python -m dlclinic.build.book``. The first failing notebook stops the run with a non-zero exit status.

``--full --record-full`` also writes each case's run to ``benchmarks/full/<slug>.json``, to be committed: the
book shows it beside the quick numbers. The formats of both files are in ``dlclinic.build.results``.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import nbformat
from nbconvert.preprocessors import CoalesceStreamsPreprocessor

from dlclinic.build.benchmark import runtime_table
from dlclinic.build.book import error_outputs, missing_glue_names, repeated_glue_names
from dlclinic.build.peak_memory import Peaks, track_peak_memory
from dlclinic.build.results import (
    RecordError,
    full_record,
    load_results,
    merge_results,
    timing_from_case,
    write_json,
)
from dlclinic.quiet import set_quiet_env

SLUG = re.compile(r"^\d\d-[a-z0-9-]+$")
KERNEL = "python3"
# Silence the kernel process's own log: ipykernel warns that a local kernel talks over TCP, and logs the
# interrupt jupyter_client sends before shutting it down as an error. Cell errors still reach papermill.
KERNEL_ARGUMENTS = ["--IPKernelApp.log_level=CRITICAL"]
SOURCE_LINES = 5  # lines of a failing cell's source shown in the error report
MEMORY_SAMPLE_S = 1.0  # how often the peak-memory sampler looks at the kernel's memory and the GPU's


class RunError(RuntimeError):
    """A problem that stops the run, with a message that says what failed and where."""


@dataclass(frozen=True)
class Case:
    """One case notebook and the files its run writes."""

    slug: str
    notebook: Path
    executed: Path
    results: Path


def discover_cases(cases_dir: Path) -> list[str]:
    """Return the slugs of the case notebooks ``cases_dir/NN-name.ipynb``, in case order."""
    return sorted(path.stem for path in cases_dir.glob("*.ipynb") if SLUG.match(path.stem))


def select_cases(known: list[str], wanted: list[str]) -> list[str]:
    """Return ``wanted`` (every known case if empty), raising ``RunError`` on a slug that is not a case."""
    unknown = [slug for slug in wanted if slug not in known]
    if unknown:
        listing = ", ".join(known) if known else "none"
        raise RunError(f"unknown case {', '.join(unknown)}; known cases: {listing}")
    return list(dict.fromkeys(wanted)) or known


def plan(slug: str, cases_dir: Path, build_dir: Path) -> Case:
    """The input and output paths of one case, made absolute so the kernel's cwd does not matter."""
    build_dir = build_dir.resolve()
    return Case(
        slug=slug,
        notebook=(cases_dir / f"{slug}.ipynb").resolve(),
        executed=build_dir / "executed" / f"{slug}.ipynb",
        results=build_dir / "results" / f"{slug}.json",
    )


def detect_device() -> str:
    """A short description of what TensorFlow computes on: the GPU name(s), else ``CPU (N cores)``."""
    from dlclinic.backend import tf

    gpus = tf.config.list_physical_devices("GPU")
    if not gpus:
        cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
        return f"CPU ({cores} cores)"
    names = [tf.config.experimental.get_device_details(gpu).get("device_name", gpu.name) for gpu in gpus]
    counts = {name: names.count(name) for name in names}
    return ", ".join(name if count == 1 else f"{count} x {name}" for name, count in counts.items())


def describe_failure(case: Case, error: Exception) -> str:
    """Say which case and cell failed, show the head of the cell's source and the error name and message."""
    kept = f"the executed notebook is kept at {case.executed}" if case.executed.is_file() else "nothing was executed"
    lines = [f"case {case.slug} failed; {kept}"]
    index = getattr(error, "cell_index", None)
    if index is not None:
        lines.append(f"cell {index} of the executed notebook (In [{getattr(error, 'exec_count', '?')}]):")
        source = (getattr(error, "source", "") or "").splitlines()
        lines += [f"    {line}" for line in source[:SOURCE_LINES]]
        if len(source) > SOURCE_LINES:
            lines.append(f"    ... ({len(source) - SOURCE_LINES} more lines)")
        lines.append(f"{error.ename}: {error.evalue}")
    else:
        lines.append(f"{type(error).__name__}: {error}")
    return "\n".join(lines)


def execute(case: Case, quick: bool, seed: int) -> float:
    """Execute one case with papermill (cwd = the notebook's folder); return the wall time in seconds.

    Raises ``RunError`` describing the failing cell; the partly executed notebook is kept.
    """
    import papermill

    case.executed.parent.mkdir(parents=True, exist_ok=True)
    case.results.parent.mkdir(parents=True, exist_ok=True)
    case.results.unlink(missing_ok=True)  # a stale file must not pass for this run's metrics
    start = time.perf_counter()
    try:
        papermill.execute_notebook(
            str(case.notebook),
            str(case.executed),
            parameters={"quick": quick, "seed": seed, "results_path": str(case.results)},
            kernel_name=KERNEL,
            cwd=str(case.notebook.parent),
            progress_bar=False,
            log_output=False,
            extra_arguments=KERNEL_ARGUMENTS,
        )
    except Exception as error:  # papermill's execution error, a dead kernel or a cell timeout
        raise RunError(describe_failure(case, error)) from error
    return time.perf_counter() - start


def tidy_streams(case: Case) -> None:
    """Merge consecutive stream outputs and apply carriage returns, so a progress bar keeps its last state only."""
    notebook = nbformat.read(case.executed, as_version=4)
    notebook, _ = CoalesceStreamsPreprocessor().preprocess(notebook, {})
    nbformat.write(notebook, case.executed)


def check_executed(case: Case) -> None:
    """Raise ``RunError`` if the executed notebook holds an error output (e.g. a ``raises-exception`` cell), glues
    a name twice, or its text glues in a name no cell stored."""
    notebook = nbformat.read(case.executed, as_version=4)
    errors = error_outputs(notebook)
    if errors:
        raise RunError(f"{case.executed} has error outputs:\n  " + "\n  ".join(errors))
    repeated = repeated_glue_names(notebook)
    if repeated:
        raise RunError(f"{case.executed} glues these names more than once: {', '.join(repeated)}")
    missing = missing_glue_names(notebook)
    if missing:
        raise RunError(f"{case.executed}'s text glues in names no cell stored: {', '.join(missing)}")


def read_case_metrics(case: Case) -> dict:
    """The metrics JSON the case's last cell wrote to ``results_path``."""
    if not case.results.is_file():
        raise RunError(
            f"case {case.slug} ran but wrote no metrics to {case.results}; its last cell must write them "
            "to results_path"
        )
    try:
        metrics = json.loads(case.results.read_text(encoding="utf-8"))
    except json.JSONDecodeError as error:
        raise RunError(f"{case.results} is not valid JSON: {error}") from None
    if not isinstance(metrics, dict):
        raise RunError(f"{case.results} must hold a JSON object of metrics; got {type(metrics).__name__}")
    return metrics


def make_timing(record: dict, date: str, peaks: Peaks) -> dict:
    """The ``timings`` entry of one case run: what its ``record`` implies, with the day and the memory peaks."""
    return {
        **timing_from_case(record),
        "date": date,
        "peak_host_mib": None if peaks.host_mib is None else round(peaks.host_mib),
        "peak_gpu_mib": None if peaks.gpu_mib is None else round(peaks.gpu_mib),
    }


def commit_of(folder: Path) -> str:
    """The short git commit of ``folder``'s checkout, with ``-dirty`` if it has uncommitted changes; ``?``
    outside git."""
    try:
        commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=folder, capture_output=True,
                                text=True, check=True).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=folder,
                               capture_output=True, text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "?"
    return commit + ("-dirty" if dirty else "")


def _rounded(value: float | None) -> float | None:
    return None if value is None else round(value, 2)


def run_cases(
    slugs: list[str], cases_dir: Path, build_dir: Path, quick: bool, seed: int, record_dir: Path | None = None
) -> str:
    """Execute ``slugs`` in order, then record results and runtimes in ``build_dir``; return the table.

    With ``record_dir`` (full mode only), each case's full run is also written to ``record_dir/<slug>.json``.
    """
    if record_dir is not None and quick:
        raise RunError("only a full run is recorded in benchmarks/full; add --full")
    set_quiet_env()  # the kernel inherits the environment: keep TensorFlow's C++ logs out of the outputs
    # TensorFlow reserves almost all of a GPU's memory when it first uses it, so nvidia-smi would report the
    # card's size for every case; growing on demand makes the recorded GPU peak what the case needed.
    os.environ.setdefault("TF_FORCE_GPU_ALLOW_GROWTH", "true")
    mode = "quick" if quick else "full"
    cases = [plan(slug, cases_dir, build_dir) for slug in slugs]
    commit = commit_of(cases_dir) if record_dir is not None else None  # the code that runs, not HEAD at the end
    if commit is not None and (commit == "?" or commit.endswith("-dirty")):
        raise RunError(f"a full record must name a clean commit on main; the checkout is at {commit}: commit (or "
                       "stash) the changes first")
    seconds, peaks = {}, {}
    for number, case in enumerate(cases, start=1):
        print(f"[{number}/{len(cases)}] {case.slug} ({mode}) ...", end=" ", flush=True)
        try:
            with track_peak_memory(MEMORY_SAMPLE_S) as peaks[case.slug]:
                seconds[case.slug] = execute(case, quick, seed)
        except RunError:
            print("FAILED", flush=True)
            raise
        print(f"done in {seconds[case.slug]:.1f} s", flush=True)
    for case in cases:
        check_executed(case)
        tidy_streams(case)
    device = detect_device()
    records = {
        case.slug: {
            "mode": mode,
            "seconds": round(seconds[case.slug], 2),
            "device": device,
            "metrics": read_case_metrics(case),
        }
        for case in cases
    }
    today = datetime.now(UTC).date().isoformat()
    timings = {slug: {mode: make_timing(record, today, peaks[slug])} for slug, record in records.items()}
    build_dir = build_dir.resolve()
    try:
        results = merge_results(load_results(build_dir / "results.json"), records, timings)
    except RecordError as error:
        raise RunError(f"{error}; delete it and rerun every case") from None
    write_json(build_dir / "results.json", results, schema="results")
    table = runtime_table(results)
    (build_dir / "runtimes.md").write_text(table, encoding="utf-8")
    if record_dir is not None:
        for slug, record in records.items():
            timing = timings[slug][mode]
            run = {"date": timing["date"], "device": record["device"], "commit": commit,
                   "seconds": record["seconds"], "peak_host_mib": timing["peak_host_mib"],
                   "cpu_seconds": _rounded(peaks[slug].cpu_seconds), "load_average": _rounded(peaks[slug].load_average)}
            write_json(record_dir / f"{slug}.json", full_record(record["metrics"], run))
    return table


def main(argv: list[str] | None = None) -> int:
    """Command line entry point; returns the exit status."""
    parser = argparse.ArgumentParser(prog="python -m dlclinic.build.run", description=__doc__.splitlines()[0])
    parser.add_argument("cases", nargs="*", metavar="CASE", help="case slugs, e.g. 03-batchnorm-regression (all)")
    parser.add_argument("--full", action="store_true", help="full budgets instead of quick mode")
    parser.add_argument("--build-dir", type=Path, default=Path("build"), help="output folder (build)")
    parser.add_argument("--cases-dir", type=Path, default=Path("book/cases"), help="case notebooks (book/cases)")
    parser.add_argument("--seed", type=int, default=0, help="seed passed to every case (0)")
    parser.add_argument("--record-full", action="store_true",
                        help="with --full: write each case's run to benchmarks/full/<slug>.json (to commit)")
    args = parser.parse_args(argv)
    start = time.perf_counter()
    try:
        slugs = select_cases(discover_cases(args.cases_dir), args.cases)
        if not slugs:
            raise RunError(f"no case notebooks (NN-name.ipynb) in {args.cases_dir}")
        record_dir = Path("benchmarks", "full") if args.record_full else None
        table = run_cases(slugs, args.cases_dir, args.build_dir, quick=not args.full, seed=args.seed,
                          record_dir=record_dir)
    except RunError as error:
        print(f"dlclinic.build.run: error: {error}", file=sys.stderr)
        return 1
    print(
        f"\n{table}\ndlclinic.build.run: {len(slugs)} case(s) in {time.perf_counter() - start:.1f} s; "
        f"results in {args.build_dir / 'results.json'}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
