"""The operator's bad days with the run history: real SQLite files, real processes.

A lock held past the busy timeout, a damaged file (garbage in a page, someone else's
`runs` table, a row that is not JSON) and a zero-byte file: each ends in exit 1 (or a
warning) naming the file and what to do, never in exit 3; `autokit runs repair` keeps
every run it can still read.
"""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from helpers import automation_files
from test_history import record

from toolkit.history import DATABASE_FILE, open_history
from toolkit.paths import state_home

HOLD_LOCK = """
import sqlite3, sys, time
connection = sqlite3.connect(sys.argv[1], isolation_level=None)
connection.execute("BEGIN EXCLUSIVE")
print("locked", flush=True)
time.sleep(60)
"""


def database() -> Path:
    return state_home() / DATABASE_FILE


def fill_history(count: int) -> list[str]:
    ids = [f"20240501-{i:04d}-{i % 100:02d}" for i in range(count)]
    with open_history() as history:
        for run_id in ids:
            history.start(record(run_id, status="success", inputs={"note": "x" * 200}))
    return ids


def test_a_lock_held_past_the_timeout_names_its_holder(make_repo, cli, monkeypatch) -> None:
    root = make_repo(automation_files("hello"))
    fill_history(1)
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD_LOCK, str(database())], stdout=subprocess.PIPE, text=True
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline() == "locked\n"
        monkeypatch.setenv("AUTOKIT_HISTORY_TIMEOUT", "0.3")
        result = cli("run", "hello", "--repo", str(root))
    finally:
        holder.kill()
        holder.communicate()
    assert result.code == 1, result
    assert f"the run history {database()} is locked by process {holder.pid} (" in result.err
    assert f"kill {holder.pid}" in result.err and "AUTOKIT_HISTORY_TIMEOUT" in result.err
    assert "Traceback" not in result.err
    # Once the holder is gone, the same run goes through.
    assert cli("run", "hello", "--repo", str(root)).code == 0


def test_the_history_timeout_must_be_a_number(cli, monkeypatch) -> None:
    monkeypatch.setenv("AUTOKIT_HISTORY_TIMEOUT", "soon")
    result = cli("runs")
    assert result.code == 1
    assert "AUTOKIT_HISTORY_TIMEOUT='soon' is not a number of seconds" in result.err


def _last_leaf_of_runs() -> int:
    connection = sqlite3.connect(database())
    try:
        rows = connection.execute(
            "SELECT pageno FROM dbstat WHERE name = 'runs' AND pagetype = 'leaf' "
            "ORDER BY path DESC LIMIT 1"
        ).fetchall()
    except sqlite3.OperationalError:
        pytest.skip("this SQLite has no dbstat table to find a page of the runs table")
    finally:
        connection.close()
    return int(rows[0][0])


def _ids_on_page(page: int) -> list[str]:
    connection = sqlite3.connect(database())
    try:
        rows = connection.execute("SELECT id FROM runs").fetchall()
        on_page = connection.execute(
            "SELECT count(*) FROM dbstat WHERE name = 'runs' AND pageno = ?", (page,)
        ).fetchone()[0]
    finally:
        connection.close()
    assert on_page == 1
    return [row[0] for row in rows]


def test_garbage_in_a_page_is_damage_every_command_names(make_repo, cli) -> None:
    root = make_repo(automation_files("hello"))
    ids = fill_history(300)
    page = _last_leaf_of_runs()
    _ids_on_page(page)
    with database().open("r+b") as file:
        file.seek(4096 * (page - 1))
        file.write(b"\xde\xad" * 2048)
    damaged = f"the run history {database()} is damaged"
    for command in (
        ["runs"],
        ["runs", "show", ids[-1]],
        ["report", "--repo", str(root)],
        ["run", "hello", "--repo", str(root)],
    ):
        result = cli(*command)
        assert result.code == 1, (command, result)
        assert damaged in result.err and "autokit runs repair" in result.err, (command, result)

    repaired = cli("runs", "repair", "--format", "json")
    assert repaired.code == 0, repaired
    outcome = json.loads(repaired.out)
    assert outcome["lost"] >= 1 and outcome["kept"] + outcome["lost"] == len(ids)
    assert Path(outcome["moved_to"]).is_file()
    assert Path(outcome["moved_to"]).name.startswith("history.sqlite3.damaged-")
    listed = cli("runs", "--limit", "1000", "--format", "json")
    assert listed.code == 0, listed
    assert len(json.loads(listed.out)["runs"]) == outcome["kept"]
    assert cli("run", "hello", "--repo", str(root)).code == 0


