"""Isolated environments: cached by key, safe for concurrent creators, nothing half-built."""

from __future__ import annotations

import multiprocessing
import subprocess
from pathlib import Path

import pytest
from helpers import metadata

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


def test_key_depends_on_runtime_python_and_sorted_requirements(tmp_path: Path) -> None:
    one = automation(tmp_path, requirements=["a==1.0", "b==2.0"])
    same = automation(tmp_path, requirements=["b==2.0", "a==1.0"])
    other = automation(tmp_path, requirements=["a==1.1", "b==2.0"])
    assert environment_key(one) == environment_key(same)
    assert environment_key(one) != environment_key(other)
    assert environment_key(one) != environment_key(one, ["pytest==8.0.0"])


def test_an_environment_is_created_once_and_reused(tmp_path: Path) -> None:
    messages: list[str] = []
    first = ensure_environment(automation(tmp_path), progress=messages.append)
    assert first.python is not None and first.path is not None
    assert (first.path / READY_MARKER).is_file()
    assert python_of(first.python, "import sys; print(sys.prefix)") == str(first.path)
    again: list[str] = []
    second = ensure_environment(
        automation(tmp_path, name="other-automation"), progress=again.append
    )
    assert second == first and again == []
    assert planned_environment(automation(tmp_path)) == (first, True)


def test_shell_automations_use_the_system(tmp_path: Path) -> None:
    shell = automation(tmp_path, runtime="shell", entrypoint="run.sh")
    environment = RUNTIMES["shell"].prepare_environment(shell)
    assert environment.path is None and environment.python is None
    assert RUNTIMES["shell"].planned_environment(shell) == (environment, True)


def test_a_shell_automations_tests_share_the_python_environment_cache(tmp_path: Path) -> None:
    shell = automation(tmp_path, runtime="shell", entrypoint="run.sh", requirements=["a==1.0"])
    python = automation(tmp_path, requirements=["a==1.0"])
    assert environment_key(shell, ["pytest==8.0.0"]) == environment_key(python, ["pytest==8.0.0"])


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
