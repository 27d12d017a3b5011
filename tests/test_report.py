"""`autokit report` over everyone's runs: the shared ledger plus this machine's unsent runs."""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
from helpers import automation_files, bare_origin, ledger_record, publish_ledger

from toolkit import cron
from toolkit.ledger.sharing import settings_of, waiting_records
from toolkit.repo import Repository

NOW = datetime.now(UTC)
LOCAL_PERSON = "Local Luke"
NOBODY = "(nobody recorded)"
INVOICES_SCHEDULE = "0 2 * * *"
# 0 2 * * *: about 30.4 runs a month, 6 minutes each
INVOICES_PER_MONTH = round(cron.runs_per_month(cron.parse(INVOICES_SCHEDULE)) * 6 / 60, 2)


def ago(days: float) -> datetime:
    return NOW - timedelta(days=days)


def not_counted(number: int, **overrides: object) -> object:
    return ledger_record(number, counts=False, minutes_saved=0.0, **overrides)


def shared_records() -> list[object]:
    """What others sent: three automations (`retired` is no longer in the repository),
    three people and schedules, four kinds, every way of ending, over two years."""
    return [
        # within the last 30 days
        ledger_record(1, started=ago(1), who="Ann"),
        ledger_record(2, started=ago(2), who="Bob"),
        not_counted(3, started=ago(3), who="Ann", status="failed", exit_code=1),
        ledger_record(
            4,
            started=ago(5),
            automation="invoices",
            trigger="schedule",
            who=None,
            minutes_saved=6.0,
        ),
        not_counted(
            5,
            started=ago(6),
            automation="invoices",
            trigger="schedule",
            who=None,
            status="timeout",
            exit_code=None,
        ),
        ledger_record(6, started=ago(7), automation="retired", who="Bob", minutes_saved=12.0),
        not_counted(7, started=ago(1), who="Ann", kind="example"),
        not_counted(8, started=ago(1), who="Ann", kind="test"),
        not_counted(9, started=ago(2), who="Bob", kind="rehearsal"),
        not_counted(10, started=ago(4), who="Ann", dirty=True),  # real, not counted
        # 31 to 90 days ago
        ledger_record(11, started=ago(45), who="Ann"),
        not_counted(12, started=ago(50), automation="invoices", who=None, status="lost"),
        # in 2025: one written in a UTC+2 office, the last day of March in UTC
        ledger_record(13, started=datetime(2025, 3, 10, 8, 0, tzinfo=UTC), who="Carol"),
        ledger_record(
            14,
            started=datetime(2025, 4, 1, 1, 30, tzinfo=timezone(timedelta(hours=2))),
            who="Carol",
        ),
        not_counted(15, started=datetime(2025, 4, 5, tzinfo=UTC), who="Carol", kind="example"),
    ]


@pytest.fixture
def shop(make_repo, cli, monkeypatch) -> Path:
    """A clone whose ledger holds `shared_records()` and one run made here, with two runs
    made here not sent yet (a real one and an example)."""
    files = automation_files("hello", time_saved_minutes=30)
    files.update(
        automation_files(
            "invoices", department="finance", schedule=INVOICES_SCHEDULE, time_saved_minutes=6
        )
    )
    root = make_repo(files)
    monkeypatch.setenv("GIT_AUTHOR_NAME", LOCAL_PERSON)  # the identity Git signs with here
    bare_origin(root)
    assert cli("run", "hello", "--repo", str(root)).code == 0
    repo = Repository(root)
    [sent_already] = waiting_records(repo, settings_of(repo))
    assert cli("run", "hello", "--repo", str(root)).code == 0
    assert cli("run", "hello", "--example", "--repo", str(root)).code == 0
    # The first local run is in the ledger too (sent from another clone): counted once.
    publish_ledger(root, [*shared_records(), sent_already])
    return root


def report(cli, root: Path, *args: str) -> dict:
    result = cli("report", "--repo", str(root), "--format", "json", *args)
    assert result.code == 0, result
    assert result.err == "", result
    return json.loads(result.out)


