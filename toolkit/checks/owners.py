"""Every automation names at least one owner, each a valid GitHub handle, once.

Owners review and approve changes (CODEOWNERS is generated from them), answer
questions from colleagues, and are who the catalog says to ask. An owner is a GitHub
user `@name` or a team `@org/team`. A problem metadata-schema already reports at the
same line (an empty list, a malformed handle) is shown once, by metadata-schema.

Fix: list owners in `automation.yaml`, e.g. `owners: ["@alice", "@shop/finance"]`.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from toolkit.findings import Finding
from toolkit.metadata import OWNER

if TYPE_CHECKING:
    from toolkit.policy.context import PolicyContext


def check(ctx: PolicyContext) -> list[Finding]:
    findings = []
    for name in ctx.names:
        data = ctx.data(name)
        if data is not None:
            findings += _owner_problems(ctx, name, data.get("owners"))
    shown = ctx.reported_by_schema("owners")
    return [f for f in findings if (f.path, f.line) not in shown]


def _owner_problems(ctx: PolicyContext, name: str, owners: object) -> list[Finding]:
    def finding(message: str, hint: str, *keys: int) -> Finding:
        return ctx.metadata_finding(name, "owners", message, hint, keys=("owners", *keys))

    if not isinstance(owners, list) or not owners:
        return [
            finding(
                "there must be at least one owner", "add `owners: ['@user']` or a team '@org/team'"
            )
        ]
    problems, seen = [], set()
    for index, owner in enumerate(owners):
        if not isinstance(owner, str) or not re.match(OWNER, owner):
            problems.append(
                finding(f"{owner!r} is not a GitHub handle", "write '@user' or '@org/team'", index)
            )
        elif owner.lower() in seen:
            problems.append(finding(f"{owner} is listed twice", "remove the repeat", index))
        else:
            seen.add(owner.lower())
    return problems
