"""Running an automation: a pipeline of small steps, each able to stop the run.

    load the automation (a working-tree folder, or a tagged version read from Git)
    -> validate and coerce the inputs
    -> resolve the declared secrets
    -> prepare the isolated environment
    -> execute it under a timeout, streaming masked output, and record it in the history

Everything up to the execution raises `ToolkitError` and leaves no trace in the history:
a refused run never started. Once started, a run always ends in the history as success,
failed, timeout or cancelled (or, when autokit itself is killed, as lost, the next time
the history is opened).
"""

from __future__ import annotations

import contextlib
import os
import re
import sys
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, TextIO

from toolkit.environments import Environment
from toolkit.errors import ToolkitError
from toolkit.metadata import METADATA_FILE, SLUG, Automation
from toolkit.repo import Repository
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

# The only variables of the caller's environment an automation sees (plus its secrets).
ALLOWED_ENVIRONMENT = (
    "PATH",
    "HOME",
    "USER",
    "LOGNAME",
    "LANG",
    "LANGUAGE",
    "LC_ALL",
    "LC_CTYPE",
    "LC_MESSAGES",
    "TZ",
    "TMPDIR",
    "TERM",
    "NO_COLOR",
    "SSL_CERT_FILE",
    "SSL_CERT_DIR",
    "HTTP_PROXY",
    "HTTPS_PROXY",
    "NO_PROXY",
    "http_proxy",
    "https_proxy",
    "no_proxy",
)
BOOTSTRAP = Path(__file__).with_name("bootstrap.py")
_SPEC = re.compile(r"^(?P<name>[^@]+)(?:@(?P<version>.*))?$")


@dataclass(frozen=True)
class Target:
    """The automation to run and where its files came from."""

    automation: Automation
    version: str
    pinned: bool
    commit: str | None
    dirty: bool | None


@dataclass
class RunResult:
    """What a run did; a dry run has no id and no record, and carries the `plan` instead.

    `exit_code` is autokit's (0, 1, 124, 130); `record` is the run's row in the history as
    `autokit runs show --format json` prints it (there, `exit_code` is the process's).
    """

    automation: str
    version: str
    status: str
    exit_code: int
    run_id: str | None = None
    result: Any = None
    error: str | None = None
    duration: float | None = None
    run_dir: str | None = None
    plan: dict[str, Any] | None = field(default=None)
    record: dict[str, Any] | None = field(default=None)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


Progress = Callable[[str], None]


def run_automation(
    repo: Repository,
    spec: str,
    raw_inputs: Mapping[str, object],
    *,
    inputs_file: Path | None = None,
    example: int | None = None,
    dry_run: bool = False,
    timeout: float | None = None,
    stdout: TextIO | None = None,
    stderr: TextIO | None = None,
    progress: Progress | None = None,
) -> RunResult:
    """Run `spec` ("NAME" or "NAME@VERSION") with the given inputs; see the module doc.

    `raw_inputs` override the inputs file, which overrides the example's inputs.
    The automation's stdout goes to `stdout` and its stderr to `stderr` (default: this
    process's), masked.
    """
    from toolkit.inputs import coerce_inputs
    from toolkit.secrets import available_secrets, resolve_secrets

    target = load_target(repo, spec)
    automation = target.automation
    masker = Masker(available_secrets(automation, repo.root).values())
    with masked_errors(masker):
        raw = gather_inputs(automation, raw_inputs, inputs_file, example)
        inputs = coerce_inputs(automation, raw)
        run_timeout = timeout or automation.timeout
        if dry_run:
            return dry_run_result(repo, target, inputs, masker, run_timeout)
        secrets = resolve_secrets(automation, repo.root)
        environment = _environment(automation, progress)
        return execute(
            target,
            inputs,
            secrets,
            environment,
            run_timeout,
            masker,
            stdout or sys.stdout,
            stderr or sys.stderr,
        )


def _environment(automation: Automation, progress: Progress | None) -> Environment:
    from toolkit.environments import ensure_environment

    return ensure_environment(automation, progress=progress)


@contextmanager
def masked_errors(masker: Masker) -> Iterator[None]:
    """Errors raised inside never show a secret value."""
    try:
        yield
    except ToolkitError as error:
        raise ToolkitError(
            masker.mask(error.message), masker.mask(error.hint) if error.hint else None
        ) from None


