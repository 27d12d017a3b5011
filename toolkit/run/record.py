"""Step 5 of a run, the record: its folder, its row in the history, and how it ended.

A run's folder (`AUTOKIT_HOME/runs/<id>/`) holds `log.txt`, `output/` (the automation's
`AUTOKIT_OUTPUT_DIR`) and `result.json` (what the bootstrap reported, masked). The row is
inserted as `running` before the process starts and finished once it has ended.
"""

from __future__ import annotations

import getpass
import json
import os
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from toolkit.errors import ToolkitError
from toolkit.history import History, RunRecord, hostname, new_run_id, now_iso, process_token
from toolkit.inputs import jsonable
from toolkit.metadata import Automation
from toolkit.run.target import Target
from toolkit.runtimes import runtime_of
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


@dataclass(frozen=True)
class RunFolder:
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
    def result(self) -> Path:
        return self.path / "result.json"


@dataclass
class Outcome:
    """How a run ended: its status, the process's code, its result or its error."""

    status: Status
    returncode: int | None
    result: object
    error: str | None
    leaks: list[str] = field(default_factory=list)  # output files holding a secret


def new_run_folder(history: History) -> RunFolder:
    """A fresh run id and its folder (with `output/`); a clash of ids draws a new one."""
    for _ in range(10):
        folder = RunFolder(history.run_dir(new_run_id()))
        try:
            folder.output.mkdir(parents=True)
        except FileExistsError:
            continue
        return folder
    raise ToolkitError(f"cannot create a run folder in {history.home}", "check AUTOKIT_HOME")


def running_record(
    target: Target, inputs: Mapping[str, object], masker: Masker, folder: RunFolder
) -> RunRecord:
    """The history row of a run that is about to start."""
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
    )


def child_started(history: History, run_id: str) -> Callable[[int], None]:
    """Records the run's process, so a run whose autokit was killed can still stop it."""

    def record(pid: int) -> None:
        history.update(run_id, child_pid=pid, child_token=process_token(pid))

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


def finish(history: History, run_id: str, started: float, outcome: Outcome) -> None:
    """Record how the run ended; `started` is its `time.monotonic()` start."""
    exit_code = outcome.returncode
    if outcome.status in ("timeout", "cancelled"):
        exit_code = EXIT_CODES[outcome.status]
    history.update(
        run_id,
        status=outcome.status,
        exit_code=exit_code,
        ended_at=now_iso(),
        duration=round(time.monotonic() - started, 3),
        result=outcome.result,
        error=outcome.error,
        leaks=outcome.leaks,
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
    reported = _reported(folder.result, masker)
    if ending == "timeout":
        error = (
            f"timed out after {timeout:g} s and was stopped, with every process it started "
            "(allow more with --timeout SECONDS or `timeout:` in automation.yaml)"
        )
        return Outcome("timeout", returncode, None, error)
    if ending == "cancelled":
        return Outcome("cancelled", returncode, None, "cancelled (Ctrl-C or SIGTERM)")
    if returncode == 0 and reported.get("ok", True):
        return Outcome("success", 0, masker.mask_data(reported.get("result")), None)
    reason = reported.get("error") or runtime_of(automation).describe_exit(automation, returncode)
    return Outcome("failed", returncode, None, masker.mask(str(reason)))


def _reported(result_file: Path, masker: Masker) -> dict[str, object]:
    """What the bootstrap wrote (nothing for a shell run), masked in the file too."""
    if not result_file.is_file():
        return {}
    reported: dict[str, object] = json.loads(result_file.read_text(encoding="utf-8"))
    result_file.write_text(json.dumps(masker.mask_data(reported)), encoding="utf-8")
    return reported