def words(line: str) -> str:
    """A table line with its padding squeezed to one space."""
    return " ".join(line.split())


FIGURES = ["runs", "succeeded", "failed", "failure_share", "counted", "hours_saved"]
CREDIT = ["handles", "authored", "maintained", "versions_shipped", "their_hours_saved"]
CREDIT += ["colleagues_helped", "help_changes", "ideas_submitted", "ideas_built", "badges"]


def figures(group: dict) -> tuple:
    return tuple(group[key] for key in FIGURES)


def test_by_automation_counts_everyones_real_runs_and_their_savings(shop, cli):
    document = report(cli, shop)

    assert (document["days"], document["by"]) == (30, "automation")
    assert document["since"] < ago(30 - 0.01).isoformat()
    groups = document["groups"]
    assert [g["group"] for g in groups] == ["hello", "retired", "invoices"]
    hello, retired, invoices = groups
    # 4 shared runs (one failed, one of uncommitted files) and 2 made here
    assert figures(hello) == (6, 5, 1, 0.1667, 4, 2.0)
    assert (hello["department"], hello["in_repository"]) == ("operations", True)
    assert hello["scheduled_hours_per_month"] == 0
    assert figures(invoices) == (2, 1, 1, 0.5, 1, 0.1)
    assert invoices["department"] == "finance"
    assert invoices["scheduled_hours_per_month"] == INVOICES_PER_MONTH
    assert 3.0 < INVOICES_PER_MONTH < 3.1
    assert figures(retired) == (1, 1, 0, 0.0, 1, 0.2)
    assert (retired["department"], retired["in_repository"]) == ("unknown automation", False)
    assert retired["scheduled_hours_per_month"] is None
    assert document["left_out"] == {"example": 2, "test": 1, "rehearsal": 1}
    assert document["totals"] == {
        "runs": 9,
        "succeeded": 7,
        "failed": 2,
        "failure_share": 0.2222,
        "counted": 6,
        "hours_saved": 2.3,
        "scheduled_hours_per_month": INVOICES_PER_MONTH,
    }
    assert document["ledger"] == {"found": True, "branch": "autokit/runs", "problems": []}


def test_by_department_person_and_month(shop, cli):
    departments = report(cli, shop, "--by", "department")["groups"]
    assert [(g["group"], *figures(g)) for g in departments] == [
        ("operations", 6, 5, 1, 0.1667, 4, 2.0),
        ("unknown automation", 1, 1, 0, 0.0, 1, 0.2),
        ("finance", 2, 1, 1, 0.5, 1, 0.1),
    ]
    assert "department" not in departments[0] and "in_repository" not in departments[0]

    people = report(cli, shop, "--by", "person")["groups"]
    assert [(g["group"], *figures(g)) for g in people] == [
        (LOCAL_PERSON, 2, 2, 0, 0.0, 2, 1.0),
        ("Bob", 2, 2, 0, 0.0, 2, 0.7),
        ("Ann", 3, 2, 1, 0.3333, 1, 0.5),
        (None, 2, 1, 1, 0.5, 1, 0.1),  # the schedule's runs
        # credited by Git, no runs: the owner no Git identity is, and who made both
        ("@alice", 0, 0, 0, None, 0, 0.0),
        ("Test Author", 0, 0, 0, None, 0, 0.0),
    ]
    assert people[-1]["authored"] == ["hello", "invoices"] and people[-1]["badges"] == [
        "first-automation"
    ]
    assert people[-2]["maintained"] == ["hello", "invoices"] and people[-2]["handles"] == ["@alice"]
    # their automations' hours in the period: hello's 2.0 and invoices' 0.1
    assert people[-2]["their_hours_saved"] == people[-1]["their_hours_saved"] == 2.1
    assert people[0]["authored"] == [] and people[0]["badges"] == []

    months = report(cli, shop, "--by", "month", "--days", "99999999999")
    old = [g for g in months["groups"] if g["group"] < "2026"]
    # 2025-04-01 01:30 in UTC+2 is still March in UTC; April's only run was an example
    assert [(g["group"], *figures(g)) for g in old] == [("2025-03", 2, 2, 0, 0.0, 2, 1.0)]
    assert [g["group"] for g in months["groups"]] == sorted(g["group"] for g in months["groups"])
    recent = {g["group"]: g for g in months["groups"] if g["group"] >= "2026"}
    assert set(recent) == {ago(days).strftime("%Y-%m") for days in (0, 1, 2, 3, 4, 5, 6, 7, 45, 50)}
    assert sum(g["runs"] for g in recent.values()) == 11
    assert months["totals"]["runs"] == 13


