"""The run history: an embedded SQLite database in `AUTOKIT_HOME`, safe for concurrent runs.

The database runs in WAL mode (readers never block the writer), every connection waits
for locks instead of failing (`busy_timeout`), and every write takes the write lock up
front (`BEGIN IMMEDIATE`), so concurrent runs queue instead of failing half-way.

A run is inserted as `running` with the autokit process's pid, host and a start token
(the boot id and the process's start time, so a reused pid is not mistaken for the
run's process). Whenever the history is opened, `running` rows of this host whose
process is gone become `lost`: the run was killed (kill -9, power loss) before it could
record its end.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import sqlite3
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, fields
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypedDict, Unpack

from toolkit.errors import ToolkitError
from toolkit.paths import state_home

DATABASE_FILE = "history.sqlite3"
RUNS_DIR = "runs"
STATUSES = ("running", "success", "failed", "timeout", "cancelled", "lost")
_BUSY_TIMEOUT_MS = 60_000
SCHEMA_VERSION = 3

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
    leaks TEXT
);
CREATE INDEX IF NOT EXISTS runs_by_automation ON runs (automation, started_at);
CREATE INDEX IF NOT EXISTS runs_by_status ON runs (status);
"""


@dataclass(frozen=True)
class RunRecord:
    """One row of the history; `inputs` and `result` are JSON data, secrets already masked."""

    id: str
    automation: str
    version: str
    pinned: bool
    git_commit: str | None
    dirty: bool | None
    user: str
    host: str
    pid: int
    start_token: str
    child_pid: int | None
    inputs: dict[str, object]
    status: str
    exit_code: int | None
    started_at: str
    ended_at: str | None
    duration: float | None
    result: object
    error: str | None
    run_dir: str
    child_token: str | None = None
    # Files of the output folder that hold a secret (paths relative to it, masked).
    leaks: list[str] = field(default_factory=list)

    @property
    def log_path(self) -> Path:
        return Path(self.run_dir) / "log.txt"

    @property
    def output_dir(self) -> Path:
        return Path(self.run_dir) / "output"

    def to_dict(self) -> dict[str, object]:
        data = {f.name: getattr(self, f.name) for f in fields(self)}
        data.pop("start_token")
        data.pop("child_token")
        data["log"] = str(self.log_path)
        data["output_dir"] = str(self.output_dir)
        return data


_COLUMNS = [f.name for f in fields(RunRecord)]


class RunUpdate(TypedDict, total=False):
    """The columns a run changes after its start: its process, then how it ended."""

    child_pid: int
    child_token: str
    status: str
    exit_code: int | None
    ended_at: str
    duration: float
    result: object
    error: str | None
    leaks: list[str]


def hostname() -> str:
    """This machine's name (as `socket.gethostname()`, without importing socket)."""
    return os.uname().nodename


def new_run_id() -> str:
    """Sortable by start time and unique across processes: `20240531-142501-3f9a2c`."""
    stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
    return f"{stamp}-{os.urandom(3).hex()}"


def now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds")


def process_token(pid: int) -> str:
    """The boot id and the process's start time: stable for a process, unique per machine."""
    try:
        boot = Path("/proc/sys/kernel/random/boot_id").read_text().strip()
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return ""
    # The command name (field 2) may hold spaces; fields after its ')' are fixed.
    start_time = stat.rsplit(")", 1)[1].split()[19]
    return f"{boot}:{start_time}"


