"""The project's imports as the AST shows them (at the top of a file or inside a function, where
lazy imports live): the code closure of a stage (tests/test_dvc.py) and the import graph
(tests/test_layout.py)."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def module_file(name: str) -> Path | None:
    for candidate in (ROOT / (name.replace(".", "/") + ".py"), ROOT / name.replace(".", "/") / "__init__.py"):
        if candidate.is_file():
            return candidate
    return None


def imports(path: Path) -> set[str]:
    """Every project module a file imports, at the top or inside a function (lazy imports run too)."""
    names = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names |= {node.module} | {f"{node.module}.{a.name}" for a in node.names}
    return {n for n in names if n.split(".")[0] == "emergence" and module_file(n)}


def project_modules() -> list[str]:
    """Every module of the emergence package, by dotted name."""
    names = []
    for path in sorted((ROOT / "emergence").rglob("*.py")):
        parts = path.relative_to(ROOT).with_suffix("").parts
        names.append(".".join(parts[:-1] if parts[-1] == "__init__" else parts))
    return names


def import_graph() -> dict[str, set[str]]:
    """module -> the project modules it imports (an import of a package's own name counts as one
    of its __init__.py)."""
    return {name: imports(module_file(name)) for name in project_modules()}


def holds_code(path: Path) -> bool:
    """False for a package __init__ that holds only a docstring, imports and dunder names (the
    version, __all__): no stage code, so not a dependency. Any other file holds code."""
    if path.name != "__init__.py":
        return True
    for node in ast.parse(path.read_text()).body:
        docstring = isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant)
        dunder = isinstance(node, ast.Assign) and all(
            isinstance(t, ast.Name) and t.id.startswith("__") for t in node.targets)
        if not (docstring or dunder or isinstance(node, (ast.Import, ast.ImportFrom))):
            return True
    return False


def code_closure(module: str) -> set[str]:
    """Repo-relative paths of `module` and every project module it imports, transitively (a package
    __init__ only where it holds code: emergence/data/world/__init__.py defines generate_world)."""
    seen, todo = set(), [module]
    while todo:
        name = todo.pop()
        if name not in seen:
            seen.add(name)
            todo += imports(module_file(name))
    return {f.relative_to(ROOT).as_posix() for f in map(module_file, seen) if holds_code(f)}
