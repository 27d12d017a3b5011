"""Every `automation.yaml` follows the metadata contract.

The file is valid YAML holding one mapping; every field has the right type and form
(slugs, semantic versions, `@owner` handles, pinned requirements, cron schedules, input
specs whose defaults fit their type); `name` equals the folder name; the entrypoint is a
file inside the folder. Metadata drives everything else (environments, CODEOWNERS, the
catalog, schedules), so a malformed file breaks more than its automation.

Fix: correct each problem where the finding points; `autokit validate` shows the same
findings locally, before you push.
"""

from __future__ import annotations

from typing import Any

from toolkit.findings import Finding


def check(ctx: Any) -> list[Finding]:
    """`ctx.inventory` holds the findings of validating the automations under review."""
    return list(ctx.inventory.findings)
