"""The import graph of diversion/ between its top-level packages.

Reads every module of the package (tests, browser tests, conftest and migrations left out)
with ``ast`` and prints:

- the imports written inside functions (a count, and with ``--list`` each one's place);
- the loops between top-level packages (strongly connected components of more than one,
  imports inside functions included), and which module imports which across each loop's edges.

    .venv/bin/python ops/import_graph.py [--list]

It imports nothing from the project, so it runs on a broken tree too.
"""

from __future__ import annotations

import ast
import sys
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "diversion"
SKIPPED_DIRS = {"tests", "tests_browser", "migrations", "__pycache__"}


def modules():
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = path.relative_to(ROOT).with_suffix("").parts
        if SKIPPED_DIRS & set(parts) or path.name == "conftest.py":
            continue
        if parts[-1] == "__init__":
            parts = parts[:-1]
        yield ".".join(parts), path


def resolve(module: str, is_package: bool, node: ast.ImportFrom) -> str:
    if not node.level:
        return node.module or ""
    base = module.split(".")
    if not is_package:
        base = base[:-1]
    base = base[: len(base) - (node.level - 1)]
    return ".".join(base + ([node.module] if node.module else []))


def top(name: str) -> str | None:
    parts = name.split(".")
    if parts[0] != "diversion" or len(parts) < 2:
        return None
    return parts[1]


def imports(module: str, path: Path):
    """(imported module, line, inside a function?) for every import of the module."""
    tree = ast.parse(path.read_text(), str(path))
    is_package = path.name == "__init__.py"
    found = []

    def visit(node, in_function):
        for child in ast.iter_child_nodes(node):
            local = in_function or isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef
                                                         | ast.Lambda)
            if isinstance(child, ast.Import):
                for alias in child.names:
                    found.append((alias.name, child.lineno, in_function))
            elif isinstance(child, ast.ImportFrom):
                target = resolve(module, is_package, child)
                for alias in child.names:
                    # ``from diversion import cases`` imports the package diversion.cases.
                    name = f"{target}.{alias.name}" if target == "diversion" else target
                    found.append((name, child.lineno, in_function))
            visit(child, local)

    visit(tree, False)
    return found


def loops(edges: dict[str, set[str]]) -> list[list[str]]:
    """Tarjan's strongly connected components with more than one member."""
    index, low, stack, on_stack, result = {}, {}, [], set(), []
    counter = [0]

    def connect(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on_stack.add(v)
        for w in sorted(edges.get(v, ())):
            if w not in index:
                connect(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                result.append(sorted(component))

    sys.setrecursionlimit(10000)
    for v in sorted(edges):
        if v not in index:
            connect(v)
    return result


def main(argv: list[str]) -> int:
    edges: dict[str, set[str]] = defaultdict(set)
    why: dict[tuple[str, str], list[str]] = defaultdict(list)
    local = []
    packages = set()
    for module, path in modules():
        source = top(module)
        if source is None:
            continue
        packages.add(source)
        for name, line, in_function in imports(module, path):
            rel = path.relative_to(ROOT)
            if in_function and name.startswith("diversion"):
                # One entry per import statement (``from x import a, b`` is one).
                entry = f"{rel}:{line} {name}"
                if not local or local[-1].split(" ")[0] != entry.split(" ")[0]:
                    local.append(entry)
            target = top(name)
            if target is None or target == source:
                continue
            edges[source].add(target)
            why[(source, target)].append(f"{rel}:{line}{' (in a function)' if in_function else ''}"
                                         f" -> {name}")
    cycles = loops(edges)
    print(f"top-level packages: {len(packages)}")
    print(f"imports of the project inside functions (statements): {len(local)}")
    if "--list" in argv:
        for entry in local:
            print("  " + entry)
    print(f"import loops between top-level packages: {len(cycles)}")
    for members in cycles:
        print(f"  loop of {len(members)}: {', '.join(members)}")
        if "--list" in argv:
            inside = set(members)
            for (a, b), places in sorted(why.items()):
                if a in inside and b in inside:
                    for place in places:
                        print(f"    {a} -> {b}: {place}")
    return 1 if cycles else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
