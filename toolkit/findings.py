"""Findings: what validation and policy checks report, in what order, grouped how.

Printing them (text, JSON, GitHub annotations, the job summary) is `toolkit.reporters`.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import NamedTuple

ERROR = "error"
WARNING = "warning"
NOTICE = "notice"
SEVERITIES = (ERROR, WARNING, NOTICE)


class Finding(NamedTuple):
    """One problem at one place. `path` is relative to the repository root, POSIX style."""

    path: str
    line: int | None
    column: int | None
    check: str
    severity: str
    message: str
    hint: str | None = None
    field: str | None = None

    def location(self) -> str:
        parts = [self.path]
        if self.line is not None:
            parts.append(str(self.line))
            if self.column is not None:
                parts.append(str(self.column))
        return ":".join(parts)

    def as_line(self) -> str:
        """`path:line:col: field: message (hint)`, the form editors and CI logs link."""
        text = f"{self.location()}: "
        if self.field:
            text += f"{self.field}: "
        text += self.message
        if self.hint:
            text += f" ({self.hint})"
        return text


def sort_key(finding: Finding) -> tuple[str, int, int, str, str]:
    """Order by place then check; a finding without a line sorts before line 1."""
    return (finding.path, finding.line or 0, finding.column or 0, finding.check, finding.message)


def sorted_findings(findings: Iterable[Finding]) -> list[Finding]:
    return sorted(findings, key=sort_key)


def has_errors(findings: Iterable[Finding]) -> bool:
    return any(f.severity == ERROR for f in findings)


REPOSITORY_GROUP = "(repository)"


def group_of(finding: Finding) -> str:
    """The automation a finding is about, or "(repository)" for repository-wide files."""
    parts = finding.path.split("/")
    return parts[1] if len(parts) >= 3 and parts[0] == "automations" else REPOSITORY_GROUP


def grouped(findings: Iterable[Finding]) -> dict[str, list[Finding]]:
    groups: dict[str, list[Finding]] = {}
    for finding in sorted(findings, key=lambda f: (group_of(f), sort_key(f))):
        groups.setdefault(group_of(finding), []).append(finding)
    return groups
