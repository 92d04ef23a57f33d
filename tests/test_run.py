"""The case runner: discovery, slug errors, results and timings merging, the runtime table and two tiny papermill
runs."""

from __future__ import annotations

import json
from pathlib import Path

import nbformat
import pytest
from papermill.exceptions import PapermillExecutionError

from dlclinic.build import run
from dlclinic.build.peak_memory import Peaks


def write_notebook(path: Path, *sources: str, parameters: str = "") -> Path:
    """A notebook with an optional ``parameters``-tagged cell followed by one code cell per source."""
    notebook = nbformat.v4.new_notebook()
    notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    if parameters:
        notebook.cells.append(nbformat.v4.new_code_cell(parameters, metadata={"tags": ["parameters"]}))
    notebook.cells += [nbformat.v4.new_code_cell(source) for source in sources]
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(notebook, path)
    return path


def make_case(cases_dir: Path, slug: str) -> Path:
    """A case that records its parameters and working directory in the metrics file."""
    return write_notebook(
        cases_dir / f"{slug}.ipynb",
        "import json, os\n"
        "metrics = {'quick': quick, 'seed': seed, 'cwd': os.getcwd(), 'loss': 0.25,\n"
        "           'growth': os.environ.get('TF_FORCE_GPU_ALLOW_GROWTH'), 'headline': {'fix_vs_reporter': 4.0}}\n"
        "open(results_path, 'w').write(json.dumps(metrics))",
        parameters="quick = False\nseed = 1\nresults_path = 'metrics.json'",
    )


def case_in(tmp_path: Path, slug: str = "01-a") -> run.Case:
    return run.plan(slug, tmp_path / "cases", tmp_path / "build")


def test_discover_cases_keeps_numbered_notebooks_in_order(tmp_path: Path) -> None:
    for name in ("02-second", "01-first-case", "notes", "3-short", "04-Upper", "05-x.ipynb-backup"):
        (tmp_path / f"{name}.ipynb").write_text("{}")
    assert run.discover_cases(tmp_path) == ["01-first-case", "02-second"]
    assert run.discover_cases(tmp_path / "missing") == []


def test_select_cases_defaults_to_all_and_drops_repeats() -> None:
    assert run.select_cases(["01-a", "02-b"], []) == ["01-a", "02-b"]
    assert run.select_cases(["01-a", "02-b"], ["02-b", "02-b"]) == ["02-b"]


def test_unknown_slug_lists_the_known_cases(tmp_path: Path, capsys) -> None:
    make_case(tmp_path / "cases", "01-a")
    assert run.main(["--cases-dir", str(tmp_path / "cases"), "--build-dir", str(tmp_path / "build"), "9-z"]) == 1
    assert "unknown case 9-z; known cases: 01-a" in capsys.readouterr().err
    assert not (tmp_path / "build").exists()


def test_no_cases_is_an_error(tmp_path: Path, capsys) -> None:
    assert run.main(["--cases-dir", str(tmp_path), "--build-dir", str(tmp_path / "build")]) == 1
    assert "no case notebooks" in capsys.readouterr().err


