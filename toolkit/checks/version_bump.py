"""A changed automation raises its `version` above the one at the pull request's base.

Versions are Git tags (`<name>@<version>`), and `autokit run NAME@VERSION` runs the files
as they were at that tag, so two different contents must never share a version. Every
change to an automation's folder (code, tests, README, metadata) must therefore raise
`version` in `automation.yaml` above the version at the merge base: PATCH for fixes,
MINOR for new features, MAJOR for breaking changes (see breaking-inputs). A renamed
automation is compared with its old name's version. Without a base (`--all`), the
version must not be lower than the newest released tag.

Fix: edit `version:` in `automation.yaml` and add its section to `CHANGELOG.md`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from toolkit.findings import Finding
from toolkit.versions import Version, format_version, parse_version

if TYPE_CHECKING:
    from toolkit.policy.context import PolicyContext


def check(ctx: PolicyContext) -> list[Finding]:
    findings = []
    for name in ctx.names:
        now = parse_version((ctx.data(name) or {}).get("version"))
        if now is None:
            continue  # metadata-schema reports it
        finding = _against_base(ctx, name, now) if ctx.base else _against_tags(ctx, name, now)
        if finding:
            findings.append(finding)
    return findings


def _finding(ctx: PolicyContext, name: str, message: str, hint: str) -> Finding:
    return ctx.metadata_finding(name, "version", message, hint)


def _against_base(ctx: PolicyContext, name: str, now: Version) -> Finding | None:
    before = parse_version((ctx.base_data(name) or {}).get("version"))
    if before is None or now > before:
        return None  # new automation, or the base was unreadable
    old, new = format_version(before), format_version(now)
    where = ctx.scope.renamed.get(name, name)
    if now == before:
        message = f"the folder changed but version is still {new}, as at the base"
    else:
        message = f"version {new} is lower than {old}, the version of {where} at the base"
    next_patch = format_version((before[0], before[1], before[2] + 1))
    return _finding(ctx, name, message, f"raise it above {old}, e.g. to {next_patch}")


def _against_tags(ctx: PolicyContext, name: str, now: Version) -> Finding | None:
    tags = ctx.released.get(name) or []
    if not tags or now >= tags[-1].version_tuple():
        return None
    newest = tags[-1].version
    return _finding(
        ctx,
        name,
        f"version {format_version(now)} is lower than the released {newest}",
        f"raise it above {newest}",
    )
