"""The shared run ledger on real Git: a bare origin and several clones.

Covers the ledger branch (first push, idempotent pushes, races, compaction, records that
are not records), `autokit runs push | pull | compact | export | --everyone`, and
`share_runs` with a remote that refuses.
"""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys
from pathlib import Path

import pytest
from helpers import (
    automation_files,
    bare_origin,
    build_tree,
    commit_all,
    git,
    ledger_record,
    publish_ledger,
)

from toolkit.errors import ToolkitError
from toolkit.ledger.branch import append, compact, read_ledger
from toolkit.ledger.record import LedgerRecord, NotARecord, parse_record
from toolkit.ledger.settings import LedgerSettings, ledger_settings
from toolkit.ledger.summary import summarize

SETTINGS = LedgerSettings()
BRANCH = "autokit/runs"


@pytest.fixture
def shop(make_repo) -> Path:
    """A repository with one automation, pushed to a bare origin."""
    root = make_repo(automation_files("hello"))
    bare_origin(root)
    return root


def clone(origin: Path, where: Path) -> Path:
    subprocess.run(["git", "clone", "-q", str(origin), str(where)], check=True)
    return where


def origin_files(origin: Path) -> list[str]:
    return git(origin, "ls-tree", "-r", "--name-only", BRANCH).split()


def origin_records(origin: Path) -> list[LedgerRecord]:
    """Every record on origin's ledger branch, read straight from its tree."""
    records = []
    for path in origin_files(origin):
        text = git(origin, "show", f"{BRANCH}:{path}")
        lines = text.splitlines() if path.endswith(".jsonl") else [text]
        records += [parse_record(json.loads(line)) for line in lines if path.startswith("runs/")]
    return records


def test_the_first_push_creates_the_branch_with_no_common_history(shop: Path) -> None:
    origin = shop.parent / "repo-origin.git"
    pushed = append(shop, SETTINGS, "origin", [ledger_record(1), ledger_record(2)])
    assert (pushed.sent, pushed.already, pushed.attempts) == (2, 0, 1)
    files = origin_files(origin)
    assert "README.md" in files and len([f for f in files if f.startswith("runs/")]) == 2
    # An orphan branch: no commit in common with main.
    assert git(origin, "rev-list", "--count", BRANCH).strip() == "1"
    merge_base = subprocess.run(
        ["git", "merge-base", "main", BRANCH], cwd=origin, capture_output=True, check=False
    )
    assert merge_base.returncode == 1
    # The person's clone: work tree, index and branch untouched; the tracking ref is set.
    assert git(shop, "status", "--porcelain") == ""
    assert git(shop, "branch", "--show-current").strip() == "main"
    assert git(shop, "rev-parse", f"origin/{BRANCH}").strip() == pushed.commit


def test_pushing_again_sends_nothing_twice(shop: Path) -> None:
    origin = shop.parent / "repo-origin.git"
    append(shop, SETTINGS, "origin", [ledger_record(1)])
    again = append(shop, SETTINGS, "origin", [ledger_record(1), ledger_record(2)])
    assert (again.sent, again.already) == (1, 1)
    assert (append(shop, SETTINGS, "origin", [ledger_record(2)]).sent) == 0
    assert sorted(r.id for r in origin_records(origin)) == sorted(
        [ledger_record(1).id, ledger_record(2).id]
    )


def test_a_different_record_with_the_same_id_is_kept_beside_it(shop: Path) -> None:
    first = ledger_record(1)
    other = first._replace(automation="other", where="laptop-2")
    append(shop, SETTINGS, "origin", [first])
    assert append(shop, SETTINGS, "origin", [other]).sent == 1
    ledger = read_ledger(shop, SETTINGS)
    assert [r.automation for r in ledger.records] == ["hello"]
    assert any("another record has the id" in p for p in ledger.problems)


PUSHER = """
import sys
from pathlib import Path
sys.path.insert(0, {tests!r})
from helpers import ledger_record
from toolkit.ledger.branch import append
from toolkit.ledger.settings import LedgerSettings
first = int(sys.argv[2])
records = [ledger_record(n) for n in range(first, first + 3)]
pushed = append(Path(sys.argv[1]), LedgerSettings(), "origin", records)
print(pushed.sent, pushed.attempts)
"""


