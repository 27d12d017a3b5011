"""`CHANGELOG.md` has a section for the automation's current version.

The section becomes the message of the `<name>@<version>` tag that `autokit release`
creates, and the catalog shows it as the release notes, so readers learn what changed
without reading the diff. A section starts with a level-two heading naming the version:
`## 1.4.0`, `## [1.4.0]` or `## 1.4.0 - 2026-11-26`.

Fix: add `## <version>` at the top of `CHANGELOG.md` with a line or two on what changed
and why.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from toolkit.changelog import section
from toolkit.findings import Finding
from toolkit.versions import parse_version

if TYPE_CHECKING:
    from toolkit.policy.context import PolicyContext


def check(ctx: PolicyContext) -> list[Finding]:
    findings = []
    for name in ctx.names:
        version = (ctx.data(name) or {}).get("version")
        changelog = ctx.folder(name) / "CHANGELOG.md"
        raw = ctx.read(changelog)
        if not isinstance(version, str) or not parse_version(version) or raw is None:
            continue  # metadata-schema / folder-layout / symlinks report these
        text = raw.decode("utf-8", errors="replace")
        if section(text, version) is None:
            findings.append(
                ctx.finding(
                    changelog,
                    f"no '## {version}' section for the current version",
                    f"add '## {version}' with what changed, above the older sections",
                    line=1,
                )
            )
    return findings
