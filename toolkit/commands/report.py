"""`autokit report`: what the automations did over a period, and the time they saved.

Per automation: its runs in the period from the run history (by outcome), the minutes
those successful runs saved (`time_saved_minutes` each), and, for scheduled automations,
the hours a month their schedule is expected to save.

Only real runs count: a run with an example's inputs (`--example`) shows how the
automation works and saves nobody any time, so it is left out and its number said; a dry
run (`--dry-run`) runs nothing and is never recorded.
"""

from __future__ import annotations

import argparse
import json
from collections import Counter
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta

from toolkit.catalog.impact import impact_of
from toolkit.commands.formats import add_format_argument
from toolkit.console import table
from toolkit.errors import ToolkitError
from toolkit.history import open_history
from toolkit.inventory import load_inventory
from toolkit.metadata import Automation
from toolkit.repo import Repository, repository_from_args


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--days", type=int, default=30, metavar="N", help="the period: the last N days (30)"
    )
    add_format_argument(parser, "text", "json")


@dataclass(frozen=True)
class ReportRow:
    name: str
    runs: int
    succeeded: int
    failed: int
    hours_saved: float
    scheduled_hours_per_month: float


@dataclass(frozen=True)
class Report:
    rows: list[ReportRow]
    example_runs: int  # runs in the period with an example's inputs, not counted


def run(args: argparse.Namespace) -> int:
    if args.days < 1:
        raise ToolkitError(f"--days must be at least 1, not {args.days}")
    report = build_report(repository_from_args(args), args.days)
    if args.format == "json":
        document = {
            "days": args.days,
            "automations": [asdict(r) for r in report.rows],
            "example_runs_not_counted": report.example_runs,
        }
        print(json.dumps(document, indent=2))
    else:
        print(render_table(report, args.days))
    return 0


def build_report(repo: Repository, days: int) -> Report:
    outcomes, example_runs = _outcomes_since(_days_ago(days))
    rows = [
        _report_row(automation, outcomes.get(automation.name, Counter()))
        for automation in load_inventory(repo).automations
    ]
    rows.sort(key=lambda r: (-r.hours_saved, -r.scheduled_hours_per_month, r.name))
    return Report(rows, example_runs)


def _days_ago(days: int) -> datetime:
    """The start of the period; a period longer than the calendar starts with it."""
    try:
        return datetime.now(UTC) - timedelta(days=days)
    except OverflowError:
        return datetime.min.replace(tzinfo=UTC)


def _outcomes_since(start: datetime) -> tuple[dict[str, Counter[str]], int]:
    """Automation name -> how many of its real runs since `start` ended in each status;
    and how many runs with an example's inputs were left out."""
    since = start.isoformat()
    with open_history() as history:
        records = [r for r in history.find(limit=None) if r.started_at >= since]
    outcomes: dict[str, Counter[str]] = {}
    examples = 0
    for record in records:
        if record.example is not None:
            examples += 1
            continue
        outcomes.setdefault(record.automation, Counter())[record.status] += 1
    return outcomes, examples


def _report_row(automation: Automation, counts: Counter[str]) -> ReportRow:
    minutes = counts["success"] * float(automation.time_saved_minutes)
    return ReportRow(
        name=automation.name,
        runs=sum(counts.values()),
        succeeded=counts["success"],
        failed=sum(counts.values()) - counts["success"] - counts["running"],
        hours_saved=round(minutes / 60, 2),
        scheduled_hours_per_month=round(impact_of(automation).hours_per_month, 2),
    )


def render_table(report: Report, days: int) -> str:
    rows = report.rows
    body = [
        [
            r.name,
            str(r.runs),
            str(r.succeeded),
            str(r.failed),
            f"{r.hours_saved:g}",
            f"{r.scheduled_hours_per_month:g}",
        ]
        for r in rows
    ]
    total = sum(r.hours_saved for r in rows)
    scheduled = sum(r.scheduled_hours_per_month for r in rows)
    headers = ["AUTOMATION", "RUNS", "OK", "FAILED", "HOURS SAVED", "SCHEDULED H/MONTH"]
    left_out = (
        f" ({report.example_runs} run(s) with an example's inputs not counted)"
        if report.example_runs
        else ""
    )
    return (
        f"{table(headers, body)}\n\nLast {days} days: {total:g} hours saved by "
        f"{sum(r.succeeded for r in rows)} successful run(s){left_out}; schedules save about "
        f"{scheduled:g} hours a month."
    )
