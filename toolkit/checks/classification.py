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

from typing import Any

from toolkit.findings import ERROR, WARNING, Finding
from toolkit.metadata import CLASSIFICATIONS

CHECK = "classification"
SENSITIVE = ("confidential", "restricted")


def check(ctx: Any) -> list[Finding]:
    findings: list[Finding] = []
    for automation in ctx.automations:
        path = ctx.relative(automation.metadata_path)
        line = ctx.line_of(automation.name, "classification")
        level = automation.classification
        if level in SENSITIVE and len(set(automation.owners)) < 2:
            findings.append(Finding(path, ctx.line_of(automation.name, "owners"), None, CHECK,
                                    ERROR, f"a {level} automation needs at least two owners",
                                    "add a second owner or a team", "owners"))
        if level == "restricted" and not ctx.config.security_reviewers:
            findings.append(Finding(path, line, None, CHECK, ERROR,
                                    "a restricted automation needs security reviewers, and "
                                    "none are configured",
                                    "set security_reviewers in [tool.autokit] of pyproject.toml",
                                    "classification"))
        findings += _lowered(ctx, automation.name, level, path, line)
    return findings


def _lowered(ctx: Any, name: str, level: str, path: str, line: int) -> list[Finding]:
    before = (ctx.base_data(name) or {}).get("classification")
    if before not in CLASSIFICATIONS or CLASSIFICATIONS.index(before) <= CLASSIFICATIONS.index(
        level
    ):
        return []
    return [Finding(path, line, None, CHECK, WARNING,
                    f"classification lowered from {before} to {level}",
                    "a reviewer should confirm the data handled really changed",
                    "classification")]
