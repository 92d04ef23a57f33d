"""``python -m dlclinic.grading scan SLUG|NOTEBOOK ...``: a tripwire that flags submissions for a person to read.

It reads the code cells a student wrote (locked and test cells, which nbgrader restores, and cells exactly as
released are skipped) and flags what a solution never needs: IPython hooks, assignments to attributes of ``builtins``,
NumPy or ``math``, frame inspection, ``sqlite3``, ``subprocess`` and shell escapes, ``os.fork``, ``signal``,
``ctypes``, dynamic code (``exec``/``eval``), and paths that reach outside the submission's folder. It grades
nothing; a flag is a reason to read the notebook, not proof of cheating.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass
from pathlib import Path

from IPython.core.inputtransformer2 import TransformerManager
from nbformat import NotebookNode

from dlclinic.grading.notebooks import nbgrader_meta

HOOKS = {
    "input_transformers_cleanup",
    "input_transformers_post",
    "ast_transformers",
    "set_custom_exc",
    "register_magic_function",
    "register_magics",
    "run_cell",
    "user_ns",
    "showtraceback",
}
FRAMES = {"_getframe", "currentframe", "f_back", "f_locals", "f_globals", "get_referrers", "settrace", "setprofile"}
PROTECTED = {"builtins", "__builtins__", "np", "numpy", "math", "testing", "tf", "tensorflow", "sys", "os"}
MODULES = {
    "sqlite3": "opens databases (the gradebook is one)",
    "subprocess": "starts other programs",
    "signal": "handles signals (a loop that ignores the grader's interrupt)",
    "ctypes": "calls C directly",
    "pty": "starts a terminal",
    "multiprocessing": "starts processes",
    "inspect": "inspects the caller's frames",
    "gc": "reaches objects it was not given",
    "importlib": "imports by computed name",
    "socket": "opens network connections",
}
BUILTIN_CALLS = {
    "exec": "runs code built at run time",
    "eval": "runs code built at run time",
    "compile": "compiles code built at run time",
    "setattr": "sets an attribute by name",
    "__import__": "imports by computed name",
}
OS_CALLS = {
    "fork": "starts a process",
    "forkpty": "starts a process",
    "system": "runs a shell command",
    "popen": "runs a shell command",
    "execv": "replaces the kernel with another program",
    "execvp": "replaces the kernel with another program",
    "spawnv": "starts a process",
    "chdir": "leaves the submission's folder",
    "kill": "signals processes",
    "killpg": "signals processes",
    "setsid": "detaches from the grader",
    "_exit": "ends the kernel",
}
_OUTSIDE = re.compile(r"(^|[\\/])\.\.([\\/]|$)|^(/|~)")


@dataclass(frozen=True)
class Flag:
    """One finding: the cell (1-based), the line in it and what was found."""

    cell: int
    line: int
    what: str

    def __str__(self) -> str:
        return f"cell {self.cell}, line {self.line}: {self.what}"


def _code_of(source: str) -> str:
    """The Python that IPython runs for a cell (``!cmd`` and magics become calls)."""
    return TransformerManager().transform_cell(source)


def scan_source(source: str, released_names: frozenset[str] = frozenset()) -> list[tuple[int, str]]:
    """``(line, finding)`` pairs for one cell's source; ``released_names`` are the names the release's locked
    cells bind (``np``, ``tf``, test helpers), which an answer has no reason to rebind."""
    try:
        tree = ast.parse(_code_of(source))
    except SyntaxError:
        return []
    found = []
    for node in ast.walk(tree):
        line = getattr(node, "lineno", 0)
        if isinstance(node, ast.Attribute) and node.attr in HOOKS | FRAMES:
            kind = "an IPython hook" if node.attr in HOOKS else "frame inspection"
            found.append((line, f"{kind}: .{node.attr}"))
        elif isinstance(node, ast.Name) and node.id == "get_ipython":
            found.append((line, "reaches the IPython shell (get_ipython)"))
        elif isinstance(node, ast.Name) and node.id in {"__builtins__", "__import__", "globals", "vars"}:
            found.append((line, f"reaches the namespace machinery ({node.id})"))
        elif isinstance(node, ast.Import | ast.ImportFrom):
            names = [node.module or ""] if isinstance(node, ast.ImportFrom) else [a.name for a in node.names]
            found += [(line, f"imports {n}, which {MODULES[n.split('.')[0]]}") for n in names if _top(n) in MODULES]
            if isinstance(node, ast.ImportFrom) and node.module == "os":
                found += [
                    (line, f"imports os.{a.name}, which {OS_CALLS[a.name]}") for a in node.names if a.name in OS_CALLS
                ]
        elif isinstance(node, ast.Call):
            found += [(line, what) for what in _call(node.func)]
        elif isinstance(node, ast.Assign | ast.AugAssign | ast.AnnAssign | ast.Delete):
            targets = node.targets if isinstance(node, ast.Assign | ast.Delete) else [node.target]
            found += [(line, f"rebinds {ast.unparse(t)}") for t in targets if _protected(t)]
            found += [(line, f"rebinds {t.id}, a name of the release") for t in targets if _released(t, released_names)]
        elif isinstance(node, ast.FunctionDef | ast.ClassDef) and node.name in released_names:
            found.append((line, f"rebinds {node.name}, a name of the release"))
        elif isinstance(node, ast.Constant) and isinstance(node.value, str) and _OUTSIDE.search(node.value.strip()):
            found.append((line, f"a path outside the submission: {node.value.strip()[:60]!r}"))
    return sorted(set(found))


def _top(module: str) -> str:
    return module.split(".")[0]


def _call(func: ast.AST) -> list[str]:
    """What a call to ``exec``/``eval``/... or to a process-starting ``os`` function does."""
    if isinstance(func, ast.Name) and func.id in BUILTIN_CALLS:
        return [f"calls {func.id}, which {BUILTIN_CALLS[func.id]}"]
    if isinstance(func, ast.Attribute) and func.attr in OS_CALLS and ast.unparse(func.value) in {"os", "posix"}:
        return [f"calls os.{func.attr}, which {OS_CALLS[func.attr]}"]
    return []


def _released(target: ast.AST, names: frozenset[str]) -> bool:
    return isinstance(target, ast.Name) and target.id in names


def released_names(release: NotebookNode) -> frozenset[str]:
    """The modules and functions the release's locked code cells import or define (the tests rely on them)."""
    names = set()
    for cell in release.cells:
        if cell.cell_type != "code" or not nbgrader_meta(cell).get("locked"):
            continue
        try:
            tree = ast.parse(_code_of(cell.source))
        except SyntaxError:
            continue
        for node in tree.body:
            if isinstance(node, ast.Import | ast.ImportFrom):
                names |= {(a.asname or a.name).split(".")[0] for a in node.names}
            elif isinstance(node, ast.FunctionDef | ast.ClassDef):
                names.add(node.name)
    return frozenset(names)