def test_a_month_is_the_utc_month_whatever_the_offset_written(make_repo, cli):
    root = make_repo(automation_files("hello"))
    bare_origin(root)
    starts = [
        "2025-01-31T22:30:00-05:00",  # 03:30 on 1 February in UTC
        "2025-02-28T23:59:59Z",
        "2025-03-01T00:30:00.250+01:00",  # 23:30 on 28 February in UTC
        "2025-03-01T00:00:00.000+00:00",
    ]
    records = [
        ledger_record(n, started=datetime(2025, 2, 1, tzinfo=UTC), started_at=start)
        for n, start in enumerate(starts, 1)
    ]
    publish_ledger(root, records)

    months = report(cli, root, "--by", "month", "--days", "100000")["groups"]

    assert [(g["group"], g["runs"], g["hours_saved"]) for g in months] == [
        ("2025-02", 3, 1.5),
        ("2025-03", 1, 0.5),
    ]
    assert report(cli, root, "--days", "100000")["since"] < "2025-01-31T22:30"


@pytest.mark.parametrize(
    ("days", "totals", "left_out"),
    [
        ("1", (2, 2, 0, 0.0, 2, 1.0), {"example": 1, "test": 0, "rehearsal": 0}),
        ("30", (9, 7, 2, 0.2222, 6, 2.3), {"example": 2, "test": 1, "rehearsal": 1}),
        ("90", (11, 8, 3, 0.2727, 7, 2.8), {"example": 2, "test": 1, "rehearsal": 1}),
        ("3650000", (13, 10, 3, 0.2308, 9, 3.8), {"example": 3, "test": 1, "rehearsal": 1}),
        ("9" * 5000, (13, 10, 3, 0.2308, 9, 3.8), {"example": 3, "test": 1, "rehearsal": 1}),
    ],
)
def test_days_chooses_the_period(shop, cli, days, totals, left_out):
    document = report(cli, shop, "--days", days)
    assert figures(document["totals"]) == totals
    assert document["left_out"] == left_out
    assert (document["since"] is None) == (len(days) > 3)


def test_the_table_says_what_was_left_out_and_the_totals(shop, cli):
    result = cli("report", "--repo", str(shop), "--format", "table")

    assert result.code == 0 and result.err == "", result
    lines = result.out.splitlines()
    assert words(lines[0]) == (
        "AUTOMATION DEPARTMENT RUNS OK FAILED FAILED % COUNTED HOURS SAVED SCHEDULED H/MONTH"
    )
    rows = {line.split()[0]: words(line) for line in lines[2:5]}
    assert rows["hello"] == "hello operations 6 5 1 16.7% 4 2 0"
    assert rows["retired"] == "retired * unknown automation 1 1 0 0% 1 0.2 -"
    assert rows["invoices"] == f"invoices finance 2 1 1 50% 1 0.1 {INVOICES_PER_MONTH:g}"
    assert "* not an automation of this repository" in result.out
    assert lines[-1] == (
        "Last 30 days: 2.3 hours saved by 6 counted run(s); 9 real run(s), 2 failed (22.2%). "
        "Left out, as they save nobody any time: 2 example, 1 test (autokit test), "
        f"1 rehearsal run(s). Schedules save about {INVOICES_PER_MONTH:g} hours a month."
    )

    people = cli("report", "--repo", str(shop), "--by", "person").out.splitlines()
    assert words(people[0]) == (
        "PERSON RUNS OK FAILED FAILED % COUNTED HOURS SAVED "
        "AUTHORED MAINTAINED VERSIONS THEIR HOURS HELPED BADGES"
    )
    assert words(people[5]) == f"{NOBODY} 2 1 1 50% 1 0.1 0 0 0 0 0 -"
    assert words(people[7]) == "Test Author 0 0 0 - 0 0 2 0 0 2.1 0 first-automation"
    assert "Schedules" not in people[-1] and people[-1].startswith("Last 30 days: 2.3 hours")


