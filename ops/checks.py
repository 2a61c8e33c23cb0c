"""Architecture checks that `make lint` runs: `python -m ops.checks`.

Fails (exit 1, one line per problem) on:
- an import between top-level packages that docs/architecture.md does not allow, and any
  import cycle between top-level packages;
- application code importing the test suite;
- a Python module over MAX_LINES lines (migrations excepted: they are generated).

Every import counts, also those inside functions: a late import is still a dependency.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MAX_LINES = 400

# Which top-level packages each one may import (docs/architecture.md draws the same graph).
ALLOWED: dict[str, set[str]] = {
    "inference": set(),
    "core": set(),
    "tools": {"core", "inference"},
    "store": {"core", "tools"},
    "api": {"core", "store", "tools"},
    "config": {"api", "core", "store", "tools"},
    "ops": {"config"},
    "bench": {"api", "config", "core", "inference", "ops", "store", "tools"},
    "tests": {"api", "bench", "config", "core", "inference", "ops", "store", "tools"},
}
# Django itself stays out of the engine library.
FORBIDDEN_THIRD_PARTY = {"inference": {"django", "rest_framework", "celery"}}


def python_files(root: Path) -> list[Path]:
    out = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard", "*.py"],
        cwd=root,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    return [root / name for name in out if (root / name).exists()]


def imported_roots(tree: ast.AST) -> set[str]:
    roots = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            roots.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            roots.add(node.module.split(".")[0])
    return roots


def find_cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    cycles, state = [], {}

    def visit(node: str, path: list[str]) -> None:
        state[node] = "open"
        for nxt in sorted(edges.get(node, ())):
            if state.get(nxt) == "open":
                cycles.append([*path[path.index(nxt) :], nxt])
            elif nxt not in state:
                visit(nxt, [*path, nxt])
        state[node] = "done"

    for start in sorted(edges):
        if start not in state:
            visit(start, [start])
    return cycles


def check(root: Path = ROOT) -> list[str]:
    problems: list[str] = []
    edges: dict[str, set[str]] = defaultdict(set)
    for path in python_files(root):
        rel = path.relative_to(root)
        text = path.read_text()
        if "migrations" not in rel.parts and text.count("\n") > MAX_LINES:
            problems.append(f"{rel}: {text.count(chr(10))} lines (more than {MAX_LINES})")
        package = rel.parts[0] if len(rel.parts) > 1 else None
        if package not in ALLOWED:
            continue
        roots = imported_roots(ast.parse(text, filename=str(rel)))
        for name in sorted(roots & FORBIDDEN_THIRD_PARTY.get(package, set())):
            problems.append(f"{rel}: {package} must not import {name}")
        for name in sorted((roots & ALLOWED.keys()) - {package}):
            edges[package].add(name)
            if name == "tests":
                problems.append(f"{rel}: application code imports the test suite")
            elif name not in ALLOWED[package]:
                problems.append(f"{rel}: {package} -> {name} is not an allowed import")
    for cycle in find_cycles(edges):
        problems.append("import cycle: " + " -> ".join(cycle))
    return problems


def main() -> int:
    problems = check()
    for line in problems:
        print(line)
    if problems:
        print(f"{len(problems)} problem(s); see docs/architecture.md", file=sys.stderr)
        return 1
    print("layout ok: one-way imports, no test imports, no module over", MAX_LINES, "lines")
    return 0


if __name__ == "__main__":
    sys.exit(main())
