"""Findings: what validation and policy checks report, and how they are printed."""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass

ERROR = "error"
WARNING = "warning"
NOTICE = "notice"
SEVERITIES = (ERROR, WARNING, NOTICE)


@dataclass(frozen=True, order=True)
class Finding:
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


def has_errors(findings: Iterable[Finding]) -> bool:
    return any(f.severity == ERROR for f in findings)


def render_text(findings: Sequence[Finding]) -> str:
    return "\n".join(f.as_line() for f in sorted(findings))


def render_json(findings: Sequence[Finding], **extra: object) -> str:
    return json.dumps({**extra, "findings": [asdict(f) for f in sorted(findings)]}, indent=2)


def _escape_data(value: str) -> str:
    return value.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_property(value: str) -> str:
    return _escape_data(value).replace(":", "%3A").replace(",", "%2C")


def github_annotation(finding: Finding) -> str:
    """A GitHub Actions workflow command that puts the finding on the diff line."""
    properties = [f"file={_escape_property(finding.path)}"]
    if finding.line is not None:
        properties.append(f"line={finding.line}")
    if finding.column is not None:
        properties.append(f"col={finding.column}")
    properties.append(f"title={_escape_property(finding.check)}")
    message = (f"{finding.field}: " if finding.field else "") + finding.message
    if finding.hint:
        message += f" ({finding.hint})"
    command = finding.severity if finding.severity in SEVERITIES else ERROR
    return f"::{command} {','.join(properties)}::{_escape_data(message)}"


def render_github(findings: Sequence[Finding]) -> str:
    return "\n".join(github_annotation(f) for f in sorted(findings))