# ---------------------------------------------------------------------------
# Step 1: load


def parse_spec(spec: str) -> tuple[str, str | None]:
    """`"name@1.2.0"` -> `("name", "1.2.0")`; `"name"` -> `("name", None)`."""
    match = _SPEC.match(spec.strip())
    name = match["name"] if match else spec
    version = match["version"] if match else None
    if not re.match(SLUG, name):
        raise ToolkitError(
            f"'{spec}' is not an automation name",
            "give NAME or NAME@VERSION, e.g. invoice-reminders@1.2.0",
        )
    if version is not None and not re.fullmatch(r"\d+\.\d+\.\d+", version):
        raise ToolkitError(f"'{version}' is not a version", "write it as MAJOR.MINOR.PATCH")
    return name, version


def load_target(repo: Repository, spec: str) -> Target:
    name, version = parse_spec(spec)
    if version is None:
        return _working_tree_target(repo, name)
    return _pinned_target(repo, name, version)


def _working_tree_target(repo: Repository, name: str) -> Target:
    from toolkit.git import working_tree_state

    folder = repo.automations_dir / name
    if not (folder / METADATA_FILE).is_file():
        _raise_unknown(repo, name)
    automation = _load_cached(repo, folder)
    state = working_tree_state(repo.root, repo.relative(folder))
    return Target(automation, automation.version, False, state.commit, state.dirty)


def _raise_unknown(repo: Repository, name: str) -> None:
    import difflib

    names = [folder.name for folder in repo.automation_dirs()]
    close = difflib.get_close_matches(name, names, n=1)
    hint = f"did you mean '{close[0]}'?" if close else "`autokit list` shows what exists"
    raise ToolkitError(
        f"no automation named '{name}' in {repo.relative(repo.automations_dir)}/", hint
    )


def _load_cached(repo: Repository, folder: Path) -> Automation:
    """Load and validate the metadata, skipping validation for content validated before.

    Valid metadata is cached by a hash of the file's bytes and the validator's version,
    one small file per content; the checks of the folder itself (name, entrypoint) run
    every time. This keeps cerberus and the YAML parser off the usual run path.
    """
    import hashlib
    import pickle

    from toolkit import metadata

    raw = (folder / METADATA_FILE).read_bytes()
    validator = Path(metadata.__file__ or "")
    stamps = [p.stat().st_mtime_ns for p in (validator, validator.with_name("yamlfile.py"))]
    digest = hashlib.blake2b(raw + repr(stamps).encode(), digest_size=16).hexdigest()
    cached = _metadata_cache_dir() / f"{digest}.pickle"
    try:
        data = pickle.loads(cached.read_bytes())
    except (OSError, pickle.UnpicklingError, EOFError):
        return _load_and_cache(repo, folder, cached)
    problems = metadata.filesystem_problems(data, folder, repo.root)
    if problems:
        return _load_and_cache(repo, folder, cached)  # reports them with line numbers
    return metadata.automation_from_data(data, folder)


def _metadata_cache_dir() -> Path:
    from toolkit.paths import cache_home

    return cache_home() / "run-metadata"


def _load_and_cache(repo: Repository, folder: Path, cached: Path) -> Automation:
    import pickle

    from toolkit.metadata import check_file

    findings, automation = check_file(folder / METADATA_FILE, repo.root)
    if automation is None:
        lines = "\n".join(f.as_line() for f in findings)
        raise ToolkitError(
            f"{folder.name} has invalid metadata:\n{lines}",
            "fix it (`autokit validate` checks it) and run again",
        )
    with contextlib.suppress(OSError):  # a cache that cannot be written only costs time
        cached.parent.mkdir(parents=True, exist_ok=True)
        temporary = cached.with_suffix(f".{os.getpid()}.tmp")
        temporary.write_bytes(pickle.dumps(automation.data))
        os.replace(temporary, cached)
    return automation


