"""The scheduled workflow matches the schedules in metadata.

Automations with a `schedule:` run from `.github/workflows/scheduled.yml`, which
`autokit schedule render` generates from metadata. When the file is stale, a new
schedule never runs, or a removed one keeps running. Once the workflow exists, it is
compared with what `autokit schedule render` would write now. In a pull request the
comparison runs when the pull request touches the workflow, deletes an automation, or
changes an automation that has (or had) a schedule; other pull requests cannot make it
stale.

Fix: run `autokit schedule render` and commit `.github/workflows/scheduled.yml`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from toolkit.files import first_difference
from toolkit.findings import Finding
from toolkit.schedule import render_scheduled_workflow

if TYPE_CHECKING:
    from toolkit.policy.context import PolicyContext

WORKFLOW = ".github/workflows/scheduled.yml"


def check(ctx: PolicyContext) -> list[Finding]:
    workflow = ctx.root / WORKFLOW
    if not workflow.is_file() or not _relevant(ctx):
        return []
    expected = render_scheduled_workflow(ctx.repo, ctx.every_automation)
    raw = ctx.read(workflow)
    if raw is None:
        message = "the scheduled workflow cannot be read: it is a link or over 1 MiB"
        return [ctx.finding(WORKFLOW, message, "run `autokit schedule render` and commit it")]
    actual = raw.decode("utf-8", errors="replace")
    if actual == expected:
        return []
    return [
        ctx.finding(
            WORKFLOW,
            "the scheduled workflow does not match the schedules in metadata",
            "run `autokit schedule render` and commit the workflow",
            line=first_difference(actual, expected),
        )
    ]


def _relevant(ctx: PolicyContext) -> bool:
    scope = ctx.scope
    if scope.changes is None or WORKFLOW in scope.other_paths or scope.deleted:
        return True
    for name in ctx.names:
        if (ctx.data(name) or {}).get("schedule") or (ctx.base_data(name) or {}).get("schedule"):
            return True
    return False
