"""The bubblewrap sandbox a run (and `autokit test`) starts the automation in.

The automation gets new PID, IPC and UTS namespaces (and a network namespace of its own
when its metadata says `network: false`) and sees:

- the system (`/usr`, `/etc`, the /bin-style links) read-only, a fresh `/proc` and `/dev`;
- an empty private `HOME` and `/tmp` (a tmpfs each, gone with the run);
- its own folder (or the pinned version's tree), its environment and the Python that
  environment was made from, read-only;
- the run's output folder and the folder the bootstrap reports its result into, writable;
- each `path` input at its own path, read-only unless the input declares `access: write`;
- nothing else: not AUTOKIT_HOME, the caches, other automations or `~/.ssh`.

bwrap is started with the scrubbed environment the automation gets (the allowlist plus
its declared secrets), passed as its process environment rather than on its command
line, which every local user can read with `ps`. The namespace's first process is
bwrap's own init: when the automation's main process ends, it ends, and the kernel ends
every process left in the namespace, whatever session or group it moved to.

`[tool.autokit] sandbox` and `AUTOKIT_SANDBOX` (which wins) choose the mode: `auto` (the
default) sandboxes when a probe shows bwrap works here (remembered for a day, for this
boot, bwrap binary, user and user-namespace settings) and otherwise runs
unsandboxed with one warning line; `required` refuses to run without it; `off` never
uses it.
"""

from __future__ import annotations

import contextlib
import functools
import json
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Literal, NamedTuple

from toolkit.errors import ToolkitError
from toolkit.fileio import atomic_write
from toolkit.paths import cache_home

Mode = Literal["auto", "required", "off"]
MODES: tuple[Mode, ...] = ("auto", "required", "off")
ENVIRONMENT_VARIABLE = "AUTOKIT_SANDBOX"
SANDBOX_HOME = "/tmp/home"
PROBE_SECONDS = 10
PROBE_FILE = "sandbox-probe.json"
WORKS = "bwrap starts sandboxes here"
PROBE_FORMAT = 1
PROBE_REMEMBERED_SECONDS = 24 * 3600
BOOT_ID = "/proc/sys/kernel/random/boot_id"
NAMESPACE_SETTINGS = (
    "/proc/sys/kernel/unprivileged_userns_clone",
    "/proc/sys/user/max_user_namespaces",
    "/proc/sys/kernel/apparmor_restrict_unprivileged_userns",
)
INSTALL_HINT = (
    "install bubblewrap (Debian/Ubuntu: `sudo apt-get install bubblewrap`; Fedora: `sudo dnf "
    "install bubblewrap`). On Ubuntu 24.04 AppArmor blocks the unprivileged user namespaces "
    "it needs: `sudo sysctl kernel.apparmor_restrict_unprivileged_userns=0` lifts that (or "
    "an AppArmor profile for /usr/bin/bwrap). `autokit doctor` shows what works here"
)
# The system's top-level folders an automation may read; the merged-/usr links among
# them (/bin -> usr/bin) are recreated as links.
SYSTEM_FOLDERS = ("/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/etc", "/opt")


class Probe(NamedTuple):
    """Whether bwrap works on this machine, and if not, why (its own words)."""

    works: bool
    executable: str | None
    reason: str


@functools.cache
def probe() -> Probe:
    """Whether bwrap works here; once per process, and remembered across runs (see
    `remembered_probe`)."""
    return _probe(trust_memory=True)


def fresh_probe() -> Probe:
    """`probe` without what an earlier probe found (for `autokit doctor`)."""
    return _probe(trust_memory=False)


def _probe(*, trust_memory: bool) -> Probe:
    executable = shutil.which("bwrap")
    if executable is None:
        return Probe(False, None, "bwrap (bubblewrap) is not installed")
    fingerprint = machine_fingerprint(executable)
    if trust_memory and fingerprint is not None and remembered_probe(fingerprint):
        return Probe(True, executable, WORKS)
    found = probe_now(executable)
    if found.works and fingerprint is not None:
        remember_probe(fingerprint)
    return found