def test_csv_has_a_header_and_one_row_per_group(shop, cli):
    result = cli("report", "--repo", str(shop), "--format", "csv")

    assert result.code == 0 and result.err == "", result
    rows = list(csv.reader(io.StringIO(result.out)))
    assert rows[0] == [
        "automation",
        "department",
        "in_repository",
        *FIGURES,
        "scheduled_hours_per_month",
    ]
    assert rows[1:] == [
        ["hello", "operations", "true", "6", "5", "1", "0.1667", "4", "2.0", "0.0"],
        ["retired", "unknown automation", "false", "1", "1", "0", "0.0", "1", "0.2", ""],
        ["invoices", "finance", "true", "2", "1", "1", "0.5", "1", "0.1", str(INVOICES_PER_MONTH)],
    ]

    people = list(
        csv.DictReader(
            io.StringIO(cli("report", "--repo", str(shop), "--by", "person", "--format", "csv").out)
        )
    )
    assert [(p["person"], p["runs"], p["hours_saved"]) for p in people] == [
        (LOCAL_PERSON, "2", "1.0"),
        ("Bob", "2", "0.7"),
        ("Ann", "3", "0.5"),
        (NOBODY, "2", "0.1"),
        ("'@alice", "0", "0.0"),  # a cell starting with @ is quoted for spreadsheets
        ("Test Author", "0", "0.0"),
    ]
    assert list(people[0]) == ["person", *FIGURES, *CREDIT]
    assert people[-1]["authored"] == "hello invoices"
    assert people[-1]["badges"] == "first-automation"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--days", "0"], "argument --days: '0' is not a positive whole number of days"),
        (["--days", "-3"], "argument --days: '-3' is not a positive whole number of days"),
        (["--days", "1.5"], "'1.5' is not a positive whole number of days"),
        (["--days", "thirty"], "'thirty' is not a positive whole number of days"),
        (["--days", "٣"], "is not a positive whole number of days"),  # an Arabic-Indic three
        (["--by", "team"], "argument --by: invalid choice: 'team'"),
        (["--format", "xml"], "argument --format: invalid choice: 'xml'"),
    ],
)
def test_bad_options_are_usage_errors(make_repo, cli, args, message):
    root = make_repo(automation_files("hello"))
    result = cli("report", "--repo", str(root), *args)
    assert result.code == 2, result
    assert message in result.err and "Traceback" not in result.err
    assert result.out == ""


def test_without_a_ledger_branch_it_counts_local_runs_and_says_how_to_get_it(make_repo, cli):
    root = make_repo(automation_files("hello", time_saved_minutes=30))
    assert cli("run", "hello", "--repo", str(root)).code == 0
    hint = "The shared run ledger (branch autokit/runs) was not found in this clone"

    text = cli("report", "--repo", str(root))
    assert text.code == 0 and text.err == "", text
    assert hint in text.out.splitlines()[-1] and "`autokit runs pull`" in text.out
    assert "Last 30 days: 0.5 hours saved by 1 counted run(s)" in text.out

    for fmt in ("json", "csv"):
        result = cli("report", "--repo", str(root), "--format", fmt)
        assert result.code == 0, result
        assert result.err.count("\n") == 1 and hint in result.err and "runs pull" in result.err
        assert hint not in result.out
    document = json.loads(cli("report", "--repo", str(root), "--format", "json").out)
    assert document["ledger"] == {"found": False, "branch": "autokit/runs", "problems": []}
    assert figures(document["groups"][0]) == (1, 1, 0, 0.0, 1, 0.5)


