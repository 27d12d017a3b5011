"""`autokit report`: what everyone's runs did over a period, and the time they saved.

It reads everyone's runs: the shared run ledger as this clone has it (the ledger branch,
`autokit/runs` by default, and its copies from remotes) plus this machine's runs of the
repository not sent yet, each run once. Without a ledger branch in the clone it reports
this machine's unsent runs alone and says how to get the ledger (`autokit runs pull`).
A ledger file that is not a run record is skipped with a warning on stderr naming it.

Runs are grouped `--by automation` (the default), `department` (the automation's
metadata now; "unknown automation" for one the repository no longer has), `person` (who
started it; nobody for a schedule or where the shop records nobody) or `month` (UTC).
Per group: real runs (failed ones included), how many succeeded and failed (failed, timed
out, cancelled or lost) and the failed share, the runs that counted as a saving and the
hours they saved (the minutes each recorded when it ended; `toolkit.savings`), and, by
automation, the hours a month its schedule is expected to save. Example, test and
rehearsal runs save nobody any time: they are left out and their number said.

`--format json` prints one document with these keys:

    days          the period in days, as given (capped at 999999999)
    since         the period's start, UTC ISO text; null: all time
    by            automation, department, person or month
    groups        one object per group:
        group                  the automation, department, person (null: nobody
                               recorded) or month (YYYY-MM)
        runs                   real runs, failed ones included
        succeeded, failed      of those runs
        failure_share          failed / runs, 0 to 1 (null: no runs)
        counted                runs that counted as a saving
        hours_saved            their minutes saved / 60
      and with --by automation only:
        department             its department; "unknown automation" when not in the repository
        in_repository          false for an automation the repository does not have
        scheduled_hours_per_month   the estimate from its schedule (0 without one)
      and with --by person only, their credit in the period from Git (`.mailmap`
      applied) and the ledger (`toolkit.catalog.recognition`; the ledger's person is
      joined to the Git identity of the same name; a credited person who started no run
      has a group of their own, with no runs):
        handles                GitHub handles surely theirs ("@alice"), as owners name them
        authored               automations whose folder's first commit is theirs
        maintained             automations naming them in owners (now)
        versions_shipped       version tags whose last change before the tag is theirs
        their_hours_saved      hours saved by the automations they authored or maintain
        colleagues_helped      authors of automations they changed without owning them
        help_changes           those commits
        ideas_submitted        ideas they opened (with --ideas FILE, the ideas file)
        ideas_built            of those, the ones built into an automation
        badges                 ids of the badges earned, on all-time figures
    left_out      {"example": n, "test": n, "rehearsal": n}: runs in the period not counted
    totals        runs, succeeded, failed, failure_share, counted, hours_saved of every
                  group, and scheduled_hours_per_month of every automation
    ledger        {"found": bool, "branch": name, "problems": [warnings naming files]}

`--format csv` prints a header row (the group's column is named after `--by`, then the
group keys above) and one row per group, with no totals row; a list is one cell, its
items separated by spaces. With `leaderboard = false` in [tool.autokit], `--by person`
lists people alphabetically.
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from toolkit.catalog.impact import impact_of
from toolkit.catalog.recognition import (
    Person,
    Window,
    Work,
    credit,
    earned,
    leaderboard_setting,
)
from toolkit.commands.formats import add_format_argument
from toolkit.console import printable, table
from toolkit.inventory import load_inventory, warn_about_invalid
from toolkit.ledger.record import LedgerRecord
from toolkit.ledger.sharing import everyones_runs, settings_of
from toolkit.ledger.summary import utc_text
from toolkit.metadata import Automation
from toolkit.repo import Repository, repository_from_args

GROUPINGS = ("automation", "department", "person", "month")
NOT_REAL = ("example", "test", "rehearsal")
UNKNOWN_AUTOMATION = "unknown automation"  # the department of an automation not in the repository
NOBODY = "(nobody recorded)"  # a run started by a schedule, or where the shop records nobody
MOST_DAYS = 999_999_999  # timedelta's limit; any longer period is all time as well
_WHY_LEFT_OUT = {"example": "example", "test": "test (autokit test)", "rehearsal": "rehearsal"}


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.description = (
        "Runs by outcome and hours saved over a period, from the shared run ledger plus "
        "this machine's runs not sent yet."
    )
    parser.add_argument(
        "--by", choices=GROUPINGS, default="automation", help="group runs by this (automation)"
    )
    parser.add_argument(
        "--days",
        type=period_in_days,
        default=30,
        metavar="N",
        help="the period: the last N days (30); a very large N is all time",
    )
    parser.add_argument(
        "--ideas",
        type=Path,
        metavar="FILE",
        help="with --by person: the ideas file (`autokit ideas fetch`) whose authors are credited",
    )
    add_format_argument(
        parser, "text", "json", "csv", json="one document: days, by, groups, left_out, totals"
    )


def period_in_days(text: str) -> int:
    """`--days`: a positive whole number, capped where the calendar ends."""
    text = text.strip()
    digits = text.lstrip("0")
    if not (text.isascii() and text.isdigit()) or not digits:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not a positive whole number of days (e.g. --days 30)"
        )
    # int() refuses very long digit strings; a period that long is all time anyway.
    return MOST_DAYS if len(digits) > len(str(MOST_DAYS)) else min(int(digits), MOST_DAYS)


@dataclass(frozen=True)
class Group:
    """One group's figures; the last three are --by automation's alone."""

    group: str | None
    runs: int
    succeeded: int
    counted: int
    hours_saved: float
    department: str | None = None
    in_repository: bool = True
    scheduled_hours_per_month: float | None = None
    credit: Person | None = None  # --by person: what Git and the ledger credit them with

    @property
    def failed(self) -> int:
        return self.runs - self.succeeded

    @property
    def failure_share(self) -> float | None:
        return round(self.failed / self.runs, 4) if self.runs else None

    def figures(self) -> dict[str, Any]:
        return {
            "runs": self.runs,
            "succeeded": self.succeeded,
            "failed": self.failed,
            "failure_share": self.failure_share,
            "counted": self.counted,
            "hours_saved": self.hours_saved,
        }

    def to_dict(self, by: str) -> dict[str, Any]:
        data: dict[str, Any] = {"group": self.group, **self.figures()}
        if by == "automation":
            data["department"] = self.department
            data["in_repository"] = self.in_repository
            data["scheduled_hours_per_month"] = self.scheduled_hours_per_month
        if by == "person":
            data.update(credit_figures(self.credit))
        return data


CREDIT_KEYS = (
    "handles",
    "authored",
    "maintained",
    "versions_shipped",
    "their_hours_saved",
    "colleagues_helped",
    "help_changes",
    "ideas_submitted",
    "ideas_built",
    "badges",
)


def credit_figures(person: Person | None) -> dict[str, Any]:
    """A person's credit (`toolkit.catalog.recognition`): zeros for nobody, or for someone
    known only from the ledger."""
    if person is None:
        person = Person("", "")
    return {
        "handles": [f"@{handle}" for handle in person.handles],
        "authored": sorted(person.authored),
        "maintained": sorted(person.maintained),
        "versions_shipped": person.versions,
        "their_hours_saved": person.hours,
        "colleagues_helped": person.colleagues_helped,
        "help_changes": person.help_changes,
        "ideas_submitted": person.ideas_submitted,
        "ideas_built": person.ideas_built,
        "badges": [badge.id for badge in person.badges],
    }


@dataclass(frozen=True)
class Report:
    days: int
    since: str | None  # None: all time
    by: str
    groups: list[Group]
    left_out: dict[str, int]
    totals: Group  # every group's figures together (group None)
    ledger_found: bool
    ledger_branch: str
    problems: list[str]

    def to_dict(self) -> dict[str, Any]:
        totals = {
            **self.totals.figures(),
            "scheduled_hours_per_month": self.totals.scheduled_hours_per_month,
        }
        return {
            "days": self.days,
            "since": self.since,
            "by": self.by,
            "groups": [group.to_dict(self.by) for group in self.groups],
            "left_out": self.left_out,
            "totals": totals,
            "ledger": {
                "found": self.ledger_found,
                "branch": self.ledger_branch,
                "problems": self.problems,
            },
        }


def run(args: argparse.Namespace) -> int:
    report = build_report(repository_from_args(args), args.by, args.days, ideas=args.ideas)
    for problem in report.problems:
        print(f"warning: ledger file {printable(problem)}", file=sys.stderr)
    if args.format == "json":
        print(json.dumps(report.to_dict(), indent=2))
    elif args.format == "csv":
        write_csv(report)
    else:
        print(render_table(report))
    if not report.ledger_found:
        print(no_ledger_line(report), file=sys.stdout if args.format == "text" else sys.stderr)
    return 0


# Building


def build_report(
    repo: Repository,
    by: str,
    days: int,
    now: datetime | None = None,
    ideas: Path | None = None,
) -> Report:
    inventory = load_inventory(repo)
    warn_about_invalid(inventory)
    known = inventory.by_name()
    everyone = everyones_runs(repo)
    since = _start_of(days, now or datetime.now(UTC))
    tallies, left_out = tally(everyone.records, _key_of(by, known), since)
    groups = _groups(by, tallies, known)
    if by == "person":
        groups = _credited(repo, groups, everyone.records, known, since, ideas)
    scheduled = sum(impact_of(automation).hours_per_month for automation in known.values())
    branch = settings_of(repo).branch
    return Report(
        days=days,
        since=since,
        by=by,
        groups=groups,
        left_out=left_out,
        totals=_totals(tallies.values(), scheduled),
        ledger_found=everyone.ledger.found,
        ledger_branch=branch,
        problems=everyone.ledger.problems,
    )


def _start_of(days: int, now: datetime) -> str | None:
    """The period's start as UTC text (records' starts compare with it as text);
    None when the period starts before the calendar does."""
    try:
        return (now - timedelta(days=days)).isoformat()
    except OverflowError:
        return None


Key = Callable[[LedgerRecord, str], "str | None"]
Tally = list[Any]  # [runs, succeeded, counted, minutes saved]


def _key_of(by: str, known: dict[str, Automation]) -> Key:
    """The group of a record, given the record and its start as UTC text."""
    if by == "department":
        departments = {name: automation.department for name, automation in known.items()}
        return lambda record, _: departments.get(record.automation, UNKNOWN_AUTOMATION)
    if by == "person":
        return lambda record, _: record.who
    if by == "month":
        return lambda _, started: started[:7]
    return lambda record, _: record.automation


def tally(
    records: Iterable[LedgerRecord], key_of: Key, since: str | None
) -> tuple[dict[str | None, Tally], dict[str, int]]:
    """One pass over the records: each group's tally of real runs since `since`, and how
    many runs of each kind that is not real were left out."""
    tallies: dict[str | None, Tally] = {}
    left_out = dict.fromkeys(NOT_REAL, 0)
    for record in records:
        started = record.started_at
        if not started.endswith("+00:00"):  # almost every record is UTC already
            started = started[:-1] + "+00:00" if started[-1] == "Z" else utc_text(started)
        if since is not None and started < since:
            continue
        if record.kind != "real":
            left_out[record.kind] += 1
            continue
        key = key_of(record, started)
        figures = tallies.get(key)
        if figures is None:
            figures = tallies[key] = [0, 0, 0, 0.0]
        figures[0] += 1
        if record.status == "success":
            figures[1] += 1
        if record.counts:
            figures[2] += 1
            figures[3] += record.minutes_saved
    return tallies, left_out


def _group(key: str | None, figures: Tally, **extra: Any) -> Group:
    runs, succeeded, counted, minutes = figures
    return Group(key, runs, succeeded, counted, _hours(minutes), **extra)


def _hours(minutes: float) -> float:
    return round(minutes / 60, 2)


def _groups(by: str, tallies: dict[str | None, Tally], known: dict[str, Automation]) -> list[Group]:
    if by == "automation":
        return _automation_groups(tallies, known)
    if by == "department":
        for automation in known.values():  # every department, those without runs too
            tallies.setdefault(automation.department, [0, 0, 0, 0.0])
    groups = [_group(key, figures) for key, figures in tallies.items()]
    if by == "month":
        return sorted(groups, key=lambda g: g.group or "")
    return sorted(groups, key=lambda g: (-g.hours_saved, -g.runs, g.group is None, g.group or ""))


def _credited(
    repo: Repository,
    groups: list[Group],
    records: list[LedgerRecord],
    known: dict[str, Automation],
    since: str | None,
    ideas_path: Path | None = None,
) -> list[Group]:
    """The person groups with each one's credit in the period, joined by name (the ledger
    records the Git identity's name), and a group for each credited person who started
    no run; badges are earned on all-time figures."""
    from toolkit.catalog.model import read_history  # Git's history: --by person only
    from toolkit.catalog.recognition import idea_credits
    from toolkit.ideas.model import read_ideas

    ideas = idea_credits(read_ideas(ideas_path), known) if ideas_path else []
    ranked = leaderboard_setting(repo)
    history = read_history(repo.root)
    works = [
        Work(name, tuple(a.owners), history.commits.get(name, []), history.tags.get(name, []))
        for name, a in known.items()
    ]
    start = None if since is None else datetime.fromisoformat(since)
    hours = _hours_by_automation(records, known, since)
    people = credit(works, Window(since=start), hours, ideas)
    every_hour = _hours_by_automation(records, known)
    all_time = {p.key: p for p in credit(works, Window(), every_hour, ideas)}
    by_name = {group.group: group for group in groups}
    credited = []
    for person in people:
        if not (person.active or person.maintained):
            continue
        person.badges = earned(all_time[person.key])
        group = by_name.pop(person.name, None) or Group(person.name, 0, 0, 0, 0.0)
        credited.append(replace(group, credit=person))
    joined = credited + list(by_name.values())
    if not ranked:
        return sorted(joined, key=lambda g: (g.group is None, (g.group or "").casefold()))
    return sorted(joined, key=lambda g: (-g.hours_saved, -g.runs, g.group is None, g.group or ""))


def _hours_by_automation(
    records: list[LedgerRecord], known: dict[str, Automation], since: str | None = None
) -> dict[str, float]:
    tallies, _ = tally(records, _key_of("automation", known), since)
    return {str(name): _hours(figures[3]) for name, figures in tallies.items()}


def _automation_groups(
    tallies: dict[str | None, Tally], known: dict[str, Automation]
) -> list[Group]:
    groups = [
        _group(
            name,
            tallies.get(name, [0, 0, 0, 0.0]),
            department=automation.department,
            scheduled_hours_per_month=round(impact_of(automation).hours_per_month, 2),
        )
        for name, automation in known.items()
    ]
    groups += [
        _group(name, figures, department=UNKNOWN_AUTOMATION, in_repository=False)
        for name, figures in tallies.items()
        if name not in known
    ]
    return sorted(
        groups,
        key=lambda g: (-g.hours_saved, -(g.scheduled_hours_per_month or 0), g.group or ""),
    )


def _totals(tallies: Iterable[Tally], scheduled: float) -> Group:
    runs = succeeded = counted = 0
    minutes = 0.0
    for figures in tallies:
        runs, succeeded = runs + figures[0], succeeded + figures[1]
        counted, minutes = counted + figures[2], minutes + figures[3]
    return Group(
        None,
        runs,
        succeeded,
        counted,
        _hours(minutes),
        scheduled_hours_per_month=round(scheduled, 2),
    )


# Showing


def label(group: Group) -> str:
    """A group's name as shown: nobody recorded, or its (escaped) name."""
    if group.group is None:
        return NOBODY
    return printable(group.group)