def test_plan_makes_every_path_absolute(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    case = run.plan("01-a", Path("cases"), Path("build"))
    assert case.notebook == tmp_path / "cases" / "01-a.ipynb"
    assert case.executed == tmp_path / "build" / "executed" / "01-a.ipynb"
    assert case.results == tmp_path / "build" / "results" / "01-a.json"


def derived(seconds: float, device: str | None = None, headline: dict | None = None) -> dict:
    """The timing a legacy case record implies: no date, no memory."""
    return {"seconds": seconds, "device": device, "date": None, "peak_host_mib": None, "peak_gpu_mib": None,
            "headline": headline or {}}


def test_make_timing_rounds_the_peaks() -> None:
    record = {"mode": "full", "seconds": 412.5, "device": "NVIDIA H100", "metrics": {"headline": {"r": 2.0}}}
    assert run.make_timing(record, "2025-06-01", Peaks(host_mib=2048.4, gpu_mib=None)) == {
        "seconds": 412.5, "device": "NVIDIA H100", "date": "2025-06-01", "peak_host_mib": 2048,
        "peak_gpu_mib": None, "headline": {"r": 2.0},
    }
    assert run.make_timing({**record, "metrics": {}}, "2025-06-01", Peaks())["headline"] == {}


def test_error_outputs_fail_the_check(tmp_path: Path) -> None:
    case = case_in(tmp_path)
    notebook = nbformat.v4.new_notebook()
    cell = nbformat.v4.new_code_cell("1 / 0")
    cell.outputs = [nbformat.v4.new_output("error", ename="ZeroDivisionError", evalue="division by zero")]
    notebook.cells = [nbformat.v4.new_code_cell("x = 1"), cell]
    case.executed.parent.mkdir(parents=True)
    nbformat.write(notebook, case.executed)
    with pytest.raises(run.RunError, match="cell 1: ZeroDivisionError: division by zero"):
        run.check_executed(case)


def test_a_name_glued_twice_fails_the_check(tmp_path: Path) -> None:
    case = case_in(tmp_path)
    cell = nbformat.v4.new_code_cell("glue('eer', 0.2); glue('eer', 0.3); glue('ari', 0.1)")
    cell.outputs = [
        nbformat.v4.new_output("display_data", data={"text/plain": v}, metadata={"scrapbook": {"name": n}})
        for n, v in [("eer", "0.2"), ("eer", "0.3"), ("ari", "0.1")]
    ]
    notebook = nbformat.v4.new_notebook(cells=[cell])
    case.executed.parent.mkdir(parents=True)
    nbformat.write(notebook, case.executed)
    with pytest.raises(run.RunError, match="glues these names more than once: eer$"):
        run.check_executed(case)


def test_text_that_glues_an_unstored_name_fails_the_check(tmp_path: Path) -> None:
    case = case_in(tmp_path)
    cell = nbformat.v4.new_code_cell("glue('share_bce_logit', 0.2)")
    cell.outputs = [nbformat.v4.new_output("display_data", data={"text/plain": "0.2"},
                                           metadata={"scrapbook": {"name": "share_bce_logit"}})]
    text = nbformat.v4.new_markdown_cell(
        "Plain BCE gives {glue:text}`share_bce_logit:.2g`, the report {glue:text}`share_bce:.2g`.\n\n"
        "```{glue:figure} curves\n:name: fig\n```\n\nElsewhere: {glue:text}`other.ipynb::eer`."
    )
    notebook = nbformat.v4.new_notebook(cells=[cell, text])
    case.executed.parent.mkdir(parents=True)
    nbformat.write(notebook, case.executed)
    with pytest.raises(run.RunError, match="glues in names no cell stored: curves, share_bce$"):
        run.check_executed(case)


def test_missing_or_malformed_metrics_are_errors(tmp_path: Path) -> None:
    case = case_in(tmp_path)
    with pytest.raises(run.RunError, match="wrote no metrics"):
        run.read_case_metrics(case)
    case.results.parent.mkdir(parents=True)
    case.results.write_text("[1, 2]")
    with pytest.raises(run.RunError, match="JSON object"):
        run.read_case_metrics(case)


def test_failure_report_shows_cell_source_head_and_error(tmp_path: Path) -> None:
    source = "\n".join(f"line_{i} = {i}" for i in range(8))
    error = PapermillExecutionError(4, 3, source, "ValueError", "bad shape", [])
    case = case_in(tmp_path)
    case.executed.parent.mkdir(parents=True)
    case.executed.write_text("{}")  # papermill keeps the partly executed notebook
    report = run.describe_failure(case, error)
    assert "case 01-a failed" in report and str(case.executed) in report
    assert "cell 4 of the executed notebook (In [3]):" in report
    assert "line_4 = 4" in report and "line_5" not in report and "(3 more lines)" in report
    assert report.endswith("ValueError: bad shape")


def test_detect_device_is_short() -> None:
    device = run.detect_device()
    assert device and len(device) < 80 and "\n" not in device


def test_run_executes_with_parameters_and_merges_results(tmp_path: Path, monkeypatch, capsys) -> None:
    monkeypatch.setattr(run, "detect_device", lambda: "CPU (test)")
    monkeypatch.setattr(run, "MEMORY_SAMPLE_S", 0.05)  # the tiny case runs in about a second
    monkeypatch.setenv("TF_FORCE_GPU_ALLOW_GROWTH", "unset")  # so that monkeypatch restores its absence
    monkeypatch.delenv("TF_FORCE_GPU_ALLOW_GROWTH")
    cases, build = tmp_path / "cases", tmp_path / "build"
    make_case(cases, "01-a")
    make_case(cases, "02-b")
    build.mkdir()
    old = {"cases": {"01-a": {"mode": "full", "seconds": 1.0, "metrics": {}}}}
    (build / "results.json").write_text(json.dumps(old))

    assert run.main(["--cases-dir", str(cases), "--build-dir", str(build), "--seed", "7", "02-b"]) == 0

    out = capsys.readouterr().out
    assert "[1/1] 02-b (quick) ... done in" in out and "| 02-b | quick |" in out
    results = json.loads((build / "results.json").read_text())
    assert results["cases"]["01-a"] == {"mode": "full", "seconds": 1.0, "metrics": {}}
    record = results["cases"]["02-b"]
    assert record["mode"] == "quick" and record["device"] == "CPU (test)" and record["seconds"] > 0
    assert record["metrics"] == {"quick": True, "seed": 7, "cwd": str(cases.resolve()), "loss": 0.25,
                                 "growth": "true", "headline": {"fix_vs_reporter": 4.0}}
    assert results["timings"]["01-a"] == {"full": derived(1.0)}
    quick = results["timings"]["02-b"]["quick"]
    assert quick["seconds"] == record["seconds"] and quick["device"] == "CPU (test)"
    assert quick["headline"] == {"fix_vs_reporter": 4.0} and quick["peak_gpu_mib"] is None
    assert quick["peak_host_mib"] > 10  # the kernel (a Python process) was sampled at least once
    assert len(quick["date"]) == 10 and quick["date"].startswith("20")
    assert (build / "executed" / "02-b.ipynb").is_file()
    assert (build / "runtimes.md").read_text() == run.runtime_table(results)


def test_a_failing_cell_stops_the_run_and_keeps_the_notebook(tmp_path: Path, capsys) -> None:
    cases, build = tmp_path / "cases", tmp_path / "build"
    write_notebook(cases / "01-broken.ipynb", "x = 1", "raise ValueError('the loss is nan')", parameters="quick = True")
    make_case(cases, "02-never-run")

    assert run.main(["--cases-dir", str(cases), "--build-dir", str(build)]) == 1

    captured = capsys.readouterr()
    assert "[1/2] 01-broken (quick) ... FAILED" in captured.out and "02-never-run" not in captured.out
    assert "raise ValueError('the loss is nan')" in captured.err
    assert "ValueError: the loss is nan" in captured.err
    assert (build / "executed" / "01-broken.ipynb").is_file()
    assert not (build / "results.json").exists()


def test_a_full_run_is_recorded_for_the_book_from_a_clean_commit(tmp_path: Path, monkeypatch, capsys) -> None:
    import subprocess

    monkeypatch.setattr(run, "detect_device", lambda: "CPU (test)")
    monkeypatch.chdir(tmp_path)
    make_case(tmp_path / "cases", "01-a")
    assert run.main(["--cases-dir", "cases", "--build-dir", "build", "--record-full", "01-a"]) == 1
    assert "only a full run is recorded" in capsys.readouterr().err
    assert run.main(["--cases-dir", "cases", "--build-dir", "build", "--full", "--record-full", "01-a"]) == 1
    assert "must name a clean commit on main; the checkout is at ?" in capsys.readouterr().err  # not a git checkout
    (tmp_path / ".gitignore").write_text("build/\n")
    git = ["git", "-c", "user.name=t", "-c", "user.email=t@t"]
    for args in (["init", "-q"], ["add", "-A"], ["commit", "-qm", "case"]):
        subprocess.run([*git, *args], check=True, capture_output=True)
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True).stdout.strip()
    assert run.main(["--cases-dir", "cases", "--build-dir", "build", "--full", "--record-full", "01-a"]) == 0
    record = json.loads((tmp_path / "benchmarks" / "full" / "01-a.json").read_text())
    assert record["loss"] == 0.25 and record["quick"] is False
    assert record["run"]["device"] == "CPU (test)" and record["run"]["commit"] == commit
    assert record["run"]["seconds"] > 0 and len(record["run"]["date"]) == 10
    # the case runs in this process here, so no child's CPU time may be measured; the load always is
    assert "cpu_seconds" in record["run"] and record["run"]["load_average"] >= 0
    (tmp_path / "cases" / "01-a.ipynb").write_text((tmp_path / "cases" / "01-a.ipynb").read_text() + " ")
    assert run.main(["--cases-dir", "cases", "--build-dir", "build", "--full", "--record-full", "01-a"]) == 1
    assert f"the checkout is at {commit}-dirty" in capsys.readouterr().err


def test_a_corrupted_notebook_claims_no_executed_copy(tmp_path: Path, capsys) -> None:
    cases = tmp_path / "cases"
    cases.mkdir()
    (cases / "01-broken.ipynb").write_text("{ this is not a notebook")
    assert run.main(["--cases-dir", str(cases), "--build-dir", str(tmp_path / "build")]) == 1
    err = capsys.readouterr().err
    assert "case 01-broken failed; nothing was executed" in err and "kept at" not in err
