"""``python -m dlclinic.grading scan SLUG|NOTEBOOK ...``: flag submissions for a person to read.

An allowlist: the code a student wrote (cells exactly as released, locked and test cells are skipped, but
their imports count) may import the modules a solution uses (NumPy, SciPy, TensorFlow and Keras, the course's
``dlclinic`` tools, the standard library's maths and data helpers; ``IPython.display``), and use ``os`` and
``sys`` only for paths and printing. Everything else a solution never needs is flagged: any other import
(``subprocess``, ``ctypes``, ``_sqlite3``, ``posix``, ``importlib``, ``signal``, ``threading``...), IPython's
and the kernel's internals (``get_ipython``, ``In``, hooks), dunder attributes that reach the interpreter
(``__globals__``, ``__subclasses__``, ``__module__``...), frame inspection, attributes set or deleted on a
module (``np.testing.assert_allclose = ...``, also through an alias), ``setattr``/``delattr``, ``getattr`` with
a computed name, ``exec``/``eval``/``compile``/``__import__``/``globals``/``vars``, paths that leave the
submission's folder or are built at run time (``open`` of a computed path), names the release binds rebound,
imports and attribute reads of the assignment's graded names from ``dlclinic`` and of ``dlclinic.grading``,
and cells that cannot be parsed. Aliases are followed through the whole notebook (``import os as o``,
``x = o``, ``getattr(o, "system")``). It grades nothing; a flag is a reason to read the notebook.
"""

from __future__ import annotations

import ast
import functools
import re
from dataclasses import dataclass
from pathlib import Path

from IPython.core.inputtransformer2 import TransformerManager
from nbformat import NotebookNode

from dlclinic.grading.notebooks import nbgrader_meta

ALLOWED_MODULES = {
    "__future__", "abc", "bisect", "cmath", "collections", "contextlib", "copy", "dataclasses", "datetime",
    "decimal", "dlclinic", "enum", "fractions", "functools", "heapq", "itertools", "json", "keras", "math",
    "matplotlib", "nltk", "numbers", "numpy", "operator", "pandas", "random", "re", "scipy", "sklearn",
    "statistics", "string", "tensorflow", "tensorflow_probability", "textwrap", "tf_keras", "time", "tqdm",
    "typing", "warnings",
}  # fmt: skip
# Modules allowed only in part: the attributes a solution may use (IPython: its display helpers).
PARTLY = {
    "os": {"path", "sep", "getcwd", "listdir", "makedirs", "cpu_count"},
    "sys": {"stdout", "stderr", "version", "version_info", "float_info", "maxsize", "platform"},
    "IPython": {"display"},
}
FORBIDDEN_PACKAGES = ("dlclinic.grading", "dlclinic.build")  # the grader's and the book's machinery
SAFE_DUNDERS = {"__name__", "__qualname__", "__doc__", "__init__", "__call__", "__class__", "__len__", "__repr__"}
IPYTHON_NAMES = {"get_ipython", "In", "Out", "_ih", "_oh", "_dh", "exit", "quit", "display_pub"}
HOOKS = {
    "input_transformers_cleanup", "input_transformers_post", "ast_transformers", "set_custom_exc", "events",
    "register_magic_function", "register_magics", "run_cell", "run_line_magic", "run_cell_magic", "user_ns",
    "user_global_ns", "showtraceback", "displayhook", "display_pub", "pre_run_cell", "post_run_cell",
    "pre_execute", "post_execute", "excepthook", "error_in_exec", "error_before_exec", "execution_count",
}  # fmt: skip
FRAMES = {
    "_getframe", "currentframe", "f_back", "f_locals", "f_globals", "f_builtins", "f_code", "tb_frame",
    "gi_frame", "cr_frame", "ag_frame", "get_referrers", "get_referents", "get_objects", "settrace", "setprofile",
}  # fmt: skip
CALLS = {
    "exec": "runs code built at run time",
    "eval": "runs code built at run time",
    "compile": "compiles code built at run time",
    "__import__": "imports by computed name",
    "setattr": "sets an attribute by name",
    "delattr": "deletes an attribute by name",
    "globals": "reaches the namespace machinery",
    "vars": "reaches the namespace machinery",
    "locals": "reaches the namespace machinery",
    "breakpoint": "starts a debugger",
    "chr": "builds text from character codes",
}
MAGICS = {"matplotlib", "time", "timeit"}  # %matplotlib inline, %time, %timeit: the only magics allowed
_OUTSIDE = re.compile(r"(^|[\\/])\.\.([\\/]|$)|^(/|~)")
_PATH_OUTSIDE = re.compile(r"(^|[\\/\s])\.\.[\\/]|(^|\s)(/|~/)[A-Za-z_.]")
UNKNOWN = "?module"  # what a name holds when it is bound to some module the scan cannot name
_TRANSFORMED_MAGIC = ("run_line_magic", "run_cell_magic")


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


