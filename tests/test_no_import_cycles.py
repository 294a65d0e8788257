"""No import cycles among the project's modules, counting imports inside functions.

Every module of ``pipeline/``, ``features/`` and ``models/`` is read with ``ast``; each import anywhere in the file
(a function's own import counts) is resolved to the project's modules it runs, a package's ``__init__`` included
(``import models.retention.reasons.rules`` runs ``models/retention/reasons/__init__.py`` first). A module's own
enclosing packages are left out: they are always imported before it.
"""

from __future__ import annotations

import ast
from pathlib import Path

from tests.paths import REPO

PACKAGES = ("pipeline", "features", "models")


def _module_name(path: Path) -> str:
    parts = path.relative_to(REPO).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {_module_name(p): p for pkg in PACKAGES for p in sorted((REPO / pkg).rglob("*.py"))}


def _imported_names(path: Path, name: str) -> set[str]:
    """The dotted names ``path`` imports, relative imports made absolute."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, *([base] if base else [])])
            found |= {base, *(f"{base}.{a.name}" for a in node.names)}
    return found


def _edges(name: str) -> set[str]:
    """The project's modules importing ``name`` runs, each package on the way down included."""
    ancestors = {".".join(name.split(".")[:i]) for i in range(1, name.count(".") + 1)}
    if MODULES[name].name == "__init__.py":
        ancestors.add(name)
    out = set()
    for dotted in _imported_names(MODULES[name], name):
        parts = dotted.split(".")
        out |= {m for i in range(1, len(parts) + 1) if (m := ".".join(parts[:i])) in MODULES}
    return out - ancestors - {name}


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan), each as a sorted list."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in sorted(graph[node]):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                top = stack.pop()
                on_stack.discard(top)
                component.append(top)
                if top == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def _path(graph: dict[str, set[str]], component: list[str]) -> str:
    """One cycle through the component's first module, as ``a -> b -> a``."""
    start, members = component[0], set(component)
    trail, seen = [start], {start}
    while True:
        nxt = sorted(graph[trail[-1]] & members)
        if start in nxt and len(trail) > 1:
            return " -> ".join([*trail, start])
        step = next((n for n in nxt if n not in seen), None)
        if step is None:
            return " -> ".join([*trail, "..."]) + f" (component: {', '.join(component)})"
        trail.append(step)
        seen.add(step)


def test_no_module_imports_itself_through_others():
    graph = {name: _edges(name) for name in MODULES}
    cycles = [_path(graph, c) for c in _cycles(graph)]
    assert not cycles, "import cycles:\n" + "\n".join(cycles)


def test_the_check_sees_a_cycle():
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert _path({"a": {"b"}, "b": {"a"}}, ["a", "b"]) == "a -> b -> a"
