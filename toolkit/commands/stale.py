"""`autokit doctor --owners`: what has gone stale (`toolkit.hygiene`), from the run ledger
plus this machine's unsent runs, and one `git log` of the repository."""

from __future__ import annotations

import json
import sys
from datetime import UTC, datetime

from toolkit import git
from toolkit.console import printable, table
from toolkit.hygiene import IDLE_DAYS, OWNER_DAYS, Staleness, activity, staleness
from toolkit.inventory import load_inventory, warn_about_invalid
from toolkit.ledger.sharing import everyones_runs
from toolkit.repo import Repository


def report(repo: Repository, format: str, now: datetime | None = None) -> int:
    """Print the stale things of `repo`; always 0, as a report."""
    now = now or datetime.now(UTC)
    inventory = load_inventory(repo)
    warn_about_invalid(inventory)
    everyone = everyones_runs(repo)
    for problem in everyone.ledger.problems:
        print(f"warning: run ledger: {printable(problem)}", file=sys.stderr)
    names = [a.name for a in inventory.automations]
    found = staleness(
        inventory.automations,
        activity(everyone.records, names, now),
        git.authors(repo.root) if git.is_git_repository(repo.root) else [],
        now,
    )
    print(json.dumps(as_document(found), indent=2) if format == "json" else as_text(found, now))
    return 0


def as_document(found: Staleness) -> dict[str, object]:
    return {
        "idle_days": IDLE_DAYS,
        "owner_days": OWNER_DAYS,
        "idle": [i._asdict() for i in found.idle],
        "deprecated_running": [r._asdict() for r in found.still_running],
        "stale_owners": [o._asdict() for o in found.stale_owners],
        "teams_not_checked": found.teams,
    }


def as_text(found: Staleness, now: datetime) -> str:
    parts = []
    if found.idle:
        rows = [
            [i.automation, i.status, " ".join(i.owners), _when(i.last_counted, now)]
            for i in found.idle
        ]
        heading = f"automations with no counted run in {IDLE_DAYS} days ({len(rows)}):"
        parts.append(
            heading + "\n" + table(["automation", "status", "owners", "last counted run"], rows)
        )
    if found.still_running:
        rows = [
            [r.automation, str(r.runs), r.replaced_by or "-", " ".join(r.owners)]
            for r in found.still_running
        ]
        heading = f"deprecated automations that still run ({len(rows)}):"
        headers = ["automation", f"real runs ({IDLE_DAYS} days)", "replaced by", "owners"]
        parts.append(heading + "\n" + table(headers, rows))
    if found.stale_owners:
        rows = [
            [o.owner, _when(o.last_commit, now), " ".join(o.automations)]
            for o in found.stale_owners
        ]
        heading = f"owners with no commit in {OWNER_DAYS} days ({len(rows)}):"
        parts.append(heading + "\n" + table(["owner", "last commit", "automations"], rows))
    if not found.anything:
        parts.append("nothing stale")
    if found.teams:
        parts.append(f"not checked (a team): {' '.join(found.teams)}")
    return "\n\n".join(parts)  # names, owners and dates only: all checked metadata


def _when(moment: str | None, now: datetime) -> str:
    if moment is None:
        return "never"
    days = (now - datetime.fromisoformat(moment)).days
    return f"{moment[:10]} ({days} days ago)"
