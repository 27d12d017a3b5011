"""Printing findings: plain lines, grouped text, JSON, GitHub annotations and job summary."""

from __future__ import annotations

import json
from collections.abc import Sequence
from urllib.parse import quote

from toolkit.findings import ERROR, SEVERITIES, Finding, grouped, sort_key, sorted_findings

STEP_SUMMARY_LIMIT = 1024 * 1024  # GitHub rejects a step summary over 1 MiB


def render_text(findings: Sequence[Finding]) -> str:
    return "\n".join(f.as_line() for f in sorted_findings(findings))


def render_json(findings: Sequence[Finding], **extra: object) -> str:
    listed = [f._asdict() for f in sorted_findings(findings)]
    return json.dumps({**extra, "findings": listed}, indent=2)


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
    return "\n".join(github_annotation(f) for f in sorted_findings(findings))


# ---------------------------------------------------------------------------
# Policy reports: grouped text, and the GitHub job summary


def _counts(findings: Sequence[Finding]) -> str:
    parts = []
    for severity in SEVERITIES:
        count = sum(1 for f in findings if f.severity == severity)
        if count:
            parts.append(f"{count} {severity}{'s' if count != 1 else ''}")
    return ", ".join(parts)


_INDENT = " " * 10


def render_grouped_text(findings: Sequence[Finding]) -> str:
    """Findings grouped by automation, each with its location, check and hint."""
    blocks = []
    for group, items in grouped(findings).items():
        lines = [f"{group} ({_counts(items)})"]
        for finding in items:
            field = f"{finding.field}: " if finding.field else ""
            message = finding.message.replace("\n", "\n" + _INDENT)  # keep the group readable
            lines.append(
                f"  {finding.severity:<7} {finding.location()}  [{finding.check}] {field}{message}"
            )
            if finding.hint:
                lines.append(f"{_INDENT}hint: {finding.hint}")
        blocks.append("\n".join(lines))
    return "\n\n".join(blocks)


def _markdown_cell(text: str | None) -> str:
    """Plain text for a Markdown table cell: no HTML, no table breaks, no line breaks."""
    if not text:
        return ""
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    text = text.replace("|", "\\|").replace("`", "'")
    return " ".join(text.split())


def file_link(blob_url: str, finding: Finding) -> str:
    """The finding's file (and line) under `blob_url`, e.g. https://github.com/o/r/blob/SHA/."""
    anchor = f"#L{finding.line}" if finding.line is not None else ""
    return f"{blob_url}{quote(finding.path)}{anchor}"


def _summary_row(finding: Finding, blob_url: str | None) -> str:
    where = f"`{_markdown_cell(finding.location())}`"
    if blob_url:
        where = f"[{where}]({file_link(blob_url, finding)})"
    cells = [
        finding.severity,
        where,
        finding.check,
        _markdown_cell((f"{finding.field}: " if finding.field else "") + finding.message),
        _markdown_cell(finding.hint),
    ]
    return "| " + " | ".join(cells) + " |\n"


def render_step_summary(
    findings: Sequence[Finding],
    title: str,
    notes: Sequence[str] = (),
    limit: int = STEP_SUMMARY_LIMIT,
    blob_url: str | None = None,
) -> str:
    """A Markdown job summary listing every finding, cut to stay under `limit` bytes.

    GitHub shows only ten annotations per step, so the summary is the complete list; if
    it would pass the size limit, the rows that do not fit are counted instead. With
    `blob_url`, each place links to the file and line at the commit checked.
    """
    head = f"## {_markdown_cell(title)}\n\n"
    head += "".join(f"{_markdown_cell(note)}\n\n" for note in notes)
    if not findings:
        return head + "No findings.\n"
    head += f"**{_counts(findings)}**\n\n"
    table = "| severity | where | check | problem | how to fix |\n|---|---|---|---|---|\n"
    used = len((head + table).encode()) + 200  # room for the closing note
    rows, shown = [], 0
    for finding in sorted(
        findings,
        key=lambda f: (
            SEVERITIES.index(f.severity) if f.severity in SEVERITIES else 0,
            sort_key(f),
        ),
    ):
        row = _summary_row(finding, blob_url)
        size = len(row.encode())
        if used + size > limit:
            break
        rows.append(row)
        used += size
        shown += 1
    text = head + table + "".join(rows)
    if shown < len(findings):
        text += (
            f"\n{len(findings) - shown} more finding(s) not shown: the summary is "
            "limited to 1 MiB. Run `autokit policy --format json` for all of them.\n"
        )
    return text
