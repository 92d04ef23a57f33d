"""The instructor's grading commands; run them from the course's root (the repository's private copy).

``python -m dlclinic.grading release [SLUG ...]``: regenerate ``exercises/<slug>/`` from ``solutions/<slug>/``
(``nbgrader generate_assignment``; it also records the assignment in ``gradebook.db``).

``python -m dlclinic.grading autograde SLUG [--student ID ...]``: grade each submission in its own sandbox,
merge the scores into the gradebook, list who was not graded and why, then audit (exit 1 on tampering).

``python -m dlclinic.grading audit SLUG``: check the gradebook (exit 1 on tampering).

``python -m dlclinic.grading scan SLUG|NOTEBOOK ...``: flag submissions for a person to read (exit 1 if any).

``python -m dlclinic.grading repair NOTEBOOK ...``: re-apply the release's nbgrader metadata to submissions.

``python -m dlclinic.grading dedupe NOTEBOOK ...``: only the copied-cell part of ``repair``.

``python -m dlclinic.grading feedback SLUG [--student ID ...]``: ``nbgrader generate_feedback`` on the cleaned
autograded notebooks; every report gets MathJax inlined (formulas render offline), a strict content-security
policy and a summary that names what each test grades.

``python -m dlclinic.grading export SLUG --to FILE``: the assignment's grades merged into FILE (other assignments'
rows kept), each with a status: graded, waiting for hand-grading, not graded: <reason>, no submission.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from dlclinic.grading.course import RELEASE_DIR, SOURCE_DIR, NbgraderError, generate_release
from dlclinic.grading.dedupe import dedupe_file


def main(argv: list[str] | None = None) -> int:
    """Parse the command line and run the command; return the exit status."""
    parser = argparse.ArgumentParser(prog="python -m dlclinic.grading", description=__doc__.split("\n")[0])
    parser.add_argument("--root", type=Path, default=Path.cwd(), help="the course's root (default: .)")
    commands = parser.add_subparsers(dest="command", required=True)
    release = commands.add_parser("release", help=f"regenerate {RELEASE_DIR}/<slug>/ from {SOURCE_DIR}/<slug>/")
    release.add_argument("slugs", nargs="*", metavar="SLUG", help="assignments to release (default: all)")
    release.add_argument("--root", type=Path, default=argparse.SUPPRESS, help="the course's root (default: .)")
    grade = commands.add_parser("autograde", help="grade submissions, each in its own sandbox")
    grade.add_argument("slug", metavar="SLUG")
    grade.add_argument("--student", action="append", metavar="ID", help="grade only this student (repeatable)")
    grade.add_argument("--notebook-timeout", type=float, default=1800, help="seconds per notebook (default 1800)")
    grade.add_argument("--cell-timeout", type=int, default=0, help="seconds per cell (default: nbgrader_config.py)")
    grade.add_argument("--memory-gib", type=float, default=8, help="memory of each sandbox, in all (default 8 GiB)")
    grade.add_argument("--tasks", type=int, default=512, help="processes and threads in the sandbox (default 512)")
    grade.add_argument("--jobs", type=int, default=1, help="sandboxes at a time (default 1)")
    grade.add_argument("--cpus", type=float, help="CPUs per sandbox (default: the machine's cores / --jobs)")
    grade.add_argument("--disk-mib", type=int, default=1024, help="what a sandbox can write (default 1024 MiB)")
    grade.add_argument("--output-mib", type=float, default=8, help="each output, and the kernel's own (default 8)")
    grade.add_argument("--seed", type=int, help="the seed of the grader's inputs (default: a new one per run)")
    commands.add_parser("audit", help="check the gradebook for tampering").add_argument("slug", metavar="SLUG")
    scan = commands.add_parser("scan", help="flag submissions that use what no solution needs")
    scan.add_argument("targets", nargs="+", metavar="SLUG|NOTEBOOK")
    repair = commands.add_parser("repair", help="re-apply the release's nbgrader metadata to submissions")
    repair.add_argument("notebooks", nargs="+", type=Path, metavar="NOTEBOOK")
    dedupe = commands.add_parser("dedupe", help="keep only the last copy of each repeated nbgrader grade id")
    dedupe.add_argument("notebooks", nargs="+", type=Path, metavar="NOTEBOOK", help="submitted notebooks to repair")
    feedback = commands.add_parser("feedback", help="nbgrader generate_feedback, with formulas that render offline")
    feedback.add_argument("slug", metavar="SLUG")
    feedback.add_argument("--student", action="append", metavar="ID", help="only this student (repeatable)")
    feedback.add_argument("--mathjax", type=Path, help="the npm mathjax package (default: node_modules/mathjax)")
    export = commands.add_parser("export", help="the grades of SLUG merged into a CSV file, each with its status")
    export.add_argument("slug", metavar="SLUG")
    export.add_argument("--to", type=Path, required=True, metavar="FILE")
    args = parser.parse_args(argv)
    root = args.root.resolve()
    run = {
        "release": lambda: _release(root, args.slugs),
        "autograde": lambda: _autograde(root, args),
        "audit": lambda: _audit(root, args.slug),
        "scan": lambda: _scan(root, args.targets),
        "repair": lambda: _repair(root, args.notebooks),
        "dedupe": lambda: _dedupe(args.notebooks),
        "feedback": lambda: _feedback(root, args),
        "export": lambda: _export(root, args.slug, args.to),
    }[args.command]
    from dlclinic.grading.autograde import GradingError
    from dlclinic.grading.export import ExportError
    from dlclinic.grading.feedback import FeedbackError
    from dlclinic.grading.sandbox import SandboxUnavailable

    try:
        return run()
    except (GradingError, SandboxUnavailable, NbgraderError, FeedbackError, ExportError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2


def _release(root: Path, slugs: list[str]) -> int:
    slugs = slugs or sorted(p.name for p in (root / SOURCE_DIR).glob("*") if (p / f"{p.name}.ipynb").is_file())
    if not slugs:
        print(f"no assignments under {root / SOURCE_DIR}", file=sys.stderr)
        return 1
    for slug in slugs:
        try:
            generate_release(root, slug)
        except NbgraderError as error:
            print(error, file=sys.stderr)
            return 1
        print(f"{SOURCE_DIR}/{slug}/ -> {RELEASE_DIR}/{slug}/")
    return 0


def _autograde(root: Path, args: argparse.Namespace) -> int:
    from dlclinic.grading.autograde import autograde
    from dlclinic.grading.export import standings
    from dlclinic.grading.harmless import clean_autograded
    from dlclinic.grading.sandbox import MB, Limits, bwrap, containment

    bwrap()  # says how to install bubblewrap before any work is done
    limits = Limits(
        memory_bytes=int(args.memory_gib * 2**30),
        tasks=args.tasks,
        cpus=args.cpus,
        disk_bytes=args.disk_mib * MB,
        output_bytes=int(args.output_mib * MB),
        wall_seconds=args.notebook_timeout,
    )
    print(f"sandbox: {containment(limits)}")
    result = autograde(root, args.slug, args.student, limits, args.cell_timeout, args.jobs, seed=args.seed)
    for problem in result.problems:  # first: what must not be missed
        print(f"TAMPERING: {problem}", file=sys.stderr)
    clean_autograded(root, args.slug, result.graded)  # student HTML made harmless before anyone opens it
    scores = standings(root, args.slug)
    for student in result.graded:
        seconds = f"{result.seconds.get(student, 0):.0f} s"
        standing = scores.get(student)
        score = f"{standing.score:g} / {standing.max_score:g} points" if standing else "no score"
        waiting = f" ({', '.join(standing.waiting)} to grade by hand)" if standing and standing.waiting else ""
        print(f"{student}: graded, {score}{waiting}, {seconds}")
    for student, reason in sorted(result.not_graded.items()):
        print(f"{student}: not graded: {reason} ({result.seconds.get(student, 0):.0f} s)")
    _print_flags(root, [args.slug])
    return 1 if result.problems else 0


def _audit(root: Path, slug: str) -> int:
    from dlclinic.grading.audit import audit
    from dlclinic.grading.autograde import check_course

    check_course(root, slug)
    found = audit(root, slug)
    for problem in found.problems:  # first: what must not be missed
        print(f"TAMPERING: {problem}", file=sys.stderr)
    for student, reason in sorted(found.ungraded.items()):
        print(f"{student}: not graded: {reason}")
    print(f"audit of {slug}: {len(found.problems)} problems, {len(found.ungraded)} submissions not graded")
    return 1 if found.problems else 0


def _print_flags(root: Path, names: list[str]) -> int:
    """Print the scan's flags per notebook; return how many notebooks were flagged."""
    from dlclinic.grading.notebooks import read_notebook
    from dlclinic.grading.scan import extra_files, graded_names, scan_notebook, targets

    flagged = 0
    for path in targets(root, names):
        release_path = root / RELEASE_DIR / path.stem / f"{path.stem}.ipynb"
        try:
            release = read_notebook(release_path) if release_path.is_file() else None
            flags = scan_notebook(read_notebook(path), release, graded_names(root, path.stem))
        except ValueError as error:
            print(f"error: {error}", file=sys.stderr)
            flagged += 1
            continue
        except Exception as error:  # noqa: BLE001 - one notebook never stops the scan of the others
            print(f"error: {path}: the scan failed ({type(error).__name__}: {error}); read it", file=sys.stderr)
            flagged += 1
            continue
        beside = extra_files(path)
        flagged += bool(flags or beside)
        if beside:
            print(f"FLAGGED {path}: files handed in beside the notebook, which no solution needs: {', '.join(beside)}")
        for flag in flags:
            print(f"FLAGGED {path}: {flag}")
    return flagged


