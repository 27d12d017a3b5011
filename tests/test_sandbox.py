"""The isolation of a run, probed as a careless or hostile automation would: real bwrap,
real processes. Without bwrap (`AUTOKIT_SANDBOX=off`) the supervisor's own protections
(subreaper, non-dumpable, private HOME) are probed the same way."""

from __future__ import annotations

import json
import os
import pwd
import shutil
import signal
import socket
import stat
import subprocess
import sys
import tempfile
import textwrap
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from helpers import automation_files, build_tree, commit_all, git
from test_run import autokit, python_automation, shell_automation

from toolkit.run.sandbox import probe
from toolkit.run.tree import protect_supervisor

CANARY = "canary-Zq81-undeclared-secret"
REPO = Path(__file__).resolve().parent.parent
needs_bwrap = pytest.mark.skipif(not probe().works, reason="bwrap does not work here")

PROBE = """
import os, sys

def attempt(action):
    try:
        return action()
    except OSError as error:
        return type(error).__name__

def read(path):
    with open(path, "rb") as file:
        return file.read().decode("utf-8", "replace")

def write(path):
    with open(path, "w") as file:
        file.write("planted")
    return "written"

def every_environ():
    found = []
    for pid in os.listdir("/proc"):
        if pid.isdigit():
            found.append(attempt(lambda: read(f"/proc/{pid}/environ")))
    return found

def main(home="", state="", cache="", other=""):
    site = os.path.join(sys.prefix, "lib", "python%d.%d" % sys.version_info[:2], "site-packages")
    return {
        "parent_environ": attempt(lambda: read(f"/proc/{os.getppid()}/environ")),
        "every_environ": every_environ(),
        "netrc": attempt(lambda: read(os.path.join(home, ".netrc"))),
        "own_home": [os.path.expanduser("~"), attempt(lambda: os.listdir(os.path.expanduser("~")))],
        "ssh": attempt(lambda: os.listdir(os.path.join(home, ".ssh"))),
        "state": [os.path.relpath(os.path.join(d, f), state) for d, _, fs in os.walk(state)
                  for f in fs],
        "cache_write": attempt(lambda: write(os.path.join(cache, "planted.json"))),
        "pth": attempt(lambda: write(os.path.join(site, "planted.pth"))),
        "other": attempt(lambda: os.listdir(other)),
        "processes": sorted(int(p) for p in os.listdir("/proc") if p.isdigit()),
    }
"""

STRING = {"type": "string", "description": "a path to try", "default": ""}
PROBE_INPUTS = {name: STRING for name in ("home", "state", "cache", "other")}

# Three descendants that try to outlive the run: one in a session of its own that also
# holds stdout open, one orphaned by a double fork, and (in `hang`) the main process.
ESCAPES = """
import os, time

def beat(path):
    while True:
        with open(path, "a") as file:
            file.write(".")
        time.sleep(0.05)

def main(hang: bool = False):
    out = os.environ["AUTOKIT_OUTPUT_DIR"]
    if os.fork() == 0:
        os.setsid()
        beat(os.path.join(out, "setsid"))
    if os.fork() == 0:
        if os.fork() == 0:
            beat(os.path.join(out, "double-fork"))
        os._exit(0)
    while not all(os.path.exists(os.path.join(out, f)) for f in ("setsid", "double-fork")):
        time.sleep(0.02)
    print("escaped", flush=True)
    if hang:
        time.sleep(300)
    return {"started": True}
"""
HANG = {"hang": {"type": "boolean", "description": "sleep after starting", "default": False}}


@pytest.fixture
def secrets_around(monkeypatch: pytest.MonkeyPatch) -> Path:
    """An undeclared secret in autokit's environment and credentials in the caller's HOME."""
    monkeypatch.setenv("UNDECLARED_TOKEN", CANARY)
    home = Path.home()
    (home / ".netrc").write_text(f"machine example.com password {CANARY}\n")
    (home / ".ssh").mkdir(exist_ok=True)
    (home / ".ssh" / "id_ed25519").write_text(CANARY)
    return home


