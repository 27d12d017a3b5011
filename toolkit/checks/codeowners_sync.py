"""`.github/CODEOWNERS` matches the owners in metadata.

GitHub asks the code owners of the changed files to review a pull request; the file is
generated from `owners` (plus the security reviewers of restricted automations), so a
stale file sends reviews to the wrong people, or to nobody. In a pull request, the lines
of the automations it adds, changes, renames or deletes are compared; when the pull
request touches CODEOWNERS or pyproject.toml itself, or with `--all`, the whole file is.

Fix: run `autokit codeowners` and commit `.github/CODEOWNERS`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from toolkit import codeowners
from toolkit.files import first_difference
from toolkit.findings import Finding

if TYPE_CHECKING:
    from toolkit.policy.context import PolicyContext

HINT = "run `autokit codeowners` and commit .github/CODEOWNERS"
_WHOLE_FILE_TRIGGERS = {codeowners.CODEOWNERS_PATH, "pyproject.toml"}


def check(ctx: PolicyContext) -> list[Finding]:
    text = ctx.codeowners_text
    if text is None:
        if not ctx.names and not ctx.scope.deleted:
            return []
        return [_finding(ctx, None, f"{codeowners.CODEOWNERS_PATH} is missing")]
    scope = ctx.scope
    if scope.changes is None or _WHOLE_FILE_TRIGGERS & set(scope.other_paths):
        return _whole_file(ctx, text)
    return _changed_lines(ctx, codeowners.parse(text))


def _finding(ctx: PolicyContext, line: int | None, message: str) -> Finding:
    return ctx.finding(codeowners.CODEOWNERS_PATH, message, HINT, line=line)


def _changed_lines(ctx: PolicyContext, rules: dict[str, tuple[int, str]]) -> list[Finding]:
    findings = []
    reviewers = ctx.config.security_reviewers
    for automation in ctx.automations:
        expected = codeowners.entry(automation, reviewers)
        line, actual = rules.get(codeowners.pattern(automation.name), (None, None))
        if actual != expected:
            state = "has no line" if actual is None else "has a stale line"
            message = f"{automation.name} {state}; expected '{expected}'"
            findings.append(_finding(ctx, line, message))
    for name in ctx.scope.deleted + list(ctx.scope.renamed.values()):
        if codeowners.pattern(name) in rules:
            line = rules[codeowners.pattern(name)][0]
            findings.append(_finding(ctx, line, f"still lists {name}, which no longer exists"))
    return findings


def _whole_file(ctx: PolicyContext, text: str) -> list[Finding]:
    expected = codeowners.render(
        ctx.every_automation, ctx.config.security_reviewers, ctx.config.default_owners
    )
    if text == expected:
        return []
    line = first_difference(text, expected)
    message = f"{codeowners.CODEOWNERS_PATH} is out of date (first difference at line {line})"
    return [_finding(ctx, line, message)]
