"""Is each committed full run a run of the code ``main`` ships? ``python -m dlclinic.build.provenance [--mark]``.

A record names the commit it ran from. It is *current* when that commit is in this checkout's history and none
of the case's files changed since: the case notebook's code cells (its prose may change), the case's subpackage
``utils/dlclinic/<name>/``, and the shared rails (:data:`RAILS`). One change to the rails does not count: a change
confined to the verdict rules of the runner (:data:`JUDGING`, the definitions that judge rows and write pages,
not those that train, sweep or summarise them), when the rules at the record's commit and this checkout's give
every row of every table in the record the same verdict and flags, and every ordered pair of its rows the same
comparison (verb, gain, ratio): on the table's metric and on each metric its rows kept, each in both directions,
with no floor, the table's floor and an unbounded one (every pair within it). Otherwise it is *stale*, and
it may stay committed only labelled so: a ``stale`` object (``since``, ``files``) that its page shows.
``--mark`` writes or removes those labels; without it the command lists each record's state and exits 1 if a
label is missing or wrong. ``tests/test_provenance.py`` runs the same check in ``make test``.
"""

from __future__ import annotations

import argparse
import ast
import itertools
import json
import subprocess
import sys
import types
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

from dlclinic.build.results import FULL_RECORDS, write_json

RUNNER = "utils/dlclinic/differential.py"
RAILS = (RUNNER, "utils/dlclinic/compare.py", "utils/dlclinic/seeding.py", "utils/dlclinic/backend.py")
JUDGING = frozenset({  # the runner's definitions that judge a record's rows (checked) or only write pages from it
    "__doc__", "COLLAPSED", "COLLAPSES", "collapsed", "Differential.compare", "Differential.judge", "VERBS", "_ratio",
    "versus", "on_metric", "agreement", "describe_verdict", "_number", "_rate", "_flags", "table", "sentence"})
FLOORS = (0.0, None, 1e300)  # the floors the pairs are compared at (None: the table's own)


class ProvenanceError(RuntimeError):
    """The history needed to check a record is not there (not a git checkout, a shallow clone, an unknown commit)."""


def _git(root: Path, *args: str, check: bool = True) -> subprocess.CompletedProcess:
    return subprocess.run(["git", *args], cwd=root, capture_output=True, text=True, check=check)


def case_paths(slug: str) -> tuple[str, ...]:
    """The files whose change makes case ``slug``'s record stale: notebook, subpackage, rails."""
    package = slug.split("-", 1)[1].replace("-", "_")
    return (f"book/cases/{slug}.ipynb", f"utils/dlclinic/{package}", *RAILS)


def _code_cells(text: str) -> list[str]:
    return [cell.get("source", "") if isinstance(cell.get("source"), str) else "".join(cell.get("source", []))
            for cell in json.loads(text).get("cells", []) if cell.get("cell_type") == "code"]


def in_history(root: Path, commit: str) -> bool:
    """Whether ``commit`` is an ancestor of (or is) ``HEAD``; ``ProvenanceError`` where that cannot be known."""
    if _git(root, "rev-parse", "--is-shallow-repository", check=False).stdout.strip() == "true":
        raise ProvenanceError("this clone is shallow; fetch the whole history to check the full records")
    if _git(root, "cat-file", "-e", f"{commit}^{{commit}}", check=False).returncode != 0:
        return False
    return _git(root, "merge-base", "--is-ancestor", commit, "HEAD", check=False).returncode == 0


def definitions(source: str) -> dict[str, str]:
    """A module's top-level definitions (methods as ``Class.method``, assignments by their targets, the module's
    docstring as ``__doc__``), each with its code as the parser reads it (comments and layout do not count)."""
    found = {}
    for node in ast.parse(source).body:
        if isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant) and isinstance(node.value.value, str):
            found["__doc__"] = node.value.value
        elif isinstance(node, ast.ClassDef):
            methods = [item for item in node.body if isinstance(item, ast.FunctionDef)]
            found.update({f"{node.name}.{item.name}": ast.dump(item) for item in methods})
            node.body = [item for item in node.body if not isinstance(item, ast.FunctionDef)]
            found[node.name] = ast.dump(node)
        elif isinstance(node, ast.FunctionDef):
            found[node.name] = ast.dump(node)
        elif isinstance(node, ast.Assign | ast.AnnAssign):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            found[", ".join(ast.unparse(target) for target in targets)] = ast.dump(node)
        else:
            found[ast.unparse(node)] = ast.dump(node)
    return found


def _tables(record: object) -> Iterator[Mapping]:
    """Every differential table (a runner record: metric, select, paired, rows) inside a full record."""
    if isinstance(record, Mapping):
        if {"metric", "select", "paired", "rows"} <= set(record):
            yield record
        for value in record.values():
            yield from _tables(value)
    elif isinstance(record, list):
        for value in record:
            yield from _tables(value)


def _judged(rules: types.ModuleType, entry: Mapping) -> dict:
    """What ``rules`` (a version of the runner) make of one table: each row's verdict and flags after judging
    it again, and the comparison of every ordered pair of rows, on the table's metric and on each kept metric,
    in both directions and at each of :data:`FLOORS`."""
    table = rules.Differential.from_record(entry).judge()
    found: dict = {name: (row.verdict, row.degenerate, row.why_degenerate) for name, row in table.rows.items()}
    keys = sorted({key for row in table.rows.values() for key in row.others})
    for key, lower, floor in itertools.product([None, *keys], (True, False), FLOORS):
        metric = rules.Metric(key or table.metric.name, lower, table.metric.floor if floor is None else floor,
                              table.metric.log_scale)
        if key is None:
            judged = rules.Differential(metric, paired=table.paired)
            for row in table.rows.values():
                judged.add(row)
        else:
            judged = rules.on_metric(entry, key, metric)
        found |= {(key, lower, floor, a, b): rules.versus(judged, a, b)
                  for a, b in itertools.permutations(judged.rows, 2)}
    return found


