"""The package's layers: imports point one way, no cycles, parts never import report or jobs.

ground (errors, io, signals, registry, progress) <- video <- faces, learn
  <- parts (emotion, flash, content, audience, script, samples) <- report <- jobs <- commands
Every import counts, also one inside a function.
"""

from __future__ import annotations

import ast
from collections import defaultdict
from pathlib import Path

import pytest

PKG = Path(__file__).resolve().parents[1] / "moviemotion"

LAYERS = [
    {"errors", "io", "signals", "registry", "progress", "__init__"},
    {"video"},
    {"faces", "learn"},
    {"emotion", "flash", "content", "audience", "script", "samples", "posters", "faceid"},
    {"report"},
    {"jobs"},
    {"commands", "cli", "__main__"},
]
RANK = {name: i for i, layer in enumerate(LAYERS) for name in layer}


def unit_of(path: Path) -> str:
    rel = path.relative_to(PKG)
    return rel.parts[0].removesuffix(".py")


def imports() -> dict[str, set[tuple[str, str]]]:
    """unit -> {(imported unit, 'file:line')}"""
    out: dict[str, set[tuple[str, str]]] = defaultdict(set)
    for f in PKG.rglob("*.py"):
        src = unit_of(f)
        for node in ast.walk(ast.parse(f.read_text(), str(f))):
            names = []
            if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names = [node.module]
                if node.module == "moviemotion":
                    names = [f"moviemotion.{a.name}" for a in node.names]
            elif isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            for n in names:
                parts = n.split(".")
                if parts[0] == "moviemotion" and len(parts) > 1:
                    dst = parts[1]
                    if dst != src:
                        out[src].add((dst, f"{f.relative_to(PKG.parent)}:{node.lineno}"))
    return out


def test_every_unit_has_a_layer():
    units = {unit_of(f) for f in PKG.rglob("*.py")}
    assert units <= set(RANK), f"put these in a layer: {sorted(units - set(RANK))}"


def test_imports_point_down():
    bad = [f"{where}: {src} imports {dst}"
           for src, deps in imports().items() for dst, where in deps
           if RANK.get(dst, -1) > RANK.get(src, -1)]
    assert not bad, "\n".join(sorted(bad))


def find_cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Every loop a depth-first walk meets (each as its path, first node repeated)."""
    seen: set[str] = set()
    stack: list[str] = []
    cycles: list[list[str]] = []

    def visit(n: str) -> None:
        if n in stack:
            cycles.append(stack[stack.index(n):] + [n])
            return
        if n in seen:
            return
        seen.add(n)
        stack.append(n)
        for m in sorted(graph.get(n, ())):
            visit(m)
        stack.pop()

    for n in sorted(graph):
        visit(n)
    return cycles


def test_no_import_cycle_between_units():
    graph = {src: {d for d, _ in deps} for src, deps in imports().items()}
    cycles = find_cycles(graph)
    assert not cycles, f"import cycles: {cycles}"


@pytest.mark.parametrize("part", sorted(LAYERS[3] | LAYERS[2] | LAYERS[1]))
def test_parts_never_import_report_or_jobs(part):
    deps = {d for d, _ in imports().get(part, ())}
    assert not deps & {"report", "jobs", "commands", "cli"}, part


def module_graph() -> dict[str, set[str]]:
    """module -> modules it imports (``from pkg import sub`` counts as importing ``pkg.sub``)."""
    def mod_name(f: Path) -> str:
        rel = f.relative_to(PKG.parent).with_suffix("")
        parts = list(rel.parts)
        return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)

    files = {mod_name(f): f for f in PKG.rglob("*.py")}
    graph: dict[str, set[str]] = defaultdict(set)
    for name, f in files.items():
        for node in ast.walk(ast.parse(f.read_text(), str(f))):
            targets = []
            if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                for a in node.names:
                    sub = f"{node.module}.{a.name}"
                    targets.append(sub if sub in files else node.module)
            elif isinstance(node, ast.Import):
                targets = [a.name for a in node.names]
            for t in targets:
                if t in files and t != name and not name.startswith(t + "."):
                    graph[name].add(t)
    return graph


def test_no_import_cycle_between_modules():
    """Package ``__init__`` files re-export their modules, so an edge into an ``__init__``
    from inside its own package is skipped; every other cycle fails."""
    cycles = find_cycles(module_graph())
    assert not cycles, "module import cycles:\n" + "\n".join(" -> ".join(c) for c in cycles)