def test_twenty_processes_in_four_clones_land_every_record_once(shop: Path) -> None:
    origin = shop.parent / "repo-origin.git"
    clones = [clone(origin, shop.parent / f"clone-{n}") for n in range(4)]
    script = PUSHER.format(tests=str(Path(__file__).parent))
    processes = [
        subprocess.Popen(
            [sys.executable, "-c", script, str(clones[n % 4]), str(1 + 3 * n)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for n in range(20)
    ]
    results = [process.communicate(timeout=120) for process in processes]
    failures = [err for p, (_out, err) in zip(processes, results, strict=True) if p.returncode]
    assert not failures, failures[0]
    assert sum(int(out.split()[0]) for out, _err in results) == 60
    ids = [r.id for r in origin_records(origin)]
    assert len(ids) == len(set(ids)) == 60
    assert any(int(out.split()[1]) > 1 for out, _err in results)  # some lost a race


def test_compaction_keeps_every_record_byte_for_byte(shop: Path) -> None:
    origin = shop.parent / "repo-origin.git"
    old = [
        ledger_record(n, started=dt.datetime(2026, 1 + n % 2, 3, 9, tzinfo=dt.UTC))
        for n in range(6)
    ]
    recent = [ledger_record(10, started=dt.datetime(2026, 5, 1, tzinfo=dt.UTC))]
    append(shop, SETTINGS, "origin", old + recent)
    # A file that is not a record stays where it is.
    before = read_ledger(shop, SETTINGS).records
    folded = compact(shop, SETTINGS, "origin", "2026-05")
    assert folded.sent == 6
    files = origin_files(origin)
    assert {"runs/2026-01.jsonl", "runs/2026-02.jsonl"} <= set(files)
    assert not [f for f in files if f.startswith(("runs/2026-01/", "runs/2026-02/"))]
    assert [f for f in files if f.startswith("runs/2026-05/")]  # not before the month
    git(shop, "fetch", "-q", "origin")
    after = read_ledger(shop, SETTINGS)
    assert sorted(after.records) == sorted(before) and after.problems == []
    january = git(origin, "show", f"{BRANCH}:runs/2026-01.jsonl").splitlines()
    assert january == sorted(r.to_json() for r in old if r.month == "2026-01")
    # A late record of a compacted month, and one sent again: read once each.
    late = ledger_record(20, started=dt.datetime(2026, 1, 20, tzinfo=dt.UTC))
    assert append(shop, SETTINGS, "origin", [old[0], late]).sent == 1
    assert len(read_ledger(shop, SETTINGS).records) == 8
    assert compact(shop, SETTINGS, "origin", "2026-05").sent == 1
    assert len(read_ledger(shop, SETTINGS).records) == 8


def hand_commit(clone_root: Path, files: dict[str, bytes | str]) -> None:
    """Commit files onto the ledger branch by hand, as a careless person might."""
    work = clone_root.parent / f"{clone_root.name}-ledger"
    subprocess.run(
        ["git", "clone", "-q", "-b", BRANCH, str(clone_root.parent / "repo-origin.git"), str(work)],
        check=True,
    )
    build_tree(work, files)
    commit_all(work, "by hand")
    git(work, "push", "-q", "origin", BRANCH)
    git(clone_root, "fetch", "-q", "origin")


def test_files_that_are_not_records_are_skipped_and_named(shop: Path) -> None:
    publish_ledger(shop, [ledger_record(1)])
    wrong = json.loads(ledger_record(2).to_json())
    wrong["counts"] = "yes"
    hand_commit(
        shop,
        {
            "runs/2026-12/broken.json": "{not json",
            "runs/2026-12/list.json": "[1, 2]",
            "runs/2026-12/wrong.json": json.dumps(wrong),
            "runs/2026-12/newer.json": json.dumps({**wrong, "format": 9}),
            "runs/2026-12/binary.json": b"\xff\xfe",
            "runs/2026-12.jsonl": ledger_record(3).to_json() + "\nnot a record\n",
            "notes.txt": "ignored: not under runs/",
        },
    )
    ledger = read_ledger(shop, SETTINGS)
    assert sorted(r.id for r in ledger.records) == sorted(
        [ledger_record(1).id, ledger_record(3).id]
    )
    problems = "\n".join(ledger.problems)
    assert "runs/2026-12/broken.json: skipped, not a run record: it is not valid JSON" in problems
    assert "runs/2026-12/list.json: skipped, not a run record: it is not a JSON object" in problems
    assert "runs/2026-12/wrong.json: skipped, not a run record: its counts 'yes'" in problems
    assert "written by a newer autokit" in problems
    assert "runs/2026-12/binary.json" in problems
    assert "runs/2026-12.jsonl:2: skipped" in problems
    assert "notes.txt" not in problems


def test_records_of_unknown_automations_and_from_the_future_are_kept(shop: Path) -> None:
    future = dt.datetime.now(dt.UTC) + dt.timedelta(days=400)
    publish_ledger(
        shop,
        [ledger_record(1), ledger_record(2, automation="gone"), ledger_record(3, started=future)],
    )
    summary = summarize(read_ledger(shop, SETTINGS).records, ["hello"])
    assert summary.unknown == {"gone": 1}
    assert summary.in_the_future == 1
    assert summary.by_automation["hello"].counted_total == 2


def test_parse_record_refuses_what_a_record_cannot_hold() -> None:
    good = json.loads(ledger_record(1).to_json())
    assert parse_record(good) == ledger_record(1)
    bad_values = {
        "id": "../../etc/passwd",
        "automation": "<script>",
        "started_at": "yesterday",
        "status": "running",
        "kind": "pretend",
        "trigger": "cron",
        "minutes_saved": float("inf"),
        "units": -3,
        "exit_code": True,
        "who": "x" * 500,
        "error": "two\nlines",
        "pinned": 1,
    }
    for field, value in bad_values.items():
        with pytest.raises(NotARecord, match=field):
            parse_record({**good, field: value})
    with pytest.raises(NotARecord, match="it has no who"):
        parse_record({k: v for k, v in good.items() if k != "who"})
    # Claims that do not hold together: only a real success of committed files counts.
    failed = parse_record({**good, "status": "failed", "minutes_saved": 99.0})
    assert (failed.counts, failed.minutes_saved) == (False, 0.0)
    dirty = parse_record({**good, "dirty": True})
    assert (dirty.counts, dirty.minutes_saved) == (False, 0.0)


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ('ledger_branch = "../x"', "ledger_branch: '../x' is not a branch name"),
        ("share_runs = 1", "share_runs: 1 is not true or false"),
        ('ledger_who = "email"', 'ledger_who: \'email\' is not "name" or "none"'),
    ],
)
def test_ledger_settings_name_the_line(tmp_path: Path, line: str, message: str) -> None:
    import tomllib

    pyproject = tmp_path / "pyproject.toml"
    pyproject.write_text(f'[project]\nname = "x"\n\n[tool.autokit]\n{line}\n')
    config = tomllib.loads(pyproject.read_text())["tool"]["autokit"]
    with pytest.raises(ToolkitError) as caught:
        ledger_settings(config, pyproject)
    assert f"pyproject.toml:5: [tool.autokit] {message}" in str(caught.value.message)


