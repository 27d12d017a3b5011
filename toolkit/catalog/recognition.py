"""Recognition: what each person did for the shop's automations, and the badges it earns.

People are Git identities as `.mailmap` names them (`git.history` reads the log with
`--use-mailmap`), so one person who committed from two addresses counts once; the key
of a person is their address after `.mailmap`, without regard to case. Per person:

- authored: the automations whose folder's first commit is theirs;
- maintained: the automations listing their GitHub handle in `owners`. An identity has a
  handle only where that is sure: the rule of `toolkit.hygiene.handles_of` (the handle's
  noreply address, or the handle as name) and no other identity claims the same handle.
  An owner no identity claims is listed by handle alone; a team is not a person;
- versions shipped: tags `<name>@<version>` whose newest folder commit at or before the
  tag is theirs;
- hours saved: the measured hours (counted runs of the run ledger) of the automations
  they authored or maintain, each automation once;
- helped: commits to an automation's folder by someone who is neither its author nor one
  of its owners; the colleagues helped are the distinct authors of those automations;
- ideas: the ideas (issues of the ideas file) whose author's handle is theirs, by the
  same rule as owners, and how many of those were built.

Figures are counted in a window of time (`Window`): all time, or this month (UTC).
Badges are earned on all-time figures; "this month" shows the badges earned this month.
Everything here works on what the caller read (Git history once, ledger figures once).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import NamedTuple

from toolkit.git import Author, CommitInfo, VersionTag
from toolkit.hygiene import handle_of, handles_of
from toolkit.ideas.model import IdeasFile, built_ideas, with_built
from toolkit.metadata import Automation
from toolkit.repo import Repository, setting_error


class Work(NamedTuple):
    """One automation as credit needs it."""

    name: str
    owners: tuple[str, ...]
    commits: list[CommitInfo]  # newest first, names and addresses after `.mailmap`
    tags: list[VersionTag]


class IdeaCredit(NamedTuple):
    """One idea as credit needs it."""

    author: str  # the GitHub handle that opened the issue, without `@`
    built: bool
    created: str | None  # ISO time the issue was opened


def idea_credits(ideas: IdeasFile, automations: Mapping[str, Automation]) -> list[IdeaCredit]:
    """What recognition counts of each idea with an author: whose, built or not, when;
    an automation of `automations` recording `idea: N` makes idea N built."""
    built = built_ideas((name, a.idea) for name, a in automations.items())
    return [
        IdeaCredit(idea.author, idea.state == "built", idea.created)
        for idea in with_built(ideas.ideas, built)
        if idea.author
    ]


class Window(NamedTuple):
    """A span of time: from `since` (None: the start) up to, not including, `until`."""

    since: datetime | None = None
    until: datetime | None = None

    def holds(self, moment: str) -> bool:
        when = datetime.fromisoformat(moment)
        return (self.since is None or when >= self.since) and (
            self.until is None or when < self.until
        )


@dataclass(frozen=True)
class Badge:
    id: str
    title: str
    rule: str  # shown on hover and in the page's legend
    measure: str  # the `Person` property it is earned on
    at_least: float


BADGES = (
    Badge(
        "first-automation",
        "First automation",
        "Authored an automation that was merged: the first commit of its folder is theirs.",
        "authored_count",
        1,
    ),
    *(
        Badge(
            f"hours-{hours}",
            f"{hours:,} hours saved",
            f"The automations they authored or maintain saved {hours:,} measured hours "
            "(counted runs of the run ledger).",
            "hours",
            hours,
        )
        for hours in (10, 100, 1000)
    ),
    Badge(
        "five-releases",
        "5 releases",
        "Shipped 5 versions: tags <name>@<version> whose last change before the tag is theirs.",
        "versions",
        5,
    ),
    Badge(
        "idea-built",
        "Idea built",
        "An idea of theirs (an issue on the idea form) was built into an automation.",
        "ideas_built",
        1,
    ),
    Badge(
        "helped-3",
        "Helped 3 colleagues",
        "Changed the automations of 3 colleagues: commits to automations they neither "
        "authored nor own.",
        "colleagues_helped",
        3,
    ),
)


@dataclass
class Person:
    """One person's credit in a window."""

    key: str  # their address after `.mailmap` (lower case), or `@handle` for an owner only
    name: str  # as Git names them after `.mailmap`, or `@handle`
    handles: tuple[str, ...] = ()  # the owner handles (without `@`) that are surely theirs
    authored: list[str] = field(default_factory=list)
    maintained: list[str] = field(default_factory=list)
    versions: int = 0
    hours: float = 0.0
    helped: set[str] = field(default_factory=set)  # keys of the colleagues helped
    help_changes: int = 0  # commits to automations of others
    ideas_submitted: int = 0  # ideas they opened
    ideas_built: int = 0  # of those, the ones built into an automation
    badges: tuple[Badge, ...] = ()

    @property
    def authored_count(self) -> int:
        return len(self.authored)

    @property
    def colleagues_helped(self) -> int:
        return len(self.helped)

    @property
    def active(self) -> bool:
        """Whether the window holds anything of theirs to show."""
        return bool(self.authored or self.versions or self.hours or self.help_changes) or bool(
            self.ideas_submitted
        )


@dataclass
class Recognition:
    """The Contributors page's figures: all time and this month, ranked or alphabetical."""

    ranked: bool = True
    month: str = ""  # YYYY-MM (UTC) of "this month"
    all_time: list[Person] = field(default_factory=list)
    this_month: list[Person] = field(default_factory=list)  # badges: earned this month
    badges: tuple[Badge, ...] = BADGES