@functools.lru_cache(maxsize=4096)  # a class's notebooks share most cells; the trees are only read
def _parse(source: str) -> ast.Module | None:
    try:
        return ast.parse(_code_of(source))
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None


def _module_allowed(module: str) -> bool:
    top = module.split(".")[0]
    if any(module == package or module.startswith(package + ".") for package in FORBIDDEN_PACKAGES):
        return False
    if top in PARTLY:
        parts = module.split(".")
        return len(parts) == 1 or parts[1] in PARTLY[top]
    return top in ALLOWED_MODULES


class _Scanner(ast.NodeVisitor):
    """Walks one cell with the notebook's aliases (``name -> dotted path``, carried from cell to cell)."""

    def __init__(self, aliases: dict[str, str], graded: tuple[str, ...], released: frozenset[str], flag: bool):
        self.aliases, self.graded, self.released, self.flag = aliases, graded, released, flag
        self.graded_names = {name.rsplit(".", 1)[-1] for name in graded}
        self.returns_module: set[str] = set()  # functions that return a module
        self.found: list[tuple[int, str]] = []

    def note(self, node: ast.AST, what: str) -> None:
        if self.flag:
            self.found.append((getattr(node, "lineno", 0), what))

    # --- what a name or an expression stands for ---

    def resolve(self, node: ast.AST) -> str | None:
        """The dotted path an expression stands for, when it is rooted in an import (``np.testing`` ->
        ``numpy.testing``); ``None`` otherwise."""
        if isinstance(node, ast.Name):
            return self.aliases.get(node.id)
        if isinstance(node, ast.Attribute):
            base = self.resolve(node.value)
            return f"{base}.{node.attr}" if base else None
        if isinstance(node, ast.Call) and _is_name(node.func, "getattr") and len(node.args) >= 2:
            base, name = self.resolve(node.args[0]), node.args[1]
            if base and isinstance(name, ast.Constant) and isinstance(name.value, str):
                return f"{base}.{name.value}"
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in self.returns_module:
            return UNKNOWN
        if isinstance(node, ast.Subscript):
            base = self.resolve(node.value)
            if base == "sys.modules":
                key = node.slice
                return key.value if isinstance(key, ast.Constant) and isinstance(key.value, str) else UNKNOWN
            return base  # a container that holds a module (``mods[0]``)
        return None

    def modules_in(self, node: ast.AST) -> list[str]:
        """Module paths an expression hands on as values (``[np][0]``, ``np.testing``), not as calls."""
        if isinstance(node, ast.Call):
            found = []
            if not isinstance(node.func, ast.Name | ast.Attribute):
                found += self.modules_in(node.func)
            for arg in [*node.args, *(k.value for k in node.keywords)]:
                found += self.modules_in(arg)
            return found
        path = self.resolve(node)
        if path is not None:
            return [path]
        return [m for child in ast.iter_child_nodes(node) for m in self.modules_in(child)]

    def check_path(self, node: ast.AST, path: str) -> None:
        """Flag a use of ``path`` that no solution needs: a module not allowed, a graded name, ``dlclinic.grading``."""
        if path in self.graded or (path.startswith("dlclinic.") and path.rsplit(".", 1)[-1] in self.graded_names):
            self.note(node, f"uses {path}, a graded answer: write it yourself, do not import it")
        elif path.startswith(UNKNOWN):
            self.note(node, "uses a module through a value the scan cannot follow")
        elif not _module_allowed(path):
            self.note(node, f"uses {path}, which no solution needs")

    # --- visitors ---

    def visit_Import(self, node: ast.Import) -> None:
        for alias in node.names:
            self.check_path(node, alias.name)
            if alias.asname:
                self.aliases[alias.asname] = alias.name
            else:
                top = alias.name.split(".")[0]
                self.aliases[top] = top
            self.rebinds(node, alias.asname or alias.name.split(".")[0])

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        module = "." * node.level + (node.module or "")
        if node.level:
            self.note(node, f"a relative import ({module}), which no solution needs")
        for alias in node.names:
            if alias.name == "*":
                self.note(node, f"imports * from {module}, which no solution needs")
                continue
            path = f"{module}.{alias.name}"
            self.check_path(node, path if _module_allowed(module) else module)
            self.aliases[alias.asname or alias.name] = path
            self.rebinds(node, alias.asname or alias.name)

    def visit_Name(self, node: ast.Name) -> None:
        if node.id in IPYTHON_NAMES:
            self.note(node, f"reaches IPython's internals ({node.id})")
        elif node.id.startswith("__") and node.id.endswith("__") and node.id != "__name__":
            self.note(node, f"reaches the interpreter's machinery ({node.id})")

    def visit_Attribute(self, node: ast.Attribute) -> None:
        attr = node.attr
        if attr.startswith("__") and attr.endswith("__") and attr not in SAFE_DUNDERS:
            self.note(node, f"reaches the interpreter's machinery (.{attr})")
        elif attr in HOOKS:
            self.note(node, f"reaches IPython's internals (.{attr})")
        elif attr in FRAMES:
            self.note(node, f"inspects frames or the garbage collector (.{attr})")
        path = self.resolve(node)
        if path is not None and not isinstance(node.ctx, ast.Store | ast.Del):
            self.check_path(node, path)
        self.generic_visit(node)

    def visit_Call(self, node: ast.Call) -> None:
        func = node.func
        if isinstance(func, ast.Name) and func.id in CALLS:
            self.note(node, f"calls {func.id}, which {CALLS[func.id]}")
        if _is_name(func, "getattr") and (len(node.args) < 2 or not _is_text(node.args[1])):
            self.note(node, "calls getattr with a name computed at run time")
        path = self.resolve(node)
        if path is not None:
            self.check_path(node, path)
        if isinstance(func, ast.Attribute) and func.attr in _TRANSFORMED_MAGIC:
            magic = node.args[0].value if node.args and _is_text(node.args[0]) else "?"
            if magic in MAGICS:
                return  # get_ipython().run_line_magic("matplotlib", "inline"): the magic, allowed
            self.note(node, f"runs the IPython magic %{magic}")
        if isinstance(func, ast.Attribute) and func.attr == "system" and _is_ipython(func.value):
            self.note(node, "runs a shell command (!)")
        if _is_name(func, "open") and node.args and not (_is_text(node.args[0]) or _is_file_name(node.args[0])):
            self.note(node, "opens a path built at run time")
        self.generic_visit(node)

    def visit_Constant(self, node: ast.Constant) -> None:
        if isinstance(node.value, str) and _OUTSIDE.search(node.value.strip()):
            self.note(node, f"a path outside the submission: {node.value.strip()[:60]!r}")

    def visit_JoinedStr(self, node: ast.JoinedStr) -> None:
        """An f-string's text is printed, not a path: only text that reads as a path outside is flagged."""
        for part in node.values:
            if isinstance(part, ast.Constant) and isinstance(part.value, str):
                if _PATH_OUTSIDE.search(part.value):
                    self.note(part, f"a path outside the submission: {part.value.strip()[:60]!r}")
            else:
                self.visit(part)

    def visit_For(self, node: ast.For) -> None:
        self.assigned(node, [node.target], node.iter)

    visit_AsyncFor = visit_For  # noqa: N815 - ast.NodeVisitor's naming

    def visit_comprehension(self, node: ast.comprehension) -> None:
        self.assigned(node, [node.target], node.iter)

    def visit_withitem(self, node: ast.withitem) -> None:
        if node.optional_vars is not None:
            self.assigned(node, [node.optional_vars], node.context_expr)
        else:
            self.generic_visit(node)

    def visit_Assign(self, node: ast.Assign) -> None:
        self.assigned(node, node.targets, node.value)

    def visit_AnnAssign(self, node: ast.AnnAssign) -> None:
        self.assigned(node, [node.target], node.value)

    def visit_AugAssign(self, node: ast.AugAssign) -> None:
        self.assigned(node, [node.target], None)

    def visit_Delete(self, node: ast.Delete) -> None:
        self.assigned(node, node.targets, None)

    def visit_NamedExpr(self, node: ast.NamedExpr) -> None:
        self.assigned(node, [node.target], node.value)

    def visit_FunctionDef(self, node: ast.FunctionDef) -> None:
        self.rebinds(node, node.name)
        self.aliases.pop(node.name, None)
        self.generic_visit(node)
        returns = [r.value for r in ast.walk(node) if isinstance(r, ast.Return | ast.Yield) and r.value is not None]
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and any(self.modules_in(v) for v in returns):
            self.returns_module.add(node.name)

    visit_AsyncFunctionDef = visit_FunctionDef  # noqa: N815 - ast.NodeVisitor's naming
    visit_ClassDef = visit_FunctionDef  # noqa: N815

    def assigned(self, node: ast.AST, targets: list[ast.AST], value: ast.AST | None) -> None:
        """Attribute targets whose object is a module (or an expression that is no variable) are flagged;
        names bound to a module (``o = os``, ``m = [np][0]``) become aliases."""
        modules = self.modules_in(value) if value is not None else []
        for target in targets:
            for part in ast.walk(target):
                if isinstance(part, ast.Attribute | ast.Subscript) and isinstance(part.ctx, ast.Store | ast.Del):
                    self.attribute_target(node, part)
                elif isinstance(part, ast.Name) and isinstance(part.ctx, ast.Store):
                    self.rebinds(node, part.id)
                    if modules:  # one name: the module; a tuple, a loop variable: some module
                        self.aliases[part.id] = modules[0] if isinstance(target, ast.Name) and value else UNKNOWN
                    else:
                        self.aliases.pop(part.id, None)
        self.generic_visit(node)

    def attribute_target(self, node: ast.AST, target: ast.Attribute | ast.Subscript) -> None:
        root = target.value
        while isinstance(root, ast.Attribute | ast.Subscript):
            root = root.value
        path = self.resolve(target.value)
        if path is not None:
            self.note(node, f"changes the module {path} ({ast.unparse(target)[:60]})")
        elif not isinstance(root, ast.Name):
            self.note(node, f"changes an object reached through an expression ({ast.unparse(target)[:60]})")

    def rebinds(self, node: ast.AST, name: str) -> None:
        if name in self.released:
            self.note(node, f"rebinds {name}, a name of the release")