# The commands, as people use them


def run_hello(cli, root: Path, *extra: str):
    result = cli("run", "hello", "--repo", str(root), *extra)
    assert result.code == 0, result
    return result


def test_runs_push_pull_and_everyone(shop: Path, cli, tmp_path: Path, monkeypatch) -> None:
    origin = shop.parent / "repo-origin.git"
    other = clone(origin, tmp_path / "other")  # before there is any ledger
    monkeypatch.chdir(shop)
    run_hello(cli, shop)
    run_hello(cli, shop, "--example")
    pushed = cli("runs", "push")
    assert pushed.code == 0, pushed
    assert "sent 2 run records to origin (autokit/runs)" in pushed.out
    assert "nothing to send" in cli("runs", "push").out
    records = {r.kind: r for r in origin_records(origin)}
    assert set(records) == {"real", "example"}
    real = records["real"]
    assert (real.counts, real.minutes_saved, real.who, real.trigger) == (
        True,
        10.0,
        "Test Author",
        "manual",
    )
    # Nothing of the run's inputs, outputs or log reaches the ledger.
    raw = git(origin, "show", f"{BRANCH}:{record_path_of(real)}")
    assert "greeting" not in raw and "world" not in raw and "run_dir" not in raw

    # Someone else, on another clone, sees both runs after a pull.
    monkeypatch.chdir(other)
    monkeypatch.setenv("AUTOKIT_HOME", str(tmp_path / "other-home"))
    assert "no runs recorded yet" in cli("runs").out
    assert "no copy of the shared ledger" in cli("runs", "--everyone").err
    pulled = cli("runs", "pull")
    assert pulled.code == 0 and "2 run records" in pulled.out, pulled
    everyone = cli("runs", "--everyone", "--format", "json")
    listed = json.loads(everyone.out)["runs"]
    assert {r["kind"] for r in listed} == {"real", "example"}
    assert all(r["who"] == "Test Author" and not r["queued"] for r in listed)
    table = cli("runs", "--everyone").out
    assert "10 min" in table and "example" in table and "Test Author" in table
    shown = cli("runs", "show", real.id[-6:], "--everyone")
    assert shown.code == 0 and "minutes_saved" in shown.out and "10.0" in shown.out
    # A run of this clone not sent yet is shown beside them, queued.
    run_hello(cli, other)
    queued = json.loads(cli("runs", "--everyone", "--format", "json").out)["runs"]
    assert [r["queued"] for r in queued] == [True, False, False]


