"""Step 5 of a run, the record: its folder, its row in the history, and how it ended.

A run's folder (`AUTOKIT_HOME/runs/<id>/`) holds what the supervisor writes, `log.txt`
and, after the run, `result.json` (what the bootstrap reported, checked and masked), and the
only two places the automation is given to write: `output/` (its `AUTOKIT_OUTPUT_DIR`) and
`report/` (where the bootstrap writes `result.json`). Nothing autokit trusts is read from
those two but the report, which is read as untrusted data: at most `RESULT_LIMIT` bytes of
a regular file (never through a link) that must hold a JSON object. `report/` is removed
once its content is copied out. The row is inserted as `running` before the process starts
and finished once it has ended.
"""

from __future__ import annotations

import contextlib
import errno
import getpass
import io
import json
import os
import shutil
import stat
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Literal, NamedTuple

from toolkit.errors import ToolkitError
from toolkit.fileio import atomic_write
from toolkit.history import History, RunRecord, hostname, new_run_id, now_iso, process_token
from toolkit.inputs import jsonable
from toolkit.metadata import Automation
from toolkit.run.target import Target
from toolkit.runtimes import runtime_of
from toolkit.savings import (
    UNITS_FILE,
    minutes_saved,
    not_counted_because,
    place_of,
    run_kind,
    trigger_of,
    units_from,
)
from toolkit.secrets import Masker

EXIT_SUCCESS = 0
EXIT_FAILED = 1
EXIT_TIMEOUT = 124
EXIT_CANCELLED = 130
EXIT_CODES = {
    "success": EXIT_SUCCESS,
    "failed": EXIT_FAILED,
    "timeout": EXIT_TIMEOUT,
    "cancelled": EXIT_CANCELLED,
}

Status = Literal["success", "failed", "timeout", "cancelled"]

RESULT_LIMIT = 1024 * 1024  # bytes of result.json read at most; more fails the run


class RunFolder(NamedTuple):
    """A run's folder and the files in it."""

    path: Path

    @property
    def run_id(self) -> str:
        return self.path.name

    @property
    def output(self) -> Path:
        return self.path / "output"

    @property
    def log(self) -> Path:
        return self.path / "log.txt"

    @property
    def request(self) -> Path:
        return self.path / "request.json"

    @property
    def report(self) -> Path:
        """The folder the bootstrap writes `result.json` in: the one folder beside `output/`
        the sandbox lets it write; the supervisor checks the file and keeps a masked copy."""
        return self.path / "report"

    @property
    def result(self) -> Path:
        """The result file the bootstrap writes, inside `report/`."""
        return self.report / "result.json"

    @property
    def units(self) -> Path:
        """Where a shell automation writes how many units of work it did (`toolkit.savings`)."""
        return self.report / UNITS_FILE

    @property
    def kept_result(self) -> Path:
        """The result as the supervisor keeps it after the run: checked and masked."""
        return self.path / "result.json"

    @property
    def automation_writable(self) -> tuple[Path, Path]:
        """Every path the automation may write; the log and the history are outside them."""
        return (self.output, self.report)


class Outcome(NamedTuple):
    """How a run ended: its status, the process's code, its result or its error."""

    status: Status
    returncode: int | None
    result: object
    error: str | None
    leaks: Sequence[str] = ()  # output files holding a secret
    units: float | None = None  # the units of work a successful run reported


def new_run_folder(history: History) -> RunFolder:
    """A fresh run id and its folder (with `output/`); a clash of ids draws a new one."""
    for _ in range(10):
        folder = RunFolder(history.run_dir(new_run_id()))
        try:
            folder.output.mkdir(parents=True)
            folder.report.mkdir()
        except FileExistsError:
            continue
        except OSError as error:
            raise ToolkitError(
                f"cannot create a run folder in {folder.path.parent}: {error.strerror}",
                _space_hint(error),
            ) from None
        return folder
    raise ToolkitError(f"cannot create a run folder in {history.home}", "check AUTOKIT_HOME")


class LogFile(io.TextIOWrapper):
    """The run's log; a write that fails (a full disk) is remembered, not raised.

    The automation runs on and its output still reaches the terminal; once it has ended,
    `failed_log` turns the run into a failure that names the log.
    """

    failure: OSError | None = None

    def write(self, text: str) -> int:
        if self.failure is None:
            try:
                super().write(text)
            except OSError as error:
                self.failure = error
        return len(text)

    def flush(self) -> None:
        if self.failure is None:
            try:
                super().flush()
            except OSError as error:
                self.failure = error

    def close(self) -> None:
        self.flush()
        with contextlib.suppress(OSError):  # what could not be written is dropped
            super().close()


