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

from typing import TYPE_CHECKING

from toolkit.findings import Finding

if TYPE_CHECKING:
    from toolkit.policy.context import PolicyContext


def check(ctx: PolicyContext) -> list[Finding]:
    """`ctx.inventory` holds the findings of validating the automations under review."""
    return list(ctx.inventory.findings)
