"""`CHANGELOG.md` has a section for the automation's current version.

The section becomes the message of the `<name>@<version>` tag that `autokit release`
creates, and the catalog shows it as the release notes, so readers learn what changed
without reading the diff. A section starts with a level-two heading naming the version:
`## 1.4.0`, `## [1.4.0]` or `## 1.4.0 - 2026-11-26`.

Fix: add `## <version>` at the top of `CHANGELOG.md` with a line or two on what changed
and why.
"""

from __future__ import annotations

import re
from typing import Any

from toolkit.findings import ERROR, Finding

CHECK = "changelog-entry"


def section(text: str, version: str) -> str | None:
    """The body of the `## <version>` section, or None when there is none."""
    heading = re.compile(rf"^##\s+\[?v?{re.escape(version)}\]?(?:\s|$)")
    lines = text.splitlines()
    for index, line in enumerate(lines):
        if heading.match(line):
            body = []
            for following in lines[index + 1 :]:
                if re.match(r"^#{1,2}\s", following):
                    break
                body.append(following)
            return "\n".join(body).strip()
    return None


def check(ctx: Any) -> list[Finding]:
    findings = []
    for name in ctx.names:
        version = (ctx.data(name) or {}).get("version")
        changelog = ctx.folder(name) / "CHANGELOG.md"
        if not isinstance(version, str) or not changelog.is_file():
            continue  # metadata-schema / folder-layout report these
        text = changelog.read_bytes().decode("utf-8", errors="replace")
        if section(text, version) is None:
            findings.append(
                Finding(ctx.relative(changelog), 1, None, CHECK, ERROR,
                        f"no '## {version}' section for the current version",
                        f"add '## {version}' with what changed, above the older sections")
            )
    return findings
