"""Running an automation: a pipeline of small steps, each able to stop the run.

    load the automation (a working-tree folder, or a tagged version read from Git)
    -> validate and coerce the inputs
    -> resolve the declared secrets and prepare the runtime's environment
    -> execute it under a timeout, streaming masked output
    -> record how it ended in the history

Everything up to the execution raises `ToolkitError` and leaves no trace in the history:
a refused run never started. Once started, a run always ends in the history as success,
failed, timeout or cancelled (or, when autokit itself is killed, as lost, the next time
the history is opened).

The steps live beside this module: `target` (load), `plan` (inputs, dry run, the child's
argv and environment), `process` (supervision), `record` (run folder and history);
`toolkit.runtimes` holds what differs between python and shell.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import NamedTuple, TextIO

from toolkit.environments import Progress
from toolkit.errors import ToolkitError
from toolkit.files import LINK_HINT, LinkedFile, contributor_link
from toolkit.history import open_history
from toolkit.inputs import coerce_inputs
from toolkit.repo import Repository
from toolkit.run.leaks import leaking_files
from toolkit.run.plan import (
    ALLOWED_ENVIRONMENT,
    Plan,
    PreparedRun,
    child_process,
    dry_run_plan,
    gather_inputs,
    missing_secrets,
    refuse_missing_writable_inputs,
)
from toolkit.run.process import supervise
from toolkit.run.record import (
    EXIT_CODES,
    Outcome,
    RunFolder,
    child_started,
    failed_log,
    finish,
    interpret,
    new_run_folder,
    open_log,
    running_record,
    stopped_by_autokit,
    supervisor_failure,
)
from toolkit.run.sandbox import private_home, sandbox_mode, use_sandbox
from toolkit.run.target import Target, load_target, parse_spec
from toolkit.runtimes import runtime_of
from toolkit.savings import not_counted_because
from toolkit.secrets import Masker, available_secrets, resolve_secrets

__all__ = [
    "ALLOWED_ENVIRONMENT",
    "EXIT_CODES",
    "Plan",
    "PreparedRun",
    "RunResult",
    "Target",
    "execute",
    "load_target",
    "parse_spec",
    "run_automation",
]

Sinks = tuple[TextIO, TextIO]  # where the automation's stdout and stderr go


class RunResult(NamedTuple):
    """What a run did; a dry run has no id and no record, and carries the `plan` instead.

    `exit_code` is autokit's (0, 1, 124, 130); `record` is the run's row in the history as
    `autokit runs show --format json` prints it (there, `exit_code` is the process's).
    """

    automation: str
    version: str
    status: str
    exit_code: int
    run_id: str | None = None
    result: object = None
    error: str | None = None
    duration: float | None = None
    run_dir: str | None = None
    plan: Plan | None = None
    record: dict[str, object] | None = None
    not_counted: str | None = None  # why the run saved nobody time (None: it counts)

    def to_dict(self) -> dict[str, object]:
        return self._asdict()


def run_automation(
    repo: Repository,
    spec: str,
    raw_inputs: Mapping[str, object],
    *,
    inputs_file: Path | None = None,
    example: int | None = None,
    dry_run: bool = False,
    check_inputs: bool = False,
    timeout: float | None = None,
    stdout: TextIO | None = None,
    stderr: TextIO | None = None,
    progress: Progress | None = None,
    before_run: Callable[[Target], None] | None = None,
) -> RunResult:
    """Run `spec` ("NAME" or "NAME@VERSION") with the given inputs; see the module doc.

    `raw_inputs` override the inputs file, which overrides the example's inputs.
    The automation's stdout goes to `stdout` and its stderr to `stderr` (default: this
    process's), masked. `check_inputs` stops once the inputs are valid, before any secret
    is read (a Run form's first job has none to read). `before_run` is told what is about to
    run (or to be shown by a dry run) once its inputs are valid.
    """
    target = load_target(repo, spec)
    automation = target.automation
    if inputs_file is not None and (link := contributor_link(inputs_file, repo.root)):
        shown = Path(os.path.relpath(link, repo.root)).as_posix()
        raise ToolkitError(f"--inputs-file: {LinkedFile(shown)}", LINK_HINT)
    known = () if check_inputs else available_secrets(automation, repo.root).values()
    masker = Masker(known)
    with masked_errors(masker):
        raw = gather_inputs(automation, raw_inputs, inputs_file, example)
        shown_as = f"{automation.name}@{target.version}" if target.pinned else None
        inputs = coerce_inputs(automation, raw, shown_as=shown_as)
        if check_inputs:
            return RunResult(automation.name, target.version, "inputs-valid", 0)
        if before_run is not None:
            before_run(target)
        run_timeout = timeout or automation.timeout
        if dry_run:
            return dry_run_result(target, dry_run_plan(repo, target, inputs, masker, run_timeout))
        refuse_missing_writable_inputs(automation, inputs)
        sandboxed = use_sandbox(sandbox_mode(repo.config))
        secrets = resolve_secrets(automation, repo.root)
        environment = runtime_of(automation).prepare_environment(automation, progress)
        run = PreparedRun(
            target, inputs, secrets, environment, run_timeout, masker, sandboxed, example, repo.root
        )
        return execute(run, (stdout or sys.stdout, stderr or sys.stderr))


@contextmanager
def masked_errors(masker: Masker) -> Iterator[None]:
    """Errors raised inside never show a secret value."""
    try:
        yield
    except ToolkitError as error:
        raise ToolkitError(
            masker.mask(error.message), masker.mask(error.hint) if error.hint else None
        ) from None


def dry_run_result(target: Target, plan: Plan) -> RunResult:
    """A dry run fails (exit 1) when a required secret has no value or the run would be
    refused (the sandbox required where bwrap does not work)."""
    missing = missing_secrets(plan)
    problems = [f"missing secrets: {', '.join(missing)}"] if missing else []
    if plan["refused"]:
        problems.append(plan["refused"])
    return RunResult(
        target.automation.name,
        target.version,
        "dry-run",
        1 if problems else 0,
        error="; ".join(problems) or None,
        plan=plan,
    )


def execute(run: PreparedRun, sinks: Sinks) -> RunResult:
    """Start the run in the history, run the process, record how it ended."""
    with open_history() as history:
        folder = new_run_folder(history)
        started_record = running_record(
            run.target, run.inputs, run.masker, folder, run.example, run.repository
        )
        history.start(started_record)
        started = time.monotonic()
        try:
            outcome = _run_process(run, folder, sinks, child_started(history, folder.run_id))
        except BaseException as error:
            stopped = stopped_by_autokit(error, run.masker)
            finish(history, started_record, run.target, started, stopped)
            if isinstance(error, OSError):  # a full disk, most likely: recorded, and said
                raise supervisor_failure(error) from None
            raise
        finish(history, started_record, run.target, started, outcome)
        record = history.get(folder.run_id)
    return RunResult(
        run.target.automation.name,
        run.target.version,
        outcome.status,
        EXIT_CODES[outcome.status],
        folder.run_id,
        outcome.result,
        outcome.error,
        record.duration,
        str(folder.path),
        record=record.to_dict(),
        not_counted=not_counted_because(
            record.kind or "", record.status, record.dirty, run.target.automation.rehearsal
        ),
    )


def _run_process(
    run: PreparedRun, folder: RunFolder, sinks: Sinks, on_start: Callable[[int], None]
) -> Outcome:
    command, env = child_process(run, folder)
    try:
        with open_log(folder) as log, private_home(env, run.sandboxed, folder.path):
            ending, returncode = supervise(
                command,
                env,
                folder.output,
                run.timeout,
                run.masker,
                sinks,
                log,
                on_start,
                sandboxed=run.sandboxed,
            )
    finally:
        folder.request.unlink(missing_ok=True)
    outcome = interpret(run.target.automation, ending, returncode, folder, run.masker, run.timeout)
    outcome = outcome._replace(leaks=leaking_files(folder.output, run.masker))
    return failed_log(outcome, folder.log, log.failure) if log.failure else outcome
