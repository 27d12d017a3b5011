"""Changes to the rules themselves are named, one by one, for the security reviewers.

A pull request may change the rules everyone works under: the checks' code in
`toolkit/`, the workflows in `.github/`, `[tool.autokit]` in pyproject.toml, the
templates, the catalog's pages and configuration, the hooks. It may be right to; but such
a change is judged by the rules as they were (see "Judged by the base's rules" in the
administrators' guide), and it needs a review by the `security_reviewers`, whom
CODEOWNERS names for these files. This check lists each such change at its line, as a
warning:

- a check switched off or on in `[tool.autokit.checks]`;
- a waiver added, or extended to a later date (with that date and its reason);
- `security_reviewers` or `default_owners` changed, or another `[tool.autokit]` setting;
- pyproject.toml changed outside `[tool.autokit]` (dependencies, tool settings);
- a workflow, a `toolkit/` module, a template, `.pre-commit-config.yaml`, `noxfile.py`,
  `mkdocs.yml`, a `docs/` page, a CI script or a toolkit test added, changed or deleted.

`.github/CODEOWNERS` and the generated `scheduled.yml`, `run.yml` and Run forms
(`run-<name>.yml` of an automation that exists, or that the change deletes) are left out:
they are written by autokit from metadata, and codeowners-sync and schedule-sync fail when
they differ from what it would write. With `--all` there is no change to describe, so
nothing is reported.

Fix: nothing to fix: a warning does not fail the pull request. A security reviewer reads
the change and approves it, or asks for it to be taken out.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from toolkit import codeowners, git
from toolkit.config import PYPROJECT, PolicyConfig, line_mentioning, load_policy_config
from toolkit.errors import ToolkitError
from toolkit.files import first_difference
from toolkit.findings import WARNING, Finding
from toolkit.forms import automation_of, form_path
from toolkit.repo import autokit_table
from toolkit.schedule import RUN_WORKFLOW, SCHEDULED_WORKFLOW

if TYPE_CHECKING:
    from toolkit.policy.context import PolicyContext

_CHANGE_WORDS = {"A": "adds", "D": "deletes", "R": "renames", "M": "changes"}
_COMPARED_ELSEWHERE = {"checks", "waivers"}
# Written by autokit and compared with what it would write by their own sync checks.
_GENERATED = {codeowners.CODEOWNERS_PATH, SCHEDULED_WORKFLOW, RUN_WORKFLOW}


def check(ctx: PolicyContext) -> list[Finding]:
    if ctx.base is None or ctx.scope.changes is None:
        return []
    findings = []
    for change in ctx.scope.changes:
        paths = {change.path, change.old_path or change.path}
        if all(_generated(ctx, p) for p in paths) or not any(map(codeowners.is_governed, paths)):
            continue
        if change.path == PYPROJECT and change.status != "D":
            findings += _pyproject_changes(ctx)
        else:
            findings.append(_file_change(ctx, change))
    return findings


def _generated(ctx: PolicyContext, path: str) -> bool:
    if path in _GENERATED:
        return True
    name = automation_of(path)
    if path != form_path(name):
        return False
    return (ctx.root / "automations" / name).is_dir() or name in ctx.scope.deleted


def reviewers_wanted(ctx: PolicyContext) -> str:
    """Who must review a change to the rules, for the job summary's first line."""
    handles = ctx.config.security_reviewers or ctx.proposed_config.security_reviewers
    return ", ".join(handles) if handles else "the repository's administrators"


def _file_change(ctx: PolicyContext, change: git.Change) -> Finding:
    verb = _CHANGE_WORDS.get(change.status, "changes")
    what = f"{change.old_path} to {change.path}" if change.status == "R" else change.path
    return ctx.finding(
        change.path,
        f"this pull request {verb} {what}, one of the rules' files",
        f"needs a review by {reviewers_wanted(ctx)}",
        severity=WARNING,
    )


def _pyproject_changes(ctx: PolicyContext) -> list[Finding]:
    before_bytes = git.files_at(ctx.root, ctx.base or "HEAD", [PYPROJECT])[PYPROJECT] or b""
    after_bytes = ctx.read(ctx.root / PYPROJECT) or b""
    before_text = before_bytes.decode("utf-8", "replace")
    after_text = after_bytes.decode("utf-8", "replace")
    lines = after_text.splitlines()
    hint = f"needs a review by {reviewers_wanted(ctx)}"

    def warn(message: str, line: int | None, field: str | None = None) -> Finding:
        return ctx.finding(PYPROJECT, message, hint, line=line, severity=WARNING, field=field)

    before_raw, after_raw = _table(before_bytes), _table(after_bytes)
    before = _config(before_raw, before_text)
    after = _config(after_raw, after_text)
    findings = []
    for check_id in sorted(after.disabled - before.disabled):
        line = line_mentioning(lines, check_id)
        message = f"switches the check {check_id} off"
        findings.append(warn(message, line, f"tool.autokit.checks.{check_id}"))
    for check_id in sorted(before.disabled - after.disabled):
        message = f"switches the check {check_id} back on"
        findings.append(warn(message, line_mentioning(lines, "checks"), "tool.autokit.checks"))
    earlier = {(w.check, w.automation): w for w in before.waivers}
    for waiver in after.waivers:
        old = earlier.get((waiver.check, waiver.automation))
        subject = f"a waiver of {waiver.check} for {waiver.automation}"
        if old is None:
            message = f"adds {subject} until {waiver.expires}: {waiver.reason}"
        elif waiver.expires > old.expires:
            message = f"extends {subject} from {old.expires} to {waiver.expires}: {waiver.reason}"
        else:
            continue
        findings.append(warn(message, waiver.line, "tool.autokit.waivers"))
    for key in sorted((before_raw.keys() | after_raw.keys()) - _COMPARED_ELSEWHERE):
        if before_raw.get(key) != after_raw.get(key):
            message = (
                f"changes {key} from {_shown(before_raw.get(key))} to {_shown(after_raw.get(key))}"
            )
            findings.append(warn(message, line_mentioning(lines, key), f"tool.autokit.{key}"))
    if _outside_autokit(before_bytes) != _outside_autokit(after_bytes):
        line = first_difference(after_text, before_text)
        findings.append(warn("changes pyproject.toml outside [tool.autokit]", line))
    if not findings and before_text != after_text:
        findings.append(warn("changes pyproject.toml", first_difference(after_text, before_text)))
    return findings


def _table(pyproject: bytes) -> dict[str, Any]:
    try:
        return autokit_table(pyproject, PYPROJECT)
    except ToolkitError:  # a broken file is the policy-config check's finding
        return {}


def _config(raw: dict[str, Any], text: str) -> PolicyConfig:
    """Read leniently: every id is accepted, since the point is to describe the change."""
    mentioned = {str(k) for k in raw.get("checks", {}) if isinstance(raw.get("checks"), dict)}
    waivers = raw.get("waivers") if isinstance(raw.get("waivers"), list) else []
    mentioned |= {str(w.get("check")) for w in waivers or [] if isinstance(w, dict)}
    return load_policy_config(raw, mentioned, text)


def _outside_autokit(pyproject: bytes) -> object:
    import tomllib

    try:
        data = tomllib.loads(pyproject.decode("utf-8", "replace"))
    except tomllib.TOMLDecodeError:
        return pyproject
    tool = data.get("tool")
    if isinstance(tool, dict):
        tool.pop("autokit", None)
    return data


def _shown(value: object) -> str:
    return "(unset)" if value is None else repr(value)