def open_log(folder: RunFolder) -> LogFile:
    return LogFile(folder.log.open("wb"), encoding="utf-8", write_through=True)


def failed_log(outcome: Outcome, log: Path, failure: OSError) -> Outcome:
    """A run whose log could not be written has failed, whatever the automation did."""
    message = (
        f"the log {log} could not be written: {failure.strerror or failure}; {_space_hint(failure)}"
    )
    if outcome.status != "success":
        message = f"{outcome.error}; {message}"
    return Outcome("failed", outcome.returncode, None, message, outcome.leaks)


def supervisor_failure(error: OSError) -> ToolkitError:
    """autokit itself could not write a file of the run (the request, the log)."""
    where = f" {error.filename}" if error.filename else ""
    return ToolkitError(
        f"autokit could not write{where}: {error.strerror or error}", _space_hint(error)
    )


def _space_hint(error: OSError) -> str:
    if error.errno in (errno.ENOSPC, errno.EDQUOT):
        return "free some space there (old run folders can go) or set AUTOKIT_HOME elsewhere"
    return "check that AUTOKIT_HOME points to a writable folder"


def running_record(
    target: Target,
    inputs: Mapping[str, object],
    masker: Masker,
    folder: RunFolder,
    example: int | None = None,
    repository: Path | None = None,
) -> RunRecord:
    """The history row of a run that is about to start (`example`: `--example N`'s N)."""
    automation = target.automation
    return RunRecord(
        id=folder.run_id,
        automation=target.automation.name,
        version=target.version,
        pinned=target.pinned,
        git_commit=target.commit,
        dirty=target.dirty,
        user=_user(),
        host=hostname(),
        pid=os.getpid(),
        start_token=process_token(os.getpid()),
        child_pid=None,
        inputs=masker.mask_mapping(jsonable(inputs)),
        status="running",
        exit_code=None,
        started_at=now_iso(),
        ended_at=None,
        duration=None,
        result=None,
        error=None,
        run_dir=str(folder.path),
        example=example,
        kind=run_kind(automation, inputs, example),
        run_trigger=trigger_of(),
        place=place_of(),
        unit=automation.time_saved.per if automation.time_saved else None,
        repository=None if repository is None else str(repository),
    )


def child_started(history: History, run_id: str) -> Callable[[int], None]:
    """Records the run's process, so a run whose autokit was killed can still stop it."""

    def record(pid: int) -> None:
        history.update(run_id, child_pid=pid, child_token=process_token(pid))
        history.make_room()

    return record


def _user() -> str:
    if actor := os.environ.get("GITHUB_ACTOR"):
        return actor
    try:
        return getpass.getuser()
    except (OSError, KeyError):
        return "unknown"


def stopped_by_autokit(error: BaseException, masker: Masker) -> Outcome:
    """The outcome of a run that autokit itself stopped (Ctrl-C, or a bug of its own)."""
    status: Status = "cancelled" if isinstance(error, KeyboardInterrupt) else "failed"
    message = f"autokit stopped the run: {type(error).__name__}: {error}"
    return Outcome(status, None, None, masker.mask(message))


def finish(
    history: History, record: RunRecord, target: Target, started: float, outcome: Outcome
) -> None:
    """Record how the run ended, and what it saved; `started` is its `time.monotonic()` start."""
    exit_code = outcome.returncode
    if outcome.status in ("timeout", "cancelled"):
        exit_code = EXIT_CODES[outcome.status]
    automation = target.automation
    counts = not_counted_because(
        record.kind or "", outcome.status, target.dirty, automation.rehearsal
    )
    history.update(
        record.id,
        status=outcome.status,
        exit_code=exit_code,
        ended_at=now_iso(),
        duration=round(time.monotonic() - started, 3),
        result=outcome.result,
        error=outcome.error,
        leaks=outcome.leaks,
        units=outcome.units,
        minutes_saved=minutes_saved(automation, outcome.units) if counts is None else 0.0,
        counts=counts is None,
    )