def leaderboard_setting(repo: Repository) -> bool:
    """`[tool.autokit] leaderboard` (default true): false lists people alphabetically."""
    value = repo.config.get("leaderboard", True)
    if not isinstance(value, bool):
        raise setting_error(
            repo.root / "pyproject.toml",
            "leaderboard",
            f"{value!r} is not true or false",
            "write leaderboard = false to list people alphabetically without ranks "
            "(or true, the default)",
        )
    return value


def recognize(
    works: list[Work],
    hours_total: Mapping[str, float],
    hours_month: Mapping[str, float],
    now: datetime,
    ranked: bool = True,
    ideas: Iterable[IdeaCredit] = (),
) -> Recognition:
    """All-time and this month's credit; hours are by automation (all time, this month)."""
    ideas = list(ideas)
    start = now.astimezone(UTC).replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    before = {name: hours - hours_month.get(name, 0.0) for name, hours in hours_total.items()}
    all_time = credit(works, Window(), hours_total, ideas)
    earlier = {p.key: p for p in credit(works, Window(until=start), before, ideas)}
    month = [p for p in credit(works, Window(since=start), hours_month, ideas) if p.active]
    for person in all_time:
        person.badges = earned(person)
    now_earned = {person.key: person.badges for person in all_time}
    for person in month:
        had = set(earned(earlier[person.key])) if person.key in earlier else set()
        person.badges = tuple(b for b in now_earned[person.key] if b not in had)
    order = ranking if ranked else alphabetical
    return Recognition(ranked, f"{start:%Y-%m}", order(all_time), order(month))


def earned(person: Person) -> tuple[Badge, ...]:
    return tuple(b for b in BADGES if getattr(person, b.measure) >= b.at_least)


def ranking(people: Iterable[Person]) -> list[Person]:
    """Most measured hours saved first, then automations authored and versions shipped,
    then colleagues helped."""
    return sorted(
        people,
        key=lambda p: (-p.hours, -(p.authored_count + p.versions), -p.colleagues_helped, p.name),
    )


def alphabetical(people: Iterable[Person]) -> list[Person]:
    return sorted(people, key=lambda p: (p.name.casefold(), p.key))


def credit(
    works: list[Work],
    window: Window,
    hours: Mapping[str, float],
    ideas: Iterable[IdeaCredit] = (),
) -> list[Person]:
    """Every person's figures in `window`: each Git identity that committed to an
    automation, and each person owner or idea author no identity claims."""
    people: dict[str, Person] = {}
    for work in works:
        for commit in work.commits:  # newest first: the newest spelling of a name wins
            key = commit.email.lower()
            if key not in people:
                people[key] = Person(key, commit.author)
    claims = _claims(people)
    owners_of = _owner_keys(works, people, claims)
    for work in works:
        _credit_work(work, window, people, owners_of[work.name], hours.get(work.name, 0.0))
    for idea in ideas:
        if idea.created is not None and not window.holds(idea.created):
            continue
        if idea.created is None and window.since is not None:
            continue  # an idea of no known date counts all time only
        person = _person_of(idea.author, claims, people)
        person.ideas_submitted += 1
        person.ideas_built += idea.built
    return list(people.values())


def _claims(people: Mapping[str, Person]) -> dict[str, set[str]]:
    """Handle -> the identities (keys) that surely are that handle."""
    claims: dict[str, set[str]] = {}
    for key, person in people.items():
        for claimed_handle in handles_of(Author(person.name, key, "")):
            claims.setdefault(claimed_handle, set()).add(key)
    return claims


def _person_of(handle: str, claims: Mapping[str, set[str]], people: dict[str, Person]) -> Person:
    """The one identity that surely is `handle`, else a person of their own, `@handle`."""
    claimed = claims.get(handle, set())
    key = next(iter(claimed)) if len(claimed) == 1 else f"@{handle}"
    person = people.setdefault(key, Person(key, f"@{handle}"))
    if handle not in person.handles:
        person.handles += (handle,)
    return person


def _owner_keys(
    works: list[Work], people: dict[str, Person], claims: Mapping[str, set[str]]
) -> dict[str, set[str]]:
    """The people (keys) behind each automation's person owners; an owner no identity
    surely is becomes a person of their own, keyed `@handle`."""
    owners: dict[str, set[str]] = {}
    for work in works:
        keys = owners.setdefault(work.name, set())
        for owner in work.owners:
            handle = handle_of(owner)
            if handle is None:
                continue  # a team is not a person
            person = _person_of(handle, claims, people)
            keys.add(person.key)
            if work.name not in person.maintained:
                person.maintained.append(work.name)
    return owners


def _credit_work(
    work: Work, window: Window, people: dict[str, Person], owners: set[str], hours: float
) -> None:
    commits = work.commits
    author = commits[-1].email.lower() if commits else None
    if author is not None and window.holds(commits[-1].date):
        people[author].authored.append(work.name)
    for tag in work.tags:
        shipper = _shipper(commits, tag)
        if shipper is not None and window.holds(tag.date):
            people[shipper].versions += 1
    for commit in commits:
        helper = commit.email.lower()
        if author and helper != author and helper not in owners and window.holds(commit.date):
            people[helper].help_changes += 1
            people[helper].helped.add(author)
    theirs = owners | ({author} if author else set())
    for who in theirs:
        people[who].hours = round(people[who].hours + hours, 2)


def _shipper(commits: list[CommitInfo], tag: VersionTag) -> str | None:
    """Who shipped a version: the author of the newest folder commit at or before its tag."""
    for commit in commits:
        if commit.sha == tag.commit:
            return commit.email.lower()
    moment = datetime.fromisoformat(tag.date)
    for commit in commits:  # newest first
        if datetime.fromisoformat(commit.date) <= moment:
            return commit.email.lower()
    return None