def process_is_alive(pid: int, token: str) -> bool:
    """Whether the process `pid` is still the one that recorded `token`."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass  # someone else's process holds the pid: compare tokens
    return not token or process_token(pid) == token


_LOST_ERROR = (
    "the autokit process ended without recording the run's end (killed, or the machine "
    "stopped); processes of the run still running were stopped"
)


def _kill_group(group: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(group, signal.SIGKILL)


class History:
    """The run history database. Open with `open_history()`; use as a context manager."""

    def __init__(self, home: Path) -> None:
        self.home = home
        self.path = home / DATABASE_FILE
        self.connection = _connect(self.path)

    def __enter__(self) -> History:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self.connection.close()

    @contextmanager
    def write(self) -> Iterator[sqlite3.Connection]:
        """A write transaction that holds the write lock from its start."""
        self.connection.execute("BEGIN IMMEDIATE")
        try:
            yield self.connection
        except BaseException:
            self.connection.execute("ROLLBACK")
            raise
        self.connection.execute("COMMIT")

    def run_dir(self, run_id: str) -> Path:
        return self.home / RUNS_DIR / run_id

    def start(self, record: RunRecord) -> None:
        row = _row(record)
        placeholders = ", ".join("?" for _ in _COLUMNS)
        with self.write() as db:
            db.execute(f"INSERT INTO runs ({', '.join(_COLUMNS)}) VALUES ({placeholders})", row)

    def update(self, run_id: str, **values: Unpack[RunUpdate]) -> None:
        """Set columns of one run (JSON columns are encoded here)."""
        encoded = {k: _encode(k, v) for k, v in values.items()}
        assignments = ", ".join(f"{key} = ?" for key in encoded)
        with self.write() as db:
            db.execute(f"UPDATE runs SET {assignments} WHERE id = ?", [*encoded.values(), run_id])

    def mark_lost(self) -> int:
        """Mark `running` rows of this host whose autokit process is gone as `lost`.

        The automation's own processes may have outlived it (a kill -9 of autokit does not
        reach them); with nobody left to enforce the timeout or record the outcome, their
        process group is stopped. Returns how many runs were marked.
        """
        rows = self.connection.execute(
            "SELECT id, pid, start_token, child_pid, child_token FROM runs "
            "WHERE status = 'running' AND host = ?",
            (hostname(),),
        ).fetchall()
        gone = [row for row in rows if not process_is_alive(row[1], row[2])]
        for run_id, _pid, _token, child_pid, child_token in gone:
            if child_pid and child_token and process_is_alive(child_pid, child_token):
                _kill_group(child_pid)
            with self.write() as db:
                db.execute(
                    "UPDATE runs SET status = 'lost', ended_at = ?, error = ? "
                    "WHERE id = ? AND status = 'running'",
                    (now_iso(), _LOST_ERROR, run_id),
                )
        return len(gone)

    def find(
        self, automation: str | None = None, status: str | None = None, limit: int | None = 20
    ) -> list[RunRecord]:
        """Runs, newest first, optionally of one automation and one status."""
        clauses, params = [], []
        if automation:
            clauses.append("automation = ?")
            params.append(automation)
        if status:
            clauses.append("status = ?")
            params.append(status)
        where = f"WHERE {' AND '.join(clauses)}" if clauses else ""
        sql = f"SELECT {', '.join(_COLUMNS)} FROM runs {where} ORDER BY started_at DESC, id DESC"
        if limit is not None:
            sql += f" LIMIT {int(limit)}"
        return [_record(row) for row in self.connection.execute(sql, params)]

    def get(self, run_id: str) -> RunRecord:
        """One run by its id (or an unambiguous prefix of it)."""
        rows = self.connection.execute(
            f"SELECT {', '.join(_COLUMNS)} FROM runs WHERE id = ? OR id LIKE ? ORDER BY id LIMIT 2",
            (run_id, run_id.replace("%", "").replace("_", "") + "%"),
        ).fetchall()
        exact = [row for row in rows if row[0] == run_id]
        if exact or len(rows) == 1:
            return _record((exact or rows)[0])
        if not rows:
            raise ToolkitError(f"no run with id '{run_id}'", "`autokit runs` lists past runs")
        raise ToolkitError(f"'{run_id}' matches several runs", "give more of the run id")


def open_history(home: Path | None = None, *, mark_lost: bool = True) -> History:
    """The history in `home` (default: `AUTOKIT_HOME`), with lost runs marked."""
    home = home or state_home()
    try:
        home.mkdir(parents=True, exist_ok=True)
        history = History(home)
    except sqlite3.DatabaseError as error:
        if isinstance(error, sqlite3.OperationalError):  # locked, read-only, disk full...
            raise _cannot_open(home, str(error)) from None
        raise ToolkitError(
            f"the run history {home / DATABASE_FILE} is damaged: {error}",
            "move that file aside (autokit then starts a new, empty history), "
            "or set AUTOKIT_HOME to another folder",
        ) from None
    except (OSError, sqlite3.Error) as error:
        reason = "it is not a folder" if home.exists() and not home.is_dir() else str(error)
        raise _cannot_open(home, reason) from None
    if mark_lost:
        history.mark_lost()
    return history


def _cannot_open(home: Path, reason: str) -> ToolkitError:
    return ToolkitError(
        f"cannot open the run history in {home}: {reason}",
        "check that AUTOKIT_HOME points to a writable folder",
    )


def _connect(path: Path) -> sqlite3.Connection:
    connection = sqlite3.connect(path, timeout=_BUSY_TIMEOUT_MS / 1000, isolation_level=None)
    connection.execute(f"PRAGMA busy_timeout = {_BUSY_TIMEOUT_MS}")
    _retry_busy(lambda: _enable_wal(connection))
    connection.execute("PRAGMA synchronous = NORMAL")
    if connection.execute("PRAGMA user_version").fetchone()[0] < SCHEMA_VERSION:
        _retry_busy(lambda: _create_schema(connection))
    return connection


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
        for statement in filter(str.strip, _SCHEMA.split(";")):
            connection.execute(statement)
        connection.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
    except BaseException:
        connection.execute("ROLLBACK")
        raise
    connection.execute("COMMIT")


def _retry_busy(action: Callable[[], None], attempts: int = 50) -> None:
    """Run `action`, retrying while another process holds a lock the busy handler skips.

    Switching to WAL needs an exclusive lock, and SQLite reports that as busy at once
    instead of waiting; only the first run on a new database ever meets this.
    """
    for attempt in range(attempts):
        try:
            action()
            return
        except sqlite3.OperationalError as error:
            if "locked" not in str(error) or attempt == attempts - 1:
                raise
            time.sleep(0.02 * (attempt + 1))


_JSON_COLUMNS = {"inputs", "result", "leaks"}
_BOOL_COLUMNS = {"pinned", "dirty"}


def _encode(column: str, value: object) -> object:
    if column in _JSON_COLUMNS:
        return json.dumps(value, sort_keys=True)
    if column in _BOOL_COLUMNS and value is not None:
        return int(bool(value))
    return value


def _row(record: RunRecord) -> list[object]:
    return [_encode(name, getattr(record, name)) for name in _COLUMNS]


def _record(row: Sequence[Any]) -> RunRecord:
    values = dict(zip(_COLUMNS, row, strict=True))
    for column in _JSON_COLUMNS:
        values[column] = json.loads(values[column]) if values[column] is not None else None
    for column in _BOOL_COLUMNS:
        values[column] = None if values[column] is None else bool(values[column])
    values["leaks"] = values["leaks"] or []
    return RunRecord(**values)
