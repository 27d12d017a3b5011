"""`autokit test`: real environments, real pytest runs, real example dry runs."""

from __future__ import annotations

import json

import pytest
from helpers import automation_files, commit_all, git
from policy_support import metadata_yaml

pytestmark = pytest.mark.slow


def _broken(name: str) -> dict[str, str]:
    files = automation_files(name)
    files[f"automations/{name}/tests/test_main.py"] = (
        "from main import main\n\n\ndef test_greets():\n"
        "    assert main(greeting='x') == {'message': 'goodbye x'}\n"
    )
    return files


def test_passing_and_failing_automations_in_a_summary_table(make_repo, cli):
    root = make_repo({**automation_files("greeter"), **_broken("grumpy")})
    result = cli("test", "--repo", str(root), "greeter", "grumpy")
    assert result.code == 1, result
    header, _, *rows = result.out.splitlines()
    cells = {row.split("  ")[0]: [c.strip() for c in row.split("  ") if c.strip()] for row in rows}
    assert header.split() == ["automation", "version", "tests", "examples", "time", "result"]
    assert cells["greeter"][1:4] == ["1.0.0", "1 passed", "1/1 ok"]
    assert cells["greeter"][-1] == "ok"
    assert cells["grumpy"][2] == "1 failed" and cells["grumpy"][-1] == "FAILED"
    assert "grumpy: pytest exited with 1" in result.out
    assert result.out.splitlines()[-1] == "1/2 automation(s) ok; FAILED: grumpy"
    assert "goodbye x" in result.err  # pytest's own report, on stderr


def test_json_reports_every_automation_and_example(make_repo, cli):
    files = automation_files("greeter")
    files["automations/greeter/tests/requirements.txt"] = "iniconfig==2.0.0\n"
    files["automations/greeter/tests/test_extra.py"] = (
        "import iniconfig\n\n\ndef test_extra_requirement_is_installed():\n"
        "    assert iniconfig.__name__ == 'iniconfig'\n"
    )
    root = make_repo(files)
    result = cli("test", "--repo", str(root), "--format", "json")
    report = json.loads(result.out)
    assert result.code == 0, result
    (only,) = report["results"]
    assert (only["name"], only["tests"], only["ok"]) == ("greeter", "passed", True)
    assert only["counts"] == {"failed": 0, "passed": 2, "skipped": 0}
    assert only["examples"] == [{"title": "Greet the world", "status": "ok", "note": None}]


def test_invalid_example_fails_even_when_tests_pass(make_repo, cli):
    files = automation_files("greeter")
    root = make_repo(files)
    # examples[0] gives an input the automation no longer declares: validate catches it too,
    # but `autokit test` must fail on its own.
    text = metadata_yaml("greeter", examples=[{"title": "Typo", "inputs": {"greting": "x"}}])
    (root / "automations/greeter/automation.yaml").write_text(text)
    result = cli("test", "--repo", str(root), "greeter")
    assert result.code == 1
    assert "Traceback" not in result.err
    assert "greeter: automation 'greeter' has invalid metadata" in result.out
    row = result.out.splitlines()[2].split()
    assert row[:4] == ["greeter", "?", "error", "-"] and row[-1] == "FAILED", result.out


def test_examples_note_secrets_missing_on_this_machine_without_failing(make_repo, cli, monkeypatch):
    secrets = [{"name": "GREETER_TOKEN", "description": "API token"}]
    root = make_repo(automation_files("greeter", secrets=secrets))
    monkeypatch.delenv("GREETER_TOKEN", raising=False)
    result = cli("test", "--repo", str(root), "greeter", "--format", "json")
    (only,) = json.loads(result.out)["results"]
    assert result.code == 0, result
    assert only["examples"][0]["status"] == "ok"
    assert "GREETER_TOKEN" in only["examples"][0]["note"]
    monkeypatch.setenv("GREETER_TOKEN", "s3cret-value")
    result = cli("test", "--repo", str(root), "greeter", "--format", "json")
    assert json.loads(result.out)["results"][0]["examples"][0]["note"] is None
    assert "s3cret-value" not in result.out + result.err


def test_changed_tests_only_what_the_branch_changed(make_repo, cli):
    root = make_repo({**automation_files("greeter"), **_broken("grumpy")})
    git(root, "checkout", "-q", "-b", "pr")
    (root / "automations/greeter/README.md").write_text("# Greeter\n\nBetter.\n")
    commit_all(root, "touch greeter")
    result = cli("test", "--repo", str(root), "--changed", "--base", "main", "--format", "json")
    assert result.code == 0, result  # grumpy is broken but untouched
    assert [r["name"] for r in json.loads(result.out)["results"]] == ["greeter"]
    git(root, "checkout", "-q", "-b", "docs-only", "main")
    (root / "README.md").write_text("docs\n")
    commit_all(root, "docs")
    nothing = cli("test", "--repo", str(root), "--changed", "--base", "main")
    assert nothing.code == 0 and "no automation to test" in nothing.err


def test_missing_tests_and_unknown_names_are_clear_failures(make_repo, cli):
    files = automation_files("greeter")
    del files["automations/greeter/tests/test_main.py"]
    files["automations/greeter/tests/__init__.py"] = ""
    root = make_repo(files)
    result = cli("test", "--repo", str(root), "greeter")
    assert result.code == 1 and "pytest collected no test" in result.out
    unknown = cli("test", "--repo", str(root), "greter")
    assert unknown.code == 1 and "did you mean 'greeter'?" in unknown.err
    usage = cli("test", "--repo", str(root), "--changed")
    assert usage.code == 1 and "--changed needs --base" in usage.err


def test_shell_automation_tests_run_in_a_python_environment(make_repo, cli):
    files = automation_files("shouter", runtime="shell", entrypoint="run.sh")
    del files["automations/shouter/main.py"]
    files["automations/shouter/run.sh"] = '#!/bin/sh\necho "hello $INPUT_GREETING"\n'
    files["automations/shouter/tests/test_main.py"] = (
        "import pathlib, subprocess\n\n\ndef test_shouts():\n"
        "    script = pathlib.Path(__file__).parent.parent / 'run.sh'\n"
        "    out = subprocess.run(['sh', str(script)], env={'INPUT_GREETING': 'x'},\n"
        "                         capture_output=True, text=True, check=True).stdout\n"
        "    assert out == 'hello x\\n'\n"
    )
    root = make_repo(files)
    result = cli("test", "--repo", str(root), "shouter", "--format", "json")
    (only,) = json.loads(result.out)["results"]
    assert (result.code, only["tests"], only["ok"]) == (0, "passed", True), result
