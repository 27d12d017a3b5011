"""The run history: an embedded SQLite database in `AUTOKIT_HOME`, safe for concurrent runs.

The database runs in WAL mode (readers never block the writer), every connection waits
for locks instead of failing (`busy_timeout`), and every write takes the write lock up
front (`BEGIN IMMEDIATE`), so concurrent runs queue instead of failing half-way.

A run is inserted as `running` with the autokit process's pid, host and a start token
(the boot id and the process's start time, so a reused pid is not mistaken for the
run's process). Whenever the history is opened, `running` rows of this host whose
process is gone become `lost`: the run was killed (kill -9, power loss) before it could
record its end.

Every SQLite error becomes a `ToolkitError` naming the file (`toolkit.history.trouble`):
a lock held past `AUTOKIT_HISTORY_TIMEOUT` seconds (default 60) names its holder, a full
disk says so, and a damaged file (garbage in a page, a `runs` table that is not autokit's,
a row whose JSON is not JSON) points to `autokit runs repair` (`toolkit.history.repair`).
A new database is built beside its place and linked in whole, so a zero-byte file is never
autokit's own half-made history: it is reported with a warning before it is reused.
"""

from __future__ import annotations

import contextlib
import errno
import json
import os
import signal
import sqlite3
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, NamedTuple, TypedDict, Unpack

from toolkit.errors import ToolkitError
from toolkit.history.database import SCHEMA_VERSION as SCHEMA_VERSION
from toolkit.history.database import connect
from toolkit.history.trouble import damaged, database_error, no_space
from toolkit.paths import state_home

DATABASE_FILE = "history.sqlite3"
RUNS_DIR = "runs"
STATUSES = ("running", "success", "failed", "timeout", "cancelled", "lost")


class RunRecord(NamedTuple):
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
    leaks: Sequence[str] = ()
    # The number of the example whose inputs the run used (`--example N`), else None:
    # an example run shows how the automation works, it saves nobody any time.
    example: int | None = None
    # What the run ledger measures (`toolkit.savings`): set when the run starts (kind,
    # trigger, place, repository) and ends (units, minutes saved, whether it counts);
    # None in runs recorded before autokit measured them.
    kind: str | None = None
    run_trigger: str | None = None
    place: str | None = None  # this machine's name, or the GitHub Actions run's address
    units: float | None = None
    unit: str | None = None
    minutes_saved: float | None = None
    counts: bool | None = None
    repository: str | None = None  # the root of the clone the run was started in
    shared_at: str | None = None  # when `autokit runs push` put it in the shared ledger

    @property
    def log_path(self) -> Path:
        return Path(self.run_dir) / "log.txt"

    @property
    def output_dir(self) -> Path:
        return Path(self.run_dir) / "output"

    def to_dict(self) -> dict[str, object]:
        data = self._asdict()
        data["leaks"] = list(self.leaks)  # as JSON has it
        data.pop("start_token")
        data.pop("child_token")
        data["log"] = str(self.log_path)
        data["output_dir"] = str(self.output_dir)
        return data


