"""Semantic versions (`MAJOR.MINOR.PATCH`): the one parser, comparison and the bump rules.

Versions here are plain, as metadata and tags write them: three whole numbers without
leading zeros, no pre-release or build parts.
"""

from __future__ import annotations

import re

# ASCII digits only (`\d` would take Arabic-Indic and other digits), and `\Z`, since `$`
# also matches before a final newline. SEMVER is a whole value; VERSION_TEXT is for use
# inside other patterns.
_NUMBER = "0|[1-9][0-9]*"
SEMVER = rf"^({_NUMBER})\.({_NUMBER})\.({_NUMBER})\Z"
VERSION_TEXT = rf"(?:{_NUMBER})\.(?:{_NUMBER})\.(?:{_NUMBER})"
_SEMVER = re.compile(SEMVER)

Version = tuple[int, int, int]


def parse_version(value: object) -> Version | None:
    """`"1.4.2"` -> `(1, 4, 2)`; anything that is not a plain semantic version -> None."""
    if not isinstance(value, str):
        return None
    match = _SEMVER.match(value)
    if match is None:
        return None
    return int(match[1]), int(match[2]), int(match[3])


def version_key(value: str) -> Version:
    """A sort key for a version text; what does not parse sorts first."""
    return parse_version(value) or (-1, -1, -1)


def format_version(version: Version) -> str:
    return ".".join(map(str, version))


def is_major_bump(before: Version, after: Version) -> bool:
    """True when `after` raises the major version (or, below 1.0.0, the minor one).

    Below 1.0.0 semver allows anything to change at any time; by the common convention
    (Cargo's and npm's caret ranges) 0.x counts the minor number as the breaking one.
    """
    if before[0] == 0 and after[0] == 0:
        return after[1] > before[1]
    return after[0] > before[0]