def run_json(cli: Any, root: Path, name: str, *inputs: str) -> tuple[int, dict[str, Any]]:
    given = [f"--input={value}" for value in inputs]
    result = cli("run", name, *given, "--repo", str(root), "--format", "json")
    assert "Traceback" not in result.err, result.err
    return result.code, json.loads(result.out)


@needs_bwrap
def test_the_sandbox_hides_the_callers_secrets_home_state_and_other_automations(
    make_repo: Any, cli: Any, secrets_around: Path
) -> None:
    files = python_automation("prober", PROBE, inputs=PROBE_INPUTS, examples=None)
    files.update(automation_files("neighbour"))
    root = make_repo(files)
    state, cache = os.environ["AUTOKIT_HOME"], os.environ["AUTOKIT_CACHE_DIR"]
    inputs = [f"home={secrets_around}", f"state={state}", f"cache={cache}"]
    inputs.append(f"other={root / 'automations' / 'neighbour'}")

    code, run = run_json(cli, root, "prober", *inputs)

    assert code == 0 and run["status"] == "success", run
    found = run["result"]
    assert CANARY not in json.dumps(found)
    assert "AUTOKIT_HOME" not in found["parent_environ"]  # bwrap's, scrubbed like the run's
    assert found["netrc"] == found["ssh"] == "FileNotFoundError"
    assert found["own_home"] == ["/tmp/home", []]
    assert found["other"] == "FileNotFoundError"
    # of autokit's state only this run's own files: no history, no log, no other run
    assert sorted(Path(p).name for p in found["state"]) == ["request.json"], found["state"]
    # a write under the cache fails, or (the cache being under /tmp here) lands in the
    # sandbox's own /tmp and is gone with it: the real cache never sees it
    assert found["pth"] in ("OSError", "PermissionError")  # the environment is read-only
    assert not list(Path(cache).rglob("planted*"))
    assert max(found["processes"]) < 10  # a PID namespace of its own: autokit is not there


@needs_bwrap
@pytest.mark.parametrize("ending", ["success", "timeout"])
def test_setsid_and_double_fork_descendants_end_with_the_run(
    make_repo: Any, cli: Any, ending: str
) -> None:
    root = make_repo(python_automation("escaper", ESCAPES, inputs=HANG, examples=None))
    started = time.monotonic()

    hang = ["--input=hang=true", "--timeout", "2"] if ending == "timeout" else []
    result = cli("run", "escaper", *hang, "--repo", str(root), "--format", "json")

    run = json.loads(result.out)
    assert (run["status"], result.code) == (ending, 0 if ending == "success" else 124), result
    # the setsid child held stdout open: the run still ends at once, as a success
    assert time.monotonic() - started < 8
    assert_stopped(Path(run["run_dir"]) / "output")


def assert_stopped(output: Path) -> None:
    beats = [output / "setsid", output / "double-fork"]
    sizes = [beat.stat().st_size for beat in beats]
    time.sleep(0.5)
    assert [beat.stat().st_size for beat in beats] == sizes, "a descendant outlived the run"


@needs_bwrap
def test_ctrl_c_to_autokit_ends_every_process_of_the_sandbox(make_repo: Any) -> None:
    root = make_repo(python_automation("escaper", ESCAPES, inputs=HANG, examples=None))
    process = autokit(root, "run", "escaper", "--input=hang=true", start_new_session=True)
    assert process.stdout is not None and process.stdout.readline() == "escaped\n"

    os.kill(process.pid, signal.SIGINT)

    _, err = process.communicate(timeout=20)
    assert process.returncode == 130, err
    assert "escaper 1.0.0: cancelled" in err, err
    [output] = Path(os.environ["AUTOKIT_HOME"], "runs").glob("*/output")
    assert_stopped(output)


