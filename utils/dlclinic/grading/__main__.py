"""``python -m dlclinic.grading release [SLUG ...]``: regenerate ``exercises/<slug>/`` from ``solutions/<slug>/``.

Run it from the repository root; with no slug it releases every assignment under ``solutions/``. It runs
``nbgrader generate_assignment <slug> --force`` with this interpreter's scripts on ``PATH`` (nbgrader needs
``alembic`` from there the first time it creates ``gradebook.db``).

``python -m dlclinic.grading dedupe NOTEBOOK ...`` repairs submissions in which a student copied a graded
cell (nbgrader refuses to autograde them): the last copy keeps the grade, earlier copies become plain cells.
It prints one line per file, goes on past a file it cannot repair (missing, not a notebook) and then exits 1.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from dlclinic.grading.course import RELEASE_DIR, SOURCE_DIR, NbgraderError, generate_release
from dlclinic.grading.dedupe import dedupe_file


def main(argv: list[str] | None = None) -> int:
    """Parse the command line and release the chosen assignments; return the exit status."""
    parser = argparse.ArgumentParser(prog="python -m dlclinic.grading", description=__doc__.split("\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    release = commands.add_parser("release", help=f"regenerate {RELEASE_DIR}/<slug>/ from {SOURCE_DIR}/<slug>/")
    release.add_argument("slugs", nargs="*", metavar="SLUG", help="assignments to release (default: all)")
    release.add_argument("--root", type=Path, default=Path.cwd(), help="repository root (default: .)")
    dedupe = commands.add_parser("dedupe", help="keep only the last copy of each repeated nbgrader grade id")
    dedupe.add_argument("notebooks", nargs="+", type=Path, metavar="NOTEBOOK", help="submitted notebooks to repair")
    args = parser.parse_args(argv)
    if args.command == "dedupe":
        return _dedupe(args.notebooks)

    root = args.root.resolve()
    slugs = args.slugs or sorted(p.name for p in (root / SOURCE_DIR).glob("*") if (p / f"{p.name}.ipynb").is_file())
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


if __name__ == "__main__":
    sys.exit(main())
