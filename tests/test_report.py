from __future__ import annotations

import json

from helpers import automation_files


def test_report_counts_runs_and_hours_saved(make_repo, cli):
    files = automation_files("greeter", time_saved_minutes=30)
    files.update(automation_files("nightly", schedule="0 2 * * *", time_saved_minutes=6))
    root = make_repo(files)
    assert cli("run", "--repo", str(root), "greeter", "--input", "greeting=a").code == 0
    assert cli("run", "--repo", str(root), "greeter", "--input", "greeting=b").code == 0

    result = cli("report", "--repo", str(root), "--format", "json")

    assert result.code == 0, result
    rows = {row["name"]: row for row in json.loads(result.out)["automations"]}
    assert rows["greeter"]["runs"] == 2
    assert rows["greeter"]["succeeded"] == 2
    assert rows["greeter"]["hours_saved"] == 1.0
    assert rows["nightly"]["runs"] == 0
    # 0 2 * * *: about 30.4 runs a month, 6 minutes each.
    assert 3.0 < rows["nightly"]["scheduled_hours_per_month"] < 3.1


def test_failed_runs_save_nothing(make_repo, cli):
    files = automation_files("greeter", time_saved_minutes=30)
    files["automations/greeter/main.py"] = (
        "def main(greeting: str = 'world') -> None:\n    raise RuntimeError('boom')\n"
    )
    root = make_repo(files)
    assert cli("run", "--repo", str(root), "greeter").code == 1

    result = cli("report", "--repo", str(root))

    assert result.code == 0, result
    line = next(x for x in result.out.splitlines() if x.startswith("greeter"))
    assert line.split()[1:5] == ["1", "0", "1", "0"]
    assert "0 hours saved by 0 successful run(s)" in result.out


def test_report_rejects_a_period_below_one_day(make_repo, cli):
    root = make_repo(automation_files("greeter"))
    result = cli("report", "--repo", str(root), "--days", "0")
    assert result.code == 1
    assert "--days must be at least 1" in result.err


def test_example_and_dry_runs_save_nothing(make_repo, cli):
    root = make_repo(automation_files("greeter", time_saved_minutes=30))
    runs = [
        ["greeter", "--input", "greeting=real"],
        ["greeter", "--example"],
        ["greeter", "--example", "1", "--input", "greeting=changed"],
        ["greeter", "--dry-run"],
        ["greeter", "--example", "--dry-run"],
    ]
    for args in runs:
        assert cli("run", "--repo", str(root), *args).code == 0, args

    report = json.loads(cli("report", "--repo", str(root), "--format", "json").out)
    greeter = next(row for row in report["automations"] if row["name"] == "greeter")
    assert (greeter["runs"], greeter["succeeded"], greeter["hours_saved"]) == (1, 1, 0.5)
    assert report["example_runs_not_counted"] == 2
    text = cli("report", "--repo", str(root)).out
    assert "0.5 hours saved by 1 successful run(s) (2 run(s) with an example's inputs" in text

    recorded = json.loads(cli("runs", "--format", "json").out)["runs"]
    assert [r["example"] for r in recorded] == [1, 1, None]


def test_a_period_longer_than_the_calendar_covers_every_run(make_repo, cli):
    root = make_repo(automation_files("greeter", time_saved_minutes=30))
    assert cli("run", "--repo", str(root), "greeter").code == 0
    for days in ("3650000", "99999999999"):
        result = cli("report", "--repo", str(root), "--days", days, "--format", "json")
        assert result.code == 0, (days, result)
        assert json.loads(result.out)["automations"][0]["runs"] == 1