def _share(share: float | None) -> str:
    return "-" if share is None else f"{round(share * 100, 1):g}%"


def render_table(report: Report) -> str:
    by_automation = report.by == "automation"
    headers = [report.by.upper()]
    headers += ["DEPARTMENT"] if by_automation else []
    headers += ["RUNS", "OK", "FAILED", "FAILED %", "COUNTED", "HOURS SAVED"]
    headers += ["SCHEDULED H/MONTH"] if by_automation else []
    headers += CREDIT_HEADERS if report.by == "person" else []
    body = [_table_row(report, group) for group in report.groups]
    lines = [table(headers, body), ""]
    if any(not group.in_repository for group in report.groups):
        lines.append(
            "* not an automation of this repository (removed or renamed): "
            "its runs are shown under its name"
        )
    lines.append(closing_line(report))
    return "\n".join(lines)


def _table_row(report: Report, group: Group) -> list[str]:
    name = label(group) + ("" if group.in_repository else " *")
    row = [name]
    if report.by == "automation":
        row.append(printable(group.department or ""))
    row += [
        str(group.runs),
        str(group.succeeded),
        str(group.failed),
        _share(group.failure_share),
        str(group.counted),
        f"{group.hours_saved:g}",
    ]
    if report.by == "automation":
        scheduled = group.scheduled_hours_per_month
        row.append("-" if scheduled is None else f"{scheduled:g}")
    if report.by == "person":
        row += _credit_cells(credit_figures(group.credit))
    return row