def _scan(root: Path, names: list[str]) -> int:
    from dlclinic.grading.scan import targets

    if not targets(root, names):
        print(f"error: nothing to scan: no notebook or submissions for {' '.join(names)}", file=sys.stderr)
        return 2
    flagged = _print_flags(root, names)
    print(f"{flagged} of {len(targets(root, names))} notebooks flagged for a person to read")
    return 1 if flagged else 0


def _repair(root: Path, paths: list[Path]) -> int:
    from dlclinic.grading.repair import repair_file

    failed = 0
    for path in paths:
        release = root / RELEASE_DIR / path.stem / f"{path.stem}.ipynb"
        try:
            changes = repair_file(path, release)
        except ValueError as error:
            print(f"error: {error}", file=sys.stderr)
            failed += 1
            continue
        except Exception as error:  # noqa: BLE001 - one notebook never stops the repair of the others
            print(f"error: {path}: repair failed ({type(error).__name__}: {error})", file=sys.stderr)
            failed += 1
            continue
        print(f"{path}: {'nothing to repair' if not changes else f'{len(changes)} changes'}")
        for change in changes:
            print(f"  {change}")
    return 1 if failed else 0


def _dedupe(paths: list[Path]) -> int:
    failed = 0
    for path in paths:
        try:
            print(dedupe_file(path))
        except ValueError as error:
            print(f"error: {error}", file=sys.stderr)
            failed += 1
    if failed:
        print(f"{failed} of {len(paths)} notebooks could not be deduped", file=sys.stderr)
    return 1 if failed else 0