def _pinned_target(repo: Repository, name: str, version: str) -> Target:
    from toolkit.git import materialize_tree, tree_id, version_tags
    from toolkit.metadata import load_automation
    from toolkit.paths import cache_home

    tags = version_tags(repo.root, name).get(name, [])
    tag = next((t for t in tags if t.version == version), None)
    if tag is None:
        existing = ", ".join(t.version for t in reversed(tags))
        hint = (
            f"versions that exist: {existing}"
            if existing
            else f"no version of {name} is tagged yet (tags are named {name}@x.y.z)"
        )
        raise ToolkitError(f"{name} has no version {version} (no Git tag {name}@{version})", hint)
    folder_in_git = f"{repo.relative(repo.automations_dir)}/{name}"
    tree = tree_id(repo.root, tag.commit, folder_in_git)
    if tree is None:
        raise ToolkitError(
            f"the tag {tag.tag} has no folder {folder_in_git}/",
            "the tag points at the wrong commit; ask the owner to re-tag it",
        )
    base = cache_home() / "versions" / tree
    materialize_tree(repo.root, tree, base / name)
    automation = load_automation(base / name / METADATA_FILE, base)
    return Target(automation, version, True, tag.commit, False)


# ---------------------------------------------------------------------------
# Step 2: inputs


def gather_inputs(
    automation: Automation,
    raw_inputs: Mapping[str, object],
    inputs_file: Path | None,
    example: int | None,
) -> dict[str, object]:
    """Example inputs, overridden by the inputs file, overridden by `--input` values."""
    from toolkit.inputs import load_inputs_file

    merged: dict[str, object] = {}
    if example is not None:
        merged.update(example_inputs(automation, example))
    if inputs_file is not None:
        merged.update(load_inputs_file(inputs_file))
    merged.update(raw_inputs)
    return merged


def example_inputs(automation: Automation, number: int) -> dict[str, object]:
    """The inputs of the automation's `number`th example (counting from 1)."""
    examples = automation.examples
    if not examples:
        raise ToolkitError(
            f"{automation.name} has no examples", "pass its inputs with --input NAME=VALUE instead"
        )
    if not 1 <= number <= len(examples):
        listing = "; ".join(f"{i}: {e.title}" for i, e in enumerate(examples, start=1))
        raise ToolkitError(
            f"{automation.name} has no example {number}", f"its examples are {listing}"
        )
    return dict(examples[number - 1].inputs)


# ---------------------------------------------------------------------------
# Dry run


def dry_run_result(
    repo: Repository, target: Target, inputs: Mapping[str, object], masker: Masker, timeout: float
) -> RunResult:
    """What a run would do: nothing is built, started or recorded."""
    from toolkit.environments import planned_environment
    from toolkit.inputs import jsonable
    from toolkit.secrets import present_secrets

    automation = target.automation
    environment, exists = planned_environment(automation)
    secrets = present_secrets(automation, repo.root)
    plan = {
        "folder": str(automation.folder),
        "pinned": target.pinned,
        "commit": target.commit,
        "dirty": target.dirty,
        "command": " ".join(command_line(automation, environment, Path("<request.json>"))),
        "environment": {
            "path": str(environment.path) if environment.path else None,
            "exists": exists,
            "requirements": list(automation.requirements),
        },
        "variables": [*sorted(ALLOWED_ENVIRONMENT), "AUTOKIT_OUTPUT_DIR", "AUTOKIT_RUN_ID"],
        "inputs": masker.mask_data(jsonable(inputs)),
        "secrets": secrets,
        "required_secrets": [s.name for s in automation.secrets if s.required],
        "timeout": timeout,
    }
    missing = [name for name in plan["required_secrets"] if not secrets[name]]
    return RunResult(
        automation.name,
        target.version,
        "dry-run",
        1 if missing else 0,
        error=f"missing secrets: {', '.join(missing)}" if missing else None,
        plan=plan,
    )


# ---------------------------------------------------------------------------
# Step 4: how the process is started


def command_line(automation: Automation, environment: Environment, request: Path) -> list[str]:
    """The argv of the automation's process; inputs never pass through a shell."""
    if automation.runtime == "shell":
        import shutil

        return [shutil.which("bash") or "/bin/sh", str(automation.entrypoint_path)]
    assert environment.python is not None
    # -I: no user site, no PYTHON* variables, no bootstrap folder on sys.path; -B: no
    # __pycache__ written into the automation folder (it would make the tree dirty).
    return [str(environment.python), "-I", "-B", "-u", "-X", "utf8", str(BOOTSTRAP), str(request)]


