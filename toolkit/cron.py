"""Five-field cron expressions (minute hour day-of-month month day-of-week), in UTC.

This is the dialect GitHub Actions schedules accept: numbers, `*`, ranges `a-b`,
steps `*/n` and `a-b/n`, lists `a,b`, and month and weekday names.
"""

from __future__ import annotations

from dataclasses import dataclass

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
