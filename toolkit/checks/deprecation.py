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

from toolkit.findings import WARNING, Finding
from toolkit.metadata import METADATA_FILE

if TYPE_CHECKING:
    from toolkit.policy.context import PolicyContext


def check(ctx: PolicyContext) -> list[Finding]:
    findings: list[Finding] = []
    for name in ctx.names:
        data = ctx.data(name)
        if data is not None:
            findings += _check_one(ctx, name, data)
    return findings + _replacements_deleted(ctx)


def _check_one(ctx: PolicyContext, name: str, data: dict[str, Any]) -> list[Finding]:
    deprecation = data.get("deprecation")
    if data.get("status") != "deprecated":
        if not deprecation:
            return []
        return [
            ctx.metadata_finding(
                name,
                "deprecation",
                "has a `deprecation` section but status is not deprecated",
                "set `status: deprecated` or remove the section",
                key=True,
                severity=WARNING,
            )
        ]
    if not isinstance(deprecation, dict) or not str(deprecation.get("reason") or "").strip():
        return [
            ctx.metadata_finding(
                name,
                "deprecation.reason",
                "a deprecated automation must say why",
                "add `deprecation: {reason: ...}`",
            )
        ]
    target = deprecation.get("replaced_by")
    problem = _replacement_problem(ctx, name, target) if target else None
    if problem is None:
        return []
    return [
        ctx.metadata_finding(
            name,
            "deprecation.replaced_by",
            problem,
            "name a living automation, or remove replaced_by",
        )
    ]


def _replacement_problem(ctx: PolicyContext, name: str, target: object) -> str | None:
    if target == name:
        return "replaced_by names the automation itself"
    if not (ctx.folder(str(target)) / METADATA_FILE).is_file():
        return f"replaced_by names '{target}', which does not exist"
    replacement = ctx.data_of_any(str(target)) or {}
    if replacement.get("status") == "deprecated":
        return f"replaced_by names '{target}', which is itself deprecated"
    return None


def _replacements_deleted(ctx: PolicyContext) -> list[Finding]:
    """Who names an automation this change deletes as their replacement."""
    return [
        ctx.finding(
            path,
            "replaced_by names an automation this change deletes",
            "point replaced_by at a living automation, or keep the old one",
            field="deprecation.replaced_by",
        )
        for path in ctx.replacing_deleted
    ]