def _loaded(source: str, name: str) -> types.ModuleType:
    """One version of the runner (its source), loaded as a module of its own beside the installed one."""
    module = types.ModuleType(f"dlclinic._runner_{name}")
    sys.modules[module.__name__] = module  # dataclasses look their module up while the code runs
    try:
        exec(compile(source, f"{name}:{RUNNER}", "exec"), module.__dict__)
    finally:
        del sys.modules[module.__name__]
    return module


def judged_alike(root: Path, commit: str, record: Mapping) -> bool:
    """Whether the runner changed since ``commit`` only in its verdict rules (:data:`JUDGING`), and those rules
    then and now judge every table of ``record`` alike."""
    then, now = _git(root, "show", f"{commit}:{RUNNER}").stdout, (root / RUNNER).read_text(encoding="utf-8")
    before, after = definitions(then), definitions(now)
    if {key for key in before.keys() | after.keys() if before.get(key) != after.get(key)} - JUDGING:
        return False
    rules = _loaded(then, commit), _loaded(now, "working-tree")
    return all(repr(_judged(rules[0], entry)) == repr(_judged(rules[1], entry))  # repr: NaN equals NaN
               for entry in _tables(record))


def changed_since(root: Path, commit: str, slug: str, record: Mapping | None = None) -> list[str]:
    """The case's files that differ between ``commit`` and the working tree (a notebook only if its code did;
    the runner not if only its verdict rules did, and they judge ``record`` alike)."""
    paths = case_paths(slug)
    diff = _git(root, "diff", "--name-only", commit, "--", *paths).stdout.split()
    untracked = _git(root, "ls-files", "--others", "--exclude-standard", "--", *paths).stdout.split()
    changed = []
    for path in sorted(set(diff) | set(untracked)):
        if path.endswith(".ipynb") and path in diff and (root / path).is_file():
            before = _git(root, "show", f"{commit}:{path}", check=False)
            if before.returncode == 0 and _code_cells(before.stdout) == _code_cells((root / path).read_text()):
                continue
        if path == RUNNER and path in diff and record is not None and judged_alike(root, commit, record):
            continue
        if "__pycache__" not in path:
            changed.append(path)
    return changed


@dataclass(frozen=True)
class State:
    """A record's provenance: its commit, whether it is in the history, what changed since, and its label."""

    slug: str
    commit: str
    in_history: bool
    changed: list[str]
    label: dict | None

    @property
    def expected_label(self) -> dict | None:
        return {"since": self.commit, "files": self.changed} if self.changed else None

    @property
    def problem(self) -> str:
        """Why the record may not stay as it is, or ``""``."""
        if not self.in_history:
            return f"its commit {self.commit} is not in this checkout's history (record it from a commit on main)"
        if self.label != self.expected_label:
            return (f"its stale label is {self.label!r} but the files changed since {self.commit} are "
                    f"{self.changed or 'none'} (run python -m dlclinic.build.provenance --mark)")
        return ""


def check(root: Path, folder: Path = FULL_RECORDS) -> list[State]:
    """The provenance of every record in ``root/folder``."""
    states = []
    for path in sorted((root / folder).glob("*.json")):
        record = json.loads(path.read_text(encoding="utf-8"))
        commit = record["run"]["commit"]
        known = not commit.endswith("-dirty") and in_history(root, commit)
        states.append(State(path.stem, commit, known, changed_since(root, commit, path.stem, record) if known else [],
                            record.get("stale")))
    return states


def mark(root: Path, folder: Path = FULL_RECORDS) -> list[State]:
    """Write (or remove) each record's ``stale`` label to match what changed since its commit."""
    states = check(root, folder)
    for state in states:
        if state.in_history and state.label != state.expected_label:
            path = root / folder / f"{state.slug}.json"
            record = json.loads(path.read_text(encoding="utf-8"))
            record.pop("stale", None)
            if state.expected_label:
                record["stale"] = state.expected_label
            write_json(path, record)
    return check(root, folder)


def main(argv: list[str] | None = None) -> int:
    """List each record's provenance (``--mark``: label stale records first); exit 1 on a problem."""
    parser = argparse.ArgumentParser(prog="python -m dlclinic.build.provenance", description=__doc__.splitlines()[0])
    parser.add_argument("--mark", action="store_true", help="write or remove the stale labels")
    args = parser.parse_args(argv)
    root = Path.cwd()
    try:
        states = mark(root) if args.mark else check(root)
    except (ProvenanceError, subprocess.CalledProcessError, OSError) as error:
        print(f"dlclinic.build.provenance: error: {error}", file=sys.stderr)
        return 1
    for state in states:
        said = state.problem or ("stale since " + state.commit + ": " + ", ".join(state.changed) if state.changed
                                 else "current")
        print(f"{state.slug}: {said}")
    return 1 if any(state.problem for state in states) else 0


if __name__ == "__main__":
    sys.exit(main())