@needs_bwrap
def test_kill_9_of_autokit_ends_the_sandbox_too(make_repo: Any) -> None:
    root = make_repo(python_automation("escaper", ESCAPES, inputs=HANG, examples=None))
    process = autokit(root, "run", "escaper", "--input=hang=true")
    assert process.stdout is not None and process.stdout.readline() == "escaped\n"

    process.kill()

    process.communicate(timeout=20)
    [output] = Path(os.environ["AUTOKIT_HOME"], "runs").glob("*/output")
    time.sleep(0.3)  # bwrap's init gets SIGKILL as its parent dies
    assert_stopped(output)


CONNECT = """
import socket

def main(port: int = 0):
    try:
        socket.create_connection(("127.0.0.1", port), timeout=3).close()
    except OSError as error:
        return {"connected": False, "error": type(error).__name__}
    return {"connected": True}
"""
PORT = {"port": {"type": "integer", "description": "where to connect", "default": 0}}


@pytest.fixture
def loopback_server() -> Iterator[int]:
    server = socket.create_server(("127.0.0.1", 0))
    server.listen()
    try:
        yield server.getsockname()[1]
    finally:
        server.close()


@needs_bwrap
def test_network_false_leaves_the_run_without_any_network(
    make_repo: Any, cli: Any, loopback_server: int
) -> None:
    files = python_automation("offline", CONNECT, inputs=PORT, examples=None, network=False)
    files.update(python_automation("online", CONNECT, inputs=PORT, examples=None))
    root = make_repo(files)

    _, offline = run_json(cli, root, "offline", f"port={loopback_server}")
    _, online = run_json(cli, root, "online", f"port={loopback_server}")

    assert offline["result"]["connected"] is False, offline
    assert online["result"] == {"connected": True}  # the default: network on


UPDATE = """
import os

def attempt(action):
    try:
        action()
        return "done"
    except OSError as error:
        return type(error).__name__

def append(path):
    with open(path, "a") as file:
        file.write("+1\\n")

def main(book: str, notes: str):
    beside = os.path.join(os.path.dirname(book), "planted.txt")
    return {
        "book": attempt(lambda: append(book)),
        "notes": attempt(lambda: append(notes)),
        "beside": attempt(lambda: append(beside)),
        "rename": attempt(lambda: os.rename(book, book + ".moved")),
    }
"""
BOOK_INPUTS = {
    "book": {
        "type": "path",
        "description": "updated in place",
        "required": True,
        "access": "write",
    },
    "notes": {"type": "path", "description": "only read", "required": True},
}


@needs_bwrap
def test_access_write_updates_that_file_and_nothing_beside_it(
    make_repo: Any, cli: Any, tmp_path: Path
) -> None:
    root = make_repo(python_automation("updater", UPDATE, inputs=BOOK_INPUTS, examples=None))
    data = tmp_path / "data"
    data.mkdir()
    (data / "book.txt").write_text("stock\n")
    (data / "notes.txt").write_text("notes\n")

    code, run = run_json(
        cli, root, "updater", f"book={data / 'book.txt'}", f"notes={data / 'notes.txt'}"
    )

    assert code == 0, run
    assert run["result"]["book"] == "done"
    assert run["result"]["notes"] in ("OSError", "PermissionError")
    assert run["result"]["rename"] != "done"
    assert (data / "book.txt").read_text() == "stock\n+1\n"
    assert (data / "notes.txt").read_text() == "notes\n"
    assert sorted(p.name for p in data.iterdir()) == ["book.txt", "notes.txt"]