def probe_now(executable: str) -> Probe:
    """Start `true` in a throwaway sandbox of the namespaces a run uses."""
    command = [executable, "--ro-bind", "/", "/", "--dev", "/dev", "--proc", "/proc"]
    command += ["--unshare-pid", "--unshare-ipc", "--unshare-uts", "--unshare-net"]
    command += ["--die-with-parent", "--new-session", "true"]
    try:
        completed = subprocess.run(
            command,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=PROBE_SECONDS,
            check=False,
            env={"PATH": os.defpath},
        )
    except (OSError, subprocess.TimeoutExpired) as error:
        return Probe(False, executable, f"bwrap could not be started: {error}")
    if completed.returncode != 0:
        said = completed.stderr.strip().splitlines()
        return Probe(False, executable, said[-1] if said else f"exit code {completed.returncode}")
    return Probe(True, executable, WORKS)


def machine_fingerprint(executable: str) -> list[str] | None:
    """What decides whether bwrap works: this boot, the bwrap binary, the user, and the
    kernel settings for unprivileged user namespaces. None where there is no boot id."""
    try:
        boot = Path(BOOT_ID).read_text(encoding="ascii").strip()
        binary = os.stat(executable)
    except (OSError, UnicodeDecodeError):
        return None
    settings = []
    for setting in NAMESPACE_SETTINGS:
        try:
            settings.append(Path(setting).read_text(encoding="ascii").strip())
        except (OSError, UnicodeDecodeError):
            settings.append("-")
    binary_id = f"{binary.st_dev}:{binary.st_ino}:{binary.st_size}:{binary.st_mtime_ns}"
    return [boot, executable, binary_id, str(os.getuid()), *settings]