def child_environment(
    environment: Environment,
    secrets: Mapping[str, str],
    extra: Mapping[str, str],
) -> dict[str, str]:
    """The allowlisted variables, the environment's bin folder first on PATH, the secrets."""
    env = {name: os.environ[name] for name in ALLOWED_ENVIRONMENT if name in os.environ}
    env.setdefault("PATH", os.defpath)
    if environment.bin_dir is not None:
        env["PATH"] = f"{environment.bin_dir}{os.pathsep}{env['PATH']}"
        env["VIRTUAL_ENV"] = str(environment.path)
    env.update(secrets)
    env.update(extra)
    return env


# ---------------------------------------------------------------------------
# Step 5: execute and record


def execute(
    target: Target,
    inputs: Mapping[str, object],
    secrets: Mapping[str, str],
    environment: Environment,
    timeout: float,
    masker: Masker,
    stdout: TextIO,
    stderr: TextIO,
) -> RunResult:
    """Start the run in the history, run the process, record how it ended."""
    import time

    from toolkit.history import open_history, process_token

    with open_history() as history:
        run_id, run_dir = _new_run_folder(history)
        history.start(_running_record(target, inputs, masker, run_id, run_dir))
        started = time.monotonic()
        try:
            outcome = _run_process(
                target,
                inputs,
                secrets,
                environment,
                timeout,
                masker,
                run_dir,
                (stdout, stderr),
                lambda pid: history.update(run_id, child_pid=pid, child_token=process_token(pid)),
            )
        except BaseException as error:
            status = "cancelled" if isinstance(error, KeyboardInterrupt) else "failed"
            _finish(
                history,
                run_id,
                started,
                _Outcome(
                    status,
                    None,
                    None,
                    masker.mask(f"autokit stopped the run: {type(error).__name__}: {error}"),
                ),
            )
            raise
        _finish(history, run_id, started, outcome)
        record = history.get(run_id).to_dict()
    return RunResult(
        target.automation.name,
        target.version,
        outcome.status,
        EXIT_CODES[outcome.status],
        run_id,
        outcome.result,
        outcome.error,
        record["duration"],
        str(run_dir),
        record=record,
    )


def _new_run_folder(history: Any) -> tuple[str, Path]:
    """A fresh run id and its folder (with `output/`); a clash of ids draws a new one."""
    from toolkit.history import new_run_id

    for _ in range(10):
        run_id = new_run_id()
        try:
            (history.run_dir(run_id) / "output").mkdir(parents=True)
        except FileExistsError:
            continue
        return run_id, history.run_dir(run_id)
    raise ToolkitError(f"cannot create a run folder in {history.home}", "check AUTOKIT_HOME")


@dataclass
class _Outcome:
    status: str
    returncode: int | None
    result: Any
    error: str | None


def _running_record(
    target: Target, inputs: Mapping[str, object], masker: Masker, run_id: str, run_dir: Path
) -> Any:
    from toolkit.history import RunRecord, hostname, now_iso, process_token
    from toolkit.inputs import jsonable

    return RunRecord(
        id=run_id,
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
        inputs=masker.mask_data(jsonable(inputs)),
        status="running",
        exit_code=None,
        started_at=now_iso(),
        ended_at=None,
        duration=None,
        result=None,
        error=None,
        run_dir=str(run_dir),
    )


def _user() -> str:
    if actor := os.environ.get("GITHUB_ACTOR"):
        return actor
    import getpass

    try:
        return getpass.getuser()
    except (OSError, KeyError):
        return "unknown"


def _finish(history: Any, run_id: str, started: float, outcome: _Outcome) -> None:
    import time

    from toolkit.history import now_iso

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
    )