@pytest.mark.parametrize("sandbox", ["required", "off"])
def test_access_write_on_a_file_that_does_not_exist_is_refused_before_the_run(
    make_repo: Any, cli: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, sandbox: str
) -> None:
    if sandbox == "required" and not probe().works:
        pytest.skip("bwrap does not work here")
    monkeypatch.setenv("AUTOKIT_SANDBOX", sandbox)
    root = make_repo(python_automation("updater", UPDATE, inputs=BOOK_INPUTS, examples=None))
    (tmp_path / "notes.txt").write_text("notes\n")
    missing = tmp_path / "new-book.txt"

    result = cli(
        "run",
        "updater",
        "--repo",
        str(root),
        "-i",
        f"book={missing}",
        "-i",
        f"notes={tmp_path / 'notes.txt'}",
    )

    assert result.code == 1, result.err
    assert f"updater updates a file that does not exist (book: {missing})" in result.err
    assert "$AUTOKIT_OUTPUT_DIR" in result.err
    assert not missing.exists()
    runs = Path(os.environ["AUTOKIT_HOME"], "runs")
    assert not runs.exists() or not list(runs.iterdir())


@needs_bwrap
def test_a_failing_automation_in_the_sandbox_fails_with_exit_1(make_repo: Any, cli: Any) -> None:
    code = "def main(greeting=''):\n    raise ValueError('no such order')\n"
    root = make_repo(python_automation("breaks", code))

    result = cli("run", "breaks", "--repo", str(root))

    assert result.code == 1 and "ValueError: no such order" in result.err, result
    assert Path(os.environ["AUTOKIT_HOME"]).is_dir()


@needs_bwrap
def test_the_result_is_recorded_and_the_log_is_out_of_reach(make_repo: Any, cli: Any) -> None:
    code = """
    import os
    def main(greeting=''):
        run = os.path.dirname(os.environ["AUTOKIT_OUTPUT_DIR"])
        return {"seen": sorted(os.listdir(run))}
    """
    root = make_repo(python_automation("looks", code))

    code_, run = run_json(cli, root, "looks")

    assert code_ == 0 and run["result"] == {"seen": ["output", "report", "request.json"]}
    folder = Path(run["run_dir"])
    assert json.loads((folder / "result.json").read_text())["ok"] is True
    assert not (folder / "report").exists()


def fake_bwrap(tmp_path: Path) -> dict[str, str]:
    """An environment whose `bwrap` fails as it does where AppArmor forbids namespaces."""
    folder = tmp_path / "fake-bin"
    folder.mkdir()
    script = folder / "bwrap"
    script.write_text(
        "#!/bin/sh\necho 'bwrap: setting up uid map: Permission denied' >&2\nexit 1\n"
    )
    script.chmod(0o755)
    return {**os.environ, "PATH": f"{folder}{os.pathsep}{os.environ['PATH']}"}


def test_required_refuses_to_run_without_a_working_bwrap(make_repo: Any, tmp_path: Path) -> None:
    root = make_repo(automation_files("greeter"))
    env = {**fake_bwrap(tmp_path), "AUTOKIT_SANDBOX": "required"}

    process = autokit(root, "run", "greeter", env=env)
    _out, err = process.communicate(timeout=60)

    assert process.returncode == 1, err
    assert "setting up uid map: Permission denied" in err
    assert "apt-get install bubblewrap" in err
    assert "kernel.apparmor_restrict_unprivileged_userns=0" in err
    assert "Traceback" not in err
    assert not Path(os.environ["AUTOKIT_HOME"], "runs").exists() or not list(
        Path(os.environ["AUTOKIT_HOME"], "runs").iterdir()
    )


def test_auto_without_bwrap_runs_unsandboxed_with_one_warning(
    make_repo: Any, tmp_path: Path
) -> None:
    root = make_repo(automation_files("greeter"))

    process = autokit(root, "run", "greeter", env=fake_bwrap(tmp_path))
    out, err = process.communicate(timeout=120)

    assert process.returncode == 0, err
    assert err.count("warning: running without the sandbox") == 1
    assert "hello world" in out


def counting_bwrap(tmp_path: Path) -> tuple[dict[str, str], Path]:
    """An environment whose `bwrap` is the real one behind a wrapper that counts probes."""
    folder = tmp_path / "counting-bin"
    folder.mkdir()
    probes = tmp_path / "probes.txt"
    script = folder / "bwrap"
    script.write_text(
        f'#!/bin/sh\ncase "$*" in *"--new-session true") echo probe >> {probes};; esac\n'
        f'exec {shutil.which("bwrap")} "$@"\n'
    )
    script.chmod(0o755)
    return {**os.environ, "PATH": f"{folder}{os.pathsep}{os.environ['PATH']}"}, probes