CREDIT_HEADERS = ["AUTHORED", "MAINTAINED", "VERSIONS", "THEIR HOURS", "HELPED", "BADGES"]


def _credit_cells(figures: dict[str, Any]) -> list[str]:
    return [
        str(len(figures["authored"])),
        str(len(figures["maintained"])),
        str(figures["versions_shipped"]),
        f"{figures['their_hours_saved']:g}",
        str(figures["colleagues_helped"]),
        ",".join(figures["badges"]) or "-",
    ]


def closing_line(report: Report) -> str:
    totals = report.totals
    period = "All time" if report.since is None else f"Last {report.days} days"
    line = (
        f"{period}: {totals.hours_saved:g} hours saved by {totals.counted} counted run(s); "
        f"{totals.runs} real run(s), {totals.failed} failed ({_share(totals.failure_share)})."
    )
    left_out = [f"{n} {_WHY_LEFT_OUT[kind]}" for kind, n in report.left_out.items() if n]
    if left_out:
        line += f" Left out, as they save nobody any time: {', '.join(left_out)} run(s)."
    if report.by == "automation":
        line += f" Schedules save about {totals.scheduled_hours_per_month or 0:g} hours a month."
    return line


def no_ledger_line(report: Report) -> str:
    return (
        f"The shared run ledger (branch {report.ledger_branch}) was not found in this clone: "
        "only this machine's runs not sent yet are counted; `autokit runs pull` fetches it."
    )


def write_csv(report: Report) -> None:
    by_automation = report.by == "automation"
    header = [report.by]
    header += ["department", "in_repository"] if by_automation else []
    header += ["runs", "succeeded", "failed", "failure_share", "counted", "hours_saved"]
    header += ["scheduled_hours_per_month"] if by_automation else []
    header += list(CREDIT_KEYS) if report.by == "person" else []
    writer = csv.writer(sys.stdout, lineterminator="\n")
    writer.writerow(header)
    for group in report.groups:
        row: list[object] = [_cell(label(group))]
        if by_automation:
            row += [_cell(group.department or ""), str(group.in_repository).lower()]
        share = "" if group.failure_share is None else group.failure_share
        row += [group.runs, group.succeeded, group.failed, share, group.counted]
        row.append(group.hours_saved)
        if by_automation:
            row.append(group.scheduled_hours_per_month)
        if report.by == "person":
            figures = credit_figures(group.credit)
            row += [_cell(" ".join(v)) if isinstance(v, list) else v for v in figures.values()]
        writer.writerow(row)


def _cell(text: str) -> str:
    """Text a spreadsheet shows as text: one starting like a formula is quoted with `'`."""
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text