def record_path_of(record: LedgerRecord) -> str:
    return f"runs/{record.month}/{record.id}.json"


def test_runs_push_without_a_remote_says_how_to_add_one(make_repo, cli) -> None:
    root = make_repo(automation_files("hello"))
    run_hello(cli, root)
    result = cli("runs", "push", "--repo", str(root))
    assert result.code == 1
    assert "this clone has no remote named 'origin'" in result.err
    assert "git remote add origin URL" in result.err and "Traceback" not in result.err
    other = cli("runs", "push", "--remote", "upstream", "--repo", str(root))
    assert "no remote named 'upstream'" in other.err


def refuse_pushes(origin: Path) -> None:
    hook = origin / "hooks" / "pre-receive"
    hook.write_text("#!/bin/sh\necho 'pushes to the ledger are closed today' >&2\nexit 1\n")
    hook.chmod(0o755)


def test_share_runs_queues_the_record_when_the_remote_refuses(shop: Path, cli) -> None:
    origin = shop.parent / "repo-origin.git"
    pyproject = shop / "pyproject.toml"
    pyproject.write_text("[tool.autokit]\nshare_runs = true\n")
    commit_all(shop, "share runs")
    shared = run_hello(cli, shop)
    assert "shared 1 run record with the ledger on origin (autokit/runs)" in shared.err
    refuse_pushes(origin)
    queued = run_hello(cli, shop)  # the run succeeds all the same
    last_line = queued.err.strip().splitlines()[-1]
    assert "the run's record is queued, not shared" in last_line
    assert "pushes to the ledger are closed today" in last_line
    assert "`autokit runs push` sends it" in last_line
    refused = cli("runs", "push", "--repo", str(shop))
    assert refused.code == 1 and "refused the push" in refused.err
    assert "stay queued" in refused.err
    (origin / "hooks" / "pre-receive").unlink()
    sent = cli("runs", "push", "--repo", str(shop))
    assert "sent 1 run record" in sent.out
    assert len(origin_records(origin)) == 2


def test_a_shallow_clone_reads_pulls_and_pushes_the_ledger(
    shop: Path, cli, tmp_path, monkeypatch
) -> None:
    origin = shop.parent / "repo-origin.git"
    publish_ledger(shop, [ledger_record(1)])
    shallow = tmp_path / "shallow"
    subprocess.run(
        ["git", "clone", "-q", "--depth", "1", f"file://{origin}", str(shallow)], check=True
    )
    assert git(shallow, "rev-parse", "--is-shallow-repository").strip() == "true"
    assert not read_ledger(shallow, SETTINGS).found  # only main was fetched
    monkeypatch.setenv("AUTOKIT_HOME", str(tmp_path / "ci-home"))
    assert cli("runs", "pull", "--repo", str(shallow)).code == 0
    assert len(read_ledger(shallow, SETTINGS).records) == 1
    run_hello(cli, shallow)
    assert "sent 1 run record" in cli("runs", "push", "--repo", str(shallow)).out
    assert len(origin_records(origin)) == 2


