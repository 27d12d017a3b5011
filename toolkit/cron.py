"""Five-field cron expressions (minute hour day-of-month month day-of-week), in UTC.

This is the dialect GitHub Actions schedules accept: numbers, `*`, ranges `a-b`,
steps `*/n`, `a/n` and `a-b/n`, lists `a,b`, and month and weekday names. Weekdays run
0-6 from Sunday, and 7 is Sunday too (`1-7` and `MON-SUN` are every day). Only ASCII is
read: a digit is 0-9, and fields are separated by spaces or tabs.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache
from itertools import pairwise

_MONTHS = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"]
_WEEKDAYS = ["sun", "mon", "tue", "wed", "thu", "fri", "sat"]
_DIGITS = re.compile(r"[0-9]{1,4}")  # more digits than any field holds are out of range
_SEPARATORS = re.compile(r"[ \t]+")
_LONGEST_MONTH = (31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)

# (name, lowest, highest, names for values)
FIELDS: tuple[tuple[str, int, int, list[str]], ...] = (
    ("minute", 0, 59, []),
    ("hour", 0, 23, []),
    ("day of month", 1, 31, []),
    ("month", 1, 12, _MONTHS),
    ("day of week", 0, 6, _WEEKDAYS),
)
WEEKDAY = "day of week"
SUNDAY_AGAIN = 7  # the other number of Sunday, allowed wherever a weekday is


class CronError(ValueError):
    pass


@dataclass(frozen=True)
class Cron:
    """A parsed expression: the set of allowed values of each field (Sunday is 0)."""

    expression: str
    minutes: frozenset[int]
    hours: frozenset[int]
    days: frozenset[int]
    months: frozenset[int]
    weekdays: frozenset[int]
    days_restricted: bool
    weekdays_restricted: bool


def parse(expression: str) -> Cron:
    unusual = next(
        (c for c in expression if not (c.isascii() and c.isprintable()) and c != "\t"), None
    )
    if unusual is not None:
        raise CronError(
            f"contains {unusual!r}; write ASCII digits 0-9, names, '*', '-', '/' and ','"
        )
    parts = _SEPARATORS.split(expression.strip(" \t"))
    if len(parts) != 5:
        count = 0 if parts == [""] else len(parts)
        raise CronError(
            f"has {count} fields; a cron expression has 5: minute hour day month weekday"
        )
    sets = [_parse_field(part, *spec) for part, spec in zip(parts, FIELDS, strict=True)]
    cron = Cron(
        expression=" ".join(parts),
        minutes=sets[0],
        hours=sets[1],
        days=sets[2],
        months=sets[3],
        weekdays=sets[4],
        days_restricted=parts[2] != "*",
        weekdays_restricted=parts[4] != "*",
    )
    _refuse_impossible_days(cron)
    return cron


def _refuse_impossible_days(cron: Cron) -> None:
    """A day-of-month no chosen month has (`31 4`, `30 2`) would never run."""
    if cron.weekdays_restricted and cron.days_restricted:
        return  # cron ORs the two: the weekdays still run
    longest = max(_LONGEST_MONTH[month - 1] for month in cron.months)
    if min(cron.days) > longest:
        months = _join(_MONTH_NAMES[m - 1] for m in sorted(cron.months))
        have = "has" if len(cron.months) == 1 else "have"
        raise CronError(f"never runs: {months} {have} no day {min(cron.days)}")


def _parse_field(text: str, name: str, low: int, high: int, names: list[str]) -> frozenset[int]:
    values: set[int] = set()
    for item in text.split(","):
        if not item:
            raise CronError(f"{name} {text!r} has an empty item; write values between commas")
        values.update(_parse_item(item, name, low, high, names))
    if name == WEEKDAY and SUNDAY_AGAIN in values:
        values = (values - {SUNDAY_AGAIN}) | {0}
    return frozenset(values)


def _parse_item(item: str, name: str, low: int, high: int, names: list[str]) -> range:
    base, slash, step_text = item.partition("/")
    step = 1
    if slash:
        if not step_text.isdigit() or not step_text.strip("0"):
            shown = _shown(step_text)
            raise CronError(f"{name} step {shown!r} after '/' must be a whole number from 1")
        if not _DIGITS.fullmatch(step_text):
            raise CronError(f"{name} step {_shown(step_text)} is larger than {low}-{high}")
        step = int(step_text)
    if base == "*":
        return range(low, high + 1, step)
    # Sunday's second number closes a weekday range: `5-7`, `MON-SUN`.
    top = SUNDAY_AGAIN if name == WEEKDAY else high
    if "-" in base:
        first, _, last = base.partition("-")
        start = _value(first, name, low, top, names)
        end = _value(last, name, low, top, names, closing=True)
        if start > end:
            raise CronError(f"{name} range {base!r} runs backwards; write the lower value first")
        return range(start, end + 1, step)
    start = _value(base, name, low, top, names)
    return range(start, max(start, high) + 1 if slash else start + 1, step)


def _value(
    text: str, name: str, low: int, high: int, names: list[str], *, closing: bool = False
) -> int:
    lowered = text.lower()
    if lowered in names:
        number = names.index(lowered) + (1 if name == "month" else 0)
        return SUNDAY_AGAIN if closing and name == WEEKDAY and number == 0 else number
    if not text:
        raise CronError(f"{name} has a '-' without a value on each side")
    if not text.isdigit():  # the expression is ASCII, so these are 0-9
        named = f" or a name such as {names[1]!r}" if names else ""
        raise CronError(f"{name} value {text!r} is not a number{named}")
    if not _DIGITS.fullmatch(text) or not low <= int(text) <= high:
        raise CronError(f"{name} value {_shown(text)} is outside {low}-{high}")
    return int(text)


def _shown(text: str) -> str:
    return text if len(text) <= 8 else text[:8] + "..."


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
    return _matches(cron, day.month, day.day, day.isoweekday() % 7)


def _matches(cron: Cron, month: int, day: int, weekday: int) -> bool:
    if month not in cron.months:
        return False
    in_days = day in cron.days
    in_weekdays = weekday in cron.weekdays
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


# The Gregorian calendar repeats every 400 years (146,097 days, a whole number of weeks).
_CYCLE_YEARS = 400


def runs_per_month(cron: Cron) -> float:
    """Average runs in a month, counted over a 400-year cycle of weekdays and leap years."""
    return _runs_per_month(cron.expression)


@lru_cache(maxsize=1024)
def _runs_per_month(expression: str) -> float:
    cron = parse(expression)
    days = sum(
        count
        for (month, day, weekday), count in _calendar_days().items()
        if _matches(cron, month, day, weekday)
    )
    return days * len(cron.hours) * len(cron.minutes) / (_CYCLE_YEARS * 12)


@lru_cache(maxsize=1)
def _calendar_days() -> Counter[tuple[int, int, int]]:
    """How often each (month, day, weekday) comes in one 400-year cycle."""
    months: Counter[tuple[int, int, int]] = Counter()  # (month, length, first weekday)
    for year in range(2000, 2000 + _CYCLE_YEARS):
        for month in range(1, 13):
            first = date(year, month, 1)
            following = date(year + month // 12, month % 12 + 1, 1)
            months[(month, (following - first).days, first.isoweekday() % 7)] += 1
    days: Counter[tuple[int, int, int]] = Counter()
    for (month, length, first_weekday), count in months.items():
        for day in range(1, length + 1):
            days[(month, day, (first_weekday + day - 1) % 7)] += count
    return days


def shortest_gap_minutes(cron: Cron) -> int | None:
    """The fewest minutes between two consecutive runs, or None when runs are a day apart
    or more. Runs on one day are all the day's times; the gap across midnight counts only
    when the schedule runs on two days in a row."""
    return _shortest_gap_minutes(cron.expression)


@lru_cache(maxsize=1024)
def _shortest_gap_minutes(expression: str) -> int | None:
    cron = parse(expression)
    times = sorted(h * 60 + m for h in cron.hours for m in cron.minutes)
    if len(times) < 2:
        return None
    gaps = [later - earlier for earlier, later in pairwise(times)]
    overnight = times[0] + 24 * 60 - times[-1]
    if overnight < min(gaps) and _runs_two_days_in_a_row(cron):
        gaps.append(overnight)
    return min(gaps)


def _runs_two_days_in_a_row(cron: Cron) -> bool:
    # 28 years from 2024 hold every (date, weekday) pair and every turn of a month or year.
    day, end = date(2024, 1, 1), date(2052, 1, 1)
    today = day_matches(cron, day)
    while day < end:
        day += timedelta(days=1)
        tomorrow = day_matches(cron, day)
        if today and tomorrow:
            return True
        today = tomorrow
    return False


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
    step = _step(minutes, 60)
    if every_hour and len(minutes) == 60:
        return "every minute"
    if every_hour and step:
        return f"every {step} minutes"
    if every_hour:
        return f"every hour at minute {_join([str(m) for m in minutes])}"
    if len(minutes) * len(hours) <= 6:
        return "at " + _join([f"{h:02d}:{m:02d}" for h in hours for m in minutes])
    hour_step = _step(hours, 24)
    when = f"every {hour_step} hours" if hour_step else "in hours " + _join(_ranges(cron.hours))
    spans = _spans(cron.hours)
    if (len(minutes) == 60 or step) and len(spans) <= 3:
        # Every minute (or every n minutes) of a few stretches of hours: say the windows.
        every = "every minute" if len(minutes) == 60 else f"every {step} minutes"
        windows = [f"from {a:02d}:00 to {b:02d}:{minutes[-1]:02d}" for a, b in spans]
        return f"{every} {_join(windows)}"
    if len(minutes) == 60:
        return f"every minute of {when.removeprefix('in ')}"
    if len(minutes) == 1:
        return f"{when} at minute {minutes[0]}"
    return f"{when}, at minutes {_join(_ranges(cron.minutes))}"


def _describe_days(cron: Cron) -> str:
    every_weekday = cron.weekdays == frozenset(range(7))
    every_day = cron.days == frozenset(range(1, 32))
    if cron.days_restricted and cron.weekdays_restricted and (every_weekday or every_day):
        return ""  # ORed with every day: every day
    weekdays = ""
    if cron.weekdays_restricted and not every_weekday:
        # Monday first, so that a week's end reads 'Saturday and Sunday'.
        positions = frozenset((d - 1) % 7 for d in cron.weekdays)
        weekdays = "on " + _join(_ranges(positions, lambda p: _WEEKDAY_NAMES[(p + 1) % 7]))
    days = ""
    if cron.days_restricted and not every_day:
        days = "on day " + _join(_ranges(cron.days)) + " of the month"
    if days and weekdays:
        return f"{days} or {weekdays}"  # cron runs on either
    return days or weekdays


def _spans(values: frozenset[int]) -> list[tuple[int, int]]:
    """Sorted values as (first, last) runs of consecutive numbers."""
    spans: list[list[int]] = []
    for value in sorted(values):
        if spans and value == spans[-1][1] + 1:
            spans[-1][1] = value
        else:
            spans.append([value, value])
    return [(first, last) for first, last in spans]


def _step(values: list[int], size: int) -> int | None:
    """The step when `values` are 0, n, 2n... covering the whole field evenly."""
    if len(values) < 2 or values[0] != 0:
        return None
    step = values[1] - values[0]
    return step if values == list(range(0, size, step)) else None


def _ranges(values: frozenset[int], label: Callable[[int], str] = str) -> list[str]:
    """Sorted values as labels, runs of three or more written 'first through last'."""
    words: list[str] = []
    for first, last in _spans(values):
        if last - first >= 2:
            words.append(f"{label(first)} through {label(last)}")
        else:
            words.extend(label(value) for value in range(first, last + 1))
    return words


def _join(items: Iterable[str]) -> str:
    words = [str(item) for item in items]
    if len(words) <= 1:
        return "".join(words)
    return ", ".join(words[:-1]) + " and " + words[-1]
