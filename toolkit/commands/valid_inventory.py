"""The inventory for commands that write from metadata: refuse while any of it is invalid."""

from __future__ import annotations

from toolkit.errors import ToolkitError
from toolkit.findings import has_errors, sorted_findings
from toolkit.inventory import Inventory, load_inventory
from toolkit.repo import Repository

SHOWN = 20  # findings listed in the error; `autokit validate` lists them all


def load_valid_inventory(repo: Repository, refusal: str, hint: str) -> Inventory:
    """Every automation, or a ToolkitError `refusal:` listing the first problems."""
    inventory = load_inventory(repo)
    if has_errors(inventory.findings):
        listing = "\n".join(f.as_line() for f in sorted_findings(inventory.findings)[:SHOWN])
        raise ToolkitError(f"{refusal}:\n{listing}", hint)
    return inventory