def _protected(target: ast.AST) -> bool:
    """True for an attribute of a module the tests use (``np.allclose = ...``, ``builtins.float = ...``)."""
    if not isinstance(target, ast.Attribute):
        return False
    base = target.value
    while isinstance(base, ast.Attribute):
        base = base.value
    return isinstance(base, ast.Name) and base.id in PROTECTED


def scan_notebook(notebook: NotebookNode, release: NotebookNode | None = None) -> list[Flag]:
    """Flags for every code cell a student wrote: locked and test cells (nbgrader restores them) and cells
    exactly as the release has them are skipped."""
    released = {cell.source.strip() for cell in release.cells} if release is not None else set()
    names = released_names(release) if release is not None else frozenset()
    flags = []
    for number, cell in enumerate(notebook.cells, start=1):
        meta = nbgrader_meta(cell)
        if cell.cell_type != "code" or (meta.get("locked") and not meta.get("solution")):
            continue
        if cell.source.strip() in released:
            continue
        flags += [Flag(number, line, what) for line, what in scan_source(cell.source, names)]
    return flags


def targets(root: Path, names: list[str]) -> list[Path]:
    """The notebooks named: paths as given; an assignment slug stands for ``submitted/*/<slug>/<slug>.ipynb``."""
    found = []
    for name in names:
        path = Path(name)
        if path.suffix == ".ipynb" or path.exists():
            found.append(path)
        else:
            found += sorted((Path(root) / "submitted").glob(f"*/{name}/{name}.ipynb"))
    return found
