"""The architecture rules of docs/arkitektur.md, checked on the source tree.

1. No module in ``granskning/`` is over 600 lines (``MAX_LINES``).
2. No import cycle between modules of ``granskning``, counting the imports inside functions
   (an import inside a function only postpones the cycle, it does not remove it). Imports under
   ``if TYPE_CHECKING:`` never run and are not counted. A cycle is a strongly connected group of
   the import graph (Tarjan).
3. No wing imports a wing to its left in
   cli → demo → report, answers → audit → analysis → checklist, sampling, store
   → expr, personnummer → foundation (``RANK``). Wings at the same rank may import each other
   as long as rule 2 holds.

4. Imports of granskning modules are at module top (or under ``if TYPE_CHECKING:``), so that a
   module's dependencies are visible where it starts. The one exception is ``LATE_MODULES``:
   the store's SQLAlchemy side (``schema``, ``migrations``) builds its tables when imported, so
   it is imported inside the store functions that use it, which keeps SQLAlchemy out of
   ``granskning --help``.

Ruff checks the other two rules (``pyproject.toml``): C901 (no function over cyclomatic
complexity 15) and TID253 (pandas, numpy, scipy, statsmodels, matplotlib, reportlab, SQLAlchemy
and openpyxl are imported inside functions in the package, never at module top).

The ``KNOWN_*`` lists below hold what the tree broke on the day the rules were first enforced
(issue 10). They may only shrink: the tests fail when something new appears, when a known
offender grows, and when a known offender is fixed but still listed. When you fix one, remove
it here (and its line in ``[tool.ruff.lint.per-file-ignores]`` in ``pyproject.toml``; the last
test fails when a per-file exception there no longer excuses anything).
"""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "granskning"

MAX_LINES = 600

# Module path (relative to granskning/) -> line count when the rule was first enforced.
# A known module may shrink but not grow; at MAX_LINES or less, remove it from this list.
KNOWN_LONG_MODULES: dict[str, int] = {
}

# Import cycles (strongly connected groups, sorted module names). When you break or shrink
# one, replace or remove its entry; the failure message prints what the tree has now.
KNOWN_CYCLES: set[tuple[str, ...]] = set()

# Wing ranks: a module may import a wing of its own rank or lower, never a higher one.
# Modules directly in granskning/ (errors.py, fmt.py, ...) are the foundation, rank 0.
RANK = {
    "cli": 7,
    "demo": 6,
    "report": 5,
    "answers": 5,
    "audit": 4,
    "plan": 4,
    "analysis": 3,
    "checklist": 2,
    "sampling": 2,
    "store": 2,
    "expr": 1,
    "personnummer": 1,
}

# Modules that import a heavy library when they are imported (SQLAlchemy tables at module
# level): imported inside functions, never at module top (rule 4).
LATE_MODULES = frozenset({"granskning.store.schema", "granskning.store.migrations"})

# (importing module, imported module) pairs that go to a wing on the left.
KNOWN_UPWARD_IMPORTS: set[tuple[str, str]] = set()


# ---------------------------------------------------------------------------- the source tree


def _modules() -> dict[str, Path]:
    """Dotted module name -> file, for every module of the package."""
    modules = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
        if parts[-1] == "__init__":
            parts = parts[:-1]
        modules[".".join(parts)] = path
    return modules


def _is_type_checking(node: ast.AST) -> bool:
    test = node.test if isinstance(node, ast.If) else None
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _import_nodes(tree: ast.AST):
    """Every import statement that can run: at the top, inside functions, classes, try, if."""
    stack = [tree]
    while stack:
        node = stack.pop()
        if isinstance(node, ast.Import | ast.ImportFrom):
            yield node
        for child in ast.iter_child_nodes(node):
            if _is_type_checking(child):
                stack.extend(child.orelse)  # the else branch of `if TYPE_CHECKING:` runs
            else:
                stack.append(child)


def _resolve(name: str, modules: dict[str, Path]) -> str | None:
    """The module an imported dotted name belongs to (the longest known prefix)."""
    while name not in modules and "." in name:
        name = name.rsplit(".", 1)[0]
    return name if name in modules else None


