"""What has gone stale: automations nobody's runs count for, deprecated ones still in use,
owners who stopped committing. `autokit doctor --owners` prints it; the catalog's Owners
pages mark it.

- An automation is idle when no run that counts as a saving (`toolkit.savings`) started
  in the last IDLE_DAYS days.
- A deprecated automation still runs when a real run of it (failed ones too) started in
  the last IDLE_DAYS days.
- An owner `@handle` is stale when no commit reachable from HEAD, authored by them,
  is dated within the last OWNER_DAYS days. A commit is theirs when its author, after
  `.mailmap` (`git log --use-mailmap`), has the GitHub noreply address of the handle
  (`handle@users.noreply.github.com` or `<id>+handle@users.noreply.github.com`) or the
  handle as name, both without regard to case. A shop whose people commit with a work
  address maps it in `.mailmap` to their noreply address or handle:
  `alice <alice@users.noreply.github.com> <alice@shop.example>`.
  A team (`@org/team`) is not a person: it is listed as not checked.

Everything here works on what the caller read (ledger records once, Git authors once).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import NamedTuple

from toolkit.git import Author
from toolkit.ledger.record import LedgerRecord
from toolkit.ledger.summary import utc_text
from toolkit.metadata import Automation

IDLE_DAYS = 90
OWNER_DAYS = 180
NOREPLY_DOMAIN = "users.noreply.github.com"


class Activity(NamedTuple):
    """One automation's runs in the ledger, as far as staleness needs them."""

    last_counted: str | None  # UTC ISO start of the newest counted run, ever
    real_recent: int  # real runs started in the last IDLE_DAYS days


class Idle(NamedTuple):
    automation: str
    status: str
    owners: tuple[str, ...]
    last_counted: str | None  # None: never


class StillRunning(NamedTuple):
    automation: str
    owners: tuple[str, ...]
    runs: int  # real runs in the last IDLE_DAYS days
    replaced_by: str | None


class StaleOwner(NamedTuple):
    owner: str
    last_commit: str | None  # None: no commit of theirs found
    automations: tuple[str, ...]


class Staleness(NamedTuple):
    idle: list[Idle]
    still_running: list[StillRunning]
    stale_owners: list[StaleOwner]
    teams: list[str]  # owners that are teams: not checked

    @property
    def anything(self) -> bool:
        return bool(self.idle or self.still_running or self.stale_owners)

    def stale_owner(self, owner: str) -> StaleOwner | None:
        key = owner.lower()
        return next((s for s in self.stale_owners if s.owner.lower() == key), None)

    def idle_names(self) -> frozenset[str]:
        return frozenset(idle.automation for idle in self.idle)


def activity(
    records: Iterable[LedgerRecord], names: Iterable[str], now: datetime
) -> dict[str, Activity]:
    """The activity of each automation of `names` that the records mention."""
    known = set(names)
    cutoff = (now - timedelta(days=IDLE_DAYS)).isoformat()
    counted: dict[str, str] = {}
    recent: dict[str, int] = {}
    for record in records:
        name = record.automation
        if name not in known or record.kind != "real":
            continue
        started = utc_text(record.started_at)
        recent.setdefault(name, 0)
        if started >= cutoff:
            recent[name] += 1
        if record.counts and started > counted.get(name, ""):
            counted[name] = started
    return {name: Activity(counted.get(name), recent[name]) for name in sorted(recent)}


def handle_of(owner: str) -> str | None:
    """The GitHub handle of a person owner (`@alice` -> `alice`); None for a team."""
    handle = owner.removeprefix("@")
    return None if "/" in handle else handle.lower()


def handles_of(author: Author) -> set[str]:
    """The handles a commit author can be (see the module doc), lower case."""
    found = {author.name.strip().lower()}
    local, _, domain = author.email.lower().rpartition("@")
    if domain == NOREPLY_DOMAIN and local:
        found.add(local.split("+", 1)[1] if "+" in local else local)
    return found


def last_commits(authors: Iterable[Author]) -> dict[str, datetime]:
    """Handle -> the date of its newest commit."""
    newest: dict[str, datetime] = {}
    for author in authors:
        moment = datetime.fromisoformat(author.last_commit)
        for handle in handles_of(author):
            if handle not in newest or moment > newest[handle]:
                newest[handle] = moment
    return newest


def staleness(
    automations: Iterable[Automation],
    activities: dict[str, Activity],
    authors: Iterable[Author],
    now: datetime,
) -> Staleness:
    """Every stale thing of the repository, each list sorted by name."""
    automations = sorted(automations, key=lambda a: a.name)
    cutoff = (now - timedelta(days=IDLE_DAYS)).isoformat()
    idle, running = [], []
    for automation in automations:
        seen = activities.get(automation.name, Activity(None, 0))
        if seen.last_counted is None or seen.last_counted < cutoff:
            idle.append(
                Idle(automation.name, automation.status, automation.owners, seen.last_counted)
            )
        if automation.status == "deprecated" and seen.real_recent:
            replaced_by = automation.deprecation.replaced_by if automation.deprecation else None
            running.append(
                StillRunning(automation.name, automation.owners, seen.real_recent, replaced_by)
            )
    stale, teams = _owners(automations, last_commits(authors), now)
    return Staleness(idle, running, stale, teams)


def _owners(
    automations: list[Automation], commits: dict[str, datetime], now: datetime
) -> tuple[list[StaleOwner], list[str]]:
    owned: dict[str, tuple[str, list[str]]] = {}  # lower case -> (as first written, names)
    for automation in automations:
        for owner in automation.owners:
            owned.setdefault(owner.lower(), (owner, []))[1].append(automation.name)
    cutoff = now - timedelta(days=OWNER_DAYS)
    stale, teams = [], []
    for owner, names in sorted(owned.values(), key=lambda item: item[0].lower()):
        handle = handle_of(owner)
        if handle is None:
            teams.append(owner)
            continue
        last = commits.get(handle)
        if last is None or last < cutoff:
            shown = last.isoformat() if last else None
            stale.append(StaleOwner(owner, shown, tuple(names)))
    return stale, teams
