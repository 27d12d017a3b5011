"""The hand-written cron reader against croniter, over thousands of generated expressions.

autokit keeps its own parser (it enforces GitHub's dialect, which croniter does not); this
test holds its fire times equal to croniter's over the dialect, leaving out two corners
where croniter is not a fair judge: a range of one value (`16-16`, `10-OCT`), which croniter
7 reads as the whole field, and day-of-month plus weekday where one of them starts with
`*` or covers its whole field, where croniter ORs or ANDs depending on the field. autokit
reads a field as unrestricted only when it is `*` itself; tests/test_cron.py holds those.
"""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import pytest

from toolkit import cron

croniter = pytest.importorskip("croniter").croniter

SEED = 20261213
EXPRESSIONS = 2000
STARTS = (
    datetime(2026, 12, 31, 23, 59, 30, tzinfo=UTC),  # the turn of a year
    datetime(2028, 2, 28, 12, 7, tzinfo=UTC),  # a leap day ahead
    datetime(2025, 3, 1, 0, 0, tzinfo=UTC),  # exactly on a minute, after a short February
    datetime(2099, 6, 15, 8, 0, 59, tzinfo=UTC),  # 2100 is not a leap year
)
FIRES = 20
# next_runs searches 5 x 366 days from the start's date; croniter has no such horizon.
HORIZON = timedelta(days=366 * 5)


def _value(rng: random.Random, field: int, number: int, *, closing: bool = False) -> str:
    """`number` as written: a digit string, or now and then the field's name (any case)."""
    name, _low, _high, names = cron.FIELDS[field]
    if name == cron.WEEKDAY and number in (0, 7):
        if rng.random() < 0.3:
            return _cased(rng, "sun") if (number == 7) == closing else str(number)
        return str(number)
    if names and rng.random() < 0.3:
        return _cased(rng, names[number - (1 if name == "month" else 0)])
    return str(number)


def _cased(rng: random.Random, word: str) -> str:
    return rng.choice([word, word.upper(), word.capitalize()])


def _item(rng: random.Random, field: int) -> str:
    name, low, high, _names = cron.FIELDS[field]
    top = cron.SUNDAY_AGAIN if name == cron.WEEKDAY else high
    step = rng.choice([rng.randint(1, 6), rng.randint(1, high - low + 1)])
    shape = rng.choice(["single", "single", "range", "range-step", "start-step", "star-step"])
    if shape == "star-step":
        return f"*/{step}"
    first = rng.randint(low, top)
    if shape == "single":
        return _value(rng, field, first)
    if shape == "start-step":
        return f"{_value(rng, field, min(first, high))}/{step}"
    if first == top:
        return _value(rng, field, first)
    last = rng.randint(first + 1, top)
    written = f"{_value(rng, field, first)}-{_value(rng, field, last, closing=True)}"
    return written + (f"/{step}" if shape == "range-step" else "")


def _field(rng: random.Random, field: int) -> str:
    if rng.random() < [0.15, 0.25, 0.6, 0.7, 0.6][field]:
        return "*"
    return ",".join(_item(rng, field) for _ in range(rng.choice([1, 1, 1, 2, 3])))


def expressions(count: int, seed: int = SEED) -> list[str]:
    rng = random.Random(seed)
    found: list[str] = []
    while len(found) < count:
        expression = " ".join(_field(rng, field) for field in range(5))
        try:
            cron.parse(expression)
        except cron.CronError as error:
            # The generator writes only what the dialect allows; a day no chosen month has
            # (`0 0 31 2 *`) is refused on purpose, as it would never run.
            assert str(error).startswith("never runs"), (expression, error)
            continue
        if _fairly_judged(expression):
            found.append(expression)
    return found


def _fairly_judged(expression: str) -> bool:
    parsed = cron.parse(expression)
    days, weekdays = expression.split()[2], expression.split()[4]
    if days == "*" or weekdays == "*":
        return True
    whole = len(parsed.days) == 31 or len(parsed.weekdays) == 7
    return not (whole or days.startswith("*") or weekdays.startswith("*"))


def croniter_fires(expression: str, start: datetime) -> list[datetime]:
    limit = datetime.combine(start.date(), datetime.min.time(), UTC) + HORIZON
    series = croniter(expression, start)
    fires = []
    for _ in range(FIRES):
        fire = series.get_next(datetime)
        if fire >= limit:
            break
        fires.append(fire)
    return fires


def test_the_generator_covers_the_dialect() -> None:
    written = " ".join(expressions(EXPRESSIONS))
    for form in ("*/", "-", ",", "/", "SUN", "sun", "Jan", "MON", "-7", "7 "):
        assert form in written, form


@pytest.mark.slow  # croniter takes a few seconds over 2 x 2,000 expressions
def test_fire_times_equal_croniters() -> None:
    rng = random.Random(SEED)
    different = []
    for expression in expressions(EXPRESSIONS):
        parsed = cron.parse(expression)
        for start in rng.sample(STARTS, 2):
            ours = cron.next_runs(parsed, start, FIRES)
            theirs = croniter_fires(expression, start)
            if ours != theirs:
                different.append((expression, start.isoformat(), ours[:3], theirs[:3]))
    assert not different, f"{len(different)} differ, e.g. {different[:3]}"


@pytest.mark.parametrize(
    "expression",
    ["0 0 * * 0-7", "0 9 * * 1-7", "0 9 * * 5-7", "0 9 * * MON-SUN", "0 9 * * sat-sun"],
)
def test_sunday_as_seven_closes_weekday_ranges_as_croniter_reads_them(expression: str) -> None:
    start = STARTS[0]
    assert cron.next_runs(cron.parse(expression), start, FIRES) == croniter_fires(expression, start)
