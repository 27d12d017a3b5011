"""`autokit run`: real automations in real repositories, run in real environments."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml
from helpers import automation_files, commit_all, git

from toolkit import metadata
from toolkit.errors import ToolkitError
from toolkit.history import RunRecord, open_history
from toolkit.run import parse_spec
from toolkit.runtimes import RUNTIMES

SECRET = "hunter2-s3cr3t-value"
TOKEN_SECRET = [{"name": "SHOP_TOKEN", "description": "the shop API token"}]


def python_automation(name: str, code: str, **overrides: Any) -> dict[str, str]:
    """A valid automation whose main.py is `code`."""
    files = automation_files(name, **overrides)
    files[f"automations/{name}/main.py"] = textwrap.dedent(code)
    return files


def shell_automation(name: str, script: str, **overrides: Any) -> dict[str, str]:
    overrides.setdefault("runtime", "shell")
    overrides.setdefault("entrypoint", "run.sh")
    files = automation_files(name, **overrides)
    del files[f"automations/{name}/main.py"]
    files[f"automations/{name}/run.sh"] = textwrap.dedent(script)
    return files


def autokit(root: Path, *args: str, **popen: Any) -> subprocess.Popen[str]:
    """`autokit` as a real process (for signals, kills and concurrency)."""
    command = [sys.executable, "-m", "toolkit", "--repo", str(root), *args]
    return subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, **popen
    )


def only_run() -> RunRecord:
    with open_history() as history:
        runs = history.find(limit=None)
    assert len(runs) == 1, runs
    return runs[0]


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A zombie is dead for our purpose (its parent has not reaped it yet).
    try:
        return Path(f"/proc/{pid}/stat").read_text().split(")")[1].split()[0] != "Z"
    except OSError:
        return False


def wait_for(condition: Callable[[], bool], seconds: float = 20) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "condition not reached in time"
        time.sleep(0.05)


# ---------------------------------------------------------------------------
# Success, recording, inputs


def test_a_run_returns_its_result_and_records_everything(make_repo, cli) -> None:
    root = make_repo(automation_files("hello"))
    result = cli("run", "hello", "--input", "greeting=ann", "--repo", str(root))
    assert result.code == 0, result
    assert json.loads(result.out) == {"message": "hello ann"}
    assert "hello 1.0.0: success" in result.err
    run = only_run()
    assert (run.automation, run.version, run.status, run.exit_code) == (
        "hello",
        "1.0.0",
        "success",
        0,
    )
    assert run.git_commit == git(root, "rev-parse", "HEAD").strip()
    assert run.dirty is False and run.pinned is False
    assert run.inputs == {"greeting": "ann"}
    assert run.result == {"message": "hello ann"}
    assert run.user and run.host and run.duration is not None and run.ended_at
    assert run.output_dir.is_dir() and run.log_path.is_file()
    assert git(root, "status", "--porcelain") == ""  # nothing written into the repository


def test_the_summary_names_the_run_folder_and_its_output_folder(make_repo, cli) -> None:
    code = """\
        import os
        from pathlib import Path

        def main(greeting=''):
            Path(os.environ['AUTOKIT_OUTPUT_DIR'], 'report.csv').write_text('a,b\\n')
            return {'ok': True}
        """
    root = make_repo(python_automation("writer", code))
    result = cli("run", "writer", "--repo", str(root))
    assert result.code == 0, result
    run = only_run()
    assert f"  run folder: {run.run_dir} (log.txt, result.json)\n" in result.err
    assert f"  output:     {run.output_dir}/ (1 file)" in result.err
    assert (run.output_dir / "report.csv").is_file()
    assert "log and output" not in result.err
    nothing = cli("run", "hello", "--repo", str(make_repo(automation_files("hello"), name="b")))
    assert "/output/ (no files)" in nothing.err


def test_uncommitted_changes_are_recorded_as_dirty(make_repo, cli) -> None:
    root = make_repo(automation_files("hello"))
    clean = cli("run", "hello", "--repo", str(root))
    assert clean.code == 0 and "hello 1.0.0: success" in clean.err
    (root / "automations/hello/notes.txt").write_text("draft\n")
    dirty = cli("run", "hello", "--repo", str(root))
    assert dirty.code == 0 and "hello 1.0.0+dirty: success" in dirty.err
    with open_history() as history:
        assert [run.dirty for run in history.find()] == [True, False]


def test_the_process_sees_only_allowlisted_variables(make_repo, cli, monkeypatch) -> None:
    code = """
    import os, sys
    def main():
        return {"env": sorted(os.environ), "cwd": os.getcwd(), "python": sys.executable}
    """
    root = make_repo(
        python_automation("env-dump", code, inputs=None, examples=None, secrets=TOKEN_SECRET)
    )
    monkeypatch.setenv("SHOP_TOKEN", SECRET)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "leak")
    monkeypatch.setenv("PYTHONPATH", "/somewhere")
    result = cli("run", "env-dump", "--format", "json", "--repo", str(root))
    assert result.code == 0, result
    record = json.loads(result.out)
    names = set(record["result"]["env"])
    assert {"SHOP_TOKEN", "AUTOKIT_OUTPUT_DIR", "AUTOKIT_RUN_ID", "PATH", "HOME"} <= names
    assert not names & {"AWS_SECRET_ACCESS_KEY", "PYTHONPATH", "AUTOKIT_HOME", "GIT_CONFIG_GLOBAL"}
    assert record["result"]["cwd"] == str(Path(record["run_dir"]) / "output")
    assert "/environments/" in record["result"]["python"]


def test_inputs_reach_main_literally(make_repo, cli, tmp_path) -> None:
    code = """
    import datetime
    def main(text, day, count=0, send=False):
        assert isinstance(day, datetime.date)
        return {"text": text, "day": day.isoformat(), "count": count, "send": send}
    """
    inputs = {
        "text": {"type": "string", "description": "free text", "required": True},
        "day": {"type": "date", "description": "a day", "required": True},
        "count": {"type": "integer", "description": "n", "default": 1},
        "send": {"type": "boolean", "description": "send it"},
    }
    root = make_repo(python_automation("literal", code, inputs=inputs, examples=None))
    nasty = 'it\'s "quoted"; $(touch pwned) `touch pwned2`\nline two'
    (tmp_path / "inputs.yaml").write_text(yaml.safe_dump({"day": "2024-05-31", "count": 5}))
    result = cli(
        "run",
        "literal",
        "--input",
        f"text={nasty}",
        "--input",
        "send=no",
        "--inputs-file",
        str(tmp_path / "inputs.yaml"),
        "--input",
        "count=7",
        "--repo",
        str(root),
    )
    assert result.code == 0, result
    assert json.loads(result.out) == {"text": nasty, "day": "2024-05-31", "count": 7, "send": False}
    assert not list(root.rglob("pwned*")) and not list(Path.cwd().glob("pwned*"))


def test_shell_inputs_arrive_as_variables_never_as_code(make_repo, cli) -> None:
    script = """
    set -eu
    printf '%s' "$INPUT_TEXT" > "$AUTOKIT_OUTPUT_DIR/text.txt"
    echo "count=$INPUT_COUNT"
    """
    inputs = {
        "text": {"type": "string", "description": "t", "required": True},
        "count": {"type": "integer", "description": "n", "default": 3},
    }
    root = make_repo(shell_automation("shelly", script, inputs=inputs, examples=None))
    nasty = "a'b\"c; $(touch pwned) `touch pwned2` && echo\nnext"
    result = cli("run", "shelly", "--input", f"text={nasty}", "--repo", str(root))
    assert result.code == 0, result
    assert result.out.startswith("count=3\n")
    run = only_run()
    assert (run.output_dir / "text.txt").read_text() == nasty
    assert not list(run.output_dir.glob("pwned*")) and not list(root.rglob("pwned*"))


def test_invalid_inputs_stop_the_run_before_it_starts(make_repo, cli) -> None:
    inputs = {
        "count": {"type": "integer", "description": "n", "min": 1, "max": 3},
        "day": {"type": "date", "description": "d", "required": True},
    }
    root = make_repo(
        python_automation(
            "strict", "def main(**kw):\n    open('x', 'w')\n", inputs=inputs, examples=None
        )
    )
    result = cli("run", "strict", "-i", "count=9", "-i", "dya=2024-01-01", "--repo", str(root))
    assert result.code == 1
    assert "count: 9 is above the maximum 3" in result.err
    assert "dya: is not an input of this automation; did you mean 'day'?" in result.err
    assert "day: is required" in result.err
    assert "Traceback" not in result.err
    with open_history() as history:
        assert history.find() == []


def test_a_bad_inputs_file_is_reported(make_repo, cli, tmp_path) -> None:
    root = make_repo(automation_files("hello"))
    (tmp_path / "in.json").write_text("{not json")
    result = cli("run", "hello", "--inputs-file", str(tmp_path / "in.json"), "--repo", str(root))
    assert result.code == 1 and "in.json:1:2: not valid JSON" in result.err
    (tmp_path / "in.yaml").write_text("- a\n- b\n")
    result = cli("run", "hello", "--inputs-file", str(tmp_path / "in.yaml"), "--repo", str(root))
    assert result.code == 1 and "holds a list, not a mapping" in result.err


def test_example_inputs_with_a_path_relative_to_the_automation(make_repo, cli) -> None:
    code = """
    def main(sheet, region="north"):
        with open(sheet) as file:
            return {"first": file.readline().strip(), "region": region}
    """
    inputs = {
        "sheet": {"type": "path", "description": "orders", "required": True},
        "region": {"type": "choice", "description": "r", "choices": ["north", "south"]},
    }
    examples = [
        {"title": "North", "inputs": {"sheet": "sample/orders.csv"}},
        {"title": "South", "inputs": {"sheet": "sample/orders.csv", "region": "south"}},
    ]
    files = python_automation("orders", code, inputs=inputs, examples=examples)
    files["automations/orders/sample/orders.csv"] = "sku,qty\n"
    root = make_repo(files)
    first = cli("run", "orders", "--example", "--repo", str(root))
    assert first.code == 0, first
    assert json.loads(first.out) == {"first": "sku,qty", "region": "north"}
    second = cli("run", "orders", "--example", "2", "--repo", str(root))
    assert json.loads(second.out)["region"] == "south"
    missing = cli("run", "orders", "--example", "3", "--repo", str(root))
    assert missing.code == 1 and "has no example 3" in missing.err and "2: South" in missing.err


def test_an_unknown_automation_suggests_the_closest(make_repo, cli) -> None:
    root = make_repo(automation_files("invoice-reminders"))
    result = cli("run", "invoice-reminder", "--repo", str(root))
    assert result.code == 1
    assert "no automation named 'invoice-reminder'" in result.err
    assert "did you mean 'invoice-reminders'?" in result.err
    bad = cli("run", "../etc", "--repo", str(root))
    assert bad.code == 1 and "is not an automation name" in bad.err


# ---------------------------------------------------------------------------
# Secrets


def test_a_missing_secret_stops_the_run_and_is_named(make_repo, cli, monkeypatch) -> None:
    monkeypatch.delenv("SHOP_TOKEN", raising=False)
    root = make_repo(automation_files("hello", secrets=TOKEN_SECRET))
    result = cli("run", "hello", "--repo", str(root))
    assert result.code == 1
    assert "SHOP_TOKEN: the shop API token" in result.err
    with open_history() as history:
        assert history.find() == []


def test_secret_values_are_masked_everywhere(make_repo, cli) -> None:
    code = """
    import os, sys, time
    def main(greeting="world"):
        token = os.environ["SHOP_TOKEN"]
        print("token is", token)
        half = len(token) // 2
        sys.stdout.write("split: " + token[:half]); sys.stdout.flush()
        time.sleep(0.3)
        sys.stdout.write(token[half:] + " done\\n"); sys.stdout.flush()
        print("err", token, file=sys.stderr)
        return {"token": token, token: "as a key"}
    """
    files = python_automation("leaky", code, secrets=TOKEN_SECRET)
    root = make_repo(files)
    (root / ".env").write_text(f"SHOP_TOKEN={SECRET}\n")
    result = cli(
        "run", "leaky", "--input", f"greeting={SECRET}", "--format", "json", "--repo", str(root)
    )
    assert result.code == 0, result
    assert SECRET not in result.out + result.err
    assert "token is ***" in result.err and "split: *** done" in result.err
    record = json.loads(result.out)
    assert record["result"] == {"token": "***", "***": "as a key"}
    run = only_run()
    log = run.log_path.read_text()
    assert SECRET not in log and "split: *** done" in log and "err ***" in log
    assert run.inputs == {"greeting": "***"} and run.result == {"token": "***", "***": "as a key"}
    assert SECRET not in Path(run.run_dir, "result.json").read_text()
    database = (Path(os.environ["AUTOKIT_HOME"]) / "history.sqlite3").read_bytes()
    assert SECRET.encode() not in database


def test_a_secret_in_an_error_message_is_masked(make_repo, cli, monkeypatch) -> None:
    code = """
    import os
    def main(greeting="world"):
        raise ValueError("login refused for " + os.environ["SHOP_TOKEN"])
    """
    root = make_repo(python_automation("fails", code, secrets=TOKEN_SECRET))
    monkeypatch.setenv("SHOP_TOKEN", SECRET)
    result = cli("run", "fails", "--repo", str(root))
    assert result.code == 1
    assert SECRET not in result.out + result.err
    assert "ValueError: login refused for ***" in result.err
    run = only_run()
    assert run.error == "ValueError: login refused for ***"
    bad_input = cli("run", "fails", "-i", f"greting={SECRET}", "--repo", str(root))
    assert bad_input.code == 1 and SECRET not in bad_input.err and "greting" in bad_input.err


# ---------------------------------------------------------------------------
# Failures


def test_an_entrypoint_that_raises_fails_with_its_traceback_in_the_log(make_repo, cli) -> None:
    code = "def main(greeting='world'):\n    raise RuntimeError('sheet is locked')\n"
    root = make_repo(python_automation("broken", code))
    result = cli("run", "broken", "--repo", str(root))
    assert result.code == 1
    assert "RuntimeError: sheet is locked" in result.err
    run = only_run()
    assert (run.status, run.exit_code) == ("failed", 1)
    log = run.log_path.read_text()
    assert "Traceback" in log and 'main.py", line 2, in main' in log
    assert "bootstrap.py" not in log  # autokit's own frames are noise to the author


def test_an_entrypoint_without_main_is_a_clear_failure(make_repo, cli) -> None:
    root = make_repo(python_automation("no-main", "def run():\n    pass\n"))
    result = cli("run", "no-main", "--repo", str(root))
    assert result.code == 1
    assert "main.py defines no function `main`" in result.err
    assert only_run().status == "failed"


def test_a_result_that_is_not_json_fails(make_repo, cli) -> None:
    root = make_repo(python_automation("objecty", "def main(greeting=''):\n    return object()\n"))
    result = cli("run", "objecty", "--repo", str(root))
    assert result.code == 1 and "not JSON-serializable" in result.err


def test_a_script_that_exits_non_zero_fails_with_its_code(make_repo, cli) -> None:
    root = make_repo(
        shell_automation("exits", "echo working\nexit 3\n", inputs=None, examples=None)
    )
    result = cli("run", "exits", "--repo", str(root))
    assert result.code == 1
    assert "run.sh exited with code 3" in result.err
    run = only_run()
    assert (run.status, run.exit_code) == ("failed", 3)
    assert run.log_path.read_text() == "working\n"


def test_timeout_kills_grandchildren_too(make_repo, cli, monkeypatch) -> None:
    # The grandchild's pid is read from outside: only unsandboxed is it this machine's pid
    # (tests/test_sandbox.py holds the sandboxed version).
    monkeypatch.setenv("AUTOKIT_SANDBOX", "off")
    code = """
    import os, subprocess, time
    def main(greeting="world"):
        child = subprocess.Popen(["sleep", "300"])
        with open(os.path.join(os.environ["AUTOKIT_OUTPUT_DIR"], "pid"), "w") as f:
            f.write(str(child.pid))
        print("started", flush=True)
        time.sleep(300)
    """
    root = make_repo(python_automation("hangs", code))
    started = time.monotonic()
    result = cli("run", "hangs", "--timeout", "1.5", "--repo", str(root))
    assert result.code == 124, result
    assert time.monotonic() - started < 10
    run = only_run()
    assert (run.status, run.exit_code) == ("timeout", 124)
    assert run.error.startswith("timed out after 1.5 s and was stopped") and run.error in result.err
    grandchild = int((run.output_dir / "pid").read_text())
    wait_for(lambda: not alive(grandchild), 5)
    assert not alive(run.child_pid)
    assert "started" in run.log_path.read_text()


def test_ctrl_c_cancels_the_run(make_repo) -> None:
    code = (
        "import time\ndef main(greeting=''):\n    print('working', flush=True)\n"
        "    time.sleep(60)\n"
    )
    root = make_repo(python_automation("slow", code))
    process = autokit(root, "run", "slow", start_new_session=True)
    assert process.stdout is not None
    assert process.stdout.readline() == "working\n"
    os.killpg(process.pid, signal.SIGINT)  # what a terminal's Ctrl-C sends
    _, err = process.communicate(timeout=20)
    assert process.returncode == 130, err
    assert "slow 1.0.0: cancelled" in err and "Traceback" not in err  # no noise on Ctrl-C
    run = only_run()
    assert (run.status, run.exit_code) == ("cancelled", 130)
    assert not alive(run.child_pid)


def test_a_reader_that_goes_away_does_not_stop_the_run(make_repo) -> None:
    code = """
    import time
    def main(greeting=""):
        for number in range(300):
            print("line", number, flush=True)
            time.sleep(0.002)
        return {"done": True}
    """
    root = make_repo(python_automation("chatty", code))
    process = autokit(root, "run", "chatty")  # as in `autokit run chatty | head -1`
    assert process.stdout is not None and process.stdout.readline() == "line 0\n"
    process.stdout.close()
    _, err = process.communicate(timeout=60)
    assert process.returncode == 0, err
    assert "chatty 1.0.0: success" in err and "Error" not in err
    run = only_run()
    assert (run.status, run.exit_code, run.result) == ("success", 0, {"done": True})
    assert run.log_path.read_text().endswith("line 299\n")


def test_a_second_ctrl_c_stops_a_run_that_ignores_the_first(make_repo) -> None:
    code = """
    import signal, time
    def main(greeting=""):
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        print("stubborn", flush=True)
        time.sleep(60)
    """
    root = make_repo(python_automation("stubborn", code))
    process = autokit(root, "run", "stubborn", start_new_session=True)
    assert process.stdout is not None and process.stdout.readline() == "stubborn\n"
    os.killpg(process.pid, signal.SIGINT)
    time.sleep(0.3)  # within the grace period the first Ctrl-C gives
    os.killpg(process.pid, signal.SIGINT)
    _, err = process.communicate(timeout=20)
    assert process.returncode == 130, err
    run = only_run()
    assert (run.status, run.exit_code) == ("cancelled", 130)
    assert not alive(run.child_pid)


def test_kill_9_of_autokit_leaves_a_lost_run(make_repo, cli, monkeypatch) -> None:
    # Unsandboxed: in the sandbox the automation dies with autokit (tests/test_sandbox.py).
    monkeypatch.setenv("AUTOKIT_SANDBOX", "off")
    code = (
        "import time\ndef main(greeting=''):\n    print('working', flush=True)\n"
        "    time.sleep(60)\n"
    )
    root = make_repo(python_automation("victim", code))
    process = autokit(root, "run", "victim")
    assert process.stdout is not None and process.stdout.readline() == "working\n"
    with open_history() as history:
        assert history.find()[0].status == "running"
        child = history.find()[0].child_pid
    process.kill()
    process.communicate()
    assert alive(child)  # a kill -9 of autokit does not reach the automation
    try:
        result = cli("runs", "victim", "--format", "json")
        assert result.code == 0
        [run] = json.loads(result.out)["runs"]
        assert run["status"] == "lost" and run["ended_at"]
        wait_for(lambda: not alive(child), 5)  # the orphan was stopped
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(child, signal.SIGKILL)


def test_thirty_runs_at_once_make_thirty_rows(make_repo) -> None:
    code = (
        "def main(greeting='world'):\n    print('hi', greeting)\n"
        "    return {'greeting': greeting}\n"
    )
    root = make_repo(python_automation("busy", code))
    warm = autokit(root, "run", "busy")  # a warm environment first
    warm.communicate(timeout=60)
    assert warm.returncode == 0
    processes = [autokit(root, "run", "busy", "-i", f"greeting=n{i}") for i in range(30)]
    outputs = [p.communicate(timeout=120) for p in processes]
    assert [p.returncode for p in processes] == [0] * 30, outputs
    with open_history() as history:
        runs = history.find("busy", limit=None)
    assert len(runs) == 31 and len({r.id for r in runs}) == 31
    assert all(r.status == "success" for r in runs)
    greetings = sorted(r.result["greeting"] for r in runs)
    assert greetings == sorted(["world", *(f"n{i}" for i in range(30))])
    assert all(r.log_path.read_text() == f"hi {r.result['greeting']}\n" for r in runs)


# ---------------------------------------------------------------------------
# Pinned versions


def test_a_pinned_version_runs_the_files_of_its_tag(make_repo, cli) -> None:
    root = make_repo(python_automation("report", "def main(greeting=''):\n    return 'v1'\n"))
    git(root, "tag", "report@1.0.0")
    files = python_automation(
        "report", "def main(greeting=''):\n    return 'v2'\n", version="1.1.0"
    )
    (root / "automations/report/main.py").write_text(files["automations/report/main.py"])
    (root / "automations/report/automation.yaml").write_text(
        files["automations/report/automation.yaml"]
    )
    commit_all(root, "report 1.1.0")
    git(root, "tag", "-a", "report@1.1.0", "-m", "release")
    (root / "automations/report/main.py").write_text("def main(greeting=''):\n    return 'wip'\n")

    assert json.loads(cli("run", "report@1.0.0", "--repo", str(root)).out) == "v1"
    assert json.loads(cli("run", "report@1.1.0", "--repo", str(root)).out) == "v2"
    assert json.loads(cli("run", "report", "--repo", str(root)).out) == "wip"
    with open_history() as history:
        runs = history.find("report")
    assert [(r.version, r.pinned, r.dirty) for r in runs] == [
        ("1.1.0", False, True),
        ("1.1.0", True, False),
        ("1.0.0", True, False),
    ]
    assert runs[2].git_commit == git(root, "rev-parse", "report@1.0.0^{commit}").strip()


def test_a_version_that_does_not_exist_lists_the_ones_that_do(make_repo, cli) -> None:
    root = make_repo(automation_files("report"))
    git(root, "tag", "report@1.0.0")
    git(root, "tag", "report@1.2.0")
    result = cli("run", "report@1.1.0", "--repo", str(root))
    assert result.code == 1
    assert "report has no version 1.1.0" in result.err
    assert "versions that exist: 1.2.0, 1.0.0" in result.err
    untagged = cli(
        "run", "hello@1.0.0", "--repo", str(make_repo(automation_files("hello"), name="other"))
    )
    assert untagged.code == 1 and "no version of hello is tagged yet" in untagged.err


def test_bad_inputs_of_a_pinned_version_point_at_that_version(make_repo, cli) -> None:
    old = {"minimum": {"type": "number", "description": "Smallest fee"}}
    root = make_repo(automation_files("late-fees", version="0.1.0", inputs=old, examples=[]))
    git(root, "tag", "late-fees@0.1.0")
    new = {"minimum_fee": {"type": "number", "description": "Smallest fee"}}
    files = automation_files("late-fees", version="0.2.0", inputs=new, examples=[])
    for path, text in files.items():
        (root / path).write_text(text)
    commit_all(root, "late-fees 0.2.0")
    pinned = cli("run", "late-fees@0.1.0", "-i", "minimum_fee=5", "--repo", str(root))
    assert pinned.code == 1
    assert "minimum_fee: is not an input of this automation" in pinned.err
    assert "`autokit show late-fees@0.1.0` lists its inputs" in pinned.err
    current = cli("run", "late-fees", "-i", "minimum=5", "--repo", str(root))
    assert current.code == 1
    assert "`autokit show late-fees` lists its inputs" in current.err


# ---------------------------------------------------------------------------
# Dry run


def test_dry_run_shows_the_plan_and_executes_nothing(make_repo, cli, monkeypatch) -> None:
    code = "def main(greeting=''):\n    open('/tmp/should-not-exist-autokit', 'w')\n"
    secrets = [
        *TOKEN_SECRET,
        {"name": "SMTP_PASSWORD", "description": "mail"},
        {"name": "WEBHOOK_URL", "description": "chat", "required": False},
    ]
    root = make_repo(python_automation("planned", code, secrets=secrets))
    monkeypatch.setenv("SHOP_TOKEN", SECRET)
    monkeypatch.delenv("SMTP_PASSWORD", raising=False)
    monkeypatch.delenv("WEBHOOK_URL", raising=False)
    result = cli("run", "planned", "--dry-run", "-i", "greeting=bob", "--repo", str(root))
    assert result.code == 1  # a real run would be refused: a secret is missing
    assert "dry run: would run planned 1.0.0" in result.out
    assert (
        "SHOP_TOKEN (present), SMTP_PASSWORD (MISSING), WEBHOOK_URL (not set, optional)"
        in result.out
    )
    assert "greeting = 'bob'" in result.out and SECRET not in result.out
    assert "bootstrap.py" in result.out
    (root / ".env").write_text("SMTP_PASSWORD=x\n")
    as_json = cli("run", "planned", "--dry-run", "--format", "json", "--repo", str(root))
    assert as_json.code == 0  # an optional secret may be missing
    plan = json.loads(as_json.out)["plan"]
    assert plan["secrets"] == {"SHOP_TOKEN": True, "SMTP_PASSWORD": True, "WEBHOOK_URL": False}
    assert "/environments/" in plan["environment"]["path"]
    assert not Path("/tmp/should-not-exist-autokit").exists()
    with open_history() as history:
        assert history.find() == []


def test_run_usage_errors(make_repo, cli) -> None:
    root = make_repo(automation_files("hello"))
    assert cli("run", "hello", "--timeout", "0", "--repo", str(root)).code == 2
    assert cli("run", "hello", "--timeout", "soon", "--repo", str(root)).code == 2
    bad_pair = cli("run", "hello", "--input", "greeting", "--repo", str(root))
    assert bad_pair.code == 1 and "not of the form NAME=VALUE" in bad_pair.err
    bad_version = cli("run", "hello@latest", "--repo", str(root))
    assert bad_version.code == 1 and "'latest' is not a version" in bad_version.err


def test_json_output_is_the_run_record(make_repo, cli) -> None:
    root = make_repo(automation_files("hello"))
    result = cli("run", "hello", "--format", "json", "--repo", str(root))
    assert result.code == 0
    record = json.loads(result.out)
    assert record["status"] == "success" and record["exit_code"] == 0
    assert record["result"] == {"message": "hello world"}
    run = only_run()
    assert record["run_id"] == run.id
    assert record["record"] == run.to_dict()  # the whole row: inputs, commit, times...
    assert record["record"]["inputs"] == {"greeting": "world"}


REPOSITORY = Path(__file__).resolve().parent.parent
SHIPPED = sorted(p.parent.name for p in REPOSITORY.glob("automations/*/automation.yaml"))


@pytest.mark.slow
@pytest.mark.parametrize("name", SHIPPED)
def test_shipped_automations_run_their_examples_end_to_end(name, cli, monkeypatch) -> None:
    # Dummy secrets: every shipped example is a dry run that sends and posts nothing.
    monkeypatch.setenv("SMTP_PASSWORD", "unused-password")
    monkeypatch.setenv("WEBHOOK_URL", "http://127.0.0.1:9/unused")
    before = git(REPOSITORY, "status", "--porcelain", "--", f"automations/{name}")
    examples = yaml.safe_load((REPOSITORY / f"automations/{name}/automation.yaml").read_text())
    for number in range(1, len(examples.get("examples") or []) + 1):
        result = cli("run", name, "--example", str(number), "--repo", str(REPOSITORY))
        assert result.code == 0, result
        json.loads(result.out)  # stdout is one JSON document: the result, nothing else
        assert "unused-password" not in result.out + result.err
    assert git(REPOSITORY, "status", "--porcelain", "--", f"automations/{name}") == before


def test_a_process_that_closes_its_output_still_times_out(make_repo, cli) -> None:
    script = "echo going quiet\nexec >&- 2>&-\nsleep 60\n"
    root = make_repo(shell_automation("quiet", script, inputs=None, examples=None))
    started = time.monotonic()
    result = cli("run", "quiet", "--timeout", "1", "--repo", str(root))
    assert result.code == 124, result
    assert time.monotonic() - started < 10
    assert not alive(only_run().child_pid)


def test_background_processes_do_not_outlive_the_run(make_repo, cli, monkeypatch) -> None:
    monkeypatch.setenv("AUTOKIT_SANDBOX", "off")  # the pid it writes is this machine's
    script = 'sleep 60 > /dev/null 2>&1 &\necho $! > "$AUTOKIT_OUTPUT_DIR/pid"\necho done\n'
    root = make_repo(shell_automation("forks", script, inputs=None, examples=None))
    result = cli("run", "forks", "--repo", str(root))
    assert result.code == 0, result
    background = int((only_run().output_dir / "pid").read_text())
    wait_for(lambda: not alive(background), 5)


# ---------------------------------------------------------------------------
# The runtime contract and the spec


def test_every_runtime_the_schema_allows_has_an_implementation() -> None:
    assert list(metadata.RUNTIMES) == list(RUNTIMES.keys())


@pytest.mark.parametrize(
    ("spec", "expected"),
    [
        ("hello", ("hello", None)),
        (" hello ", ("hello", None)),
        ("hello@1.2.0", ("hello", "1.2.0")),
        ("invoice-reminders@10.0.3", ("invoice-reminders", "10.0.3")),
    ],
)
def test_a_spec_names_an_automation_and_maybe_a_version(spec: str, expected: object) -> None:
    assert parse_spec(spec) == expected


@pytest.mark.parametrize("spec", ["Hello", "hello@", "hello@1.2", "hello@latest", "@1.0.0"])
def test_a_malformed_spec_is_refused(spec: str) -> None:
    with pytest.raises(ToolkitError):
        parse_spec(spec)
