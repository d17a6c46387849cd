"""The layer rules of DESIGN.md: only ui/ imports Qt, only engine/ imports llama_cpp, and
no two modules import each other (directly or round a longer circle)."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "spark_desktop"


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


def _module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _internal_imports(path: Path, modules: set[str]) -> set[str]:
    """The package's own modules `path` imports anywhere (TYPE_CHECKING and functions too)."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            for alias in node.names:
                full = f"{node.module}.{alias.name}"
                found.add(full if full in modules else node.module)
        elif isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
    return found & modules


def _offenders(forbidden: set[str], allowed_dir: str) -> list[str]:
    return [
        str(path.relative_to(PACKAGE))
        for path in PACKAGE.rglob("*.py")
        if path.relative_to(PACKAGE).parts[0] != allowed_dir and _imports(path) & forbidden
    ]


def test_core_never_imports_qt() -> None:
    assert _offenders({"PySide6", "shiboken6", "PyQt5", "PyQt6"}, "ui") == []


def test_only_engine_imports_llama_cpp() -> None:
    assert _offenders({"llama_cpp"}, "engine") == []


def test_importing_the_core_loads_neither_qt_nor_llama_cpp() -> None:
    """Dynamic check of both boundaries: importing every core module, except the engine's
    worker side (the modules that import llama_cpp themselves, run in child processes),
    pulls in neither Qt nor llama_cpp."""
    worker_side = {p for p in PACKAGE.rglob("*.py") if "llama_cpp" in _imports(p)}
    assert worker_side, "the engine's worker imports llama_cpp"
    core = [
        "spark_desktop." + ".".join(p.relative_to(PACKAGE).with_suffix("").parts)
        for p in PACKAGE.rglob("*.py")
        if p.relative_to(PACKAGE).parts[0] not in {"ui", "__main__.py"}
        and p not in worker_side
    ]
    code = (
        "import importlib, sys\n"
        f"for m in {core!r}:\n"
        "    importlib.import_module(m.removesuffix('.__init__'))\n"
        "bad = [m for m in sys.modules\n"
        "       if m.split('.')[0] in ('PySide6', 'shiboken6', 'llama_cpp')]\n"
        "assert not bad, bad\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_no_import_circles() -> None:
    """Arrows only one way: a module never imports, however indirectly, one that imports it
    (a package's __init__ counts as the module of its name)."""
    files = {_module_name(p): p for p in PACKAGE.rglob("*.py")}
    graph = {name: _internal_imports(path, set(files)) - {name} for name, path in files.items()}
    circles = []
    for start in graph:  # depth-first from each module: can it reach itself?
        stack, seen = [(start, (start,))], set()
        while stack:
            node, trail = stack.pop()
            for nxt in graph[node]:
                if nxt == start:
                    circles.append(" -> ".join((*trail, start)))
                elif nxt not in seen:
                    seen.add(nxt)
                    stack.append((nxt, (*trail, nxt)))
    assert circles == []
