"""Every requirement is pinned to an exact version, in one place.

An automation's environment is built from `requirements` in `automation.yaml` (and, for
its tests, `tests/requirements.txt`). An unpinned requirement (`openpyxl`,
`openpyxl>=3`) installs whatever is newest on the day, so the same version of an
automation can behave differently next month, and `autokit run NAME@VERSION` stops
being reproducible. A `requirements.txt` beside `automation.yaml` is not installed at
all and misleads readers. Requirements are listed once each.

Fix: write `name==x.y.z` (e.g. `openpyxl==3.1.5`; `pip freeze` shows what you have), and
move a folder-level `requirements.txt` into `requirements:` in `automation.yaml`.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from toolkit.findings import Finding
from toolkit.metadata import PINNED_REQUIREMENT

if TYPE_CHECKING:
    from toolkit.policy.context import PolicyContext


def check(ctx: PolicyContext) -> list[Finding]:
    findings: list[Finding] = []
    for name in ctx.names:
        findings += _metadata_requirements(ctx, name)
        findings += _test_requirements(ctx, name)
        stray = ctx.folder(name) / "requirements.txt"
        if stray.is_file():
            findings.append(
                ctx.finding(
                    stray,
                    "requirements.txt here is never installed",
                    "move its lines to `requirements:` in automation.yaml",
                )
            )
    return findings


def _project(requirement: str) -> str:
    return re.split(r"[=<>!~\[; ]", requirement, maxsplit=1)[0].lower().replace("_", "-")


def _metadata_requirements(ctx: PolicyContext, name: str) -> list[Finding]:
    requirements = (ctx.data(name) or {}).get("requirements")
    if not isinstance(requirements, list):
        return []
    findings: list[Finding] = []
    seen: set[str] = set()
    for index, requirement in enumerate(requirements):
        problem = _requirement_problem(requirement, seen)
        if problem is not None:
            message, hint = problem
            keys = ("requirements", index)
            findings.append(ctx.metadata_finding(name, "requirements", message, hint, keys=keys))
    return findings


def _requirement_problem(requirement: object, seen: set[str]) -> tuple[str, str] | None:
    """(message, hint) when a requirement is unpinned or repeats a project in `seen`."""
    if not isinstance(requirement, str) or not re.match(PINNED_REQUIREMENT, requirement):
        return f"{requirement!r} is not pinned to an exact version", "write 'name==x.y.z'"
    project = _project(requirement)
    if project in seen:
        return f"{project} is listed twice", "keep one pinned line"
    seen.add(project)
    return None


def _test_requirements(ctx: PolicyContext, name: str) -> list[Finding]:
    path = ctx.folder(name) / "tests" / "requirements.txt"
    content = ctx.read(path)
    if content is None:
        return []
    findings = []
    text = content.decode("utf-8", errors="replace")
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.split("#", 1)[0].strip()
        if line and not re.match(PINNED_REQUIREMENT, line):
            findings.append(
                ctx.finding(
                    path,
                    f"{line!r} is not pinned to an exact version",
                    "write 'name==x.y.z' (options and -r are not supported)",
                    line=number,
                )
            )
    return findings
