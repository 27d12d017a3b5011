"""Isolated environments: cached by key, safe for concurrent creators, nothing half-built."""

from __future__ import annotations

import json
import multiprocessing
import os
import pickle
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest
from helpers import automation_files, metadata

from toolkit.environments import (
    READY_MARKER,
    ensure_environment,
    environment_key,
    find_uv,
    planned_environment,
)
from toolkit.errors import ToolkitError
from toolkit.metadata import Automation, automation_from_data
from toolkit.runtimes import RUNTIMES


def automation(tmp_path: Path, name: str = "env-test", **overrides: object) -> Automation:
    return automation_from_data(metadata(name, **overrides), tmp_path)


def python_of(environment_python: Path, code: str) -> str:
    result = subprocess.run(
        [str(environment_python), "-c", code], capture_output=True, text=True, check=True
    )
    return result.stdout.strip()


def test_key_depends_on_name_runtime_python_and_sorted_requirements(tmp_path: Path) -> None:
    one = automation(tmp_path, requirements=["a==1.0", "b==2.0"])
    same = automation(tmp_path, requirements=["b==2.0", "a==1.0"])
    other = automation(tmp_path, requirements=["a==1.1", "b==2.0"])
    assert environment_key(one) == environment_key(same)
    assert environment_key(one).startswith("env-test-")
    assert environment_key(one) != environment_key(other)
    assert environment_key(one) != environment_key(one, ["pytest==8.0.0"])
    twin = automation(tmp_path, name="env-twin", requirements=["a==1.0", "b==2.0"])
    assert environment_key(one) != environment_key(twin)


def test_an_environment_is_created_once_and_reused(tmp_path: Path) -> None:
    messages: list[str] = []
    first = ensure_environment(automation(tmp_path), progress=messages.append)
    assert first.python is not None and first.path is not None
    assert (first.path / READY_MARKER).is_file()
    assert python_of(first.python, "import sys; print(sys.prefix)") == str(first.path)
    again: list[str] = []
    assert ensure_environment(automation(tmp_path), progress=again.append) == first
    assert again == []
    assert planned_environment(automation(tmp_path)) == (first, True)


