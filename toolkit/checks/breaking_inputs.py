"""Breaking changes to inputs come with a major version bump.

Schedules, workflows and colleagues call an automation with inputs; removing an input,
changing its `type`, or making an input required (a new required input, or an optional
one turned required) breaks those callers. Such a change needs a new MAJOR version
(for `0.x` versions a new MINOR version, as semantic versioning allows), so that
`autokit run NAME@OLD` keeps working for whoever is not ready.

Fix: raise the major version (e.g. 1.4.2 -> 2.0.0; for 0.x versions the minor one, e.g.
0.2.1 -> 0.3.0) and say in `CHANGELOG.md` what callers
must change; or keep the change compatible (keep the old input, give a new one a default).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from toolkit.findings import Finding
from toolkit.versions import Version, format_version, is_major_bump, parse_version

if TYPE_CHECKING:
    from toolkit.policy.context import PolicyContext


def breaking_changes(before: dict[str, Any], after: dict[str, Any]) -> list[tuple[str, str]]:
    """(input name, what changed) for every breaking difference between two input maps."""
    changes = []
    for name, old in before.items():
        new = after.get(name)
        if not isinstance(old, dict):
            continue
        if not isinstance(new, dict):
            changes.append((name, f"input '{name}' was removed"))
        elif new.get("type") != old.get("type"):
            changes.append(
                (name, f"input '{name}' changed type from {old.get('type')} to {new.get('type')}")
            )
        elif new.get("required") and not old.get("required"):
            changes.append((name, f"input '{name}' became required"))
    for name, new in after.items():
        if name not in before and isinstance(new, dict) and new.get("required"):
            changes.append((name, f"new input '{name}' is required"))
    return changes


def next_major(version: Version) -> Version:
    """The smallest version that counts as a major bump over `version` (0.x: the minor)."""
    return (version[0] + 1, 0, 0) if version[0] else (0, version[1] + 1, 0)


def check(ctx: PolicyContext) -> list[Finding]:
    findings = []
    for name in ctx.names:
        base, now = ctx.base_data(name), ctx.data(name)
        if not base or not now:
            continue
        before_v, after_v = parse_version(base.get("version")), parse_version(now.get("version"))
        if before_v is None or after_v is None or is_major_bump(before_v, after_v):
            continue
        findings += _findings(ctx, name, _inputs(base), _inputs(now), before_v, after_v)
    return findings


def _inputs(data: dict[str, Any]) -> dict[str, Any]:
    inputs = data.get("inputs")
    return inputs if isinstance(inputs, dict) else {}


def _findings(
    ctx: PolicyContext,
    name: str,
    before: dict[str, Any],
    after: dict[str, Any],
    before_version: Version,
    version: Version,
) -> list[Finding]:
    wanted = format_version(next_major(version))
    if before_version[0] == 0:  # the rule that applies below 1.0.0, said in both places
        bump = "a minor version bump (the breaking bump for 0.x versions)"
        hint = (
            f"raise version to {wanted} (for 0.x versions a breaking change raises the minor "
            "number; or 1.0.0), or keep the input compatible"
        )
    else:
        bump = "a major version bump"
        hint = f"raise version to {wanted}, or keep the input compatible"
    return [
        ctx.metadata_finding(
            name,
            f"inputs.{input_name}",
            f"{what}, a breaking change, without {bump}",
            hint,
            keys=("inputs", input_name) if input_name in after else ("inputs",),
            key=True,
        )
        for input_name, what in breaking_changes(before, after)
    ]
