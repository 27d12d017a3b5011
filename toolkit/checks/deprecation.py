"""Deprecated automations say why, and point to a replacement that exists.

A `deprecated` automation stays runnable for a while, but the catalog tells people to
stop using it; they need the reason and where to go instead. `deprecation.reason` is
required; `deprecation.replaced_by`, when given, must name an automation that exists,
that is not itself deprecated, and that is not the automation itself. Deleting an
automation that others name as their replacement is reported on the deletion.

Fix: write `deprecation: {reason: "...", replaced_by: new-name}` with a living
replacement; or, when deleting an automation, update the `replaced_by` that point to it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from toolkit import git
from toolkit.findings import ERROR, WARNING, Finding
from toolkit.metadata import METADATA_FILE

if TYPE_CHECKING:
    from toolkit.policy import PolicyContext

CHECK = "deprecation"


def check(ctx: PolicyContext) -> list[Finding]:
    findings: list[Finding] = []
    for name in ctx.names:
        data = ctx.data(name)
        if data is not None:
            findings += _check_one(ctx, name, data)
    if ctx.scope.deleted:
        findings += _replacements_deleted(ctx, ctx.scope.deleted)
    return findings


def _check_one(ctx: PolicyContext, name: str, data: dict[str, Any]) -> list[Finding]:
    path = ctx.relative(ctx.folder(name) / METADATA_FILE)
    deprecation = data.get("deprecation")
    if data.get("status") != "deprecated":
        if deprecation:
            return [
                Finding(
                    path,
                    ctx.line_of(name, "deprecation", key=True),
                    None,
                    CHECK,
                    WARNING,
                    "has a `deprecation` section but status is not deprecated",
                    "set `status: deprecated` or remove the section",
                    "deprecation",
                )
            ]
        return []
    if not isinstance(deprecation, dict) or not str(deprecation.get("reason") or "").strip():
        return [
            Finding(
                path,
                ctx.line_of(name, "deprecation", "reason"),
                None,
                CHECK,
                ERROR,
                "a deprecated automation must say why",
                "add `deprecation: {reason: ...}`",
                "deprecation.reason",
            )
        ]
    target = deprecation.get("replaced_by")
    problem = _replacement_problem(ctx, name, target) if target else None
    if problem is None:
        return []
    return [
        Finding(
            path,
            ctx.line_of(name, "deprecation", "replaced_by"),
            None,
            CHECK,
            ERROR,
            problem,
            "name a living automation, or remove replaced_by",
            "deprecation.replaced_by",
        )
    ]


def _replacement_problem(ctx: PolicyContext, name: str, target: Any) -> str | None:
    from toolkit.policy import parse_loosely

    if target == name:
        return "replaced_by names the automation itself"
    metadata = ctx.repo.automations_dir / str(target) / METADATA_FILE
    if not metadata.is_file():
        return f"replaced_by names '{target}', which does not exist"
    replacement = parse_loosely(metadata.read_bytes()) or {}
    if replacement.get("status") == "deprecated":
        return f"replaced_by names '{target}', which is itself deprecated"
    return None


def _replacements_deleted(ctx: PolicyContext, deleted: list[str]) -> list[Finding]:
    """One `git grep` over every metadata file finds who names a deleted automation."""
    alternatives = "|".join(deleted)
    pattern = rf"replaced_by:[[:space:]]*['\"]?({alternatives})['\"]?[[:space:]]*(#.*)?$"
    findings = []
    for path in git.grep_files(ctx.root, pattern, f"automations/*/{METADATA_FILE}"):
        findings.append(
            Finding(
                path,
                None,
                None,
                CHECK,
                ERROR,
                "replaced_by names an automation this change deletes",
                "point replaced_by at a living automation, or keep the old one",
                "deprecation.replaced_by",
            )
        )
    return findings