def _run_process(
    target: Target,
    inputs: Mapping[str, object],
    secrets: Mapping[str, str],
    environment: Environment,
    timeout: float,
    masker: Masker,
    run_dir: Path,
    sinks: tuple[TextIO, TextIO],
    on_start: Callable[[int], None],
) -> _Outcome:
    from toolkit.inputs import as_environment

    automation = target.automation
    output_dir = run_dir / "output"
    extra = {"AUTOKIT_OUTPUT_DIR": str(output_dir), "AUTOKIT_RUN_ID": run_dir.name}
    if automation.runtime == "shell":
        extra.update(as_environment(inputs))
    request = _write_request(automation, inputs, run_dir)
    command = command_line(automation, environment, request)
    env = child_environment(environment, secrets, extra)
    try:
        with (run_dir / "log.txt").open("w", encoding="utf-8") as log:
            status, returncode = supervise(
                command, env, output_dir, timeout, masker, sinks, log, on_start
            )
    finally:
        request.unlink(missing_ok=True)
    return _interpret(automation, status, returncode, run_dir / "result.json", masker, timeout)


def _write_request(automation: Automation, inputs: Mapping[str, object], run_dir: Path) -> Path:
    import json

    from toolkit.inputs import jsonable

    request = run_dir / "request.json"
    request.write_text(
        json.dumps(
            {
                "entrypoint": str(automation.entrypoint_path.resolve()),
                "inputs": jsonable(inputs),
                "types": {name: spec.type for name, spec in automation.inputs.items()},
                "result_file": str(run_dir / "result.json"),
            }
        ),
        encoding="utf-8",
    )
    return request


def _interpret(
    automation: Automation,
    status: str,
    returncode: int,
    result_file: Path,
    masker: Masker,
    timeout: float,
) -> _Outcome:
    """Turn the process's end and the bootstrap's result file into the run's outcome."""
    import json

    reported: dict[str, Any] = {}
    if result_file.is_file():
        reported = json.loads(result_file.read_text(encoding="utf-8"))
        result_file.write_text(json.dumps(masker.mask_data(reported)), encoding="utf-8")
    if status == "timeout":
        error = (
            f"timed out after {timeout:g} s and was stopped, with every process it started "
            "(allow more with --timeout SECONDS or `timeout:` in automation.yaml)"
        )
        return _Outcome(status, returncode, None, error)
    if status == "cancelled":
        return _Outcome(status, returncode, None, "cancelled (Ctrl-C or SIGTERM)")
    if returncode == 0 and reported.get("ok", True):
        return _Outcome("success", 0, masker.mask_data(reported.get("result")), None)
    error = reported.get("error") or _exit_description(automation, returncode)
    return _Outcome("failed", returncode, None, masker.mask(str(error)))


def _exit_description(automation: Automation, returncode: int) -> str:
    if returncode < 0:
        import signal

        return f"{automation.entrypoint} was killed by {signal.Signals(-returncode).name}"
    return f"{automation.entrypoint} exited with code {returncode}"


# ---------------------------------------------------------------------------
# Process supervision: streaming, masking, timeout, Ctrl-C

# How long a stopped run's processes get to exit after SIGTERM/SIGINT before SIGKILL.
STOP_GRACE_SECONDS = 2.0


class _MaskedStream:
    """Decodes one pipe's bytes, masks secrets (also across chunks), writes to its sinks."""

    def __init__(self, masker: Masker, sink: TextIO, log: TextIO) -> None:
        import codecs

        from toolkit.secrets import StreamMasker

        self.decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
        self.masker = StreamMasker(masker)
        self.sink: TextIO | None = sink
        self.log = log

    def write(self, data: bytes) -> None:
        self._emit(self.masker.feed(self.decoder.decode(data)))

    def close(self) -> None:
        self._emit(self.masker.feed(self.decoder.decode(b"", final=True)) + self.masker.flush())

    def _emit(self, text: str) -> None:
        if not text:
            return
        self.log.write(text)
        self.log.flush()
        if self.sink is None:
            return
        try:
            self.sink.write(text)
            self.sink.flush()
        except BrokenPipeError:
            # The reader went away (`autokit run ... | head`). Stopping the automation
            # half-way could leave its data half-updated: it runs on, the log gets it all.
            _discard(self.sink)
            self.sink = None


def _discard(sink: TextIO) -> None:
    """Send what is still written to `sink` (its buffer, the run's summary) to /dev/null."""
    with contextlib.suppress(OSError, ValueError):
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sink.fileno())
        os.close(devnull)


