"""`.github/CODEOWNERS` matches the owners in metadata.

GitHub asks the code owners of the changed files to review a pull request; the file is
generated from `owners` (plus the security reviewers of restricted automations), so a
stale file sends reviews to the wrong people, or to nobody. In a pull request, the lines
of the automations it adds, changes, renames or deletes are compared; when the pull
request touches CODEOWNERS or pyproject.toml itself, or with `--all`, the whole file is.

The rules' own files (`/toolkit/`, `/.github/`, `/pyproject.toml`, `/templates/`,
`/docs/` and the other shared configuration) must be owned by the `security_reviewers`
of `[tool.autokit]`, so that a pull request changing the rules needs their review. An
empty `security_reviewers`, or a CODEOWNERS without those lines, is an error.

Fix: set `security_reviewers` in `[tool.autokit]` if it is empty, then run
`autokit codeowners` and commit `.github/CODEOWNERS`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from toolkit import codeowners
from toolkit.config import PYPROJECT, line_mentioning
from toolkit.files import first_difference
from toolkit.findings import Finding

if TYPE_CHECKING:
    from toolkit.policy.context import PolicyContext

HINT = "run `autokit codeowners` and commit .github/CODEOWNERS"
_WHOLE_FILE_TRIGGERS = {codeowners.CODEOWNERS_PATH, "pyproject.toml"}


def check(ctx: PolicyContext) -> list[Finding]:
    findings = _unowned_rules(ctx)
    text = ctx.codeowners_text
    if text is None:
        return [*findings, _finding(ctx, None, f"{codeowners.CODEOWNERS_PATH} is missing")]
    scope = ctx.scope
    if scope.changes is None or _WHOLE_FILE_TRIGGERS & set(scope.other_paths):
        governed = _governed_lines(ctx, codeowners.parse(text))
        return [*findings, *(governed or _whole_file(ctx, text))]
    rules = codeowners.parse(text)
    return [*findings, *_governed_lines(ctx, rules), *_changed_lines(ctx, rules)]


def _unowned_rules(ctx: PolicyContext) -> list[Finding]:
    if ctx.proposed_config.security_reviewers:
        return []
    text = (ctx.read(ctx.root / PYPROJECT) or b"").decode("utf-8", errors="replace")
    line = line_mentioning(text.splitlines(), "security_reviewers")
    message = (
        "security_reviewers is empty, so nobody owns the rules' files "
        "(toolkit/, .github/, pyproject.toml ...) and anyone could change them unreviewed"
    )
    hint = (
        'set security_reviewers = ["@your-org/security"] in [tool.autokit], '
        "then run `autokit codeowners`"
    )
    return [
        ctx.finding(PYPROJECT, message, hint, line=line, field="tool.autokit.security_reviewers")
    ]


def _governed_lines(ctx: PolicyContext, rules: dict[str, tuple[int, str]]) -> list[Finding]:
    reviewers = ctx.proposed_config.security_reviewers
    if not reviewers:
        return []
    findings = []
    for expected in codeowners.governed_lines(reviewers):
        path = expected.split()[0]
        line, actual = rules.get(path, (None, None))
        if actual != expected.strip():
            state = "has no line" if actual is None else "has a stale line"
            message = f"{path} {state}; expected '{expected.strip()}' (the rules' owners)"
            findings.append(_finding(ctx, line, message))
    return findings


def _finding(ctx: PolicyContext, line: int | None, message: str) -> Finding:
    return ctx.finding(codeowners.CODEOWNERS_PATH, message, HINT, line=line)


def _changed_lines(ctx: PolicyContext, rules: dict[str, tuple[int, str]]) -> list[Finding]:
    findings = []
    reviewers = ctx.proposed_config.security_reviewers
    for automation in ctx.automations:
        expected = codeowners.entry(automation, reviewers)
        line, actual = rules.get(codeowners.pattern(automation.name), (None, None))
        if actual != expected:
            state = "has no line" if actual is None else "has a stale line"
            message = f"{automation.name} {state}; expected '{expected}'"
            findings.append(_finding(ctx, line, message))
    libraries = ctx.libraries.by_name()
    for name in ctx.library_names:
        library = libraries.get(name)
        if library is None:
            continue  # invalid: library-rules reports it
        expected = codeowners.library_entry(library)
        line, actual = rules.get(codeowners.library_pattern(name), (None, None))
        if actual != expected:
            state = "has no line" if actual is None else "has a stale line"
            findings.append(
                _finding(ctx, line, f"the library {name} {state}; expected '{expected}'")
            )
    for name in ctx.scope.deleted + list(ctx.scope.renamed.values()):
        if codeowners.pattern(name) in rules:
            line = rules[codeowners.pattern(name)][0]
            findings.append(_finding(ctx, line, f"still lists {name}, which no longer exists"))
    return findings


def _whole_file(ctx: PolicyContext, text: str) -> list[Finding]:
    proposed = ctx.proposed_config
    expected = codeowners.render(
        ctx.every_automation,
        proposed.security_reviewers,
        proposed.default_owners,
        ctx.libraries.libraries,
    )
    if text == expected:
        return []
    line = first_difference(text, expected)
    message = f"{codeowners.CODEOWNERS_PATH} is out of date (first difference at line {line})"
    return [_finding(ctx, line, message)]
