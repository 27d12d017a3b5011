"""A full disk under AUTOKIT_HOME: exit 1 naming the path, the run recorded as failed when
the history can still take it. A real, tiny tmpfs is mounted for it (root only)."""

from __future__ import annotations

import json
import os
import subprocess
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest
from helpers import automation_files

from toolkit.history import open_history


@pytest.fixture
def small_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """AUTOKIT_HOME on a 512 KiB tmpfs of its own."""
    home = tmp_path / "small-home"
    home.mkdir()
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=512k", "tmpfs", str(home)],
        capture_output=True,
        text=True,
        check=False,
    )
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a small tmpfs here (needs root): {mounted.stderr.strip()}")
    monkeypatch.setenv("AUTOKIT_HOME", str(home))
    try:
        yield home
    finally:
        subprocess.run(["umount", "-l", str(home)], check=False)


def fill(path: Path) -> None:
    """Write `path` until the disk holds no more."""
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT)
    try:
        while os.write(descriptor, b"\0" * 4096):
            pass
    except OSError:
        pass
    finally:
        os.close(descriptor)


FILLS_THE_DISK = """
import os
def main():
    fill = os.path.join(os.environ["AUTOKIT_OUTPUT_DIR"], "fill.bin")
    try:
        with open(fill, "wb") as file:
            while True:
                file.write(b"x" * 4096)
                file.flush()
    except OSError:
        pass
    print("line of output\\n" * 4000, flush=True)
    return "done"
"""


def test_a_disk_that_fills_during_the_run_fails_it_naming_the_log(
    make_repo, cli, small_home
) -> None:
    files = automation_files("filler", inputs=None, examples=None)
    files["automations/filler/main.py"] = textwrap.dedent(FILLS_THE_DISK)
    root = make_repo(files)
    result = cli("run", "filler", "--format", "json", "--repo", str(root))
    assert result.code == 1, result
    assert "autokit: crashed" not in result.err, result.err
    shown = json.loads(result.out)
    assert shown["status"] == "failed"
    log = Path(shown["run_dir"], "log.txt")
    assert f"the log {log} could not be written: No space left on device" in shown["error"]
    with open_history() as history:
        (run,) = history.find()
    assert run.status == "failed" and run.error == shown["error"]


def test_a_full_disk_before_the_run_is_exit_1_with_the_path(make_repo, cli, small_home) -> None:
    root = make_repo(automation_files("hello"))
    fill(small_home / "ballast")
    result = cli("run", "hello", "--repo", str(root))
    assert result.code == 1, result
    assert str(small_home) in result.err and "Traceback" not in result.err
    assert "free some space there" in result.err
    (small_home / "ballast").unlink()
    assert cli("run", "hello", "--repo", str(root)).code == 0