def supervise(
    command: list[str],
    env: Mapping[str, str],
    cwd: Path,
    timeout: float,
    masker: Masker,
    sinks: tuple[TextIO, TextIO],
    log: TextIO,
    on_start: Callable[[int], None] = lambda pid: None,
) -> tuple[str, int]:
    """Run `command` in its own process group; ("finished"|"timeout"|"cancelled", code).

    The process and everything it starts share a new session, so a timeout or Ctrl-C
    stops all of them, and nothing is left running after the process itself exits.
    """
    import subprocess

    process = subprocess.Popen(
        command,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        cwd=cwd,
        env=dict(env),
        start_new_session=True,
    )
    assert process.stdout is not None and process.stderr is not None
    streams = {
        process.stdout.fileno(): _MaskedStream(masker, sinks[0], log),
        process.stderr.fileno(): _MaskedStream(masker, sinks[1], log),
    }
    with _terminate_raises_interrupt():
        try:
            on_start(process.pid)  # inside: a Ctrl-C while it records still stops the run
            status = _pump(process, streams, timeout)
        except KeyboardInterrupt:
            status = "cancelled"
            _stop_group(process, _signal("SIGINT"))
            _drain(streams)
        except BaseException:
            _stop_group(process, _signal("SIGTERM"))  # nothing runs on unsupervised
            raise
    for stream in streams.values():
        stream.close()
    process.stdout.close()
    process.stderr.close()
    return status, process.wait()


def _pump(process: Any, streams: dict[int, _MaskedStream], timeout: float) -> str:
    """Stream output until the process has exited and its pipes are closed, or time is up."""
    import selectors
    import time

    deadline = time.monotonic() + timeout
    selector = selectors.DefaultSelector()
    for fd in streams:
        selector.register(fd, selectors.EVENT_READ)
    with selector:
        while selector.get_map() or process.poll() is None:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                _stop_group(process, _signal("SIGTERM"))
                _drain(streams)
                return "timeout"
            _wait_for_output(process, selector, streams, min(remaining, 0.25))
            if process.poll() is not None:
                _kill_leftovers(process)  # nothing it started outlives it
    return "finished"


def _wait_for_output(
    process: Any, selector: Any, streams: dict[int, _MaskedStream], seconds: float
) -> None:
    import subprocess

    if not selector.get_map():  # the process closed its output but still runs
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(seconds)
        return
    for key, _ in selector.select(seconds):
        if not _read_into(key.fd, streams[key.fd]):
            selector.unregister(key.fd)


def _read_into(fd: int, stream: _MaskedStream) -> bool:
    data = os.read(fd, 65536)
    if data:
        stream.write(data)
    return bool(data)


def _drain(streams: dict[int, _MaskedStream]) -> None:
    """Read what is left in the pipes once every writer is gone (bounded, never blocks)."""
    import selectors
    import time

    selector = selectors.DefaultSelector()
    for fd in streams:
        selector.register(fd, selectors.EVENT_READ)
    deadline = time.monotonic() + 1.0
    with selector:
        while selector.get_map() and time.monotonic() < deadline:
            for key, _ in selector.select(0.1):
                if not _read_into(key.fd, streams[key.fd]):
                    selector.unregister(key.fd)


def _signal(name: str) -> int:
    import signal

    return int(getattr(signal, name))


def _stop_group(process: Any, first_signal: int) -> None:
    """Ask the process group to stop, then kill whatever is still there after a grace."""
    import subprocess

    _signal_group(process.pid, first_signal)
    try:
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(STOP_GRACE_SECONDS)
    finally:  # a second Ctrl-C during the grace period kills at once
        _kill_leftovers(process)
    process.wait()


def _kill_leftovers(process: Any) -> None:
    _signal_group(process.pid, _signal("SIGKILL"))


def _signal_group(group: int, signal_number: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):  # the group is gone
        os.killpg(group, signal_number)


@contextmanager
def _terminate_raises_interrupt() -> Iterator[None]:
    """SIGTERM to autokit (a CI job cancelled) cancels the run like Ctrl-C does."""
    import signal
    import threading

    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def interrupt(signum: int, frame: object) -> None:
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, interrupt)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)