def interpret(
    automation: Automation,
    ending: str,
    returncode: int,
    folder: RunFolder,
    masker: Masker,
    timeout: float,
) -> Outcome:
    """Turn the process's end and the bootstrap's result file into the run's outcome."""
    units_written = _units_written(folder)
    try:
        reported = read_report(folder, masker)
    except ReportError as refused:
        reported = {"ok": False, "error": str(refused)}
    if ending == "timeout":
        error = (
            f"timed out after {timeout:g} s and was stopped, with every process it started "
            "(allow more with --timeout SECONDS or `timeout:` in automation.yaml)"
        )
        return Outcome("timeout", returncode, None, error)
    if ending == "cancelled":
        return Outcome("cancelled", returncode, None, "cancelled (Ctrl-C or SIGTERM)")
    if returncode == 0 and reported.get("ok", True) is True:
        result = reported.get("result")
        units = units_written
        if isinstance(result, dict) and "units" in result:
            units = _units(result["units"], "the returned mapping's `units`")
        return Outcome("success", 0, masker.mask_data(result), None, units=units)
    reason = reported.get("error") or runtime_of(automation).describe_exit(automation, returncode)
    return Outcome("failed", returncode, None, masker.mask(str(reason)))


_NOT_AN_OBJECT = "result.json is not a JSON object"
UNITS_LIMIT = 100  # bytes of the units file read at most


def _units_written(folder: RunFolder) -> float | None:
    """The units a shell automation wrote to `$AUTOKIT_UNITS_FILE`, if any."""
    try:
        raw = _read_untrusted(folder.units, UNITS_LIMIT)
    except ReportError:
        raw = b"not a regular file"
    if raw is None:
        return None
    return _units(raw.decode("utf-8", "replace"), "the units file ($AUTOKIT_UNITS_FILE)")


def _units(value: object, where: str) -> float | None:
    """A reported count of units, or None with a warning saying why it is not one."""
    units = units_from(value)
    if units is None:
        # The value itself is not shown: it is the automation's, and may hold a secret.
        print(
            f"warning: {where} does not hold a number of units from 0 to 10,000,000; "
            "the run counts no units",
            file=sys.stderr,
        )
    return units


class ReportError(Exception):
    """The result file is there but is not what the bootstrap writes."""


def read_report(folder: RunFolder, masker: Masker) -> dict[str, object]:
    """What the bootstrap reported (nothing for a shell run), kept masked beside the log.

    `report/` is the automation's to write, so its content is untrusted: a link, a FIFO, a
    huge file, bytes that are not UTF-8 JSON, or JSON that is not an object raise
    `ReportError`. The folder is removed afterwards either way.
    """
    try:
        raw = _read_untrusted(folder.result)
    finally:
        shutil.rmtree(folder.report, ignore_errors=True)
    if raw is None:
        return {}
    reported = _parse_report(raw)
    masked = masker.mask_data(reported)
    with contextlib.suppress(OSError):  # a full disk: the history still gets the result
        atomic_write(folder.kept_result, json.dumps(masked))
    return reported


def _read_untrusted(path: Path, limit: int = RESULT_LIMIT) -> bytes | None:
    """At most `limit` + 1 bytes of the regular file `path`; None when it is absent."""
    flags = os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0)
    try:
        descriptor = os.open(path, flags)
    except FileNotFoundError:
        return None
    except OSError as error:
        why = "it is a link, which is never followed" if error.errno == errno.ELOOP else error
        raise ReportError(f"{_NOT_AN_OBJECT}: {why}") from None
    with os.fdopen(descriptor, "rb") as file:
        if not stat.S_ISREG(os.fstat(file.fileno()).st_mode):
            raise ReportError(f"{_NOT_AN_OBJECT}: it is not a regular file")
        return file.read(limit + 1)


def _parse_report(raw: bytes) -> dict[str, object]:
    if len(raw) > RESULT_LIMIT:
        raise ReportError(
            f"{_NOT_AN_OBJECT}: it is larger than {RESULT_LIMIT // 1024} KiB "
            "(return less from main, or write large results to AUTOKIT_OUTPUT_DIR)"
        )
    try:
        reported: object = json.loads(raw.decode("utf-8"))
    except UnicodeDecodeError as error:
        raise ReportError(f"{_NOT_AN_OBJECT}: not UTF-8 ({error.reason})") from None
    except ValueError as error:
        raise ReportError(f"{_NOT_AN_OBJECT}: {error}") from None
    if not isinstance(reported, dict):
        raise ReportError(f"{_NOT_AN_OBJECT}: it holds a {_json_kind(reported)}")
    return reported


def _json_kind(value: object) -> str:
    kinds = {list: "list", str: "string", bool: "boolean", int: "number", float: "number"}
    return "null" if value is None else kinds.get(type(value), type(value).__name__)