def _is_name(node: ast.AST, name: str) -> bool:
    return isinstance(node, ast.Name) and node.id == name


def _is_text(node: ast.AST) -> bool:
    return isinstance(node, ast.Constant) and isinstance(node.value, str)


def _is_file_name(node: ast.AST) -> bool:
    """``f"{name}.json"``: a variable and an extension, a file of the submission's folder by its name."""
    return (isinstance(node, ast.JoinedStr) and len(node.values) == 2
            and isinstance(node.values[0], ast.FormattedValue) and isinstance(node.values[0].value, ast.Name)
            and node.values[0].format_spec is None and node.values[0].conversion == -1 and _is_text(node.values[1])
            and re.fullmatch(r"\.[A-Za-z0-9]{1,8}", node.values[1].value) is not None)


def _is_ipython(node: ast.AST) -> bool:
    return isinstance(node, ast.Call) and _is_name(node.func, "get_ipython")


def released_names(release: NotebookNode) -> frozenset[str]:
    """The modules and functions the release's locked code cells import or define (the tests rely on them)."""
    names = set()
    for cell in release.cells:
        if cell.cell_type != "code" or not nbgrader_meta(cell).get("locked"):
            continue
        tree = _parse(cell.source)
        for node in tree.body if tree is not None else []:
            if isinstance(node, ast.Import | ast.ImportFrom):
                names |= {(a.asname or a.name).split(".")[0] for a in node.names}
            elif isinstance(node, ast.FunctionDef | ast.ClassDef):
                names.add(node.name)
    return frozenset(names)


