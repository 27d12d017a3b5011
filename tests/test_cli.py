"""The command line contract: exit codes, plain output off a terminal, finding the repository."""

from __future__ import annotations

import argparse
import os
import pty
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from helpers import TouchedRealUserFiles, automation_files

import toolkit.cli
import toolkit.commands.validate

ROOT = Path(__file__).resolve().parent.parent


def run_autokit(*args: str, cwd: Path, env: dict[str, str] | None = None):
    return subprocess.run(
        [sys.executable, "-m", "toolkit", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        env={**os.environ, **(env or {})},
        check=False,
    )


def run_on_terminal(*args: str, cwd: Path, env: dict[str, str]) -> tuple[int, str]:
    """Run autokit with stdout and stderr on a pseudo-terminal; return its code and output."""
    leader, follower = pty.openpty()
    process = subprocess.Popen(
        [sys.executable, "-m", "toolkit", *args],
        cwd=cwd,
        stdout=follower,
        stderr=follower,
        env={**os.environ, **env},
    )
    os.close(follower)
    chunks = []
    while True:
        try:
            chunk = os.read(leader, 4096)
        except OSError:  # EIO once the child has closed the terminal
            break
        if not chunk:
            break
        chunks.append(chunk)
    os.close(leader)
    return process.wait(), b"".join(chunks).decode()


def test_help_lists_every_command(cli):
    result = cli("--help")
    assert result.code == 0
    for command in ("new", "validate", "list", "show", "search", "run"):
        assert f"    {command} " in result.out


def test_unknown_command_is_a_usage_error(cli):
    result = cli("frobnicate")
    assert result.code == 2
    assert "invalid choice: 'frobnicate'" in result.err


def test_bad_option_is_a_usage_error(cli, make_repo):
    root = make_repo(automation_files("greeter"))
    result = cli("validate", "--repo", str(root), "--format", "yaml")
    assert result.code == 2
    assert "invalid choice: 'yaml'" in result.err


def test_missing_command_is_a_usage_error(cli):
    assert cli().code == 2


def test_internal_bug_exits_3_and_writes_a_crash_report(cli, make_repo, monkeypatch, tmp_path):
    def broken(*args, **kwargs):
        raise RuntimeError("the kind of bug a test would not catch")

    monkeypatch.setattr(toolkit.commands.validate, "validate", broken)
    root = make_repo(automation_files("greeter"))
    result = cli("validate", "--repo", str(root))
    assert result.code == 3
    assert "this is a bug in autokit" in result.err
    assert "Traceback" not in result.err
    reports = list((tmp_path / "autokit-home" / "crash-reports").glob("crash-*.txt"))
    assert len(reports) == 1
    assert str(reports[0]) in result.err
    report = reports[0].read_text(encoding="utf-8")
    assert "Traceback" in report
    assert "RuntimeError: the kind of bug a test would not catch" in report


def test_user_error_is_plain_when_not_a_terminal(tmp_path):
    result = run_autokit("--repo", str(tmp_path), "validate", cwd=tmp_path)
    assert result.returncode == 1
    assert result.stderr.startswith("error: ")
    assert "\033[" not in result.stderr + result.stdout
    assert "Traceback" not in result.stderr


def test_user_error_is_coloured_on_a_terminal(tmp_path):
    code, output = run_on_terminal("--repo", str(tmp_path), "validate", cwd=tmp_path, env={})
    assert code == 1
    assert "\033[31merror:\033[0m" in output


def test_no_color_turns_colour_off_on_a_terminal(tmp_path):
    code, output = run_on_terminal(
        "--repo", str(tmp_path), "validate", cwd=tmp_path, env={"NO_COLOR": "1"}
    )
    assert code == 1
    assert "error: " in output
    assert "\033[" not in output


def test_found_from_a_subfolder(make_repo, cli, monkeypatch):
    root = make_repo(automation_files("greeter"))
    monkeypatch.chdir(root / "automations" / "greeter" / "tests")
    result = cli("validate")
    assert result.code == 0, result
    assert "1 automation(s) checked" in result.err


def test_repo_option_overrides_the_current_folder(make_repo, cli, monkeypatch):
    inside = make_repo(automation_files("greeter"), name="inside")
    other = make_repo({**automation_files("alpha"), **automation_files("beta")}, name="other")
    monkeypatch.chdir(inside)
    result = cli("--repo", str(other), "validate")
    assert "2 automation(s) checked" in result.err
    assert cli("validate", "--repo", str(other)).err == result.err


def test_clear_error_outside_a_repository(cli, monkeypatch, tmp_path):
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    result = cli("validate")
    assert result.code == 1
    assert f"no autokit repository found at {elsewhere} or above it" in result.err
    assert "--repo PATH" in result.err


def test_repo_option_naming_a_folder_without_automations(cli, tmp_path):
    result = cli("--repo", str(tmp_path), "validate")
    assert result.code == 1
    assert "has no 'automations/' folder" in result.err


def test_repo_option_naming_a_missing_folder(cli, tmp_path):
    result = cli("--repo", str(tmp_path / "nope"), "list")
    assert result.code == 1
    assert f"--repo {tmp_path / 'nope'}: no such folder" in result.err


def test_python_dash_m_toolkit(make_repo):
    root = make_repo(automation_files("greeter"))
    result = run_autokit("validate", cwd=root)
    assert result.returncode == 0, result.stderr
    assert "all valid" in result.stderr


@pytest.mark.parametrize("args", [["--help"], ["validate", "--help"], ["--version"]])
def test_help_and_version_exit_0(cli, args):
    assert cli(*args).code == 0


def test_command_that_fails_to_import_is_a_bug_not_a_traceback(cli, monkeypatch, tmp_path):
    import toolkit.cli

    def broken_import(name):
        raise ImportError(f"cannot import toolkit.commands.{name}")

    monkeypatch.setattr(toolkit.cli, "_command_module", broken_import)
    result = cli("validate")
    assert result.code == 3
    assert "crash-" in result.err
    assert list((tmp_path / "autokit-home" / "crash-reports").glob("crash-*.txt"))


def test_output_cut_short_by_a_closed_pipe_is_not_success(tmp_path):
    # 600 findings of ~150 bytes overflow the pipe's buffer, so the write must fail.
    for index in range(600):
        (tmp_path / "automations" / f"empty-{index}").mkdir(parents=True)
    root = tmp_path
    command = [sys.executable, "-m", "toolkit", "validate"]
    with subprocess.Popen(
        command, cwd=root, stdout=subprocess.PIPE, stderr=subprocess.PIPE
    ) as process:
        assert process.stdout is not None and process.stderr is not None
        process.stdout.readline()
        process.stdout.close()  # like `| head -1`
        code = process.wait(timeout=60)
        stderr = process.stderr.read().decode()
    assert code == 141, stderr
    assert "Traceback" not in stderr


def _format_options(parser: argparse.ArgumentParser) -> list[argparse.Action]:
    """Every --format action of a parser and of its subcommands, however deep."""
    found = [a for a in parser._actions if a.dest == "format"]
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for sub in action.choices.values():
                found.extend(_format_options(sub))
    return found


def test_every_format_option_shares_one_vocabulary(cli) -> None:
    """Each command's --format offers text first (the default) and only the shared names."""
    from toolkit.cli import COMMANDS, build_parser
    from toolkit.commands.formats import FORMATS

    options = [o for name in COMMANDS for o in _format_options(build_parser(name))]
    assert len(options) >= 11
    for option in options:
        assert option.default == "text"
        assert next(iter(option.choices or ())) == "text"
        assert set(option.choices or ()) <= set(FORMATS)
    table, text = cli("list", "--format", "table"), cli("list", "--format", "text")
    assert table.code == 0 and table.out == text.out


def test_a_write_to_the_real_users_files_is_stopped_and_fails_the_test(real_user_files):
    # Where the tests started: the real state and cache folders, not this test's HOME.
    targets = [Path(path) / "autokit-test-probe" for path in real_user_files.paths]
    assert not any(str(target).startswith(os.environ["HOME"]) for target in targets)
    try:
        for target in targets:
            with pytest.raises(TouchedRealUserFiles):
                target.open("a").close()
        with pytest.raises(TouchedRealUserFiles):
            sqlite3.connect(targets[0])
        assert len(real_user_files.violations) == len(targets) + 1
    finally:
        real_user_files.violations.clear()  # this test's own writes were meant
        for target in targets:
            if os.path.lexists(target):  # only if the guard failed
                real_user_files.active = False
                target.unlink()
                real_user_files.active = True
    assert not any(os.path.lexists(target) for target in targets)


def test_a_crash_report_sent_to_the_real_state_folder_is_stopped(
    cli, make_repo, monkeypatch, real_user_files
):
    real_state = real_user_files.folders[0]  # conftest lists the state folder first
    monkeypatch.setattr(toolkit.cli, "state_home", lambda: real_state)
    monkeypatch.setattr(toolkit.commands.validate, "validate", lambda *args: 1 / 0)
    root = make_repo(automation_files("greeter"))
    with pytest.raises(TouchedRealUserFiles):
        cli("validate", "--repo", str(root))
    assert real_user_files.violations
    real_user_files.violations.clear()