def test_automations_with_the_same_requirements_get_environments_of_their_own(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AUTOKIT_CACHE_DIR", str(tmp_path / "cache"))
    first = ensure_environment(automation(tmp_path, name="env-one"))
    messages: list[str] = []
    second = ensure_environment(automation(tmp_path, name="env-two"), progress=messages.append)
    assert first.path is not None and second.path is not None
    assert first.path != second.path and first.requirements == second.requirements
    assert "creating the environment for env-two" in messages[0]
    assert python_of(second.python, "import sys; print(sys.prefix)") == str(second.path)


def test_shell_automations_use_the_system(tmp_path: Path) -> None:
    shell = automation(tmp_path, runtime="shell", entrypoint="run.sh")
    environment = RUNTIMES["shell"].prepare_environment(shell)
    assert environment.path is None and environment.python is None
    assert RUNTIMES["shell"].planned_environment(shell) == (environment, True)


def test_the_runtime_is_part_of_the_key(tmp_path: Path) -> None:
    shell = automation(tmp_path, runtime="shell", entrypoint="run.sh", requirements=["a==1.0"])
    python = automation(tmp_path, requirements=["a==1.0"])
    assert environment_key(shell, ["pytest==8.0.0"]) != environment_key(python, ["pytest==8.0.0"])


@pytest.mark.parametrize(
    "marker",
    [
        b"garbage",
        pickle.dumps({"format": 1}),
        b'["a", "list"]',
        b'{"requirements": []}',  # the marker's layout before it had a format
        b'{"format": 1, "key": "another-environment", "requirements": []}',
        b'{"format": 99, "key": "%s", "requirements": []}',
    ],
    ids=["garbage", "pickle", "list", "old-layout", "other-key", "other-format"],
)
def test_a_marker_that_does_not_name_the_environment_means_it_is_rebuilt(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, marker: bytes
) -> None:
    monkeypatch.setenv("AUTOKIT_CACHE_DIR", str(tmp_path / "cache"))
    built = ensure_environment(automation(tmp_path))
    assert built.path is not None and built.python is not None
    leftover = built.path / "left-by-someone.txt"
    leftover.write_text("x")
    marker = marker.replace(b"%s", built.key.encode())
    (built.path / READY_MARKER).write_bytes(marker)
    assert planned_environment(automation(tmp_path)) == (built, False)
    messages: list[str] = []
    assert ensure_environment(automation(tmp_path), progress=messages.append) == built
    assert "creating the environment" in messages[0]
    assert not leftover.exists()
    assert python_of(built.python, "print('ok')") == "ok"
    assert planned_environment(automation(tmp_path)) == (built, True)


def _create(folder: str) -> None:
    ensure_environment(automation(Path(folder)))


def test_concurrent_creators_build_one_intact_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AUTOKIT_CACHE_DIR", str(tmp_path / "cache"))  # inherited by workers
    context = multiprocessing.get_context("spawn")
    workers = [context.Process(target=_create, args=(str(tmp_path),)) for _ in range(4)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(120)
    assert [w.exitcode for w in workers] == [0] * 4
    environment, ready = planned_environment(automation(tmp_path))
    assert ready and environment.python is not None
    assert python_of(environment.python, "print('ok')") == "ok"
    assert sorted(p.name for p in environment.path.parent.iterdir()) == [
        environment.key,
        f"{environment.key}.lock",
    ]


def test_a_half_built_folder_is_rebuilt_not_reused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AUTOKIT_CACHE_DIR", str(tmp_path / "cache"))
    environment, ready = planned_environment(automation(tmp_path))
    assert not ready and environment.path is not None
    (environment.path / "bin").mkdir(parents=True)  # debris of a killed build
    (environment.path / "bin" / "python").write_text("not a python")
    built = ensure_environment(automation(tmp_path))
    assert built.python is not None
    assert python_of(built.python, "print(1 + 1)") == "2"


def test_without_uv_venv_is_used(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AUTOKIT_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setenv("AUTOKIT_NO_UV", "1")
    assert find_uv() is None
    messages: list[str] = []
    built = ensure_environment(automation(tmp_path), progress=messages.append)
    assert built.path is not None and built.python is not None
    assert "venv + pip" in messages[0]
    assert "home =" in (built.path / "pyvenv.cfg").read_text()
    assert python_of(built.python, "import sys; print(sys.prefix != sys.base_prefix)") == "True"


@pytest.mark.slow
def test_a_requirement_that_does_not_exist_leaves_nothing_behind(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AUTOKIT_CACHE_DIR", str(tmp_path / "cache"))
    broken = automation(tmp_path, requirements=["six==1.16.0", "autokit-no-such-package-x==0.0.1"])
    with pytest.raises(ToolkitError) as caught:
        ensure_environment(broken)
    assert "could not install 'autokit-no-such-package-x==0.0.1'" in caught.value.message
    assert "six" not in caught.value.message.splitlines()[0]
    environment, ready = planned_environment(broken)
    assert not ready and environment.path is not None and not environment.path.exists()


@pytest.mark.slow
def test_a_real_requirement_is_installed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AUTOKIT_CACHE_DIR", str(tmp_path / "cache"))
    environment = ensure_environment(automation(tmp_path, requirements=["six==1.16.0"]))
    assert environment.python is not None
    assert python_of(environment.python, "import six; print(six.__version__)") == "1.16.0"


HIJACKER = """\
import site

import six


def main(greeting=""):
    # What a hostile automation does: a .pth file runs at every start of this Python.
    with open(site.getsitepackages()[0] + "/zz-hijack.pth", "w") as pth:
        pth.write("import sys; sys.stderr.write('HIJACKED\\\\n')\\n")
    return six.__version__
"""
INNOCENT = "import six\n\n\ndef main(greeting=''):\n    return six.__version__\n"


def files_of(folder: Path) -> dict[str, int]:
    return {
        str(path.relative_to(folder)): path.lstat().st_mtime_ns
        for path in folder.rglob("*")
        if not path.is_dir()
    }


@pytest.mark.slow
def test_a_pth_file_dropped_by_one_automation_never_runs_in_another(
    make_repo, cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AUTOKIT_CACHE_DIR", str(tmp_path / "cache"))
    # Unsandboxed, the hijacker can write its environment (the sandbox mounts it read-only,
    # tests/test_sandbox.py); even then the write reaches no other automation.
    monkeypatch.setenv("AUTOKIT_SANDBOX", "off")
    files = {}
    for name, code in (("hijacker", HIJACKER), ("innocent", INNOCENT)):
        files.update(automation_files(name, requirements=["six==1.16.0"]))
        files[f"automations/{name}/main.py"] = code
    root = make_repo(files)

    first = cli("run", "hijacker", "--repo", str(root))
    assert first.code == 0 and json.loads(first.out) == "1.16.0", first
    again = cli("run", "hijacker", "--repo", str(root))
    assert "HIJACKED" in again.err  # the .pth works: it runs in its own environment...
    innocent = cli("run", "innocent", "--repo", str(root))
    assert innocent.code == 0 and json.loads(innocent.out) == "1.16.0", innocent
    assert "HIJACKED" not in innocent.err  # ...and only there

    hijacker_env = planned_environment(load(root, "hijacker"))[0].path
    innocent_env = planned_environment(load(root, "innocent"))[0].path
    assert hijacker_env is not None and innocent_env is not None
    assert hijacker_env != innocent_env
    assert not list(innocent_env.rglob("zz-hijack.pth"))


def load(root: Path, name: str) -> Automation:
    from toolkit.metadata import load_automation

    return load_automation(root / "automations" / name, root)


@pytest.mark.slow
@pytest.mark.skipif(find_uv() is None, reason="uv builds the environments")
def test_packages_are_hard_links_into_uvs_cache_with_bytecode_compiled(
    make_repo, cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AUTOKIT_CACHE_DIR", str(tmp_path / "cache"))
    one = ensure_environment(automation(tmp_path, name="env-one", requirements=["six==1.16.0"]))
    two = ensure_environment(automation(tmp_path, name="env-two", requirements=["six==1.16.0"]))
    assert one.path is not None and two.path is not None and one.python is not None
    (six_one,) = one.path.rglob("site-packages/six.py")
    (six_two,) = two.path.rglob("site-packages/six.py")
    assert six_one.stat().st_ino == six_two.stat().st_ino  # one file on disk
    uv_cache = tmp_path / "cache" / "uv"  # under autokit's cache: the same filesystem
    assert any(p.stat().st_ino == six_one.stat().st_ino for p in uv_cache.rglob("six.py"))
    assert list(six_one.parent.glob("__pycache__/six.*.pyc"))  # compiled when built

    before = files_of(one.path)
    # The runtime's command line imports the package and writes nothing beside it.
    from toolkit.runtimes import python

    request = tmp_path / "request.json"
    folder = tmp_path / "automation"
    folder.mkdir()
    (folder / "main.py").write_text(INNOCENT)
    subject = automation_from_data(metadata("env-one", requirements=["six==1.16.0"]), folder)
    python.pass_inputs(subject, {}, request, tmp_path / "result.json")
    subprocess.run(python.command_line(subject, one, request), check=True, env={})
    assert json.loads((tmp_path / "result.json").read_text()) == {"ok": True, "result": "1.16.0"}
    assert files_of(one.path) == before
    assert not list(folder.rglob("__pycache__"))


@pytest.mark.slow
@pytest.mark.skipif(find_uv() is None, reason="uv builds the environments")
def test_where_hard_links_fail_uv_copies_quietly(tmp_path: Path, monkeypatch) -> None:
    other_filesystem = Path("/dev/shm")
    if not other_filesystem.is_dir() or os.stat(other_filesystem).st_dev == tmp_path.stat().st_dev:
        pytest.skip("needs a second filesystem for uv's cache")
    cache = tmp_path / "cache"
    monkeypatch.setenv("AUTOKIT_CACHE_DIR", str(cache))
    uv_cache = Path(tempfile.mkdtemp(dir=other_filesystem, prefix="autokit-uv-"))
    try:
        cache.mkdir()
        (cache / "uv").symlink_to(uv_cache)  # uv's cache on another filesystem than the env
        messages: list[str] = []
        environment = ensure_environment(
            automation(tmp_path, requirements=["six==1.16.0"]), progress=messages.append
        )
        assert environment.python is not None and environment.path is not None
        assert python_of(environment.python, "import six; print(six.__version__)") == "1.16.0"
        (six,) = environment.path.rglob("site-packages/six.py")
        assert six.stat().st_nlink == 1  # a copy
        steps = [m.split(" (")[0] for m in messages if not m.startswith("  ")]
        assert steps == ["creating the environment for env-test", "environment ready"]
        assert "  + six==1.16.0" in messages  # uv's own lines, as they came
        assert not [m for m in messages if "hardlink" in m.lower() or "Using Python" in m]
    finally:
        shutil.rmtree(uv_cache, ignore_errors=True)


def pty_output(command: list[str], env: dict[str, str] | None = None) -> tuple[int, str]:
    """Run `command` with its stderr on a pseudo-terminal; its exit code and what it drew."""
    import pty
    import select

    master, slave = pty.openpty()
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=slave, env=env)
    os.close(slave)
    chunks = []
    while True:
        ready, _, _ = select.select([master], [], [], 60)
        assert ready, "no output for a minute"
        try:
            chunk = os.read(master, 4096)
        except OSError:  # the terminal closed: everything was read
            break
        if not chunk:
            break
        chunks.append(chunk)
    os.close(master)
    return process.wait(timeout=60), b"".join(chunks).decode("utf-8", "replace")


ERASE = "\r\x1b[K"


@pytest.mark.slow
def test_a_first_run_shows_the_installers_lines_as_plain_lines(make_repo, cli) -> None:
    root = make_repo(automation_files("with-six", requirements=["six==1.16.0"]))
    first = cli("run", "with-six", "--repo", str(root))
    assert first.code == 0, first
    lines = first.err.splitlines()
    creating = next(i for i, line in enumerate(lines) if "creating the environment" in line)
    ready = next(i for i, line in enumerate(lines) if "environment ready" in line)
    details = lines[creating + 1 : ready]
    assert details and all(line.startswith("autokit:   ") for line in details), lines
    assert "autokit:   + six==1.16.0" in details  # the installer says what it installed
    assert ERASE not in first.err and "\r" not in first.err  # no spinner off a terminal
    again = cli("run", "with-six", "--repo", str(root))
    assert "creating the environment" not in again.err  # built once


@pytest.mark.slow
def test_on_a_terminal_a_spinner_turns_while_the_environment_is_built(make_repo) -> None:
    import sys

    root = make_repo(automation_files("spin-six", requirements=["six==1.16.0"]))
    code, drawn = pty_output(
        [sys.executable, "-m", "toolkit", "--repo", str(root), "run", "spin-six"],
        env={**os.environ, "TERM": "xterm"},
    )
    assert code == 0, drawn
    assert "autokit: creating the environment for spin-six" in drawn
    building = drawn.split("creating the environment", 1)[1].split("environment ready", 1)[0]
    assert ERASE in building  # the spinner's line, erased before the next line
    assert "+ six==1.16.0" in building
    assert ERASE not in drawn.split("environment ready", 1)[1]  # stopped before the run