def remembered_probe(fingerprint: list[str]) -> bool:
    """Whether a probe on this same machine state found that bwrap works, within a day.

    Only a working probe is remembered: a process that could write the file cannot turn
    the sandbox off for later runs by forging a failure, and a forged success only makes
    the next run try bwrap (which then fails, loudly). The bwrap that runs is always the
    one on PATH, never a path read from the file.
    """
    try:
        data = json.loads((cache_home() / PROBE_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return (
        isinstance(data, dict)
        and data.get("format") == PROBE_FORMAT
        and data.get("fingerprint") == fingerprint
        and isinstance(data.get("checked"), int | float)
        and 0 <= time.time() - data["checked"] < PROBE_REMEMBERED_SECONDS
    )


def remember_probe(fingerprint: list[str]) -> None:
    payload = {"format": PROBE_FORMAT, "fingerprint": fingerprint, "checked": time.time()}
    with contextlib.suppress(OSError):  # a cache that cannot be written costs a probe
        atomic_write(cache_home() / PROBE_FILE, json.dumps(payload))


def sandbox_mode(config: Mapping[str, object]) -> Mode:
    """`AUTOKIT_SANDBOX`, else `[tool.autokit] sandbox`, else auto."""
    given: object = os.environ.get(ENVIRONMENT_VARIABLE)
    where = ENVIRONMENT_VARIABLE
    if not given:
        given, where = config.get("sandbox", "auto"), "[tool.autokit] sandbox in pyproject.toml"
    for mode in MODES:
        if given == mode:
            return mode
    raise ToolkitError(
        f"{where} is {given!r}, not a sandbox mode",
        'write "auto" (the default), "required" or "off"',
    )


def use_sandbox(mode: Mode, warn: bool = True) -> bool:
    """Whether to sandbox in `mode`: refuses under `required` when bwrap does not work,
    and says so in one line under `auto`."""
    if mode == "off":
        return False
    found = probe()
    if found.works:
        return True
    if mode == "required":
        raise ToolkitError(
            f"the sandbox is required ({ENVIRONMENT_VARIABLE} or [tool.autokit] sandbox) but "
            f"bwrap does not work here: {found.reason}",
            INSTALL_HINT,
        )
    if warn:
        _warn_once(found.reason)
    return False


def planned_sandbox(mode: Mode, network: bool) -> tuple[str, bool]:
    """For a dry run: in words, how the run would be confined, and whether it would be
    refused (`required` where bwrap does not work)."""
    if mode == "off":
        return "none (switched off: sandbox = off)", False
    found = probe()
    if found.works:
        return "bubblewrap" + ("" if network else ", no network"), False
    if mode == "required":
        return f"required, but bwrap does not work here ({found.reason}): refused", True
    return f"none: bwrap does not work here ({found.reason})", False


@functools.cache
def _warn_once(reason: str) -> None:
    print(
        f"warning: running without the sandbox ({reason}); see `autokit doctor`",
        file=sys.stderr,
    )


class Confinement:
    """What a sandboxed process is given: paths to read, paths to write, the network."""

    def __init__(self, *, network: bool = True, cwd: Path | None = None) -> None:
        self.readable: list[Path] = []
        self.writable: list[Path] = []
        self.network = network
        self.cwd = cwd

    def read(self, *paths: Path | None) -> None:
        self.readable.extend(p for p in paths if p is not None)

    def write(self, *paths: Path | None) -> None:
        self.writable.extend(p for p in paths if p is not None)


def python_home(python: Path | None) -> list[Path]:
    """The installation an environment's Python comes from (outside /usr it needs a bind)."""
    if python is None:
        return []
    real = Path(os.path.realpath(python))
    return [real.parent.parent, Path(sys.base_prefix)]


def wrap(command: list[str], confinement: Confinement) -> list[str]:
    """`command` started inside a bwrap sandbox holding what `confinement` gives."""
    found = probe()
    assert found.executable is not None, "wrap() after use_sandbox() said yes"
    argv = [found.executable, "--die-with-parent", "--new-session"]
    argv += ["--unshare-pid", "--unshare-ipc", "--unshare-uts"]
    if not confinement.network:
        argv.append("--unshare-net")
    argv += _system()
    argv += ["--proc", "/proc", "--dev", "/dev", "--tmpfs", "/tmp", "--dir", SANDBOX_HOME]
    argv += _binds(confinement)
    argv += ["--remount-ro", "/"]  # the sandbox's own root: no stray writes into it
    if confinement.cwd is not None:
        argv += ["--chdir", str(confinement.cwd)]
    return [*argv, "--", *command]


def _system() -> list[str]:
    argv: list[str] = []
    for folder in SYSTEM_FOLDERS:
        if os.path.islink(folder):
            argv += ["--symlink", os.readlink(folder), folder]
        elif os.path.isdir(folder):
            argv += ["--ro-bind", folder, folder]
    return argv


def _binds(confinement: Confinement) -> list[str]:
    """Binds ordered parents first, so a writable input inside a read-only folder stays
    writable; a path that does not exist is left out (bwrap would refuse to start)."""
    wanted: dict[str, str] = {}
    for paths, option in ((confinement.readable, "--ro-bind"), (confinement.writable, "--bind")):
        for path in _existing(paths):
            wanted[path] = option if wanted.get(path) != "--bind" else "--bind"
    argv: list[str] = []
    for path in sorted(wanted, key=lambda p: (p.count("/"), p)):
        argv += [wanted[path], path, path]
    return argv


def _existing(paths: Iterable[Path]) -> list[str]:
    found = []
    for path in paths:
        absolute = os.path.abspath(path)
        if os.path.lexists(absolute):
            found.append(absolute)
            real = os.path.realpath(absolute)
            if real != absolute:
                found.append(real)
    return [p for p in found if not _under_system(p)]


def _under_system(path: str) -> bool:
    return any(path == f or path.startswith(f + "/") for f in SYSTEM_FOLDERS if f != "/opt")


def sandbox_environment(env: Mapping[str, str]) -> dict[str, str]:
    """The run's environment as the sandbox needs it: HOME and TMPDIR are its own."""
    return {**env, "HOME": SANDBOX_HOME, "TMPDIR": "/tmp"}


@contextmanager
def private_home(env: dict[str, str], sandboxed: bool, beside: Path) -> Iterator[None]:
    """Without the sandbox, HOME is still the run's own: an empty folder `home` made in
    `beside` (the run's folder) and removed after the run."""
    if sandboxed:
        yield
        return
    home = beside / "home"
    home.mkdir(mode=0o700)
    env["HOME"] = str(home)
    try:
        yield
    finally:
        shutil.rmtree(home, ignore_errors=True)
