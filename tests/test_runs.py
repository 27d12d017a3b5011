"""`autokit runs`: past runs newest first, filters, JSON, and one run with its log."""

from __future__ import annotations

import json
from pathlib import Path

from helpers import automation_files
from test_run import python_automation


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
    assert f"id          {broken['id']}" in shown.out
    assert "status      failed" in shown.out
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
    bad_status = cli("runs", "--status", "exploded")
    assert bad_status.code == 2 and "invalid choice" in bad_status.err
