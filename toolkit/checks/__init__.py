"""The governance checks: one module per check, listed in one registry.

Each module `toolkit/checks/<module>.py` satisfies `Check`: it defines
`check(ctx) -> list[Finding]`, where `ctx` is a `toolkit.policy.PolicyContext`, and its
docstring is its documentation, written for reviewers (the catalog's Policy page is
generated from it): what it enforces, why, and how to fix a finding. Its check id is the
module name with dashes; `CHECKS` maps each id to its module, in the order checks run and
are documented.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

from toolkit.checks import (
    breaking_inputs,
    changelog_entry,
    classification,
    codeowners_sync,
    declared_secrets,
    deprecation,
    entrypoint_signature,
    file_size,
    folder_layout,
    governance_change,
    hardcoded_secrets,
    library_rules,
    metadata_schema,
    owners,
    pinned_requirements,
    schedule_sync,
    symlinks,
    version_bump,
    workflow_safety,
)

if TYPE_CHECKING:
    from toolkit.findings import Finding
    from toolkit.policy.context import PolicyContext


class Check(Protocol):
    """What a check module provides (its docstring, `__doc__`, documents it)."""

    def check(self, ctx: PolicyContext) -> list[Finding]: ...


CHECKS: dict[str, Check] = {
    "metadata-schema": metadata_schema,
    "folder-layout": folder_layout,
    "entrypoint-signature": entrypoint_signature,
    "version-bump": version_bump,
    "changelog-entry": changelog_entry,
    "breaking-inputs": breaking_inputs,
    "library-rules": library_rules,
    "owners": owners,
    "codeowners-sync": codeowners_sync,
    "governance-change": governance_change,
    "hardcoded-secrets": hardcoded_secrets,
    "declared-secrets": declared_secrets,
    "pinned-requirements": pinned_requirements,
    "classification": classification,
    "deprecation": deprecation,
    "file-size": file_size,
    "schedule-sync": schedule_sync,
    "workflow-safety": workflow_safety,
    "symlinks": symlinks,
}


def check_ids() -> list[str]:
    """Every check id, in the order they run."""
    return list(CHECKS)


def documentation(check: Check) -> str:
    """The check's docstring, its documentation for reviewers."""
    return (check.__doc__ or "").strip()
