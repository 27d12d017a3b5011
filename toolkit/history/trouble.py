"""What went wrong with the history database, in words an operator can act on.

SQLite reports a lock held too long, a full disk and a damaged file each as an error code;
`database_error` turns each into a `ToolkitError` that names the file and says what to do.
For a lock it also names the process that holds it when this machine can tell: Linux lists
every `fcntl` lock, with its process and the file's inode, in `/proc/locks` (SQLite locks
the `-shm` file in WAL mode and the database file otherwise).
"""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path

from toolkit.errors import ToolkitError

TIMEOUT_VARIABLE = "AUTOKIT_HISTORY_TIMEOUT"
DEFAULT_TIMEOUT = 60.0
REPAIR_HINT = (
    "`autokit runs repair` moves it aside and starts a new history with every run it can still read"
)


def busy_timeout() -> float:
    """Seconds to wait for another process's lock on the history (AUTOKIT_HISTORY_TIMEOUT)."""
    text = os.environ.get(TIMEOUT_VARIABLE, "").strip()
    if not text:
        return DEFAULT_TIMEOUT
    try:
        seconds = float(text)
    except ValueError:
        seconds = -1.0
    if not 0 <= seconds < 86_400:
        raise ToolkitError(
            f"{TIMEOUT_VARIABLE}={text!r} is not a number of seconds",
            f"set it to the seconds to wait for the history's lock, e.g. {DEFAULT_TIMEOUT:g}",
        )
    return seconds


def damaged(path: Path, reason: str) -> ToolkitError:
    return ToolkitError(f"the run history {path} is damaged: {reason}", REPAIR_HINT)


def database_error(path: Path, error: sqlite3.Error) -> ToolkitError:
    """The operator's version of an SQLite error met while using the history at `path`."""
    name = getattr(error, "sqlite_errorname", "") or ""
    if name.startswith(("SQLITE_BUSY", "SQLITE_LOCKED")):
        return locked(path)
    if name == "SQLITE_FULL":
        return no_space(path)
    if name.startswith(("SQLITE_CORRUPT", "SQLITE_NOTADB")) or name == "SQLITE_ERROR":
        return damaged(path, str(error))
    return ToolkitError(
        f"cannot use the run history {path}: {error}",
        "check that AUTOKIT_HOME points to a writable folder on a working disk",
    )


def no_space(path: Path) -> ToolkitError:
    return ToolkitError(
        f"no space left on the disk of {path}",
        "free some space there (old folders in runs/ can go) or set AUTOKIT_HOME elsewhere",
    )


def locked(path: Path) -> ToolkitError:
    holders = lock_holders(path)
    who = ", ".join(describe_process(pid) for pid in holders) or "another process"
    stop = f"stop it (`kill {holders[0]}`) if it hangs; " if len(holders) == 1 else ""
    return ToolkitError(
        f"the run history {path} is locked by {who}, longer than the "
        f"{busy_timeout():g} s autokit waits",
        f"wait for it to finish and try again; {stop}"
        f"{TIMEOUT_VARIABLE}=SECONDS makes autokit wait longer",
    )


def lock_holders(path: Path) -> list[int]:
    """Processes other than this one with a write lock on the database (or its -shm file).

    Falls back to the processes that have the file open when /proc/locks names none.
    """
    files = set()
    for candidate in (path, path.with_name(path.name + "-shm")):
        try:
            info = candidate.stat()
        except OSError:
            continue
        files.add((os.major(info.st_dev), os.minor(info.st_dev), info.st_ino))
    holders = sorted(set(_write_lockers(files)) - {os.getpid()})
    return holders or sorted(set(_openers(path)) - {os.getpid()})


def _write_lockers(files: set[tuple[int, int, int]]) -> list[int]:
    try:
        lines = Path("/proc/locks").read_text().splitlines()
    except OSError:
        return []
    pids = []
    for line in lines:
        fields = line.split()
        if "->" in fields or len(fields) < 6 or fields[3] != "WRITE":
            continue  # a lock being waited for, or a read lock
        try:
            major, minor, inode = fields[5].split(":")
            if (int(major, 16), int(minor, 16), int(inode)) in files:
                pids.append(int(fields[4]))
        except ValueError:
            continue
    return pids


def _openers(path: Path) -> list[int]:
    """Processes with `path` open, found as links in /proc/PID/fd (those we may read)."""
    target = str(path.resolve())
    pids = []
    for entry in Path("/proc").iterdir() if Path("/proc").is_dir() else []:
        if not entry.name.isdigit():
            continue
        try:
            if any(os.readlink(fd) == target for fd in (entry / "fd").iterdir()):
                pids.append(int(entry.name))
        except OSError:
            continue
    return pids


def describe_process(pid: int) -> str:
    """`process 1234 (python3)`: its command name only; its arguments may hold secrets."""
    try:
        name = Path(f"/proc/{pid}/comm").read_text().strip()
    except OSError:
        return f"process {pid}"
    return f"process {pid} ({name})"
