"""Pinned requirements: one project at exactly one `==` version, from PyPI.

A requirement is read as pip reads it (PEP 508, with `packaging`), and autokit's policy
is applied on top: exactly one `==` on a whole version (no `==2.*`, no `===`), no URL and
no environment marker (an automation's environment is built for one Python). Whitespace
is legal around `==` and inside extras. `packaging` is imported only for a requirement
that is not in the plain form `name==1.2.3` (`PINNED_REQUIREMENT`), which is valid by
construction, so reading ordinary metadata costs no import.

`requirement_lines` reads `tests/requirements.txt` the way pip does: a comment starts at a
`#` at the start of a line or after whitespace, a UTF-8 byte-order mark is not text, and
only `\\n` (with an optional `\\r`) ends a line.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from toolkit.metadata.schema import PINNED_REQUIREMENT

PIN_HINT = "write 'name==x.y.z', e.g. 'openpyxl==3.1.5'"
_PLAIN = re.compile(PINNED_REQUIREMENT)
_COMMENT = re.compile(r"(?:^|[ \t])#.*")
_BOM = "\ufeff"

Problem = tuple[str, str]  # (message, hint)


def pin_problem(text: str) -> Problem | None:
    """What keeps `text` from being one pinned requirement, or None when it is one."""
    if _PLAIN.fullmatch(text):
        return None
    unusual = next((c for c in text if not (c.isascii() and c.isprintable()) and c != "\t"), None)
    if unusual is not None:
        what = "a line break" if unusual in "\r\n" else repr(unusual)
        return f"{text!r} contains {what}", "keep it on one line, in ASCII, e.g. 'openpyxl==3.1.5'"
    from packaging.requirements import InvalidRequirement, Requirement

    try:
        requirement = Requirement(text)
    except InvalidRequirement as error:
        return _explain(text, str(error))
    if requirement.url:
        return f"{text!r} installs from a URL", "pin a release from PyPI, e.g. 'openpyxl==3.1.5'"
    if requirement.marker:
        return (
            f"{text!r} has an environment marker",
            f"remove '; {requirement.marker}': an automation's environment is for one Python",
        )
    specifiers = list(requirement.specifier)
    if len(specifiers) > 1:
        return f"{text!r} has {len(specifiers)} version specifiers", "keep exactly one '=='"
    if not specifiers or specifiers[0].operator != "==" or specifiers[0].version.endswith("*"):
        return f"{text!r} is not pinned to an exact version", PIN_HINT
    return None


def _explain(text: str, error: str) -> Problem:
    """Which part of a requirement packaging refused, in words, with its fix."""
    from packaging.requirements import InvalidRequirement, Requirement
    from packaging.version import InvalidVersion, Version

    project, equals, version = text.partition("==")
    if equals and "[" in project and "]" in project:
        try:
            Requirement(project)
        except InvalidRequirement:
            extras = project[project.index("[") :]
            return (
                f"{extras!r} in {text!r} is not a valid list of extras",
                "name each extra once, separated by commas, e.g. 'requests[socks]==2.31.0'",
            )
    if equals and not project.strip():
        return f"{text!r} has no project name before '=='", PIN_HINT
    if equals:
        try:
            Requirement(project)
        except InvalidRequirement:
            return (
                f"{project.strip()!r} in {text!r} is not a valid project name",
                "a name is letters, digits, '.', '_' and '-', with a letter or digit at each "
                "end, e.g. 'zope.interface'",
            )
        try:
            Version(version.strip())
        except InvalidVersion:
            return (
                f"{version.strip()!r} in {text!r} is not a version",
                "write the exact release, e.g. '2.31.0' (`pip index versions NAME` lists them)",
            )
    reason = error.splitlines()[0] if error else "it does not parse"
    return f"{text!r} is not a valid requirement ({reason})", PIN_HINT


def project_name(text: str) -> str:
    """The canonical project name of a pinned requirement: case, '.', '_' and '-' aside."""
    from packaging.requirements import Requirement
    from packaging.utils import canonicalize_name

    return str(canonicalize_name(Requirement(text).name))


def pinned_version(text: str) -> str:
    """The `==` version of a pinned requirement (one that `pin_problem` accepts)."""
    from packaging.requirements import Requirement

    (specifier,) = Requirement(text).specifier
    return specifier.version


def requirement_lines(text: str) -> Iterator[tuple[int, str]]:
    """(line number, requirement) for each line of a requirements file that holds one."""
    for number, raw in enumerate(text.removeprefix(_BOM).split("\n"), start=1):
        line = _COMMENT.sub("", raw.removesuffix("\r")).strip(" \t")
        if line:
            yield number, line
