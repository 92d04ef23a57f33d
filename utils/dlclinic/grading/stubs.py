"""The sandbox's copy of ``dlclinic``: every graded name of the assignment raises "write this yourself".

The learner's package has the course's functions, the graded answers among them (``from
dlclinic.bnn_uncertainty.metrics import picp``). The grader mounts a copy of the package in the sandbox in
which the definition of each name the check module lists in ``GRADED`` is replaced, in the source, by a
function that raises; nothing in the sandbox holds the original (reloading the module reads the stub), and the
package's own modules that import the name get the stub too. The book and the grader keep the real package.
"""

from __future__ import annotations

import ast
import shutil
from pathlib import Path

PACKAGE = "dlclinic"
_STUB = '''def {name}(*args, **kwargs):
    """Graded: write it yourself in the notebook."""
    raise NotImplementedError(
        "{name} is graded: write it yourself in your notebook (the grader's copy of dlclinic does not have it)"
    )
'''


class StubError(ValueError):
    """A graded name that the package does not define where the check module says (one sentence)."""


def module_file(package_root: Path, dotted: str) -> tuple[Path, str]:
    """``(file, name)`` of ``dlclinic.a.b.name``: ``dlclinic/a/b.py`` (or ``dlclinic/a/b/__init__.py``)."""
    parts = dotted.split(".")
    if len(parts) < 3 or parts[0] != PACKAGE or not all(p.isidentifier() for p in parts):
        raise StubError(f"{dotted!r} is not a dotted name of a module's attribute in {PACKAGE}")
    folder = Path(package_root).joinpath(*parts[:-1])
    for candidate in (folder.with_suffix(".py"), folder / "__init__.py"):
        if candidate.is_file():
            return candidate, parts[-1]
    raise StubError(f"{dotted!r}: no module {'.'.join(parts[:-1])} in the package")


def _definition(tree: ast.Module, name: str) -> ast.stmt | None:
    """The top-level statement that defines ``name`` (a def, a class or an assignment), the last one."""
    found = None
    for node in tree.body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef) and node.name == name:
            found = node
        elif isinstance(node, ast.Assign) and any(isinstance(t, ast.Name) and t.id == name for t in node.targets):
            found = node
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name) and node.target.id == name:
            found = node
    return found


def stub_source(source: str, names: list[str], where: str) -> str:
    """``source`` with the definitions of ``names`` replaced by stubs that raise."""
    lines = source.splitlines(keepends=True)
    tree = ast.parse(source)
    spans = []
    for name in names:
        node = _definition(tree, name)
        if node is None:
            raise StubError(f"{where} does not define {name} at its top level (name the module that defines it)")
        first = min([node.lineno] + [d.lineno for d in getattr(node, "decorator_list", [])])
        spans.append((first, node.end_lineno, name))
    for first, last, name in sorted(spans, reverse=True):
        lines[first - 1 : last] = [_STUB.format(name=name)]
    return "".join(lines)


def stubbed_package(package_root: Path, graded: tuple[str, ...] | list[str], dest: Path) -> Path:
    """Copy ``package_root/dlclinic`` to ``dest/dlclinic`` with every name in ``graded`` stubbed; return ``dest``
    (the folder to put on the sandbox's ``PYTHONPATH``)."""
    dest = Path(dest)
    shutil.copytree(
        Path(package_root) / PACKAGE, dest / PACKAGE, ignore=shutil.ignore_patterns("__pycache__", "*.pyc")
    )
    by_file: dict[Path, list[str]] = {}
    for dotted in graded:
        path, name = module_file(dest, dotted)
        by_file.setdefault(path, []).append(name)
    for path, names in by_file.items():
        where = str(path.relative_to(dest))
        path.write_text(stub_source(path.read_text(encoding="utf-8"), names, where), encoding="utf-8")
    return dest