@needs_bwrap
def test_a_working_probe_is_remembered_for_the_runs_that_follow(
    make_repo: Any, tmp_path: Path
) -> None:
    root = make_repo(automation_files("greeter"))
    env, probes = counting_bwrap(tmp_path)

    for _ in range(3):
        process = autokit(root, "run", "greeter", env={**env, "AUTOKIT_SANDBOX": "required"})
        _out, err = process.communicate(timeout=60)
        assert process.returncode == 0, err

    assert probes.read_text().count("probe") == 1


@needs_bwrap
@pytest.mark.parametrize(
    "forged",
    [
        "{not json",
        json.dumps({"format": 1, "fingerprint": ["another boot"], "checked": time.time()}),
        json.dumps({"format": 1, "fingerprint": None, "checked": time.time()}),
        json.dumps([1, 2]),
    ],
)
def test_a_probe_memory_of_another_machine_state_or_garbage_is_probed_anew(
    make_repo: Any, tmp_path: Path, forged: str
) -> None:
    root = make_repo(automation_files("greeter"))
    env, probes = counting_bwrap(tmp_path)
    Path(os.environ["AUTOKIT_CACHE_DIR"]).mkdir(parents=True, exist_ok=True)
    Path(os.environ["AUTOKIT_CACHE_DIR"], "sandbox-probe.json").write_text(forged)

    process = autokit(root, "run", "greeter", env={**env, "AUTOKIT_SANDBOX": "required"})
    _out, err = process.communicate(timeout=60)

    assert process.returncode == 0, err
    assert probes.read_text().count("probe") == 1


def test_a_failing_probe_is_not_remembered(make_repo: Any, tmp_path: Path) -> None:
    """A failure is probed again each run: nothing written to the cache can switch the
    sandbox off for later runs."""
    root = make_repo(automation_files("greeter"))
    env = fake_bwrap(tmp_path)
    Path(os.environ["AUTOKIT_CACHE_DIR"], "sandbox-probe.json").unlink(missing_ok=True)

    for _ in range(2):
        process = autokit(root, "run", "greeter", env=env)
        _out, err = process.communicate(timeout=60)
        assert process.returncode == 0 and "running without the sandbox" in err, err

    assert not Path(os.environ["AUTOKIT_CACHE_DIR"], "sandbox-probe.json").exists()


@pytest.mark.parametrize(
    ("mode", "fake", "code", "said"),
    [
        ("off", False, 0, "sandbox:      none (switched off: sandbox = off)"),
        ("auto", True, 0, "sandbox:      none: bwrap does not work here (bwrap: setting up uid"),
        ("required", True, 1, "sandbox:      required, but bwrap does not work here"),
    ],
)
def test_a_dry_run_says_how_the_run_would_be_confined(
    make_repo: Any, tmp_path: Path, mode: str, fake: bool, code: int, said: str
) -> None:
    root = make_repo(automation_files("greeter"))
    env = {**(fake_bwrap(tmp_path) if fake else os.environ), "AUTOKIT_SANDBOX": mode}

    process = autokit(root, "run", "greeter", "--dry-run", env=env)
    out, err = process.communicate(timeout=60)

    assert process.returncode == code, err
    assert said in out
    if code:
        assert "the sandbox is required and bwrap does not work here" in err


@needs_bwrap
def test_a_dry_run_names_the_sandbox_where_bwrap_works(make_repo: Any, cli: Any) -> None:
    root = make_repo(automation_files("greeter"))

    result = cli("run", "greeter", "--dry-run", "--format", "json", "--repo", str(root))

    assert result.code == 0, result.err
    plan = json.loads(result.out)["plan"]
    assert plan["sandbox"] == "bubblewrap" and plan["refused"] is None


