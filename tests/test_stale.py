"""`autokit doctor --owners`: a real repository with commits at chosen dates, a real ledger
on its bare origin, and a real local run that has not been sent yet."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from helpers import automation_files, bare_origin, commit_as, git, ledger_record, publish_ledger

from toolkit.git import Author
from toolkit.hygiene import handles_of, last_commits

NOW = datetime.now(UTC).replace(microsecond=0)


def ago(days: float) -> datetime:
    return NOW - timedelta(days=days)


def deprecated(replaced_by: str | None = "fresh") -> dict[str, Any]:
    deprecation: dict[str, str] = {"reason": "Superseded."}
    if replaced_by:
        deprecation["replaced_by"] = replaced_by
    return {"status": "deprecated", "deprecation": deprecation}


ALICE = "Alice Example <123+alice@users.noreply.github.com>"
BOB_AT_WORK = "Bob Builder <bob@shop.example>"
BOB_ON_GITHUB = "Bob Builder <bob@users.noreply.github.com>"
CAROL = "carol <carol@home.example>"
DAVE = "DAVE <d@home.example>"


@pytest.fixture
def shop(tmp_path: Path) -> Path:
    """Automations with owners, each owner's commits at known dates, and a ledger."""
    root = tmp_path / "shop"
    root.mkdir()
    git(root, "init", "-q", "-b", "main")
    commit_as(root, CAROL, ago(400), automation_files("never-run", owners=["@carol", "@Dave"]))
    commit_as(root, CAROL, ago(200), automation_files("idle-one", owners=["@bob", "@shop/finance"]))
    commit_as(root, DAVE, ago(30), automation_files("fresh", owners=["@alice"]))
    commit_as(root, ALICE, ago(10), automation_files("old-tool", owners=["@alice"], **deprecated()))
    commit_as(
        root, BOB_AT_WORK, ago(5), automation_files("retired", owners=["@erin"], **deprecated(None))
    )
    commit_as(root, BOB_ON_GITHUB, ago(300), {"notes.txt": "bob was here once\n"})
    bare_origin(root)
    records = [
        ledger_record(1, started=ago(10), automation="fresh"),
        ledger_record(2, started=ago(100), automation="idle-one"),
        ledger_record(3, started=ago(5), automation="idle-one", status="failed", counts=False),
        ledger_record(4, started=ago(20), automation="old-tool"),
        ledger_record(5, started=ago(21), automation="old-tool", status="failed", counts=False),
        ledger_record(6, started=ago(3), automation="retired", kind="example", counts=False),
        ledger_record(7, started=ago(95), automation="retired"),
        ledger_record(8, started=ago(1), automation="gone", counts=True),
    ]
    publish_ledger(root, records)
    return root


def owners_report(cli: Callable[..., Any], root: Path) -> dict[str, Any]:
    result = cli("doctor", "--owners", "--repo", str(root), "--format", "json")
    assert result.code == 0, result
    return json.loads(result.out)


def test_each_finding_kind_lists_exactly_what_is_stale(shop: Path, cli: Callable[..., Any]) -> None:
    report = owners_report(cli, shop)
    idle = {i["automation"]: (i["status"], i["last_counted"]) for i in report["idle"]}
    assert set(idle) == {"idle-one", "never-run", "retired"}
    assert idle["never-run"] == ("stable", None)
    assert idle["idle-one"][1][:10] == ago(100).date().isoformat()
    assert idle["retired"] == ("deprecated", ledger_record(7, started=ago(95)).started_at)
    assert report["deprecated_running"] == [
        {"automation": "old-tool", "owners": ["@alice"], "runs": 2, "replaced_by": "fresh"}
    ]
    stale = {o["owner"]: (o["last_commit"], o["automations"]) for o in report["stale_owners"]}
    # bob's commits at work are not his until .mailmap says so: only his old one counts
    assert set(stale) == {"@bob", "@carol", "@erin"}
    assert stale["@bob"] == (ago(300).isoformat(timespec="seconds"), ["idle-one"])
    assert stale["@carol"][0] == ago(200).isoformat(timespec="seconds")
    assert stale["@erin"] == (None, ["retired"])
    assert report["teams_not_checked"] == ["@shop/finance"]


def test_a_mailmap_joins_a_work_address_to_the_handle(shop: Path, cli: Callable[..., Any]) -> None:
    mailmap = "Bob Builder <bob@users.noreply.github.com> <bob@shop.example>\n"
    commit_as(shop, ALICE, ago(2), {".mailmap": mailmap})
    stale = [o["owner"] for o in owners_report(cli, shop)["stale_owners"]]
    assert stale == ["@carol", "@erin"]


def test_the_text_report_has_a_table_per_kind(shop: Path, cli: Callable[..., Any]) -> None:
    result = cli("doctor", "--owners", "--repo", str(shop))
    assert result.code == 0, result
    out = result.out
    assert "automations with no counted run in 90 days (3):" in out
    assert "deprecated automations that still run (1):" in out
    assert "owners with no commit in 180 days (3):" in out
    assert "not checked (a team): @shop/finance" in out
    row = next(line for line in out.splitlines() if line.startswith("never-run"))
    assert row.split() == ["never-run", "stable", "@carol", "@Dave", "never"]
    assert "nothing stale" not in out


def test_this_machines_unsent_run_counts(
    make_repo: Callable[..., Path], cli: Callable[..., Any]
) -> None:
    root = make_repo(automation_files("hello", owners=["@shop/ops"]))
    assert owners_report(cli, root)["idle"][0]["automation"] == "hello"
    ran = cli("run", "hello", "--repo", str(root))
    assert ran.code == 0, ran
    result = cli("doctor", "--owners", "--repo", str(root))
    assert result.out.splitlines() == ["nothing stale", "", "not checked (a team): @shop/ops"]


def test_without_the_flag_doctor_reports_protections(shop: Path, cli: Callable[..., Any]) -> None:
    result = cli("doctor", "--repo", str(shop), "--format", "json")
    assert result.code == 0
    assert "protections" in json.loads(result.out)


@pytest.mark.parametrize(
    ("name", "email", "handles"),
    [
        ("Alice Example", "123+Alice@users.noreply.github.com", {"alice example", "alice"}),
        ("x", "bob@users.noreply.github.com", {"x", "bob"}),
        ("Carol", "carol@shop.example", {"carol"}),
        ("y", "bob@users.noreply.github.com.evil.example", {"y"}),
    ],
)
def test_who_a_commit_author_can_be(name: str, email: str, handles: set[str]) -> None:
    assert handles_of(Author(name, email, NOW.isoformat())) == handles


def test_the_newest_commit_of_a_handle_wins() -> None:
    authors = [
        Author("zed", "z@a.example", ago(50).isoformat()),
        Author("Z", "zed@users.noreply.github.com", ago(5).isoformat()),
    ]
    assert last_commits(authors)["zed"] == ago(5)
