"""Five-field cron expressions (minute hour day-of-month month day-of-week), in UTC.

This is the dialect GitHub Actions schedules accept: numbers, `*`, ranges `a-b`,
steps `*/n` and `a-b/n`, lists `a,b`, and month and weekday names.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache

_MONTHS = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"]
_WEEKDAYS = ["sun", "mon", "tue", "wed", "thu", "fri", "sat"]

# (name, lowest, highest, names for values)
FIELDS: tuple[tuple[str, int, int, list[str]], ...] = (
    ("minute", 0, 59, []),
    ("hour", 0, 23, []),
    ("day of month", 1, 31, []),
    ("month", 1, 12, _MONTHS),
    ("day of week", 0, 6, _WEEKDAYS),
)


class CronError(ValueError):
    pass


@dataclass(frozen=True)
class Cron:
    """A parsed expression: the set of allowed values of each field."""

    expression: str
    minutes: frozenset[int]
    hours: frozenset[int]
    days: frozenset[int]
    months: frozenset[int]
    weekdays: frozenset[int]
    days_restricted: bool
    weekdays_restricted: bool


def parse(expression: str) -> Cron:
    parts = expression.split()
    if len(parts) != 5:
        raise CronError(
            f"has {len(parts)} fields; a cron expression has 5: minute hour day month weekday"
        )
    sets = [_parse_field(part, *spec) for part, spec in zip(parts, FIELDS, strict=True)]
    return Cron(
        expression=" ".join(parts),
        minutes=sets[0],
        hours=sets[1],
        days=sets[2],
        months=sets[3],
        weekdays=sets[4],
        days_restricted=parts[2] != "*",
        weekdays_restricted=parts[4] != "*",
    )


def _value(text: str, name: str, low: int, high: int, names: list[str]) -> int:
    lowered = text.lower()
    if lowered in names:
        return names.index(lowered) + (1 if name == "month" else 0)
    if not text.isdigit():
        raise CronError(f"{name} value {text!r} is not a number")
    number = int(text)
    if name == "day of week" and number == 7:
        return 0  # 7 is Sunday too
    if not low <= number <= high:
        raise CronError(f"{name} value {number} is outside {low}-{high}")
    return number


def _parse_field(text: str, name: str, low: int, high: int, names: list[str]) -> frozenset[int]:
    values: set[int] = set()
    for item in text.split(","):
        base, _, step_text = item.partition("/")
        step = 1
        if step_text:
            if not step_text.isdigit() or int(step_text) == 0:
                raise CronError(f"{name} step {step_text!r} must be a positive number")
            step = int(step_text)
        if base == "*":
            start, end = low, high
        elif "-" in base:
            first, _, last = base.partition("-")
            start = _value(first, name, low, high, names)
            end = _value(last, name, low, high, names)
            if start > end:
                raise CronError(f"{name} range {base!r} runs backwards")
        else:
            start = _value(base, name, low, high, names)
            end = high if step_text else start
        values.update(range(start, end + 1, step))
    return frozenset(values)


# ---------------------------------------------------------------------------
# Reading a schedule: plain English, upcoming runs, runs per month

_WEEKDAY_NAMES = ["Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"]
_MONTH_NAMES = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
]


def day_matches(cron: Cron, day: date) -> bool:
    """Whether `cron` runs on `day` (cron ORs day-of-month and weekday when both are set)."""
    if day.month not in cron.months:
        return False
    in_days = day.day in cron.days
    in_weekdays = (day.isoweekday() % 7) in cron.weekdays
    if cron.days_restricted and cron.weekdays_restricted:
        return in_days or in_weekdays
    return in_days and in_weekdays


def next_runs(cron: Cron, after: datetime, count: int = 3) -> list[datetime]:
    """The next `count` run times strictly after `after` (UTC), searching up to ~5 years."""
    start = after.astimezone(UTC).replace(second=0, microsecond=0, tzinfo=UTC)
    times = sorted((h, m) for h in cron.hours for m in cron.minutes)
    runs: list[datetime] = []
    day = start.date()
    for _ in range(366 * 5):
        if day_matches(cron, day):
            for hour, minute in times:
                moment = datetime(day.year, day.month, day.day, hour, minute, tzinfo=UTC)
                if moment > start:
                    runs.append(moment)
                    if len(runs) == count:
                        return runs
        day += timedelta(days=1)
    return runs


def runs_per_month(cron: Cron) -> float:
    """Average runs in a month, counted over a 400-year cycle of weekdays and leap years."""
    return _runs_per_month(cron.expression)


@lru_cache(maxsize=1024)
def _runs_per_month(expression: str) -> float:
    cron = parse(expression)
    per_day = len(cron.hours) * len(cron.minutes)
    # Four years hold every month length and leap day; weekdays average out within 0.5%.
    day, end, days = date(2024, 1, 1), date(2028, 1, 1), 0
    while day < end:
        days += day_matches(cron, day)
        day += timedelta(days=1)
    return days * per_day / 48


def describe(cron: Cron) -> str:
    """The schedule in plain English, e.g. 'at 08:00 on Monday through Friday (UTC)'."""
    parts = [_describe_time(cron)]
    days = _describe_days(cron)
    if days:
        parts.append(days)
    if cron.months != frozenset(range(1, 13)):
        parts.append("in " + _join(_ranges(cron.months, lambda m: _MONTH_NAMES[m - 1])))
    return " ".join(parts) + " (UTC)"


def _describe_time(cron: Cron) -> str:
    minutes, hours = sorted(cron.minutes), sorted(cron.hours)
    every_hour = len(hours) == 24
    if every_hour and len(minutes) == 60:
        return "every minute"
    step = _step(minutes, 60)
    if every_hour and step:
        return f"every {step} minutes"
    if every_hour:
        return f"every hour at minute {_join([str(m) for m in minutes])}"
    if len(minutes) * len(hours) <= 6:
        return "at " + _join([f"{h:02d}:{m:02d}" for h in hours for m in minutes])
    hour_step = _step(hours, 24)
    when = f"every {hour_step} hours" if hour_step else "in hours " + _join(map(str, hours))
    if len(minutes) == 1:
        return f"{when} at minute {minutes[0]}"
    return f"{when}, at minutes {_join([str(m) for m in minutes])}"


def _describe_days(cron: Cron) -> str:
    weekdays = ""
    if cron.weekdays_restricted:
        weekdays = "on " + _join(_ranges(cron.weekdays, _WEEKDAY_NAMES.__getitem__))
    days = ""
    if cron.days_restricted:
        days = "on day " + _join(_ranges(cron.days)) + " of the month"
    if days and weekdays:
        return f"{days} and {weekdays}"
    return days or weekdays or ""


def _step(values: list[int], size: int) -> int | None:
    """The step when `values` are 0, n, 2n... covering the whole field evenly."""
    if len(values) < 2 or values[0] != 0:
        return None
    step = values[1] - values[0]
    return step if values == list(range(0, size, step)) else None


def _ranges(values: frozenset[int], label: Callable[[int], str] = str) -> list[str]:
    """Sorted values as labels, runs of three or more written 'first through last'."""
    groups: list[list[int]] = []
    for value in sorted(values):
        if groups and value == groups[-1][-1] + 1:
            groups[-1].append(value)
        else:
            groups.append([value])
    words: list[str] = []
    for group in groups:
        if len(group) >= 3:
            words.append(f"{label(group[0])} through {label(group[-1])}")
        else:
            words.extend(label(value) for value in group)
    return words


def _join(items: Iterable[str]) -> str:
    words = [str(item) for item in items]
    if len(words) <= 1:
        return "".join(words)
    return ", ".join(words[:-1]) + " and " + words[-1]
