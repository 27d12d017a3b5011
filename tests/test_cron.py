"""Cron expressions as GitHub reads them: parsing, plain English, gaps and runs per month."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from test_metadata import BASE, METADATA, repo_with

from toolkit import cron, schedule

EVERY_DAY = frozenset(range(7))
DAYS_PER_MONTH = 365.2425 / 12  # the Gregorian year


@pytest.mark.parametrize(
    ("expression", "weekdays"),
    [
        ("0 0 * * 0-7", EVERY_DAY),
        ("0 9 * * 1-7", EVERY_DAY),
        ("0 9 * * MON-SUN", EVERY_DAY),
        ("0 9 * * sun-sun", EVERY_DAY),
        ("0 9 * * 5-7", {5, 6, 0}),
        ("0 9 * * FRI-SUN", {5, 6, 0}),
        ("0 9 * * 7", {0}),
        ("0 9 * * 0,7", {0}),
        ("0 9 * * 5-7/2", {5, 0}),
        ("0 9 * * 3-3", {3}),
    ],
)
def test_seven_is_sunday_again_at_the_end_of_a_weekday_range(expression, weekdays) -> None:
    assert cron.parse(expression).weekdays == frozenset(weekdays)


def test_every_day_through_seven_runs_every_day() -> None:
    parsed = cron.parse("0 0 * * 0-7")
    assert cron.describe(parsed) == "at 00:00 (UTC)"
    assert cron.runs_per_month(parsed) == pytest.approx(DAYS_PER_MONTH)
    runs = cron.next_runs(parsed, datetime(2026, 11, 27, tzinfo=UTC), 3)
    assert [run.day for run in runs] == [28, 29, 30]


@pytest.mark.parametrize("expression", ["0 9 * * 6-1", "0 9 * * SAT-MON", "0 9 * * 7-1"])
def test_a_weekday_range_that_runs_backwards_is_refused(expression: str) -> None:
    with pytest.raises(cron.CronError, match="runs backwards"):
        cron.parse(expression)


@pytest.mark.parametrize(
    ("expression", "words"),
    [
        ("² * * * *", "contains '²'"),
        ("0 0 \u0661 * *", "contains '\u0661'"),  # an Arabic-Indic one
        ("0 0 * * \u0663", "contains '\u0663'"),
        ("0 \uff18 * * *", "contains '\uff18'"),  # a full-width eight
        ("0\u20038 * * *", "contains '\\u2003'"),  # an em space between fields
        ("0 8 * * *\n", "contains '\\n'"),
        ("*/ * * * *", "step '' after '/'"),
        ("5/ 8 * * *", "step '' after '/'"),
        ("0 8/ * * *", "hour step ''"),
        ("*/0 * * * *", "whole number from 1"),
        ("*/000 * * * *", "whole number from 1"),
        ("*/-1 * * * *", "whole number from 1"),
        ("1,,2 * * * *", "empty item"),
        ("1, * * * *", "empty item"),
        ("1- * * * *", "'-' without a value"),
        ("-5 * * * *", "'-' without a value"),
        ("9" * 5000 + " * * * *", "minute value 99999999... is outside 0-59"),
        ("*/" + "9" * 5000 + " * * * *", "is larger than 0-59"),
        ("0 0 * * 8", "day of week value 8 is outside 0-7"),
        ("0 0 * smarch *", "is not a number or a name"),
        ("0 0 30 2 *", "never runs: February has no day 30"),
        ("0 0 31 4,6 *", "never runs: April and June have no day 31"),
        ("", "has 0 fields"),
        ("0 8 * *", "has 4 fields"),
    ],
)
def test_what_is_not_the_dialect_is_a_cron_error(expression: str, words: str) -> None:
    with pytest.raises(cron.CronError) as raised:
        cron.parse(expression)
    assert words in str(raised.value)


def test_spaces_and_tabs_separate_fields() -> None:
    assert cron.parse(" 0\t8  * * 1-5 ").expression == "0 8 * * 1-5"


def test_a_weekday_as_well_as_a_day_of_the_month_still_runs_every_thirtieth() -> None:
    # cron ORs day-of-month and weekday, so February's missing 30th does not stop it
    assert cron.parse("0 0 30 2 1").days == frozenset({30})


def test_only_a_field_that_is_star_itself_is_unrestricted() -> None:
    # `*/2` restricts the day of the month, so the weekday is ORed with it (croniter reads
    # some of these one way and some the other, so tests/test_cron_oracle.py leaves them out)
    runs = cron.next_runs(cron.parse("0 0 */2 * 1"), datetime(2026, 3, 1, tzinfo=UTC), 5)
    assert [run.day for run in runs] == [2, 3, 5, 7, 9]  # Monday the 2nd, then odd days


@pytest.mark.parametrize(
    ("expression", "english"),
    [
        ("0 0 1 * 1", "at 00:00 on day 1 of the month or on Monday (UTC)"),
        ("0 9 15 * sat,sun", "at 09:00 on day 15 of the month or on Saturday and Sunday (UTC)"),
        ("0 0 1 * 0-7", "at 00:00 (UTC)"),
        ("0 0 1-31 * 1", "at 00:00 (UTC)"),
        ("* 8 * * *", "every minute from 08:00 to 08:59 (UTC)"),
        ("* 9-17 * * 1-5", "every minute from 09:00 to 17:59 on Monday through Friday (UTC)"),
        ("*/15 9-17 * * *", "every 15 minutes from 09:00 to 17:45 (UTC)"),
        ("* */2 * * *", "every minute of every 2 hours (UTC)"),
        ("0 9 * * 5-7", "at 09:00 on Friday through Sunday (UTC)"),
        ("0 9 * * 0,6", "at 09:00 on Saturday and Sunday (UTC)"),
        ("5,10 9-17 * * *", "in hours 9 through 17, at minutes 5 and 10 (UTC)"),
    ],
)
def test_plain_english(expression: str, english: str) -> None:
    assert cron.describe(cron.parse(expression)) == english


def _too_frequent(expression: str) -> bool:
    entry = schedule.CronEntry(cron.parse(expression).expression, ("greeter",))
    return schedule.too_frequent([entry]) == [entry.expression]


@pytest.mark.parametrize(
    ("expression", "gap", "flagged"),
    [
        ("0,58 8 * * *", 58, False),  # the next hour does not run
        ("0,3 8 * * *", 3, True),
        ("*/2 * * * *", 2, True),
        ("0,58 23,0 * * *", 2, True),  # 23:58, then 00:00 the next day
        ("0,58 0,23 * * 1", 58, False),  # Monday 23:58, but Tuesday does not run
        ("0,58 0,23 * * 1,2", 2, True),  # Monday 23:58, Tuesday 00:00
        ("0,58 0,23 31 12 *", 58, False),  # 31 December only: a year to the next
        ("0,58 0,23 31,1 12,1 *", 2, True),  # 31 December, 1 January
        ("58 23 * * *", None, False),
        ("0 8 * * *", None, False),
    ],
)
def test_too_frequent_measures_the_real_smallest_gap(expression, gap, flagged) -> None:
    assert cron.shortest_gap_minutes(cron.parse(expression)) == gap
    assert _too_frequent(expression) is flagged


def test_runs_per_month_counts_a_400_year_cycle() -> None:
    # 97 leap days in 400 years; 2024-2027 would have said 1 in 48 months
    assert cron.runs_per_month(cron.parse("0 0 29 2 *")) == pytest.approx(97 / 4800)
    # 146,097 days are 20,871 whole weeks, so weekdays come exactly 5 days in 7
    assert cron.runs_per_month(cron.parse("0 8 * * 1-5")) == pytest.approx(DAYS_PER_MONTH * 5 / 7)
    assert cron.runs_per_month(cron.parse("0 0 13 * 5")) == pytest.approx(
        (12 * 400 + 146097 / 7 - 688) / 4800
    )


@pytest.mark.parametrize(
    ("schedule_text", "words"),
    [
        ('"² * * * *"', "contains '²'"),
        ('"0 0 \u0661 * *"', "contains '\u0661'"),
        ('"*/ * * * *"', "step '' after '/'"),
        ('"0 0 31 2 *"', "never runs"),
    ],
)
def test_validate_names_the_schedule_line_and_says_how_to_fix_it(
    make_repo, cli, schedule_text: str, words: str
) -> None:
    root = repo_with(make_repo, BASE + f"schedule: {schedule_text}\n")
    result = cli("validate", "--repo", str(root))
    assert result.code == 1, result
    assert "Traceback" not in result.out + result.err
    (line,) = [x for x in result.out.splitlines() if ": schedule: " in x]
    assert line.startswith(f"{METADATA}:23:")
    assert words in line and "e.g. '0 8 * * 1-5'" in line
