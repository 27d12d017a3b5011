"""The run history: every field kept, newest first, lost runs found, concurrent writers."""

from __future__ import annotations

import multiprocessing
import os
import socket
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from toolkit.errors import ToolkitError
from toolkit.history import (
    COLUMNS,
    SCHEMA_VERSION,
    RunRecord,
    _row,
    new_run_id,
    open_history,
    process_is_alive,
    process_token,
)
from toolkit.history.database import MEASURE_COLUMNS
from toolkit.history.repair import repair_history


def record(run_id: str, **overrides: object) -> RunRecord:
    values: dict[str, object] = {
        "id": run_id,
        "automation": "orders",
        "version": "1.2.0",
        "pinned": False,
        "git_commit": "a" * 40,
        "dirty": True,
        "user": "ann",
        "host": socket.gethostname(),
        "pid": os.getpid(),
        "start_token": process_token(os.getpid()),
        "child_pid": None,
        "inputs": {"day": "2024-05-01", "count": 3},
        "status": "running",
        "exit_code": None,
        "started_at": f"2024-05-01T10:00:{run_id[-2:]}.000+00:00",
        "ended_at": None,
        "duration": None,
        "result": None,
        "error": None,
        "run_dir": f"/runs/{run_id}",
    }
    values.update(overrides)
    return RunRecord(**values)  # type: ignore[arg-type]


def test_a_run_keeps_every_field(tmp_path: Path) -> None:
    with open_history(tmp_path) as history:
        history.start(record("run-01"))
        history.update(
            "run-01",
            status="success",
            exit_code=0,
            ended_at="2024-05-01T10:00:02.000+00:00",
            duration=1.5,
            result={"rows": [1, 2]},
        )
        stored = history.get("run-01")
    assert stored == record(
        "run-01",
        status="success",
        exit_code=0,
        ended_at="2024-05-01T10:00:02.000+00:00",
        duration=1.5,
        result={"rows": [1, 2]},
    )
    data = stored.to_dict()
    assert "start_token" not in data
    assert data["log"] == "/runs/run-01/log.txt"


def test_the_database_uses_wal(tmp_path: Path) -> None:
    open_history(tmp_path).close()
    connection = sqlite3.connect(tmp_path / "history.sqlite3")
    assert connection.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_runs_are_listed_newest_first_and_filtered(tmp_path: Path) -> None:
    with open_history(tmp_path) as history:
        history.start(record("run-01", status="success"))
        history.start(record("run-02", status="failed", automation="mailer"))
        history.start(record("run-03", status="failed"))
        assert [r.id for r in history.find()] == ["run-03", "run-02", "run-01"]
        assert [r.id for r in history.find("orders")] == ["run-03", "run-01"]
        assert [r.id for r in history.find(status="failed")] == ["run-03", "run-02"]
        assert [r.id for r in history.find(limit=1)] == ["run-03"]


def test_get_by_prefix_and_clear_errors(tmp_path: Path) -> None:
    with open_history(tmp_path) as history:
        history.start(record("20240501-aa-01", status="success"))
        history.start(record("20240501-ab-02", status="success"))
        assert history.get("20240501-aa").id == "20240501-aa-01"
        with pytest.raises(ToolkitError, match="matches 2 runs, newest first"):
            history.get("20240501-a")
        with pytest.raises(ToolkitError, match="no run with id 'nope'"):
            history.get("nope")


def test_a_running_row_whose_process_is_gone_becomes_lost(tmp_path: Path) -> None:
    finished = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"],
        capture_output=True,
        text=True,
        check=True,
    )
    dead_pid = int(finished.stdout)
    with open_history(tmp_path) as history:
        history.start(record("run-01", pid=dead_pid, start_token="boot:1"))
        history.start(record("run-02"))  # this process: alive
        history.start(record("run-03", pid=dead_pid, host="another-machine"))
    with open_history(tmp_path) as history:
        statuses = {r.id: r.status for r in history.find()}
        lost = history.get("run-01")
    assert statuses == {"run-01": "lost", "run-02": "running", "run-03": "running"}
    assert lost.ended_at is not None and "ended without recording" in (lost.error or "")


def test_a_reused_pid_is_not_taken_for_the_run_process() -> None:
    me = os.getpid()
    assert process_is_alive(me, process_token(me))
    assert not process_is_alive(me, process_token(me) + "0")


def test_run_ids_are_unique_and_sortable() -> None:
    ids = [new_run_id() for _ in range(200)]
    assert len(set(ids)) == 200
    assert ids == sorted(ids, key=lambda i: i[:15])


def _writer(home: str, index: int) -> None:
    with open_history(Path(home)) as history:
        run_id = f"run-{index:02d}"
        history.start(record(run_id)._replace(pid=os.getpid(), start_token=""))
        history.update(run_id, status="success", exit_code=0, result={"index": index})