def test_a_sandbox_mode_that_does_not_exist_is_named(make_repo: Any, cli: Any, monkeypatch) -> None:
    monkeypatch.setenv("AUTOKIT_SANDBOX", "sometimes")
    root = make_repo(automation_files("greeter"))

    result = cli("run", "greeter", "--repo", str(root))

    assert result.code == 1
    assert "AUTOKIT_SANDBOX is 'sometimes', not a sandbox mode" in result.err


def test_the_pyproject_setting_chooses_the_mode(make_repo: Any, cli: Any) -> None:
    files = automation_files("greeter")
    files["pyproject.toml"] = '[tool.autokit]\nsandbox = "never"\n'
    root = make_repo(files)

    result = cli("run", "greeter", "--repo", str(root))

    assert result.code == 1
    assert "[tool.autokit] sandbox in pyproject.toml is 'never'" in result.err


# Without bwrap: the supervisor's own protections.


@pytest.mark.parametrize("ending", ["success", "timeout"])
def test_without_the_sandbox_the_subreaper_ends_escaped_descendants(
    make_repo: Any, cli: Any, monkeypatch: pytest.MonkeyPatch, ending: str
) -> None:
    monkeypatch.setenv("AUTOKIT_SANDBOX", "off")
    root = make_repo(python_automation("escaper", ESCAPES, inputs=HANG, examples=None))
    started = time.monotonic()

    hang = ["--input=hang=true", "--timeout", "2"] if ending == "timeout" else []
    result = cli("run", "escaper", *hang, "--repo", str(root), "--format", "json")

    run = json.loads(result.out)
    assert run["status"] == ending, result
    assert time.monotonic() - started < 8  # the setsid child held stdout: still no timeout
    assert protect_supervisor().subreaper
    assert_stopped(Path(run["run_dir"]) / "output")


def test_without_the_sandbox_ctrl_c_still_ends_escaped_descendants(make_repo: Any) -> None:
    root = make_repo(python_automation("escaper", ESCAPES, inputs=HANG, examples=None))
    env = {**os.environ, "AUTOKIT_SANDBOX": "off"}
    process = autokit(root, "run", "escaper", "--input=hang=true", env=env)
    assert process.stdout is not None and process.stdout.readline() == "escaped\n"

    os.kill(process.pid, signal.SIGINT)

    _, err = process.communicate(timeout=20)
    assert process.returncode == 130, err
    [output] = Path(os.environ["AUTOKIT_HOME"], "runs").glob("*/output")
    assert_stopped(output)


def test_without_the_sandbox_home_is_private(
    make_repo: Any, cli: Any, monkeypatch: pytest.MonkeyPatch, secrets_around: Path
) -> None:
    monkeypatch.setenv("AUTOKIT_SANDBOX", "off")
    script = 'ls -A "$HOME"; cat "$HOME/.netrc" 2>&1 || true; echo "home=$HOME"\n'
    root = make_repo(shell_automation("homely", script, inputs=None, examples=None))

    result = cli("run", "homely", "--repo", str(root))

    assert result.code == 0, result
    assert CANARY not in result.out and "No such file" in result.out
    home = result.out.split("home=")[1].strip()
    assert home != str(secrets_around) and not Path(home).exists()  # removed after the run


def _scratch_user() -> pwd.struct_passwd | None:
    try:
        user = pwd.getpwnam("scratch")
    except KeyError:
        return None
    return user if os.geteuid() == 0 and Path("/home/scratch/v/bin/python").exists() else None


def _scratch_user_reads_this_checkout() -> bool:
    """Whether the scratch user can import this checkout's toolkit (a CI clone in a private
    temporary folder is out of its reach: its own older install would run instead)."""
    if _scratch_user() is None:
        return False
    probe = ["runuser", "-u", "scratch", "--", "test", "-r", str(REPO / "toolkit" / "cli.py")]
    return subprocess.run(probe, capture_output=True).returncode == 0