def test_a_foreign_runs_table_is_damage_and_repair_starts_afresh(make_repo, cli) -> None:
    root = make_repo(automation_files("hello"))
    state_home().mkdir(parents=True, exist_ok=True)
    connection = sqlite3.connect(database())
    connection.executescript(
        "CREATE TABLE runs (name TEXT, size INTEGER);"
        "INSERT INTO runs VALUES ('marathon', 42), ('sprint', 1);"
    )
    connection.close()
    for command in (
        ["runs"],
        ["report", "--repo", str(root)],
        ["run", "hello", "--repo", str(root)],
    ):
        result = cli(*command)
        assert result.code == 1, (command, result)
        assert f"{database()} is damaged: its `runs` table is not autokit's" in result.err
    repaired = cli("runs", "repair")
    assert repaired.code == 0, repaired
    assert "kept 0 run(s)" in repaired.out and "lost 2 run(s)" in repaired.out
    assert cli("run", "hello", "--repo", str(root)).code == 0
    assert len(json.loads(cli("runs", "--format", "json").out)["runs"]) == 1


def test_a_row_that_is_not_json_is_damage_and_repair_keeps_the_rest_of_it(make_repo, cli) -> None:
    root = make_repo(automation_files("hello"))
    ids = fill_history(3)
    connection = sqlite3.connect(database())
    # A measured run not sent yet: `autokit report` reads it too (with the ledger).
    connection.execute(
        "UPDATE runs SET inputs = '{broken', counts = 0, kind = 'real' WHERE id = ?", (ids[1],)
    )
    connection.commit()
    connection.close()
    for command in (["runs"], ["runs", "show", ids[1]], ["report", "--repo", str(root)]):
        result = cli(*command)
        assert result.code == 1, (command, result)
        assert f"{database()} is damaged: run {ids[1]}: its inputs column is not JSON" in (
            result.err
        )
    repaired = cli("runs", "repair")
    assert repaired.code == 0, repaired
    assert "kept 3 run(s)" in repaired.out
    assert f"run {ids[1]}: its inputs could not be read" in repaired.out
    shown = json.loads(cli("runs", "show", ids[1], "--format", "json").out)
    assert shown["inputs"] == {} and shown["automation"] == "orders"


def test_repair_of_a_sound_history_changes_nothing(cli) -> None:
    fill_history(2)
    result = cli("runs", "repair")
    assert result.code == 0
    assert f"the run history {database()} is not damaged (2 runs): nothing to do" in result.out
    assert not list(state_home().glob("*.damaged-*"))


def test_a_zero_byte_database_is_reported_not_silently_reset(cli) -> None:
    state_home().mkdir(parents=True, exist_ok=True)
    database().write_bytes(b"")
    result = cli("runs")
    assert result.code == 0, result
    assert f"warning: the run history {database()} is an empty file (0 bytes)" in result.err
    again = cli("runs")  # it holds a history now: no second warning
    assert again.code == 0 and "warning" not in again.err


def test_a_new_history_is_never_a_zero_byte_file(cli) -> None:
    result = cli("runs")
    assert result.code == 0 and "warning" not in result.err
    assert database().stat().st_size > 0
    assert not [p for p in os.listdir(state_home()) if ".new-" in p]