def test_runs_export_prints_the_record_the_ledger_would_keep(shop: Path, cli) -> None:
    result = run_hello(cli, shop, "--format", "json")
    run_id = json.loads(result.out)["run_id"]
    exported = cli("runs", "export", run_id, "--repo", str(shop))
    assert exported.code == 0, exported
    record = parse_record(json.loads(exported.out))
    assert (record.id, record.kind, record.counts, record.minutes_saved) == (
        run_id,
        "real",
        True,
        10.0,
    )
    assert cli("runs", "export", "--repo", str(shop)).code == 1


def test_runs_push_records_refuses_hostile_files_and_sends_the_rest(
    shop: Path, cli, tmp_path
) -> None:
    origin = shop.parent / "repo-origin.git"
    folder = tmp_path / "records"
    (folder / "artifact-a").mkdir(parents=True)
    (folder / "artifact-a" / "one.json").write_text(ledger_record(1).to_json())
    (folder / "broken.json").write_text("{")
    (folder / "huge.json").write_text(" " * 20000 + ledger_record(2).to_json())
    (folder / "link.json").symlink_to(folder / "artifact-a" / "one.json")
    result = cli("runs", "push", "--records", str(folder), "--repo", str(shop))
    assert result.code == 1
    assert "sent 1 run record" in result.out
    for name in ("broken.json", "huge.json", "link.json"):
        assert f"{name}: skipped, not a run record" in result.err
    assert [r.id for r in origin_records(origin)] == [ledger_record(1).id]


def test_the_quick_reader_agrees_with_the_full_checks_on_every_kind_of_record() -> None:
    import random

    from toolkit.ledger.record import read_canonical

    chooser = random.Random(14)
    texts = [
        "Ann",
        'Bo "the" Tester',
        "Zoë \\ Ünal",
        "tab\there",
        "<script>alert(1)</script>",
        None,
    ]
    for number in range(400):
        record = ledger_record(
            number,
            status=chooser.choice(["success", "failed", "timeout", "cancelled", "lost"]),
            kind=chooser.choice(["real", "example", "test", "rehearsal"]),
            counts=chooser.random() < 0.7,
            dirty=chooser.random() < 0.2,
            pinned=chooser.random() < 0.5,
            commit=chooser.choice([None, "ab" * 20, "cd" * 32]),
            duration=chooser.choice([None, 0.0, 1.25, 86400.0, 3e-05]),
            units=chooser.choice([None, 0.0, 14.0, 2.5]),
            unit=chooser.choice([None, "invoice", "order line"]),
            minutes_saved=chooser.choice([0.0, 30.0, 1e-05, 12345.5]),
            exit_code=chooser.choice([None, 0, 1, 124, -9]),
            who=chooser.choice(texts),
            where=chooser.choice(
                [t for t in texts if t] + ["https://github.com/s/x/actions/runs/1"]
            ),
            error=chooser.choice(texts),
            trigger=chooser.choice(["manual", "schedule", "dispatch"]),
        )
        text = record.to_json()
        quick = read_canonical(text)
        assert quick is not None, text
        assert quick == parse_record(json.loads(text)), text
    # What the full checks refuse, the quick reader leaves to them.
    good = json.loads(ledger_record(1).to_json())
    for field, value in [("who", "two\nlines"), ("who", "x" * 201), ("minutes_saved", 2e9)]:
        text = json.dumps({**good, field: value}, sort_keys=True, separators=(",", ":"))
        assert read_canonical(text) is None
        with pytest.raises(NotARecord):
            parse_record(json.loads(text))


def test_ledger_who_none_records_nobody(shop: Path, cli) -> None:
    origin = shop.parent / "repo-origin.git"
    (shop / "pyproject.toml").write_text('[tool.autokit]\nledger_who = "none"\n')
    commit_all(shop, "record nobody")
    run_hello(cli, shop)
    assert cli("runs", "push", "--repo", str(shop)).code == 0
    [record] = origin_records(origin)
    assert record.who is None and record.counts
    assert "Test Author" not in git(origin, "show", f"{BRANCH}:{record_path_of(record)}")