@pytest.mark.skipif(
    not _scratch_user_reads_this_checkout(),
    reason="needs root, the unprivileged scratch user, and a checkout that user can read",
)
def test_without_the_sandbox_a_same_user_child_cannot_read_the_callers_environment() -> None:
    """Run as an unprivileged user: root may read any /proc/PID/environ."""
    user = _scratch_user()
    assert user is not None
    base = Path(tempfile.mkdtemp(prefix="autokit-scratch-", dir="/tmp"))
    try:
        script = (
            'cat /proc/$PPID/environ > /dev/null 2> "$AUTOKIT_OUTPUT_DIR/parent" || true\n'
            'tr "\\0" "\\n" < /proc/$PPID/environ || true\n'
            'cat /proc/self/environ > /dev/null && echo "own environment readable"\n'
        )
        root = base / "repo"
        (root / "automations").mkdir(parents=True)
        build_tree(root, shell_automation("peeker", script, inputs=None, examples=None))
        git(root, "init", "-q", "-b", "main")
        commit_all(root, "initial")
        subprocess.run(["chown", "-R", f"{user.pw_uid}:{user.pw_gid}", str(base)], check=True)
        base.chmod(0o755)
        env = {
            "PATH": "/usr/bin:/bin",
            "HOME": str(base),
            "AUTOKIT_HOME": str(base / "state"),
            "AUTOKIT_CACHE_DIR": str(base / "cache"),
            "AUTOKIT_SANDBOX": "off",
            "PYTHONPATH": str(REPO),
            "UNDECLARED_TOKEN": CANARY,
        }
        command = ["runuser", "-u", "scratch", "--", "env", "-i"]
        command += [f"{k}={v}" for k, v in env.items()]
        command += ["/home/scratch/v/bin/python", "-m", "toolkit", "--repo", str(root)]
        command += ["run", "peeker"]

        completed = subprocess.run(command, capture_output=True, text=True, timeout=120)

        assert completed.returncode == 0, completed.stderr
        assert CANARY not in completed.stdout + completed.stderr
        assert "own environment readable" in completed.stdout
        [parent] = (base / "state" / "runs").glob("*/output/parent")
        assert "Permission denied" in parent.read_text()
    finally:
        shutil.rmtree(base, ignore_errors=True)


@needs_bwrap
def test_autokit_test_runs_pytest_in_the_sandbox(make_repo: Any, cli: Any, secrets_around) -> None:
    files = automation_files("tested")
    files["automations/tested/tests/test_reach.py"] = textwrap.dedent(
        f"""
        import os
        from pathlib import Path

        def test_tmp_path_is_writable(tmp_path):
            (tmp_path / "x").write_text("fine")

        def test_the_callers_home_and_secrets_are_out_of_reach():
            assert not Path({str(secrets_around)!r}, ".netrc").exists()
            assert "UNDECLARED_TOKEN" not in os.environ
            assert os.environ["HOME"] == "/tmp/home"

        def test_the_tests_folder_is_read_only():
            try:
                Path(__file__).with_name("planted.py").write_text("x")
            except OSError:
                return
            raise AssertionError("wrote into tests/")
        """
    )
    root = make_repo(files)

    result = cli("test", "tested", "--repo", str(root))

    assert result.code == 0, result.out + result.err
    assert not (root / "automations" / "tested" / "tests" / "planted.py").exists()
    assert stat.S_ISDIR((root / "automations" / "tested").stat().st_mode)
    assert sys.platform.startswith("linux")


def test_doctor_names_every_protection_and_exits_0(cli: Any) -> None:
    result = cli("doctor")

    assert result.code == 0, result
    for name in ("sandbox (bubblewrap)", "subreaper", "non-dumpable supervisor", "uv"):
        assert name in result.out


