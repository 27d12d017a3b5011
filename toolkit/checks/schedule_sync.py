"""The scheduled workflow and the Run forms match metadata.

Automations with a `schedule:` run from `.github/workflows/scheduled.yml`, which
`autokit schedule render` generates from metadata. When the file is stale, a new
schedule never runs, or a removed one keeps running. Once the workflow exists, it is
compared with what `autokit schedule render` would write now. In a pull request the
comparison runs when the pull request touches the workflow, deletes an automation, or
changes an automation that has (or had) a schedule; other pull requests cannot make it
stale.

`.github/workflows/run.yml`, when the repository has it, has a job per automation that
maps its secrets; it is compared whenever a pull request adds, changes or removes an
automation (and every automation's metadata is valid). Each automation's Run form,
`.github/workflows/run-<name>.yml` (`[tool.autokit] run_forms`: "all", "stable" or
"none"), is compared the same way once the scheduled workflow exists: a form whose
fields no longer match the inputs would send values the automation refuses, or miss new
ones. A pull request is compared for the automations it touches, and for every form when
it touches a workflow, `pyproject.toml` or the templates; a form left behind by a
deleted automation (or one `run_forms` leaves out) is reported too.

Fix: run `autokit schedule render` and commit the files it writes or removes under
`.github/workflows/`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from toolkit import forms
from toolkit.files import first_difference
from toolkit.findings import Finding
from toolkit.schedule import (
    RUN_WORKFLOW,
    render_run_forms,
    render_run_workflow,
    render_scheduled_workflow,
)

if TYPE_CHECKING:
    from toolkit.policy.context import PolicyContext

WORKFLOW = ".github/workflows/scheduled.yml"


def check(ctx: PolicyContext) -> list[Finding]:
    return _scheduled(ctx) + _run_workflow(ctx) + _forms(ctx)


def _run_workflow(ctx: PolicyContext) -> list[Finding]:
    """run.yml has a job per automation: any automation added, removed or changed counts."""
    workflow = ctx.root / RUN_WORKFLOW
    scope = ctx.scope
    touched = scope.changes is None or scope.names or scope.deleted
    if not workflow.is_file() or not (touched or RUN_WORKFLOW in scope.other_paths):
        return []
    if len(ctx.repo.automation_dirs()) != len(ctx.every_automation):
        return []  # some metadata is invalid: metadata-schema says which
    finding = _compare(ctx, RUN_WORKFLOW, render_run_workflow(ctx.repo, ctx.every_automation))
    return [finding] if finding is not None else []


def _scheduled(ctx: PolicyContext) -> list[Finding]:
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


HINT = "run `autokit schedule render` and commit what it writes or removes"


def _forms(ctx: PolicyContext) -> list[Finding]:
    if not (ctx.root / WORKFLOW).is_file():
        return []  # the repository does not use `autokit schedule render`
    everything = _every_form_may_differ(ctx)
    if not everything and not ctx.names and not ctx.scope.deleted:
        return []
    automations = ctx.every_automation if everything else ctx.automations
    try:
        expected = render_run_forms(ctx.repo, automations)
    except forms.SettingError as error:
        message = f"{forms.SETTING}: {error.value!r} is not one of " + ", ".join(forms.SETTINGS)
        return [ctx.finding("pyproject.toml", message, error.hint, line=error.line)]
    findings = [_compare(ctx, path, text) for path, text in expected.items()]
    present = _present_forms(ctx)
    if not everything:  # only the forms of what this change deleted or touched can be stale
        present &= {forms.form_path(n) for n in (*ctx.scope.deleted, *ctx.names)}
    # An automation with invalid metadata keeps its form: metadata-schema reports it.
    valid = {forms.form_path(a.name) for a in automations}
    stale = {
        path
        for path in present - expected.keys()
        if path in valid or not (ctx.root / "automations" / forms.automation_of(path)).is_dir()
    }
    findings += [
        ctx.finding(
            path, "a Run form of no automation (removed, or `run_forms` leaves it out)", HINT
        )
        for path in sorted(stale)
    ]
    return [finding for finding in findings if finding is not None]


def _every_form_may_differ(ctx: PolicyContext) -> bool:
    scope = ctx.scope
    if scope.changes is None:
        return True
    return any(
        path == "pyproject.toml" or path.startswith(("templates/", ".github/workflows/"))
        for path in scope.other_paths
    )


def _compare(ctx: PolicyContext, path: str, expected: str) -> Finding | None:
    what = "the run workflow" if path == RUN_WORKFLOW else "the Run form"
    raw = ctx.read(ctx.root / path)
    if raw is None:
        state = "is missing" if not (ctx.root / path).exists() else "cannot be read"
        return ctx.finding(path, f"{what} {state}", HINT)
    actual = raw.decode("utf-8", errors="replace")
    if actual == expected:
        return None
    return ctx.finding(
        path,
        f"{what} does not match the automations' inputs and secrets in metadata",
        HINT,
        line=first_difference(actual, expected),
    )


def _present_forms(ctx: PolicyContext) -> set[str]:
    """The generated Run forms in the repository (a hand-written workflow is not one)."""
    folder = ctx.root / forms.FORMS_FOLDER
    found = set()
    for path in folder.glob(f"{forms.FORM_PREFIX}*.yml") if folder.is_dir() else []:
        relative = f"{forms.FORMS_FOLDER}/{path.name}"
        raw = ctx.read(path)
        if raw is not None and forms.is_generated_form(relative, raw.decode("utf-8", "replace")):
            found.add(relative)
    return found