def add_to_ledger(root: Path, files: dict[str, bytes]) -> None:
    """Commit `files` onto the clone's copy of the ledger, as someone pushing by hand would."""
    index = root / ".git" / "ledger-index"
    environment = {**os.environ, "GIT_INDEX_FILE": str(index)}

    def plumbing(*args: str, data: bytes | None = None) -> str:
        done = subprocess.run(
            ["git", *args], cwd=root, env=environment, input=data, capture_output=True, check=True
        )
        return done.stdout.decode().strip()

    plumbing("read-tree", "origin/autokit/runs")
    for path, content in files.items():
        blob = plumbing("hash-object", "-w", "--stdin", data=content)
        plumbing("update-index", "--add", "--cacheinfo", f"100644,{blob},{path}")
    tree = plumbing("write-tree")
    commit = plumbing("commit-tree", tree, "-p", "origin/autokit/runs", "-m", "by hand")
    plumbing("update-ref", "refs/remotes/origin/autokit/runs", commit)


def test_a_ledger_file_that_is_not_a_record_is_named_and_skipped(make_repo, cli):
    root = make_repo(automation_files("hello", time_saved_minutes=30))
    bare_origin(root)
    publish_ledger(root, [ledger_record(1, started=ago(1)), ledger_record(2, started=ago(2))])
    month = ago(1).strftime("%Y-%m")
    add_to_ledger(
        root,
        {
            f"runs/{month}/broken.json": b"{not json",
            f"runs/{month}/\x1b[2Jsneaky.json": b"[]",
        },
    )

    result = cli("report", "--repo", str(root), "--format", "json")

    assert result.code == 0, result
    warnings = result.err.splitlines()
    assert len(warnings) == 2, result.err
    broken = next(w for w in warnings if "broken.json" in w)
    assert broken.startswith(f"warning: ledger file runs/{month}/broken.json: skipped, not a run")
    sneaky = next(w for w in warnings if "sneaky.json" in w)
    assert "\x1b" not in sneaky and "\\x1b[2Jsneaky.json" in sneaky
    document = json.loads(result.out)
    assert figures(document["groups"][0]) == (2, 2, 0, 0.0, 2, 1.0)
    assert len(document["ledger"]["problems"]) == 2
    text = cli("report", "--repo", str(root))
    assert "Last 30 days: 1 hours saved by 2 counted run(s)" in text.out
    assert "broken.json" in text.err and "broken.json" not in text.out


def test_what_others_wrote_cannot_steer_a_terminal_or_a_spreadsheet(make_repo, cli):
    root = make_repo(automation_files("hello"))
    bare_origin(root)
    publish_ledger(
        root,
        [
            ledger_record(1, started=ago(1), who="\x1b]0;owned\x07Eve\u202e"),
            ledger_record(2, started=ago(1), who='=HYPERLINK("http://x")'),
        ],
    )

    text = cli("report", "--repo", str(root), "--by", "person")
    assert text.code == 0, text
    assert "\x1b" not in text.out and "\x07" not in text.out and "\u202e" not in text.out
    assert "\\x1b]0;owned\\x07Eve\\u202e" in text.out
    rows = list(
        csv.DictReader(
            io.StringIO(cli("report", "--repo", str(root), "--by", "person", "--format", "csv").out)
        )
    )
    assert sorted(row["person"] for row in rows) == [
        '\'=HYPERLINK("http://x")',
        "'@alice",
        "Test Author",
        "\\x1b]0;owned\\x07Eve\\u202e",
    ]
    people = report(cli, root, "--by", "person")["groups"]
    assert "\x1b]0;owned\x07Eve\u202e" in [p["group"] for p in people]  # JSON escapes it


def test_the_readme_describes_the_options(cli):
    readme = (Path(__file__).parents[1] / "README.md").read_text(encoding="utf-8")
    line = next(x for x in readme.splitlines() if x.startswith("| `autokit report"))
    for option in ("--by", "--days N", "--format text\\|json\\|csv", "department", "person"):
        assert option in line, option
