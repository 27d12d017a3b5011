"""The governance checks: one module per check, listed in one registry.

Each module `toolkit/checks/<module>.py` defines `check(ctx) -> list[Finding]`, where
`ctx` is a `toolkit.policy.PolicyContext`; its check id is the module name with dashes,
and its docstring is its documentation, written for reviewers (the catalog's Policy page
is generated from it): what it enforces, why, and how to fix a finding.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass
from types import ModuleType
from typing import Any

# The registry, in the order checks run and are documented.
CHECK_MODULES: tuple[str, ...] = (
    "metadata_schema",
    "folder_layout",
    "version_bump",
    "changelog_entry",
    "breaking_inputs",
    "owners",
    "codeowners_sync",
    "hardcoded_secrets",
    "declared_secrets",
    "pinned_requirements",
    "classification",
    "deprecation",
    "file_size",
    "schedule_sync",
)


@dataclass(frozen=True)
class Check:
    id: str
    doc: str
    run: Callable[[Any], list[Any]]
    module: ModuleType


def check_ids() -> list[str]:
    """Every check id, without importing the check modules."""
    return [module_name.replace("_", "-") for module_name in CHECK_MODULES]


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
