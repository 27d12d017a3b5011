"""The one reader of `CHANGELOG.md`: a `## <version>` heading opens each version's section.

Headings may be written `## 1.4.0`, `## [1.4.0]`, `## v1.4.0` or `## 1.4.0 - 2026-11-26`.
A section runs to the next heading of level one or two; the first section for a version
wins, so a copied heading lower down never replaces the real notes.
"""

from __future__ import annotations

import re

from toolkit.versions import VERSION_TEXT

_HEADING = re.compile(rf"^##[ \t]+\[?v?({VERSION_TEXT})\]?(?:[ \t].*)?$", re.MULTILINE)
_NEXT_HEADING = re.compile(r"^#{1,2}\s", re.MULTILINE)


def sections(text: str) -> dict[str, str]:
    """Every version's section body (the Markdown under its heading), in file order."""
    found: dict[str, str] = {}
    for match in _HEADING.finditer(text):
        following = _NEXT_HEADING.search(text, match.end())
        body = text[match.end() : following.start() if following else len(text)]
        found.setdefault(match[1], body.strip())
    return found


_HEADING_DATE = re.compile(r"(?<![0-9])([0-9]{4}-[0-9]{2}-[0-9]{2})(?![0-9])")


def heading_dates(text: str) -> dict[str, str]:
    """The date each version's heading gives (`## 1.4.0 - 2026-11-26`), where it gives one."""
    from datetime import date

    found: dict[str, str] = {}
    seen: set[str] = set()
    for match in _HEADING.finditer(text):
        version = match[1]
        if version in seen:  # as in `sections`, the first heading for a version counts
            continue
        seen.add(version)
        written = _HEADING_DATE.search(text, match.end(1), match.end())
        try:
            if written is not None:
                found[version] = date.fromisoformat(written[1]).isoformat()
        except ValueError:  # 2026-13-45 is no date; the version stays undated
            pass
    return found


def section(text: str, version: str) -> str | None:
    """The body of the `## <version>` section, or None when there is none."""
    return sections(text).get(version)
