"""The governance checks: one module per check, listed in one registry.

Each module `toolkit/checks/<module>.py` defines `check(ctx) -> list[Finding]`; its check
id is the module name with dashes, and its docstring is its documentation (the catalog's
Policy page is generated from it).
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass
from types import ModuleType
from typing import Any

# The registry, in the order checks run and are documented.
CHECK_MODULES: tuple[str, ...] = ("metadata_schema",)


@dataclass(frozen=True)
class Check:
    id: str
    doc: str
    run: Callable[[Any], list[Any]]
    module: ModuleType


def load_checks() -> list[Check]:
    checks = []
    for module_name in CHECK_MODULES:
        module = importlib.import_module(f"{__name__}.{module_name}")
        checks.append(
            Check(
                id=module_name.replace("_", "-"),
                doc=(module.__doc__ or "").strip(),
                run=module.check,
                module=module,
            )
        )
    return checks
