"""Isolated virtual environments, one per automation, cached between its runs.

An environment is keyed by the automation's name, its runtime, the Python it is built
from and a hash of the sorted requirements, and lives in
`cache_home()/environments/<name>-<hash>`. It is never shared between automations, even
with the same requirements: a file an automation adds to its environment (a `.pth` file
runs at every start of that Python) reaches only its own later runs. The sandbox mounts
the environment read-only; without it an automation can write wherever its user can, the
cache included, so there this separation is the only one.

uv (a dependency of autokit) builds it: a fresh environment takes a fraction of a
second, and with `UV_LINK_MODE=hardlink` and uv's cache in `cache_home()/uv` (the same
filesystem as the environments) each package's files are hard links into that cache, so
one copy on disk serves every automation that uses it (a file edited in place, rather
than replaced, would change in each: one more reason for the read-only mount); where hard
links fail, uv copies.
Bytecode is compiled when the environment is built, because the runtime writes none (it
runs Python with `-B`, and the environment may be mounted read-only). With
`AUTOKIT_NO_UV=1`, or when uv cannot be found, the standard library's `venv` and pip
build it instead (pip compiles bytecode too).

Concurrency and failures: creators take an exclusive `fcntl.flock` on `<key>.lock`
(the standard library's lock is enough on the POSIX systems autokit runs on, so no
dependency is added). A finished environment holds a `.autokit-ready` marker, written
last (JSON: a format number, the key and the requirements); a folder without it, or whose
marker does not parse or says something else, is debris of a failed or killed build (or
was tampered with) and is removed before building again, and a failed install removes
its folder at once. The environment is built at its final path rather than renamed into
place, because a virtualenv is not relocatable (its scripts' shebangs name the folder it
was created in).
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import IO, NamedTuple

from toolkit.errors import ToolkitError
from toolkit.fileio import atomic_write
from toolkit.metadata import Automation
from toolkit.paths import cache_home

READY_MARKER = ".autokit-ready"
MARKER_FORMAT = 1  # the ready marker's layout; a marker of another format is not ready
Progress = Callable[[str], None]


class Environment(NamedTuple):
    """Where an automation runs. `path` and `python` are None for the system (shell).

    The shell runtime's system environment lives in `toolkit.runtimes.shell`; everything
    here builds and finds virtual environments.
    """

    key: str
    path: Path | None
    python: Path | None
    requirements: tuple[str, ...] = ()

    @property
    def bin_dir(self) -> Path | None:
        return self.path / "bin" if self.path else None


def environment_key(automation: Automation, extra_requirements: Sequence[str] = ()) -> str:
    """The cache key, `<name>-<hash>`: the automation's name, and a hash of its name, its
    runtime, the building Python and the sorted requirements (plus `extra_requirements`,
    e.g. a test environment's pytest).

    Every environment built here is a virtualenv, a shell automation's test environment
    too; the runtime is in the key so that the two kinds are never mixed up.
    """
    payload = {
        "automation": automation.name,
        "runtime": automation.runtime,
        "python": [sys.implementation.name, *map(str, sys.version_info[:3]), sys.base_prefix],
        "requirements": sorted(automation.requirements),
        "extras": sorted(extra_requirements),
    }
    digest = hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()[:20]
    return f"{automation.name}-{digest}"


def planned_environment(
    automation: Automation, extra_requirements: Sequence[str] = ()
) -> tuple[Environment, bool]:
    """The virtualenv `automation` would use, and whether it already exists (nothing is built)."""
    key = environment_key(automation, extra_requirements)
    path = cache_home() / "environments" / key
    requirements = (*automation.requirements, *extra_requirements)
    environment = Environment(key, path, path / "bin" / "python", requirements)
    return environment, _is_ready(environment)


def ensure_environment(
    automation: Automation,
    extra_requirements: Sequence[str] = (),
    *,
    progress: Progress | None = None,
) -> Environment:
    """The automation's environment, built first if it does not exist yet."""
    environment, ready = planned_environment(automation, extra_requirements)
    if ready or environment.path is None:
        return environment
    environment.path.parent.mkdir(parents=True, exist_ok=True)
    lock_path = environment.path.with_name(environment.path.name + ".lock")
    with lock_path.open("a") as lock:
        waited = progress is not None and not _try_lock(lock)
        if progress and waited:
            progress("waiting for another autokit process building the same environment...")
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not _is_ready(environment):
            _build(environment, automation.name, progress)
        elif progress and waited:
            progress("environment ready (the other process built it)")
    return environment


def _try_lock(lock: IO[str]) -> bool:
    try:
        fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    return True


def _is_ready(environment: Environment) -> bool:
    """Whether the environment's build finished: its marker parses and names it."""
    assert environment.path is not None
    try:
        marker = json.loads((environment.path / READY_MARKER).read_bytes())
    except (OSError, ValueError):
        return False
    return bool(marker == _marker(environment))


def _marker(environment: Environment) -> dict[str, object]:
    return {
        "format": MARKER_FORMAT,
        "key": environment.key,
        "requirements": sorted(environment.requirements),
    }


def _build(environment: Environment, name: str, progress: Progress | None) -> None:
    """Build the environment; `progress` hears of the step, then the installer's own lines
    (indented, as they come), then how long it took."""
    assert environment.path is not None
    shutil.rmtree(environment.path, ignore_errors=True)
    uv = find_uv()
    started = time.monotonic()
    count = len(environment.requirements)
    if progress:
        progress(
            f"creating the environment for {name} ({count} requirement(s), "
            f"{'uv' if uv else 'venv + pip'}) in {environment.path}..."
        )
    try:
        if uv:
            _build_with_uv(uv, environment, progress)
        else:
            _build_with_venv(environment, progress)
    except BaseException:
        shutil.rmtree(environment.path, ignore_errors=True)
        raise
    _write_ready_marker(environment)
    if progress:
        progress(f"environment ready ({time.monotonic() - started:.1f} s)")


def find_uv() -> str | None:
    """The uv binary autokit depends on (the `uv` package's), else `uv` on PATH, else None.

    `AUTOKIT_NO_UV=1` turns uv off: environments are then built with venv and pip.
    """
    if os.environ.get("AUTOKIT_NO_UV"):
        return None
    try:
        from uv import find_uv_bin
    except ImportError:
        return shutil.which("uv")
    try:
        return str(find_uv_bin())
    except FileNotFoundError:  # the package without its binary (a broken install)
        return shutil.which("uv")


def uv_settings() -> dict[str, str]:
    """What uv is told besides its arguments: never download a Python, no outer virtualenv,
    its cache beside the environments (hard links work only within one filesystem) and
    hard links from that cache (uv copies where they fail; its warning about that is not
    passed on, see `_UV_NOTICES`)."""
    return {
        "UV_PYTHON_DOWNLOADS": "never",
        "VIRTUAL_ENV": "",
        "UV_CACHE_DIR": str(cache_home() / "uv"),
        "UV_LINK_MODE": "hardlink",
    }


def _build_with_uv(uv: str, environment: Environment, progress: Progress | None) -> None:
    assert environment.path is not None
    env = {**os.environ, **uv_settings()}
    _installer([uv, "venv", "--quiet", "--python", sys.executable, str(environment.path)], env, ())
    if environment.requirements:
        # Quiet only when nobody listens: its lines (resolved, prepared, installed) are
        # the progress of the longest step.
        command = [uv, "pip", "install", *_quiet(progress), "--compile-bytecode"]
        command += ["--python", str(environment.python)]
        lines = _without_uv_notices(progress) if progress else None
        _installer([*command, *environment.requirements], env, environment.requirements, lines)


def _quiet(progress: Progress | None) -> list[str]:
    return [] if progress else ["--quiet"]


# uv's lines about what autokit chose on purpose: the environment it names, and copies
# where hard links fail (the warning's three lines; `--quiet` would silence them).
_UV_NOTICES = (
    "Using Python ",
    "warning: Failed to hardlink files",
    "If the cache and target directories are on different filesystems",
    "If this is intentional, set `export UV_LINK_MODE=copy`",
)


def _without_uv_notices(progress: Progress) -> Progress:
    def passed_on(line: str) -> None:
        if not line.strip().startswith(_UV_NOTICES):
            progress(line)

    return passed_on


def _build_with_venv(environment: Environment, progress: Progress | None) -> None:
    assert environment.path is not None
    with_pip = bool(environment.requirements)
    command = [sys.executable, "-m", "venv", str(environment.path)]
    _installer(command if with_pip else [*command, "--without-pip"], None, ())
    if with_pip:
        pip = [
            str(environment.python),
            "-m",
            "pip",
            "install",
            *_quiet(progress),
            "--disable-pip-version-check",
            "--no-input",
            "--progress-bar=off",  # its lines go through a pipe, one by one
        ]
        _installer([*pip, *environment.requirements], None, environment.requirements, progress)


def _installer(
    command: list[str],
    env: dict[str, str] | None,
    requirements: Sequence[str],
    progress: Progress | None = None,
) -> None:
    """Run one installer step; a failure names the requirements the installer blamed.

    With `progress`, the installer's lines are passed on as they come, indented (the
    details of the step under way).
    """
    try:
        if progress is None:
            result = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
            returncode, output = result.returncode, (result.stderr or result.stdout)
        else:
            returncode, output = _streamed(command, env, progress)
    except OSError as error:
        raise ToolkitError(f"cannot run {command[0]}: {error.strerror}") from None
    if returncode == 0:
        return
    output = output.strip()
    tail = "\n".join(output.splitlines()[-8:])
    if not requirements:
        raise ToolkitError(f"could not create a virtual environment:\n{tail}")
    blamed = _blamed_requirements(output, requirements) or list(requirements)
    raise ToolkitError(
        f"could not install {', '.join(repr(r) for r in blamed)}:\n{tail}",
        "check the name and version in `requirements` of automation.yaml "
        "(does that version exist on the package index?)",
    )


def _streamed(
    command: list[str], env: dict[str, str] | None, progress: Progress
) -> tuple[int, str]:
    """Run `command`, passing each line of its output on as it comes; its code and output."""
    lines = []
    with subprocess.Popen(
        command,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        errors="replace",
    ) as process:
        assert process.stdout is not None
        for line in process.stdout:
            lines.append(line)
            if line.strip():
                progress(f"  {line.strip()}")
    return process.returncode, "".join(lines)


def _blamed_requirements(output: str, requirements: Sequence[str]) -> list[str]:
    normalized = re.sub(r"[-_.]+", "-", output.lower())
    blamed = []
    for requirement in requirements:
        name = re.split(r"[\[=<>!~ ]", requirement, maxsplit=1)[0]
        if re.sub(r"[-_.]+", "-", name.lower()) in normalized:
            blamed.append(requirement)
    return blamed


def _write_ready_marker(environment: Environment) -> None:
    assert environment.path is not None
    marker = environment.path / READY_MARKER
    atomic_write(marker, json.dumps(_marker(environment)))