def test_thirty_concurrent_writers_lose_nothing(tmp_path: Path) -> None:
    context = multiprocessing.get_context("spawn")
    workers = [context.Process(target=_writer, args=(str(tmp_path), i)) for i in range(30)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(60)
    assert [w.exitcode for w in workers] == [0] * 30
    with open_history(tmp_path) as history:
        runs = history.find(limit=None)
    assert sorted(r.id for r in runs) == [f"run-{i:02d}" for i in range(30)]
    assert all(r.status == "success" and r.result == {"index": int(r.id[-2:])} for r in runs)
    connection = sqlite3.connect(tmp_path / "history.sqlite3")
    assert connection.execute("PRAGMA integrity_check").fetchone()[0] == "ok"


def test_an_unwritable_home_is_a_clear_error(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    with pytest.raises(ToolkitError, match="cannot open the run history"):
        open_history(blocker / "home")


def test_a_home_that_is_a_file_or_a_damaged_database_is_a_clear_error(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("not a folder")
    with pytest.raises(ToolkitError, match="file: it is not a folder"):
        open_history(tmp_path / "file")
    (tmp_path / "damaged").mkdir()
    (tmp_path / "damaged" / "history.sqlite3").write_text("garbage, not SQLite")
    with pytest.raises(ToolkitError, match=r"history\.sqlite3 is damaged") as caught:
        open_history(tmp_path / "damaged")
    assert "autokit runs repair" in str(caught.value.hint)


# The columns each schema version added (version 1 had the rest).
COLUMNS_ADDED = {
    2: {"child_token"},
    3: {"leaks"},
    4: {"example"},
    5: set(MEASURE_COLUMNS),
}


def schema_of_version(version: int) -> str:
    """The history's schema as autokit `version` created it: today's, less the later columns."""
    from toolkit.history import database as module

    later = set().union(*(names for v, names in COLUMNS_ADDED.items() if v > version))
    head, rest = module._SCHEMA.split("(", 1)
    body, tail = rest.split("\n);", 1)
    columns = [line.strip().rstrip(",") for line in body.strip().splitlines()]
    kept = [c for c in columns if c.split()[0] not in later]
    indexes = [line for line in tail.splitlines() if not (set(line.split()) & later)]
    indexes = [line for line in indexes if not any(f"({c})" in line for c in later)]
    return head + "(\n    " + ",\n    ".join(kept) + "\n);" + "\n".join(indexes) + "\n"


def test_a_version_1_database_is_upgraded(tmp_path: Path) -> None:
    old_schema = schema_of_version(1)
    assert not {"leaks", "child_token", "example", "counts"} & set(old_schema.split())
    connection = sqlite3.connect(tmp_path / "history.sqlite3")
    connection.executescript(old_schema + "PRAGMA user_version = 1;")
    connection.close()
    with open_history(tmp_path) as history:
        history.start(record("run-01", child_pid=1, child_token="t"))
        assert history.get("run-01").child_token == "t"
        assert history.get("run-01").leaks == ()
        history.update("run-01", leaks=["report.csv"])
        assert history.get("run-01").leaks == ("report.csv",)


def version_3_database(folder: Path) -> Path:
    """A history as autokit wrote it before runs recorded their example, holding one run."""
    old_schema = schema_of_version(3)
    assert "example" not in old_schema
    path = folder / "history.sqlite3"
    connection = sqlite3.connect(path)
    connection.executescript(old_schema + "PRAGMA user_version = 3;")
    old = record("run-01")._replace(status="success")
    present = set(COLUMNS) - COLUMNS_ADDED[4] - COLUMNS_ADDED[5]
    columns = [c for c in COLUMNS if c in present]
    values = [_row(old)[COLUMNS.index(c)] for c in columns]
    connection.execute(
        f"INSERT INTO runs ({', '.join(columns)}) VALUES ({', '.join('?' for _ in columns)})",
        values,
    )
    connection.commit()
    connection.close()
    return path


def test_a_version_3_database_gains_the_example_column(tmp_path: Path) -> None:
    version_3_database(tmp_path)
    with open_history(tmp_path) as history:
        assert history.get("run-01").example is None
        history.start(record("run-02", example=2))
        assert history.get("run-02").example == 2
    connection = sqlite3.connect(tmp_path / "history.sqlite3")
    assert connection.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION == 5
    connection.close()


def test_runs_from_before_measuring_are_never_sent_to_the_ledger(tmp_path: Path) -> None:
    version_3_database(tmp_path)
    with open_history(tmp_path) as history:
        old = history.get("run-01")
        assert (old.kind, old.counts, old.minutes_saved) == (None, None, None)
        history.start(record("run-02", kind="real"))
        history.update("run-02", status="success", counts=True, minutes_saved=5.0)
        assert [r.id for r in history.not_shared()] == ["run-02"]
        history.mark_shared(["run-02"], "2026-12-02T00:00:00+00:00")
        assert history.not_shared() == []
        assert history.get("run-02").shared_at == "2026-12-02T00:00:00+00:00"


def test_repair_finds_nothing_wrong_with_a_version_3_database(tmp_path: Path) -> None:
    home = tmp_path / "state"
    home.mkdir()
    path = version_3_database(home)
    outcome = repair_history(home)
    assert (outcome.problem, outcome.kept) == (None, 1)
    assert [p.name for p in home.iterdir()] == [path.name]  # nothing moved aside
