"""`autokit runs`: past runs newest first, filters, JSON, and one run with its log."""

from __future__ import annotations

import json
import re
from pathlib import Path

from helpers import automation_files
from test_run import python_automation

from toolkit.history import RunRecord, open_history


def make_history(make_repo, cli):  # type: ignore[no-untyped-def]
    files = automation_files("hello")
    files.update(python_automation("broken", "def main(greeting=''):\n    raise KeyError('x')\n"))
    root = make_repo(files)
    for args in (["hello", "-i", "greeting=one"], ["broken"], ["hello", "-i", "greeting=two"]):
        cli("run", *args, "--repo", str(root))
    return root


def test_runs_lists_newest_first_with_filters(make_repo, cli) -> None:
    make_history(make_repo, cli)
    table = cli("runs")
    assert table.code == 0
    lines = table.out.splitlines()
    assert lines[0].split()[:4] == ["RUN", "AUTOMATION", "VERSION", "STATUS"]
    assert [line.split()[1] for line in lines[2:]] == ["hello", "broken", "hello"]
    assert [line.split()[3] for line in lines[2:]] == ["success", "failed", "success"]

    runs = json.loads(cli("runs", "hello", "--format", "json").out)["runs"]
    assert [r["inputs"]["greeting"] for r in runs] == ["two", "one"]
    assert set(runs[0]) >= {
        "id",
        "automation",
        "version",
        "git_commit",
        "dirty",
        "user",
        "host",
        "inputs",
        "status",
        "exit_code",
        "started_at",
        "ended_at",
        "duration",
        "result",
        "log",
        "output_dir",
    }
    failed = json.loads(cli("runs", "--status", "failed", "--format", "json").out)["runs"]
    assert [r["automation"] for r in failed] == ["broken"]
    limited = json.loads(cli("runs", "--limit", "1", "--format", "json").out)["runs"]
    assert [r["inputs"] for r in limited] == [{"greeting": "two"}]


def test_runs_show_prints_the_run_and_its_log(make_repo, cli) -> None:
    make_history(make_repo, cli)
    broken = json.loads(cli("runs", "broken", "--format", "json").out)["runs"][0]
    shown = cli("runs", "show", broken["id"])
    assert shown.code == 0
    assert re.search(rf"^id +{broken['id']}$", shown.out, re.M)
    assert re.search(r"^status +failed$", shown.out, re.M)
    assert "--- log" in shown.out and "KeyError: 'x'" in shown.out
    as_json = json.loads(cli("runs", "show", broken["id"][:18], "--format", "json").out)
    assert as_json["id"] == broken["id"] and "Traceback" in as_json["log_text"]
    # Everything the run and scheduled workflows read, and the whole record of the run.
    assert as_json == {**broken, "log_text": as_json["log_text"]}
    assert {"run_dir", "exit_code", "duration", "pinned", "error"} <= set(as_json)
    assert Path(as_json["run_dir"], "log.txt").read_text() == as_json["log_text"]


def test_runs_errors_are_clear(cli) -> None:
    assert "no runs recorded yet" in cli("runs").out
    assert "no lost runs of hello recorded" in cli("runs", "hello", "--status", "lost").out
    missing = cli("runs", "show", "20990101-000000-abcdef")
    assert missing.code == 1 and "no run with id" in missing.err
    no_id = cli("runs", "show")
    assert no_id.code == 1 and "needs a run id" in no_id.err
    bad_limit = cli("runs", "--limit", "0")
    assert bad_limit.code == 2
    for digits in ("²", "٣"):  # digits, but not ASCII ones
        assert cli("runs", "--limit", digits).code == 2
    huge = cli("runs", "--limit", "9" * 30)  # more than SQLite's LIMIT takes: every run
    assert huge.code == 0 and "no runs recorded yet" in huge.out, huge
    bad_status = cli("runs", "--status", "exploded")
    assert bad_status.code == 2 and "invalid choice" in bad_status.err


def recorded(run_id: str, automation: str, started_at: str) -> RunRecord:
    """A finished run as the history holds it, with the id and start time given."""
    return RunRecord(
        id=run_id,
        automation=automation,
        version="1.0.0",
        pinned=False,
        git_commit=None,
        dirty=False,
        user="alice",
        host="laptop",
        pid=1,
        start_token="",
        child_pid=None,
        inputs={},
        status="success",
        exit_code=0,
        started_at=started_at,
        ended_at=started_at,
        duration=1.0,
        result=None,
        error=None,
        run_dir="/nowhere",
    )


def test_runs_show_takes_a_unique_start_or_end_of_the_id(cli) -> None:
    ids = [f"20261201-0{hour}0000-aa{hour}bcd" for hour in range(8)] + ["20261130-230000-ffee01"]
    with open_history() as history:
        for run_id in ids:
            stamp = f"{run_id[:4]}-{run_id[4:6]}-{run_id[6:8]}T{run_id[9:11]}:00:00+00:00"
            history.start(recorded(run_id, f"job{run_id[10]}", stamp))
    by_end = cli("runs", "show", "ffee01", "--format", "json")
    assert by_end.code == 0, by_end
    assert json.loads(by_end.out)["id"] == "20261130-230000-ffee01"
    by_start = cli("runs", "show", "20261130", "--format", "json")
    assert json.loads(by_start.out)["id"] == "20261130-230000-ffee01"
    assert json.loads(cli("runs", "show", "aa3bcd", "--format", "json").out)["automation"] == "job3"

    several = cli("runs", "show", "20261201")
    assert several.code == 1
    assert "'20261201' matches 8 runs, newest first:" in several.err
    listed = [line.split()[0] for line in several.err.splitlines() if line.startswith("  2026")]
    assert listed == [f"20261201-0{hour}0000-aa{hour}bcd" for hour in (7, 6, 5, 4, 3)]
    assert "... and 3 more" in several.err
    assert "give more of the run id" in several.err
    shared_end = cli("runs", "show", "bcd")  # the end of every id of December
    assert shared_end.code == 1 and "matches 8 runs" in shared_end.err
    # Characters SQLite's LIKE treats specially match only themselves.
    for pattern in ("%", "_", "2026120_", "\\"):
        result = cli("runs", "show", pattern)
        assert result.code == 1 and "no run with id" in result.err, (pattern, result)
    blank = cli("runs", "show", "  ")
    assert blank.code == 1 and "the run id is empty" in blank.err
