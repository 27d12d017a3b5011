"""Automations handling sensitive data have enough reviewers.

`classification` says what data an automation handles. For `confidential` and
`restricted` data, no change should rest on one person: these automations need at least
two owners. `restricted` ones also need the security reviewers named in
`security_reviewers` of `[tool.autokit]`; `autokit codeowners` adds them to the
automation's CODEOWNERS line, so GitHub requests their review on every change. Lowering
an automation's classification in a pull request is reported as a warning so that a
reviewer confirms it.

Fix: add a second owner (a person or a team); for restricted automations, make sure
`[tool.autokit] security_reviewers = ["@org/security"]` is set in pyproject.toml.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from toolkit.findings import WARNING, Finding
from toolkit.metadata import CLASSIFICATIONS, Automation

if TYPE_CHECKING:
    from toolkit.policy.context import PolicyContext

SENSITIVE = ("confidential", "restricted")


def check(ctx: PolicyContext) -> list[Finding]:
    findings: list[Finding] = []
    for automation in ctx.automations:
        findings += _reviewer_problems(ctx, automation)
        findings += _lowered(ctx, automation.name, automation.classification)
    return findings


def _reviewer_problems(ctx: PolicyContext, automation: Automation) -> list[Finding]:
    name, level = automation.name, automation.classification
    findings = []
    if level in SENSITIVE and len(set(automation.owners)) < 2:
        findings.append(
            ctx.metadata_finding(
                name,
                "owners",
                f"a {level} automation needs at least two owners",
                "add a second owner or a team",
            )
        )
    if level == "restricted" and not ctx.config.security_reviewers:
        findings.append(
            ctx.metadata_finding(
                name,
                "classification",
                "a restricted automation needs security reviewers, and none are configured",
                "set security_reviewers in [tool.autokit] of pyproject.toml",
            )
        )
    return findings


def _lowered(ctx: PolicyContext, name: str, level: str) -> list[Finding]:
    before = (ctx.base_data(name) or {}).get("classification")
    if before not in CLASSIFICATIONS or CLASSIFICATIONS.index(before) <= CLASSIFICATIONS.index(
        level
    ):
        return []
    return [
        ctx.metadata_finding(
            name,
            "classification",
            f"classification lowered from {before} to {level}",
            "a reviewer should confirm the data handled really changed",
            severity=WARNING,
        )
    ]