def extra_files(notebook: Path) -> list[str]:
    """Files handed in beside a submitted notebook (``submitted/<student>/<slug>/``), which no solution needs:
    a package there would shadow a real one on the kernel's import path."""
    folder = Path(notebook).parent
    if folder.parent.parent.name != "submitted":
        return []
    return sorted(
        str(p.relative_to(folder))
        for p in folder.rglob("*")
        if (p.is_file() or p.is_symlink()) and p != Path(notebook) and p.name != "timestamp.txt"
        and ".ipynb_checkpoints" not in p.parts
    )


def scan_source(
    source: str, released: frozenset[str] = frozenset(), graded: tuple[str, ...] = (), aliases: dict | None = None
) -> list[tuple[int, str]]:
    """``(line, finding)`` pairs for one cell's source; ``released`` are the names the release's locked cells
    bind, ``graded`` the assignment's graded names, ``aliases`` the notebook's aliases so far (updated)."""
    tree = _parse(source)
    if tree is None:
        return [(0, "the cell cannot be parsed as Python: read it by hand")]
    scanner = _Scanner({} if aliases is None else aliases, graded, released, flag=True)
    scanner.visit(tree)
    return sorted(set(scanner.found))


def scan_notebook(
    notebook: NotebookNode, release: NotebookNode | None = None, graded: tuple[str, ...] = ()
) -> list[Flag]:
    """Flags for every code cell a student wrote; locked and test cells (nbgrader restores them) and cells
    exactly as the release has them are not flagged, but their imports define the names later cells use."""
    released = {cell.source.strip() for cell in release.cells} if release is not None else set()
    names = released_names(release) if release is not None else frozenset()
    aliases: dict[str, str] = {}
    flags = []
    for number, cell in enumerate(notebook.cells, start=1):
        meta = nbgrader_meta(cell)
        if cell.cell_type != "code":
            continue
        if (meta.get("locked") and not meta.get("solution")) or cell.source.strip() in released:
            tree = _parse(cell.source)
            if tree is not None:
                _Scanner(aliases, graded, names, flag=False).visit(tree)
            continue
        flags += [Flag(number, line, what) for line, what in scan_source(cell.source, names, graded, aliases)]
    return flags


def graded_names(root: Path, slug: str) -> tuple[str, ...]:
    """The dotted names in ``dlclinic`` that the assignment's check module lists in ``GRADED`` (none without one)."""
    from dlclinic.grading.outside import ChecksError, load_checks

    try:
        checks = load_checks(Path(root) / "solutions" / slug)
    except ChecksError:
        return ()
    return checks.graded if checks is not None else ()


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
