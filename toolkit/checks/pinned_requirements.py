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
from typing import Any

from toolkit.findings import ERROR, Finding
from toolkit.metadata import PINNED_REQUIREMENT

CHECK = "pinned-requirements"


def check(ctx: Any) -> list[Finding]:
    findings: list[Finding] = []
    for name in ctx.names:
        findings += _metadata_requirements(ctx, name)
        findings += _test_requirements(ctx, name)
        stray = ctx.folder(name) / "requirements.txt"
        if stray.is_file():
            findings.append(Finding(ctx.relative(stray), None, None, CHECK, ERROR,
                                    "requirements.txt here is never installed",
                                    "move its lines to `requirements:` in automation.yaml"))
    return findings


def _project(requirement: str) -> str:
    return re.split(r"[=<>!~\[; ]", requirement, maxsplit=1)[0].lower().replace("_", "-")


def _metadata_requirements(ctx: Any, name: str) -> list[Finding]:
    requirements = (ctx.data(name) or {}).get("requirements")
    if not isinstance(requirements, list):
        return []
    path = ctx.relative(ctx.folder(name) / "automation.yaml")
    findings, seen = [], set()
    for index, requirement in enumerate(requirements):
        line = ctx.line_of(name, "requirements", index)
        if not isinstance(requirement, str) or not re.match(PINNED_REQUIREMENT, requirement):
            findings.append(Finding(path, line, None, CHECK, ERROR,
                                    f"{requirement!r} is not pinned to an exact version",
                                    "write 'name==x.y.z'", "requirements"))
        elif _project(requirement) in seen:
            findings.append(Finding(path, line, None, CHECK, ERROR,
                                    f"{_project(requirement)} is listed twice",
                                    "keep one pinned line", "requirements"))
        else:
            seen.add(_project(requirement))
    return findings


def _test_requirements(ctx: Any, name: str) -> list[Finding]:
    path = ctx.folder(name) / "tests" / "requirements.txt"
    if not path.is_file():
        return []
    findings = []
    text = path.read_bytes().decode("utf-8", errors="replace")
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.split("#", 1)[0].strip()
        if line and not re.match(PINNED_REQUIREMENT, line):
            findings.append(Finding(ctx.relative(path), number, None, CHECK, ERROR,
                                    f"{line!r} is not pinned to an exact version",
                                    "write 'name==x.y.z' (options and -r are not supported)"))
    return findings