def _imports(module: str, path: Path, modules: dict[str, Path]) -> set[str]:
    """The granskning modules that ``module`` imports (anywhere in its body)."""
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    targets: set[str] = set()
    for node in _import_nodes(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        else:
            base = node.module or ""
            if node.level:
                anchor = package.split(".")
                anchor = anchor[: len(anchor) - (node.level - 1)]
                base = ".".join([*anchor, base] if base else anchor)
            # `from granskning.store import schema` imports the module granskning.store.schema;
            # `from granskning.store import Store` imports granskning.store.
            names = [f"{base}.{alias.name}" for alias in node.names]
        for name in names:
            if name == "granskning" or name.startswith("granskning."):
                target = _resolve(name, modules)
                if target is not None and target != module:
                    targets.add(target)
    return targets


def _graph() -> dict[str, set[str]]:
    modules = _modules()
    return {module: _imports(module, path, modules) for module, path in modules.items()}


def _cycles(graph: dict[str, set[str]]) -> set[tuple[str, ...]]:
    """The strongly connected groups of more than one module (Tarjan, without recursion)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    groups: set[tuple[str, ...]] = set()
    for root in sorted(graph):
        if root in index:
            continue
        work = [(root, iter(sorted(graph[root])))]
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = len(index)
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph[child]))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
            if low[node] == index[node]:
                group = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    group.append(member)
                    if member == node:
                        break
                if len(group) > 1:
                    groups.add(tuple(sorted(group)))
    return groups


def _wing(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 2 or (len(parts) == 2 and parts[1] in RANK) else "foundation"


def _rank(module: str) -> int:
    return RANK.get(_wing(module), 0)


# ---------------------------------------------------------------------------- the rules


def test_no_module_over_600_lines():
    sizes = {
        str(path.relative_to(PACKAGE)): len(path.read_text(encoding="utf-8").splitlines())
        for path in PACKAGE.rglob("*.py")
    }
    new = {m: n for m, n in sizes.items() if n > MAX_LINES and m not in KNOWN_LONG_MODULES}
    grown = {
        m: (KNOWN_LONG_MODULES[m], n)
        for m, n in sizes.items()
        if m in KNOWN_LONG_MODULES and n > KNOWN_LONG_MODULES[m]
    }
    fixed = {m for m in KNOWN_LONG_MODULES if sizes.get(m, 0) <= MAX_LINES}
    assert not new, f"modules over {MAX_LINES} lines (split them, docs/arkitektur.md): {new}"
    assert not grown, f"modules over {MAX_LINES} lines that grew (known, now): {grown}"
    assert not fixed, (
        f"no longer over {MAX_LINES} lines (or gone): remove from KNOWN_LONG_MODULES in "
        f"tests/test_architecture.py: {sorted(fixed)}"
    )


def test_the_rules_see_the_package_and_its_wings():
    """Sanity of the test itself: it sees the package and the wings it ranks."""
    modules = _modules()
    assert "granskning.cli" in modules and "granskning.fmt" in modules
    wings = {_wing(m) for m in modules}
    assert set(RANK) <= wings, set(RANK) - wings


def test_no_import_cycles():
    found = _cycles(_graph())
    new = found - KNOWN_CYCLES
    gone = KNOWN_CYCLES - found
    now = "".join(f"\n    {group!r}," for group in sorted(found))
    assert not new and not gone, (
        f"import cycles changed (docs/arkitektur.md).\n  new: {sorted(new)}\n"
        f"  no longer there: {sorted(gone)}\n"
        f"A new cycle must be broken; a broken or shrunk one must be taken out of KNOWN_CYCLES in "
        f"tests/test_architecture.py. The cycles in the tree now:{now}"
    )


def test_no_wing_imports_a_wing_to_its_left():
    graph = _graph()
    found = {
        (module, target)
        for module, targets in graph.items()
        for target in targets
        if _rank(target) > _rank(module)
    }
    new = found - KNOWN_UPWARD_IMPORTS
    gone = KNOWN_UPWARD_IMPORTS - found
    assert not new, (
        "imports against the direction cli → demo → report, answers → audit → analysis → "
        f"checklist, sampling, store → expr, personnummer → foundation: {sorted(new)}"
    )
    assert not gone, (
        "no longer imported against the direction: remove from KNOWN_UPWARD_IMPORTS in "
        f"tests/test_architecture.py: {sorted(gone)}"
    )


def _late_imports(path: Path, modules: dict[str, Path]) -> list[tuple[int, str]]:
    """(line, imported module) of each granskning import that runs inside a function or class."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    at_top = {id(node) for node in tree.body}
    found = []
    for node in _import_nodes(tree):
        if id(node) in at_top:
            continue
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        else:
            names = [f"{node.module}.{alias.name}" for alias in node.names] if node.module else []
        for name in names:
            if name.startswith("granskning."):
                target = _resolve(name, modules)
                if target is not None and target not in LATE_MODULES:
                    found.append((node.lineno, target))
    return found


def test_project_imports_are_at_module_top():
    modules = _modules()
    late = {
        f"{path.relative_to(PACKAGE.parent).as_posix()}:{line}": target
        for path in modules.values()
        for line, target in _late_imports(path, modules)
    }
    assert not late, (
        "import granskning modules at module top (rule 4 of this file; docs/arkitektur.md): "
        f"{late}"
    )


def test_late_modules_are_never_imported_at_module_top():
    modules = _modules()
    offenders = []
    for module, path in modules.items():
        if module.startswith("granskning.store."):
            continue  # the store's SQLAlchemy side may import itself
        for node in ast.parse(path.read_text(encoding="utf-8")).body:
            if isinstance(node, ast.Import | ast.ImportFrom) and _imports_late_module(node, modules):
                offenders.append(f"{module}:{node.lineno}")
    assert not offenders, f"import {sorted(LATE_MODULES)} inside functions: {offenders}"


def _imports_late_module(node: ast.Import | ast.ImportFrom, modules: dict[str, Path]) -> bool:
    if isinstance(node, ast.Import):
        names = [alias.name for alias in node.names]
    else:
        names = [f"{node.module}.{alias.name}" for alias in node.names] if node.module else []
    return any(_resolve(name, modules) in LATE_MODULES for name in names)


def test_the_ruff_exceptions_are_still_needed():
    """Each per-file exception for C901 and TID253 in pyproject.toml still excuses something.

    When you simplify a function or move a heavy import into a function, take the file's line
    out of ``[tool.ruff.lint.per-file-ignores]``.
    """
    import json
    import subprocess
    import sys
    import tomllib

    import pytest

    pytest.importorskip("ruff")
    root = PACKAGE.parent
    lint = tomllib.loads((root / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["ruff"][
        "lint"
    ]
    rules = ("C901", "TID253")
    excused = {
        (path, code)
        for path, codes in lint["per-file-ignores"].items()
        for code in codes
        if code in rules and "*" not in path
    }
    if not excused:
        return
    banned = json.dumps(lint["flake8-tidy-imports"]["banned-module-level-imports"])
    complexity = lint["mccabe"]["max-complexity"]
    result = subprocess.run(
        [sys.executable, "-m", "ruff", "check", "--isolated", "--no-cache", "--exit-zero",
         "--select", ",".join(rules), "--output-format", "json",
         "--config", f"lint.mccabe.max-complexity={complexity}",
         "--config", f"lint.flake8-tidy-imports.banned-module-level-imports={banned}",
         *sorted({path for path, _ in excused if (root / path).exists()})],
        cwd=root, capture_output=True, text=True, check=True,
    )  # fmt: skip
    found = {
        (Path(item["filename"]).resolve().relative_to(root).as_posix(), item["code"])
        for item in json.loads(result.stdout)
    }
    stale = sorted(excused - found)
    assert not stale, (
        "no longer needed: remove from [tool.ruff.lint.per-file-ignores] in pyproject.toml: "
        f"{stale}"
    )


def test_importing_every_module_has_no_side_effects(tmp_path):
    """``--doctest-modules`` imports every module: that must print nothing, write nothing and
    need no database."""
    import os
    import subprocess
    import sys

    names = sorted(_modules())
    env = {k: v for k, v in os.environ.items() if not k.startswith("GRANSKNING_")}
    result = subprocess.run(
        [sys.executable, "-c", "import importlib, sys\nfor n in sys.argv[1:]: importlib.import_module(n)",
         *names],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert result.stdout == "" and result.stderr == ""
    assert list(tmp_path.iterdir()) == []
