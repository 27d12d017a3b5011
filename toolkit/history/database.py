"""Opening the history's SQLite file: created whole, in WAL mode, its schema checked.

A new database is built beside its place and linked in, so no process ever sees a
half-made one; a zero-byte file found there was therefore emptied by something else, and
is reported before it is reused. A `runs` table without autokit's columns is someone
else's, and is reported as damage rather than written into.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path

from toolkit.history.trouble import busy_timeout, damaged

SCHEMA_VERSION = 5
# Version 5: what the run ledger needs (`toolkit.savings`, `toolkit.ledger`).
MEASURE_COLUMNS = {
    "kind": "TEXT",
    "run_trigger": "TEXT",
    "place": "TEXT",
    "units": "REAL",
    "unit": "TEXT",
    "minutes_saved": "REAL",
    "counts": "INTEGER",
    "repository": "TEXT",
    "shared_at": "TEXT",
}
# Columns that older schemas lack; an upgrade (or `autokit runs repair`) adds them.
ADDED_LATER = frozenset({"child_token", "leaks", "example", *MEASURE_COLUMNS})

_SCHEMA = """
CREATE TABLE IF NOT EXISTS runs (
    id TEXT PRIMARY KEY,
    automation TEXT NOT NULL,
    version TEXT NOT NULL,
    pinned INTEGER NOT NULL DEFAULT 0,
    git_commit TEXT,
    dirty INTEGER,
    user TEXT NOT NULL,
    host TEXT NOT NULL,
    pid INTEGER NOT NULL,
    start_token TEXT NOT NULL,
    child_pid INTEGER,
    child_token TEXT,
    inputs TEXT NOT NULL,
    status TEXT NOT NULL,
    exit_code INTEGER,
    started_at TEXT NOT NULL,
    ended_at TEXT,
    duration REAL,
    result TEXT,
    error TEXT,
    run_dir TEXT NOT NULL,
    leaks TEXT,
    example INTEGER,
    kind TEXT,
    run_trigger TEXT,
    place TEXT,
    units REAL,
    unit TEXT,
    minutes_saved REAL,
    counts INTEGER,
    repository TEXT,
    shared_at TEXT
);
CREATE INDEX IF NOT EXISTS runs_by_automation ON runs (automation, started_at);
CREATE INDEX IF NOT EXISTS runs_by_status ON runs (status);
CREATE INDEX IF NOT EXISTS runs_not_shared ON runs (shared_at) WHERE shared_at IS NULL;
"""


def connect(path: Path, columns: Sequence[str]) -> sqlite3.Connection:
    """A connection to the history at `path`, created first when it does not exist."""
    if not path.exists():
        _create_database(path)
    elif path.stat().st_size == 0:
        print(
            f"warning: the run history {path} is an empty file (0 bytes): the runs it held "
            "are gone (a full disk, or a copy that failed?); a new history starts in it",
            file=sys.stderr,
        )
    connection = open_connection(path)
    try:
        _check_columns(connection, path, columns, upgrading=True)
        if connection.execute("PRAGMA user_version").fetchone()[0] < SCHEMA_VERSION:
            _retry_busy(lambda: _create_schema(connection))
        _check_columns(connection, path, columns, upgrading=False)
    except BaseException:
        connection.close()
        raise
    return connection


def open_connection(path: Path) -> sqlite3.Connection:
    timeout = busy_timeout()
    connection = sqlite3.connect(path, timeout=timeout, isolation_level=None)
    try:
        connection.execute(f"PRAGMA busy_timeout = {int(timeout * 1000)}")
        _retry_busy(lambda: _enable_wal(connection))
        connection.execute("PRAGMA synchronous = NORMAL")
    except BaseException:
        connection.close()
        raise
    return connection


def _create_database(path: Path) -> None:
    """Build a new, empty history beside `path` and link it into place whole.

    When another process links its own first, that one is used; either way no process
    ever sees a half-made database there.
    """
    building = path.with_name(f".{path.name}.new-{os.getpid()}-{os.urandom(3).hex()}")
    try:
        connection = open_connection(building)
        try:
            _create_schema(connection)
        finally:
            connection.close()
        with contextlib.suppress(FileExistsError):
            os.link(building, path)
    finally:
        for leftover in ("", "-wal", "-shm"):
            Path(f"{building}{leftover}").unlink(missing_ok=True)


def _check_columns(
    connection: sqlite3.Connection, path: Path, columns: Sequence[str], *, upgrading: bool
) -> None:
    """A `runs` table that lacks autokit's columns belongs to something else."""
    present = {row[1] for row in connection.execute("PRAGMA table_info(runs)")}
    if not present:
        return  # no table yet: the schema creates it
    added_later = ADDED_LATER if upgrading else set()
    missing = [name for name in columns if name not in present and name not in added_later]
    if missing:
        raise damaged(path, f"its `runs` table is not autokit's (it has no {', '.join(missing)})")


def _enable_wal(connection: sqlite3.Connection) -> None:
    if connection.execute("PRAGMA journal_mode").fetchone()[0] != "wal":
        connection.execute("PRAGMA journal_mode = WAL")


def _create_schema(connection: sqlite3.Connection) -> None:
    """Create the tables, or bring an older database up to date (in one transaction)."""
    connection.execute("BEGIN IMMEDIATE")
    try:
        version = connection.execute("PRAGMA user_version").fetchone()[0]
        if version == 1:  # version 2 added the child's start token
            connection.execute("ALTER TABLE runs ADD COLUMN child_token TEXT")
        if version in (1, 2):  # version 3 added the output files that hold a secret
            connection.execute("ALTER TABLE runs ADD COLUMN leaks TEXT")
        if version in (1, 2, 3):  # version 4 added which example gave the inputs
            connection.execute("ALTER TABLE runs ADD COLUMN example INTEGER")
        if version in (1, 2, 3, 4):  # version 5 added what the run ledger measures
            for column, kind in MEASURE_COLUMNS.items():
                connection.execute(f"ALTER TABLE runs ADD COLUMN {column} {kind}")
        for statement in filter(str.strip, _SCHEMA.split(";")):
            connection.execute(statement)
        connection.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
    except BaseException:
        connection.execute("ROLLBACK")
        raise
    connection.execute("COMMIT")


def _retry_busy(action: Callable[[], None]) -> None:
    """Run `action`, retrying while another process holds a lock the busy handler skips.

    Switching to WAL needs an exclusive lock, and SQLite reports that as busy at once
    instead of waiting; only the first run on a new database ever meets this.
    """
    deadline = time.monotonic() + busy_timeout()
    attempt = 0
    while True:
        try:
            action()
            return
        except sqlite3.OperationalError as error:
            if "locked" not in str(error) or time.monotonic() > deadline:
                raise
            attempt += 1
            time.sleep(min(0.02 * attempt, 1.0))
