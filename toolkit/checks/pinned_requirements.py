"""Every requirement is pinned to an exact version, in one place.

An automation's environment is built from `requirements` in `automation.yaml` (and, for
its tests, `tests/requirements.txt`). An unpinned requirement (`openpyxl`,
`openpyxl>=3`) installs whatever is newest on the day, so the same version of an
automation can behave differently next month, and `autokit run NAME@VERSION` stops
being reproducible. A `requirements.txt` beside `automation.yaml` is not installed at
all and misleads readers. Requirements are listed once each in each file, whatever their
spelling (`zope.interface` and `Zope_Interface` are one project), and the tests pin the
version the automation runs, not another.

Each line is read as pip reads it (PEP 508, with `packaging`): `name==x.y.z`, extras in
brackets and spaces around `==` are fine; a version range, `==2.*`, a URL, an environment
marker or a pip option (`-r`, `--index-url`) is not.

Fix: write `name==x.y.z` (e.g. `openpyxl==3.1.5`; `pip freeze` shows what you have), and
move a folder-level `requirements.txt` into `requirements:` in `automation.yaml`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from toolkit.findings import Finding
from toolkit.metadata.requirements import (
    PIN_HINT,
    pin_problem,
    pinned_version,
    project_name,
    requirement_lines,
)

if TYPE_CHECKING:
    from pathlib import Path

    from toolkit.policy.context import PolicyContext

TESTS_FILE = "tests/requirements.txt"


def check(ctx: PolicyContext) -> list[Finding]:
    findings: list[Finding] = []
    for name in ctx.names:
        pinned, found = _metadata_requirements(ctx, name)
        findings += found
        findings += _test_requirements(ctx, name, pinned)
        stray = ctx.folder(name) / "requirements.txt"
        if stray.is_file():
            findings.append(
                ctx.finding(
                    stray,
                    "requirements.txt here is never installed",
                    "move its lines to `requirements:` in automation.yaml",
                )
            )
    shown = ctx.reported_by_schema("requirements")
    return [f for f in findings if (f.path, f.line) not in shown]


class _Listing:
    """The projects one file has listed so far: canonical name -> (line text, version)."""

    def __init__(self) -> None:
        self.seen: dict[str, tuple[str, str]] = {}

    def problem(self, requirement: str) -> tuple[str, str] | None:
        """(message, hint) when `requirement` is not pinned or repeats a project."""
        problem = pin_problem(requirement)
        if problem is not None:
            return problem
        project = project_name(requirement)
        if project in self.seen:
            first = self.seen[project][0]
            same = "" if first == requirement else f" ({first!r} is the same project)"
            return f"{project} is listed twice", f"keep one pinned line{same}"
        self.seen[project] = (requirement, pinned_version(requirement))
        return None


def _metadata_requirements(ctx: PolicyContext, name: str) -> tuple[_Listing, list[Finding]]:
    listing = _Listing()
    requirements = (ctx.data(name) or {}).get("requirements")
    if not isinstance(requirements, list):
        return listing, []
    findings: list[Finding] = []
    for index, requirement in enumerate(requirements):
        if not isinstance(requirement, str):
            problem: tuple[str, str] | None = (f"{requirement!r} is not a text", PIN_HINT)
        else:
            problem = listing.problem(requirement)
        if problem is not None:
            message, hint = problem
            keys = ("requirements", index)
            findings.append(ctx.metadata_finding(name, "requirements", message, hint, keys=keys))
    return listing, findings


def _test_requirements(ctx: PolicyContext, name: str, pinned: _Listing) -> list[Finding]:
    path = ctx.folder(name) / TESTS_FILE
    content = ctx.read(path)
    if content is None:
        return []
    finding = _line_finding(ctx, path)
    try:
        text = content.decode("utf-8")
    except UnicodeDecodeError as error:
        at = content[: error.start].count(b"\n") + 1
        return [finding(at, "is not valid UTF-8", "save it as UTF-8")]
    findings = []
    listing = _Listing()
    for number, line in requirement_lines(text):
        if line.startswith("-"):
            hint = "list each requirement as 'name==x.y.z' on its own line"
            findings.append(finding(number, f"{line!r}: pip options are not supported", hint))
        elif problem := listing.problem(line):
            findings.append(finding(number, *problem))
        elif conflict := _conflict(line, pinned):
            findings.append(finding(number, *conflict))
    return findings


def _line_finding(ctx: PolicyContext, path: Path) -> Callable[[int, str, str], Finding]:
    def finding(line: int, message: str, hint: str) -> Finding:
        return ctx.finding(path, message, hint, line=line, field="requirements")

    return finding


def _conflict(requirement: str, pinned: _Listing) -> tuple[str, str] | None:
    """A test requirement that pins another version than automation.yaml does."""
    project = project_name(requirement)
    if project not in pinned.seen:
        return None
    runs, version = pinned.seen[project]
    if pinned_version(requirement) == version:
        return None
    return (
        f"{requirement!r} is not the {runs!r} that automation.yaml pins",
        f"test the version the automation runs: write {runs!r}, or remove the line",
    )