def test_doctor_says_what_a_missing_sandbox_means_and_how_to_get_it(
    make_repo: Any, tmp_path: Path
) -> None:
    root = make_repo(automation_files("greeter"))
    process = autokit(root, "doctor", "--format", "json", env=fake_bwrap(tmp_path))
    out, err = process.communicate(timeout=60)

    assert process.returncode == 0, err
    report = json.loads(out)
    sandbox = next(p for p in report["protections"] if p["name"] == "sandbox (bubblewrap)")
    assert sandbox["active"] is False
    assert "Permission denied" in sandbox["detail"]
    assert "your HOME, ~/.ssh" in sandbox["missing_means"]
    assert "apparmor_restrict_unprivileged_userns=0" in sandbox["how_to_enable"]
    assert report["sandbox_mode"] == "auto"


def test_access_on_an_input_that_is_not_a_path_is_a_clear_metadata_error(
    make_repo: Any, cli: Any
) -> None:
    inputs = {"greeting": {"type": "string", "description": "who", "access": "write"}}
    root = make_repo(automation_files("greeter", inputs=inputs, examples=None))

    result = cli("validate", "--repo", str(root))

    assert result.code == 1, result
    assert "inputs.greeting" in result.out + result.err
    assert "`access` applies to path inputs only" in result.out + result.err
    assert "make the input `type: path`" in result.out + result.err


def test_network_and_access_must_be_of_their_kind(make_repo: Any, cli: Any) -> None:
    inputs = {"book": {"type": "path", "description": "a file", "access": "append"}}
    root = make_repo(automation_files("greeter", inputs=inputs, examples=None, network="no"))

    result = cli("validate", "--repo", str(root))

    shown = result.out + result.err
    assert result.code == 1 and "'append' is not allowed" in shown and "read, write" in shown
    assert "network" in shown and "true or false" in shown


class Inbox:
    """An aiosmtpd handler keeping the recipients of every message it accepts."""

    def __init__(self) -> None:
        self.recipients: list[str] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.recipients += envelope.rcpt_tos
        return "250 Message accepted for delivery"


@pytest.fixture
def smtp_inbox() -> Iterator[tuple[Inbox, int]]:
    from aiosmtpd.controller import Controller

    with socket.socket() as free:
        free.bind(("127.0.0.1", 0))
        port = int(free.getsockname()[1])
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield inbox, port
    finally:
        controller.stop()


@needs_bwrap
@pytest.mark.slow
def test_invoice_reminders_sends_for_real_and_updates_only_its_ledger_in_the_sandbox(
    cli: Any, tmp_path: Path, smtp_inbox: tuple[Inbox, int], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AUTOKIT_SANDBOX", "required")
    inbox, port = smtp_inbox
    data = tmp_path / "exports"
    data.mkdir()
    shutil.copy(REPO / "automations" / "invoice-reminders" / "sample" / "invoices.csv", data)
    ledger = data / "invoices.reminded.json"
    ledger.write_text("{}\n")
    given = [
        f"invoices={data / 'invoices.csv'}",
        "sender=Shop <accounts@example-shop.test>",
        "today=2026-11-26",
        "smtp_host=127.0.0.1",
        f"smtp_port={port}",
        "smtp_security=none",
    ]

    # The default ledger beside the export exists, but the sandbox does not reach it.
    code, refused = run_json(cli, REPO, "invoice-reminders", *given)
    assert code == 1 and refused["status"] == "failed", refused
    assert "out of this run's reach" in json.dumps(refused)
    assert inbox.recipients == []

    code, run = run_json(cli, REPO, "invoice-reminders", *given, f"ledger={ledger}")

    assert code == 0 and run["status"] == "success", run
    assert run["result"]["customers_reminded"] == 3
    assert len(inbox.recipients) == 3
    assert json.loads(ledger.read_text()) == {
        number: "2026-11-26"
        for number in ("INV-2026-101", "INV-2026-107", "INV-2026-118", "INV-2026-125")
    }
    assert sorted(p.name for p in data.iterdir()) == ["invoices.csv", "invoices.reminded.json"]
    output = Path(run["result"]["summary"]).parent
    assert (output / "invoices.reminded.json.before").read_text() == "{}\n"
