"""Run records the automation cannot forge: what it is given to write, and its result file.

The automation writes only `output/` and `report/`; the log, the kept result and the
history live outside both. Whatever it leaves in `report/result.json` is read as untrusted
data: anything but a JSON object fails the run with a clear message, never exit 3.
"""

from __future__ import annotations

import json
import os
import textwrap
from pathlib import Path

import pytest
from helpers import automation_files

from toolkit.history import DATABASE_FILE, open_history
from toolkit.paths import state_home
from toolkit.run.record import RESULT_LIMIT, RunFolder

SECRET = "hunter2-s3cr3t-value"


def python_automation(name: str, code: str) -> dict[str, str]:
    files = automation_files(
        name,
        inputs=None,
        examples=None,
        secrets=[{"name": "SHOP_TOKEN", "description": "the shop API token"}],
    )
    files[f"automations/{name}/main.py"] = textwrap.dedent(code)
    return files


def test_the_automation_is_given_only_its_output_and_report_folders(
    make_repo, cli, monkeypatch
) -> None:
    code = """
    import json, os, sys
    def main():
        with open(sys.argv[1], encoding="utf-8") as file:
            request = json.load(file)
        return {"env": dict(os.environ), "request": request, "argv": sys.argv}
    """
    root = make_repo(python_automation("paths", code))
    monkeypatch.setenv("SHOP_TOKEN", SECRET)
    result = cli("run", "paths", "--format", "json", "--repo", str(root))
    assert result.code == 0, result
    record = json.loads(result.out)
    folder = RunFolder(Path(record["run_dir"]))
    seen = record["result"]
    assert seen["env"]["AUTOKIT_OUTPUT_DIR"] == str(folder.output)
    assert seen["request"]["result_file"] == str(folder.result)
    assert seen["env"]["AUTOKIT_UNITS_FILE"] == str(folder.units)
    assert folder.result.parent == folder.units.parent == folder.report
    # No other variable or request field names anything under AUTOKIT_HOME.
    home = str(state_home())
    # (PWD: the sandbox starts the automation in its output folder, and says so.)
    given = [
        v
        for k, v in seen["env"].items()
        if k not in ("AUTOKIT_OUTPUT_DIR", "AUTOKIT_UNITS_FILE")
        and not (k == "PWD" and v == str(folder.output))
    ]
    given += [v for k, v in seen["request"].items() if k != "result_file" and isinstance(v, str)]
    assert not [value for value in given if home in value]
    # The log, the kept result and the history are outside everything it may write.
    trusted = [folder.log, folder.kept_result, state_home() / DATABASE_FILE]
    for path in trusted:
        assert path.exists(), path
        assert not any(path.is_relative_to(w) for w in folder.automation_writable), path
    assert not folder.report.exists()  # read, checked, copied out, removed
    assert json.loads(folder.kept_result.read_text())["ok"] is True
    assert SECRET not in folder.kept_result.read_text()


def _writes_its_own_result(content: str) -> str:
    """main writes `content` (Python source of the write) as its result and exits at once,
    so the bootstrap never writes the real one."""
    return f"""
    import json, os, sys
    def main():
        with open(sys.argv[1], encoding="utf-8") as file:
            target = json.load(file)["result_file"]
        {content}
        os._exit(0)
    """


BAD_RESULTS = {
    "not-json": (
        "open(target, 'w').write('{not json')",
        "result.json is not a JSON object: Expecting property name",
    ),
    "a-list": (
        "open(target, 'w').write('[]')",
        "result.json is not a JSON object: it holds a list",
    ),
    "a-string": (
        "open(target, 'w').write('\"x\"')",
        "result.json is not a JSON object: it holds a string",
    ),
    "huge": (
        "open(target, 'wb').write(b'{\"ok\": true, \"result\": \"' + b'x' * 50_000_000 + b'\"}')",
        f"result.json is not a JSON object: it is larger than {RESULT_LIMIT // 1024} KiB",
    ),
    "not-utf8": (
        'open(target, \'wb\').write(b\'{"ok": true, "result": "\\xff\\xfe"}\')',
        "result.json is not a JSON object: not UTF-8",
    ),
    "a-link": (
        "os.symlink('/etc/passwd', target)",
        "result.json is not a JSON object: it is a link, which is never followed",
    ),
    "a-fifo": ("os.mkfifo(target)", "result.json is not a JSON object: it is not a regular file"),
}


@pytest.mark.parametrize("kind", sorted(BAD_RESULTS))
def test_a_result_file_that_is_not_a_json_object_fails_the_run(
    make_repo, cli, monkeypatch, kind
) -> None:
    monkeypatch.setenv("SHOP_TOKEN", SECRET)
    write, message = BAD_RESULTS[kind]
    root = make_repo(python_automation("forger", _writes_its_own_result(write)))
    result = cli("run", "forger", "--format", "json", "--repo", str(root))
    assert result.code == 1, result
    assert json.loads(result.out)["status"] == "failed", result
    with open_history() as history:
        (run,) = history.find()
    assert run.status == "failed" and run.result is None
    assert run.error is not None and run.error.startswith(message), run.error
    assert not RunFolder(Path(run.run_dir)).report.exists()
    assert not Path(run.run_dir, "result.json").exists()


def test_a_result_that_claims_success_with_a_failing_exit_code_fails(
    make_repo, cli, monkeypatch
) -> None:
    monkeypatch.setenv("SHOP_TOKEN", SECRET)
    write = "open(target, 'w').write(json.dumps({'ok': True, 'result': 1})); os._exit(4)"
    root = make_repo(python_automation("liar", _writes_its_own_result(write)))
    result = cli("run", "liar", "--repo", str(root))
    assert result.code == 1, result
    with open_history() as history:
        (run,) = history.find()
    assert run.status == "failed" and run.exit_code == 4


def test_old_run_folders_are_still_shown(make_repo, cli) -> None:
    """A folder from before `report/` existed: result.json beside log.txt, no report/."""
    root = make_repo(automation_files("hello"))
    assert cli("run", "hello", "--repo", str(root)).code == 0
    with open_history() as history:
        (run,) = history.find()
    folder = RunFolder(Path(run.run_dir))
    folder.log.write_text("an old log\n")
    shown = cli("runs", "show", run.id, "--format", "json")
    assert shown.code == 0, shown
    assert json.loads(shown.out)["log_text"] == "an old log\n"
    assert os.path.exists(json.loads(shown.out)["log"])
