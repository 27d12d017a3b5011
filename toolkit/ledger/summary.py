"""The ledger's records as figures: per automation and per month, for the catalog and reports.

Real runs are every run that did work for real, failed ones included (not examples, tests
or rehearsals; dry runs are never recorded). Hours saved come from counted runs only
(`toolkit.savings`): a real, successful run of committed files, with the minutes it
recorded when it ended. Windows ("the last 30 days") are measured back from `now`.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from typing import NamedTuple

from toolkit.ledger.record import LedgerRecord

WINDOWS = (30, 90, 365)
TREND_MONTHS = 12  # months shown in a trend chart
LATEST = 3  # the newest real runs whose statuses health is judged by
FAILURES = frozenset({"failed", "timeout", "lost"})  # the ends of a run that did not work


class LastRun(NamedTuple):
    status: str
    started_at: str


class RunFigures(NamedTuple):
    """One automation's runs, as the ledger tells them."""

    runs: dict[int, int]  # window in days -> real runs started in it
    successes_30_days: int
    last_run: LastRun | None  # the newest real run
    hours_30_days: float
    hours_total: float
    counted_total: int  # runs that counted as a saving, all time
    monthly_hours: dict[str, float]  # YYYY-MM -> hours saved that month
    monthly_runs: dict[str, int]  # YYYY-MM -> real runs that month
    latest: tuple[LastRun, ...] = ()  # the newest LATEST real runs, newest first
    last_success: str | None = None  # the start (UTC ISO text) of the newest successful run
    # The URL of an open `run-failure` issue of the automation, when one is known: the
    # ledger cannot tell, so `summarize` leaves it None for the issue tracker's reader.
    failure_issue: str | None = None

    @property
    def latest_statuses(self) -> tuple[str, ...]:
        """The statuses of the newest real runs (at most LATEST), newest first."""
        return tuple(run.status for run in self.latest)

    @property
    def failing(self) -> bool:
        """Whether each of the newest LATEST real runs failed (there are that many)."""
        return len(self.latest) == LATEST and all(run.status in FAILURES for run in self.latest)

    @property
    def runs_30_days(self) -> int:
        return self.runs[30]

    @property
    def success_rate_30_days(self) -> float | None:
        """The successful share of the real runs of the last 30 days (None: no runs)."""
        runs = self.runs[30]
        return round(self.successes_30_days / runs, 4) if runs else None


class LedgerSummary(NamedTuple):
    by_automation: dict[str, RunFigures]
    monthly_hours: dict[str, float]  # the whole shop: YYYY-MM -> hours saved
    unknown: dict[str, int]  # automations not in the repository -> their records
    in_the_future: int  # records that say they started after `now`
    records: int

    def figures(self, name: str) -> RunFigures | None:
        return self.by_automation.get(name)


def utc_text(started_at: str) -> str:
    """A record's start as UTC ISO text, so that starts compare as text."""
    if started_at.endswith("+00:00"):
        return started_at
    if started_at.endswith("Z"):
        return started_at[:-1] + "+00:00"
    moment = datetime.fromisoformat(started_at.replace("Z", "+00:00"))
    return moment.astimezone(UTC).isoformat(timespec="milliseconds")


def summarize(
    records: Iterable[LedgerRecord], known: Iterable[str], now: datetime | None = None
) -> LedgerSummary:
    """The figures of every automation in `known` (and a count for every unknown one)."""
    now = now or datetime.now(UTC)
    cutoffs = {days: (now - timedelta(days=days)).isoformat() for days in WINDOWS}
    present = now.isoformat()
    names = set(known)
    runs: dict[str, Counter[int]] = defaultdict(Counter)
    successes: Counter[str] = Counter()
    latest: dict[str, list[LastRun]] = defaultdict(list)  # newest first, LATEST at most
    last_success: dict[str, str] = {}
    hours_30: defaultdict[str, float] = defaultdict(float)
    minutes_total: defaultdict[str, float] = defaultdict(float)
    counted: Counter[str] = Counter()
    monthly: defaultdict[str, defaultdict[str, float]] = defaultdict(lambda: defaultdict(float))
    monthly_runs: dict[str, Counter[str]] = defaultdict(Counter)
    unknown: Counter[str] = Counter()
    future = total = 0
    year, quarter, month_ago = cutoffs[365], cutoffs[90], cutoffs[30]
    for record in records:
        total += 1
        started = record.started_at
        if not started.endswith("+00:00"):
            started = utc_text(started)
        future += started > present
        name = record.automation
        if name not in names:
            unknown[name] += 1
            continue
        if record.kind != "real":
            continue
        month = started[:7]
        monthly_runs[name][month] += 1
        recent = started >= month_ago
        if started >= year:
            windows = runs[name]
            windows[365] += 1
            if started >= quarter:
                windows[90] += 1
                if recent:
                    windows[30] += 1
                    if record.status == "success":
                        successes[name] += 1
        newest = latest[name]
        if len(newest) < LATEST or started > newest[-1].started_at:
            _keep_newest(newest, LastRun(record.status, started))
        if record.status == "success" and started > last_success.get(name, ""):
            last_success[name] = started
        if record.counts:
            minutes = record.minutes_saved
            counted[name] += 1
            minutes_total[name] += minutes
            monthly[name][month] += minutes
            if recent:
                hours_30[name] += minutes
    by_automation = {
        name: RunFigures(
            runs={days: runs[name][days] for days in WINDOWS},
            successes_30_days=successes[name],
            last_run=latest[name][0] if latest[name] else None,
            hours_30_days=_hours(hours_30[name]),
            hours_total=_hours(minutes_total[name]),
            counted_total=counted[name],
            monthly_hours={m: _hours(v) for m, v in sorted(monthly[name].items())},
            monthly_runs=dict(sorted(monthly_runs[name].items())),
            latest=tuple(latest[name]),
            last_success=last_success.get(name),
        )
        for name in sorted(set(monthly_runs))
    }
    shop: defaultdict[str, float] = defaultdict(float)
    for months in monthly.values():
        for month, minutes in months.items():
            shop[month] += minutes
    shop_hours = {m: _hours(v) for m, v in sorted(shop.items())}
    return LedgerSummary(by_automation, shop_hours, dict(unknown), future, total)


def _keep_newest(newest: list[LastRun], run: LastRun) -> None:
    """Put `run` into `newest` (newest first) and keep the LATEST newest runs only."""
    at = len(newest)
    while at and run.started_at > newest[at - 1].started_at:
        at -= 1
    newest.insert(at, run)
    del newest[LATEST:]


def _hours(minutes: float) -> float:
    return round(minutes / 60, 2)


def last_months(now: datetime, count: int = TREND_MONTHS) -> list[str]:
    """The `count` months up to `now`'s, oldest first, as YYYY-MM."""
    year, month = now.year, now.month
    months = []
    for _ in range(count):
        months.append(f"{year:04d}-{month:02d}")
        year, month = (year, month - 1) if month > 1 else (year - 1, 12)
    return months[::-1]
