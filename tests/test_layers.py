"""The house's shape: the layer contract holds and no toolkit module imports itself back.

Both read every import statement, function-level ones included, so an import moved into
a function to dodge the graph still counts.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import grimp

PROJECT = Path(__file__).resolve().parent.parent


def test_the_import_contract_holds() -> None:
    lint_imports = Path(sys.executable).parent / "lint-imports"
    result = subprocess.run(
        [str(lint_imports), "--no-cache", "--no-logo"],
        cwd=PROJECT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


def import_cycles(graph: grimp.ImportGraph) -> set[tuple[str, ...]]:
    """Each group of modules that import each other, directly or through others."""
    groups = set()
    for module in graph.modules:
        loop = graph.find_upstream_modules(module) & graph.find_downstream_modules(module)
        if loop:
            groups.add(tuple(sorted(loop | {module})))
    return groups


def test_import_cycles_are_found_through_other_modules() -> None:
    graph = grimp.ImportGraph()
    for importer, imported in [("p.a", "p.b"), ("p.b", "p.c"), ("p.c", "p.a"), ("p.d", "p.a")]:
        graph.add_import(importer=importer, imported=imported)
    assert import_cycles(graph) == {("p.a", "p.b", "p.c")}


def test_no_import_cycle_among_toolkit_modules() -> None:
    cycles = import_cycles(grimp.build_graph("toolkit", cache_dir=None))
    assert cycles == set(), "import cycles (lazy imports included)"