COLUMNS = list(RunRecord._fields)


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
    leaks: Sequence[str]
    units: float | None
    unit: str | None
    minutes_saved: float
    counts: bool


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
        self.connection = connect(self.path, COLUMNS)

    @contextmanager
    def _reading(self) -> Iterator[None]:
        """SQLite errors become errors that name the file and say what to do."""
        try:
            yield
        except sqlite3.Error as error:
            raise database_error(self.path, error) from None

    def __enter__(self) -> History:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self.connection.close()

    @contextmanager
    def write(self) -> Iterator[sqlite3.Connection]:
        """A write transaction that holds the write lock from its start."""
        with self._reading():
            self.connection.execute("BEGIN IMMEDIATE")
            try:
                yield self.connection
            except BaseException:
                if self.connection.in_transaction:
                    self.connection.execute("ROLLBACK")
                raise
            self.connection.execute("COMMIT")

    def run_dir(self, run_id: str) -> Path:
        return self.home / RUNS_DIR / run_id

    def start(self, record: RunRecord) -> None:
        row = _row(record)
        placeholders = ", ".join("?" for _ in COLUMNS)
        with self.write() as db:
            db.execute(f"INSERT INTO runs ({', '.join(COLUMNS)}) VALUES ({placeholders})", row)

    def restore(self, records: Sequence[RunRecord]) -> None:
        """Insert records kept from another history (`autokit runs repair`) in one go."""
        placeholders = ", ".join("?" for _ in COLUMNS)
        with self.write() as db:
            db.executemany(
                f"INSERT OR IGNORE INTO runs ({', '.join(COLUMNS)}) VALUES ({placeholders})",
                [_row(record) for record in records],
            )

    def update(self, run_id: str, **values: Unpack[RunUpdate]) -> None:
        """Set columns of one run (JSON columns are encoded here)."""
        encoded = {k: _encode(k, v) for k, v in values.items()}
        assignments = ", ".join(f"{key} = ?" for key in encoded)
        with self.write() as db:
            db.execute(f"UPDATE runs SET {assignments} WHERE id = ?", [*encoded.values(), run_id])

    def make_room(self) -> None:
        """Copy what the log of changes holds into the database, so that the next write
        reuses the log's space from its start: a run can still record its end on a disk
        that filled up while it ran."""
        with contextlib.suppress(sqlite3.Error):
            self.connection.execute("PRAGMA wal_checkpoint(PASSIVE)")

    def mark_lost(self) -> int:
        """Mark `running` rows of this host whose autokit process is gone as `lost`.

        The automation's own processes may have outlived it (a kill -9 of autokit does not
        reach them); with nobody left to enforce the timeout or record the outcome, their
        process group is stopped. Returns how many runs were marked.
        """
        with self._reading():
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
                    "UPDATE runs SET status = 'lost', ended_at = ?, error = ?, "
                    "counts = CASE WHEN kind IS NULL THEN NULL ELSE 0 END, "
                    "minutes_saved = CASE WHEN kind IS NULL THEN NULL ELSE 0 END "
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
        sql = f"SELECT {', '.join(COLUMNS)} FROM runs {where} ORDER BY started_at DESC, id DESC"
        if limit is not None:
            sql += f" LIMIT {int(limit)}"
        with self._reading():
            rows = self.connection.execute(sql, params).fetchall()
        return [self._record(row) for row in rows]

    def not_shared(self) -> list[RunRecord]:
        """Ended runs the ledger measures that have not reached it yet, oldest first.

        Runs recorded before autokit measured runs (`counts` unset) are never sent: they
        lack what the ledger needs to count them.
        """
        with self._reading():
            rows = self.connection.execute(
                f"SELECT {', '.join(COLUMNS)} FROM runs WHERE shared_at IS NULL "
                "AND counts IS NOT NULL AND status != 'running' ORDER BY started_at, id"
            ).fetchall()
        return [self._record(row) for row in rows]

    def mark_shared(self, run_ids: Sequence[str], when: str) -> None:
        """Note that these runs are in the shared ledger (`autokit runs push`)."""
        with self.write() as db:
            db.executemany(
                "UPDATE runs SET shared_at = ? WHERE id = ?", [(when, i) for i in run_ids]
            )

    def get(self, run_id: str) -> RunRecord:
        """One run by its id, or by the start or the end of its id when only one run has it
        (a date such as `20240531`, or the random part such as `3f9a2c`)."""
        wanted = run_id.strip()
        if not wanted:
            raise ToolkitError("the run id is empty", "`autokit runs` lists runs with their ids")
        pattern = wanted.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        matching = "id = ? OR id LIKE ? ESCAPE '\\' OR id LIKE ? ESCAPE '\\'"
        params = (wanted, pattern + "%", "%" + pattern)
        with self._reading():
            rows = self.connection.execute(
                f"SELECT {', '.join(COLUMNS)} FROM runs WHERE {matching} "
                f"ORDER BY id = ? DESC, started_at DESC, id DESC LIMIT {_CANDIDATES_SHOWN + 1}",
                (*params, wanted),
            ).fetchall()
            count = len(rows)
            if count > _CANDIDATES_SHOWN:
                (count,) = self.connection.execute(
                    f"SELECT COUNT(*) FROM runs WHERE {matching}", params
                ).fetchone()
        if rows and (rows[0][0] == wanted or count == 1):
            return self._record(rows[0])
        if not rows:
            raise ToolkitError(f"no run with id '{wanted}'", "`autokit runs` lists past runs")
        raise _several_runs(wanted, [self._record(row) for row in rows], count)

    def _record(self, row: Sequence[Any]) -> RunRecord:
        try:
            return record_from_row(row)
        except (ValueError, TypeError) as error:
            raise damaged(self.path, f"run {row[0]}: {error}") from None


_CANDIDATES_SHOWN = 5  # runs listed when an id's start or end matches several


def _several_runs(wanted: str, newest: Sequence[RunRecord], count: int) -> ToolkitError:
    shown = newest[:_CANDIDATES_SHOWN]
    lines = [f"  {r.id}  {r.automation}  {r.status}  {r.started_at[:19]}" for r in shown]
    if count > len(shown):
        lines.append(f"  ... and {count - len(shown)} more")
    return ToolkitError(
        f"'{wanted}' matches {count} runs, newest first:\n" + "\n".join(lines),
        "give more of the run id (its start or its end), or the whole id",
    )


def open_history(home: Path | None = None, *, mark_lost: bool = True) -> History:
    """The history in `home` (default: `AUTOKIT_HOME`), with lost runs marked."""
    home = home or state_home()
    try:
        home.mkdir(parents=True, exist_ok=True)
        history = History(home)
    except sqlite3.Error as error:
        raise database_error(home / DATABASE_FILE, error) from None
    except OSError as error:
        reason = "it is not a folder" if home.exists() and not home.is_dir() else error.strerror
        if error.errno in (errno.ENOSPC, errno.EDQUOT):
            raise no_space(home / DATABASE_FILE) from None
        raise _cannot_open(home, str(reason)) from None
    if mark_lost:
        history.mark_lost()
    return history


def _cannot_open(home: Path, reason: str) -> ToolkitError:
    return ToolkitError(
        f"cannot open the run history in {home}: {reason}",
        "check that AUTOKIT_HOME points to a writable folder",
    )


_JSON_COLUMNS = {"inputs", "result", "leaks"}
_BOOL_COLUMNS = {"pinned", "dirty", "counts"}


def _encode(column: str, value: object) -> object:
    if column in _JSON_COLUMNS:
        return json.dumps(value, sort_keys=True)
    if column in _BOOL_COLUMNS and value is not None:
        return int(bool(value))
    return value


def _row(record: RunRecord) -> list[object]:
    return [_encode(name, getattr(record, name)) for name in COLUMNS]


def record_from_row(row: Sequence[Any]) -> RunRecord:
    """A row of `SELECT <every column> FROM runs` as a record (ValueError: not JSON)."""
    values = dict(zip(COLUMNS, row, strict=True))
    for column in _JSON_COLUMNS:
        try:
            values[column] = json.loads(values[column]) if values[column] is not None else None
        except (ValueError, TypeError):
            raise ValueError(f"its {column} column is not JSON") from None
    for column in _BOOL_COLUMNS:
        values[column] = None if values[column] is None else bool(values[column])
    values["leaks"] = tuple(values["leaks"] or ())
    return RunRecord(**values)
