"""`autokit report`: what the automations did over a period, and the time they saved.

Per automation: its runs in the period from the run history (by outcome), the minutes
those successful runs saved (`time_saved_minutes` each), and, for scheduled automations,
the hours a month their schedule is expected to save.
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


def run(args: argparse.Namespace) -> int:
    if args.days < 1:
        raise ToolkitError(f"--days must be at least 1, not {args.days}")
    rows = build_report(repository_from_args(args), args.days)
    if args.format == "json":
        print(json.dumps({"days": args.days, "automations": [asdict(r) for r in rows]}, indent=2))
    else:
        print(render_table(rows, args.days))
    return 0


def build_report(repo: Repository, days: int) -> list[ReportRow]:
    outcomes = _outcomes_since(datetime.now(UTC) - timedelta(days=days))
    rows = [
        _report_row(automation, outcomes.get(automation.name, Counter()))
        for automation in load_inventory(repo).automations
    ]
    return sorted(rows, key=lambda r: (-r.hours_saved, -r.scheduled_hours_per_month, r.name))


def _outcomes_since(start: datetime) -> dict[str, Counter[str]]:
    """Automation name -> how many of its runs since `start` ended in each status."""
    since = start.isoformat()
    with open_history() as history:
        records = [r for r in history.find(limit=None) if r.started_at >= since]
    outcomes: dict[str, Counter[str]] = {}
    for record in records:
        outcomes.setdefault(record.automation, Counter())[record.status] += 1
    return outcomes


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


def render_table(rows: list[ReportRow], days: int) -> str:
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
    return (
        f"{table(headers, body)}\n\nLast {days} days: {total:g} hours saved by "
        f"{sum(r.succeeded for r in rows)} successful run(s); schedules save about "
        f"{scheduled:g} hours a month."
    )
