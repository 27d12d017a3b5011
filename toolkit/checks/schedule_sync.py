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

from typing import TYPE_CHECKING, Any

from toolkit.findings import ERROR, Finding

if TYPE_CHECKING:
    from toolkit.policy import PolicyContext

CHECK = "schedule-sync"
WORKFLOW = ".github/workflows/scheduled.yml"


def check(ctx: PolicyContext) -> list[Finding]:
    workflow = ctx.root / WORKFLOW
    if not workflow.is_file() or not _relevant(ctx):
        return []
    render = _renderer()
    if render is None:
        return []  # this autokit cannot render schedules; nothing to compare with
    from toolkit.inventory import load_inventory
    from toolkit.policy import first_difference

    expected = render(ctx.repo, load_inventory(ctx.repo).automations)
    actual = workflow.read_bytes().decode("utf-8", errors="replace")
    if actual == expected:
        return []
    return [
        Finding(
            WORKFLOW,
            first_difference(actual, expected),
            None,
            CHECK,
            ERROR,
            "the scheduled workflow does not match the schedules in metadata",
            "run `autokit schedule render` and commit the workflow",
        )
    ]


def _renderer() -> Any:
    try:
        from toolkit.schedule import render_scheduled_workflow
    except ImportError:
        return None
    return render_scheduled_workflow


def _relevant(ctx: PolicyContext) -> bool:
    scope = ctx.scope
    if scope.changes is None or WORKFLOW in scope.other_paths or scope.deleted:
        return True
    for name in ctx.names:
        if (ctx.data(name) or {}).get("schedule") or (ctx.base_data(name) or {}).get("schedule"):
            return True
    return False