def _feedback(root: Path, args: argparse.Namespace) -> int:
    from dlclinic.grading.autograde import check_course
    from dlclinic.grading.feedback import generate_feedback, mathjax_missing

    check_course(root, args.slug)
    mathjax = args.mathjax or root / "node_modules" / "mathjax"
    reports = generate_feedback(root, args.slug, args.student, mathjax)
    missing = mathjax_missing(mathjax)
    for report in reports:
        print(f"{report.relative_to(root)}: {'formulas shown as TeX' if missing else 'formulas render offline'}")
    if missing:
        print(f"warning: {missing}", file=sys.stderr)
    return 0


def _export(root: Path, slug: str, to: Path) -> int:
    from dlclinic.grading.autograde import check_course
    from dlclinic.grading.export import GRADED, export_grades

    check_course(root, slug)
    rows = export_grades(root, slug, to)
    kinds: dict[str, int] = {}
    for row in rows:
        kind = row["status"].split(":")[0]
        kinds[kind] = kinds.get(kind, 0) + 1
    counts = ", ".join(f"{count} {kind}" for kind, count in sorted(kinds.items(), key=lambda k: k[0] != GRADED))
    students = f"{len(rows)} student{'' if len(rows) == 1 else 's'}"
    print(f"wrote {to}: {students} of {slug} ({counts}); other assignments' rows kept")
    return 0


if __name__ == "__main__":
    sys.exit(main())
