"""`autokit runs repair`: move a damaged history aside and start a new one with what it held.

SQLite reads a damaged file up to the damage: a scan of the `runs` table stops at the first
bad page. So the table is read from both ends, the rows its indexes still name are looked
up one by one, and a row whose JSON columns are not JSON keeps everything else (those
columns emptied). The damaged file is kept beside the new one, renamed
`history.sqlite3.damaged-<UTC time>`, for whoever wants to dig further.
"""

from __future__ import annotations

import contextlib
import json
import os
import sqlite3
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from toolkit.history import COLUMNS, DATABASE_FILE, RunRecord, open_history, record_from_row
from toolkit.history.database import ADDED_LATER

Row = Sequence[Any]  # what sqlite3 gives back for one row
_INDEXES = {"sqlite_autoindex_runs_1": "id", "runs_by_automation": "automation"}
_INDEXES["runs_by_status"] = "status"
_EMPTIED = {"inputs": "{}", "result": "null"}


@dataclass
class Repair:
    """What `repair_history` found and did; `moved_to` is None when nothing was damaged."""

    path: str
    problem: str | None
    moved_to: str | None = None
    kept: int = 0
    lost: int = 0
    emptied: list[str] = field(default_factory=list)


def repair_history(home: Path) -> Repair:
    """Check the history in `home`; when it is damaged, move it aside and rebuild it."""
    path = home / DATABASE_FILE
    if not path.exists():
        return Repair(str(path), None)
    # A plain connection: nothing changes on open (no WAL switch, no schema).
    with contextlib.closing(sqlite3.connect(path, isolation_level=None)) as connection:
        problem = diagnose(connection)
        if problem is None:
            return Repair(str(path), None, kept=_count(connection))
        rows, lost = _salvage(connection)
    repair = Repair(str(path), problem, lost=lost)
    records = [_record(row, repair) for row in rows]
    repair.moved_to = str(_move_aside(path))
    with open_history(home, mark_lost=False) as history:
        history.restore(records)
    repair.kept = len(records)
    return repair


def diagnose(connection: sqlite3.Connection) -> str | None:
    """What is wrong with the history, or None when every page and every row reads."""
    try:
        problems = [row[0] for row in connection.execute("PRAGMA integrity_check(5)")]
        if problems != ["ok"]:
            return "; ".join(problems)
        present = {row[1] for row in connection.execute("PRAGMA table_info(runs)")}
        missing = [c for c in COLUMNS if c not in present and c not in ADDED_LATER]
        if present and missing:
            return f"its `runs` table is not autokit's (it has no {', '.join(missing)})"
        if not present:
            return None
        columns = ", ".join(c if c in present else "NULL" for c in COLUMNS)  # an older schema
        for row in connection.execute(f"SELECT {columns} FROM runs"):
            try:
                record_from_row(row)
            except (ValueError, TypeError) as error:
                return f"run {row[0]}: {error}"
    except sqlite3.Error as error:
        return str(error)
    return None


def _count(connection: sqlite3.Connection) -> int:
    try:
        return int(connection.execute("SELECT count(*) FROM runs").fetchone()[0])
    except sqlite3.Error:
        return 0


def _salvage(connection: sqlite3.Connection) -> tuple[list[Row], int]:
    """The rows that still read, and how many more the indexes name that do not."""
    try:
        present = {row[1] for row in connection.execute("PRAGMA table_info(runs)")}
    except sqlite3.Error:
        return [], 0
    if not set(COLUMNS) - ADDED_LATER <= present:  # someone else's table: nothing of ours
        return [], _count(connection)
    columns = ", ".join(c if c in present else "NULL" for c in COLUMNS)
    found: dict[int, Row] = {}
    for order in ("ASC", "DESC"):
        for row in _rows(connection, f"SELECT rowid, {columns} FROM runs ORDER BY rowid {order}"):
            found.setdefault(int(row[0]), row[1:])
    named: set[int] = set()
    for index, column in _INDEXES.items():
        sql = f"SELECT rowid FROM runs INDEXED BY {index} WHERE {column} >= ''"
        named.update(int(row[0]) for row in _rows(connection, sql))
    for rowid in sorted(named - set(found)):
        for row in _rows(connection, f"SELECT {columns} FROM runs WHERE rowid = {rowid}"):
            found[rowid] = row
    return [found[rowid] for rowid in sorted(found)], len(named - set(found))


def _rows(connection: sqlite3.Connection, sql: str) -> Iterator[Row]:
    """The rows of `sql` up to the first one SQLite cannot read."""
    try:
        yield from connection.execute(sql)
    except sqlite3.Error:
        return


def _record(row: Row, repair: Repair) -> RunRecord:
    """The row as a record; JSON columns that are not JSON are emptied, and noted."""
    values = list(row)
    for column, empty in _EMPTIED.items():
        at = COLUMNS.index(column)
        try:
            if values[at] is not None:
                json.loads(str(values[at]))
        except ValueError:
            values[at] = empty
            repair.emptied.append(f"run {values[0]}: its {column} could not be read")
    return record_from_row(values)


def _move_aside(path: Path) -> Path:
    """Rename the database (and its WAL files) to `<name>.damaged-<UTC time>`."""
    stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
    aside = path.with_name(f"{path.name}.damaged-{stamp}")
    for suffix in ("-wal", "-shm", ""):
        source = Path(f"{path}{suffix}")
        if source.exists():
            os.replace(source, f"{aside}{suffix}")
    return aside
