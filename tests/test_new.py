"""`autokit new`: the scaffold is valid, its own tests pass, and bad names are refused."""

from __future__ import annotations

import io
import os
import pty
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from helpers import assert_matches_snapshot, automation_files, build_tree

PROJECT = Path(__file__).resolve().parent.parent
OPTIONS = (
    "--title",
    "Invoice reminders",
    "--summary",
    "Emails customers about unpaid invoices.",
    "--owner",
    "@shop/finance",
    "--department",
    "finance",
)


def tree_text(folder: Path) -> str:
    """Every file under `folder` with its mode, in a stable order: the snapshot format."""
    parts = []
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        mode = oct(path.stat().st_mode & 0o777)
        parts.append(f"=== {path.relative_to(folder).as_posix()} ({mode})\n{path.read_text()}")
    return "".join(parts)


def run_generated_tests(root: Path, name: str) -> subprocess.CompletedProcess[str]:
    """The command the scaffold's tests name, from the automation's folder."""
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "tests"],
        cwd=root / "automations" / name,
        capture_output=True,
        text=True,
        check=False,
    )


@pytest.fixture
def repo(make_repo) -> Path:
    root = make_repo({})
    # The project's own pytest settings (warnings are errors) apply to generated tests too.
    shutil.copy(PROJECT / "pyproject.toml", root / "pyproject.toml")
    return root


@pytest.mark.parametrize("runtime", ["python", "shell"])
def test_new_automation_is_valid_and_its_tests_pass(repo, cli, runtime):
    name = f"invoice-reminders-{runtime}"
    result = cli("new", name, "--runtime", runtime, *OPTIONS, "--repo", str(repo))
    assert result.code == 0, result
    assert f"created automations/{name}/" in result.out
    validated = cli("validate", "--repo", str(repo))
    assert validated.code == 0, validated
    assert "1 automation(s) checked, 0 problem(s): all valid" in validated.err
    tests = run_generated_tests(repo, name)
    assert tests.returncode == 0, tests.stdout + tests.stderr
    assert "3 passed" in tests.stdout


@pytest.mark.slow
@pytest.mark.parametrize("runtime", ["python", "shell"])
def test_the_printed_next_steps_work(repo, cli, runtime, monkeypatch):
    result = cli("new", "late-fees", "--runtime", runtime, *OPTIONS, "--repo", str(repo))
    steps = [line.split(". ", 1)[1] for line in result.out.splitlines() if line[:4] == "  3."]
    steps += [line.split(". ", 1)[1] for line in result.out.splitlines() if line[:4] == "  4."]
    commands = [step.split("   (")[0].split() for step in steps]
    assert commands == [
        ["autokit", "test", "late-fees"],
        ["autokit", "run", "late-fees", "--example"],
    ]
    monkeypatch.chdir(repo)
    for command in commands:
        outcome = cli(*command[1:])
        assert outcome.code == 0, (command, outcome)


@pytest.mark.parametrize("runtime", ["python", "shell"])
def test_scaffold_matches_snapshot(repo, cli, runtime):
    cli("new", "invoice-reminders", "--runtime", runtime, *OPTIONS, "--repo", str(repo))
    folder = repo / "automations" / "invoice-reminders"
    assert_matches_snapshot(tree_text(folder), f"new-{runtime}.txt")


@pytest.mark.parametrize("runtime", ["python", "shell"])
def test_scaffold_passes_ruff_and_ruff_format_as_generated(repo, cli, runtime):
    name = "a" + "-long-name" * 6 + "xy"  # the longest a name may be: 63 characters
    summary = "Adds late fees to every overdue invoice. " * 3 + "x" * 37
    options = ["--title", "T" * 100, "--summary", summary[:160], "--owner", "@shop/finance"]
    result = cli(
        "new", name, "--runtime", runtime, *options, "--department", "finance", "--repo", str(repo)
    )
    assert result.code == 0, result
    folder = f"automations/{name}"
    for command in (["check", "--no-fix"], ["format", "--check", "--diff"]):
        ruff = subprocess.run(
            [sys.executable, "-m", "ruff", *command, folder],
            cwd=repo,
            capture_output=True,
            text=True,
            check=False,
        )
        assert ruff.returncode == 0, (command, ruff.stdout + ruff.stderr)


def test_python_main_takes_typed_keyword_inputs(repo, cli):
    cli("new", "greeter", "--runtime", "python", *OPTIONS, "--repo", str(repo))
    metadata = yaml.safe_load((repo / "automations/greeter/automation.yaml").read_text())
    source = (repo / "automations/greeter/main.py").read_text()
    assert 'def main(name: str = "world", times: int = 1)' in source
    assert set(metadata["inputs"]) == {"name", "times"}
    assert metadata["examples"][0]["inputs"] == {"name": "world", "times": 1}


def test_contributor_text_is_data_not_template(repo, cli):
    title = 'Q1 {{ 7 * 7 }} "quoted": {% raw %}'
    result = cli(
        "new", "odd-title", "--runtime", "python", *OPTIONS, "--title", title, "--repo", str(repo)
    )
    assert result.code == 0, result
    metadata = yaml.safe_load((repo / "automations/odd-title/automation.yaml").read_text())
    assert metadata["title"] == title
    assert cli("validate", "--repo", str(repo)).code == 0


def assert_nothing_created(repo: Path) -> None:
    assert sorted(p.name for p in (repo / "automations").iterdir()) == []


@pytest.mark.parametrize(
    "name", ["X", "a", "9-lives", "under_score", "Invoice", "../escape", "a/b", "1abc"]
)
def test_bad_names_are_refused(repo, cli, name):
    result = cli("new", name, "--runtime", "python", *OPTIONS, "--repo", str(repo))
    assert result.code == 1
    assert f"'{name}' is not a valid automation name" in result.err
    assert "Traceback" not in result.err
    assert_nothing_created(repo)
    assert not (repo / "escape").exists()


def test_existing_name_is_refused(repo, cli):
    assert cli("new", "greeter", "--runtime", "python", *OPTIONS, "--repo", str(repo)).code == 0
    before = (repo / "automations/greeter/main.py").read_text()
    (repo / "automations/greeter/main.py").write_text(before + "# edited\n")
    result = cli("new", "greeter", "--runtime", "shell", *OPTIONS, "--repo", str(repo))
    assert result.code == 1
    assert "automations/greeter already exists" in result.err
    assert (repo / "automations/greeter/main.py").read_text().endswith("# edited\n")


def test_a_symlink_named_like_the_automation_is_refused(repo, cli, tmp_path):
    os.symlink(tmp_path, repo / "automations" / "linked")
    result = cli("new", "linked", "--runtime", "python", *OPTIONS, "--repo", str(repo))
    assert result.code == 1
    assert "automations/linked already exists" in result.err


def test_bad_option_values_name_the_option(repo, cli):
    result = cli(
        "new",
        "greeter",
        "--runtime",
        "python",
        *OPTIONS,
        "--owner",
        "alice",
        "--summary",
        "x" * 161,
        "--repo",
        str(repo),
    )
    assert result.code == 1
    assert "--owner: 'alice' must be a GitHub handle" in result.err
    assert "--summary: is 161 characters long, over the limit of 160" in result.err
    assert_nothing_created(repo)


def test_blank_option_values_are_refused(repo, cli):
    args = ["new", "greeter", "--runtime", "python", *OPTIONS, "--department", "  "]
    result = cli(*args, "--repo", str(repo))
    assert result.code == 1
    assert "--department: must not be blank" in result.err
    assert_nothing_created(repo)


def test_one_missing_field_without_a_terminal(repo, cli, monkeypatch):
    monkeypatch.setattr(sys, "stdin", io.StringIO(""))
    args = ["new", "greeter", "--runtime", "shell", "--title", "T", "--summary", "S"]
    result = cli(*args, "--owner", "@a", "--repo", str(repo))
    assert result.code == 1
    assert "missing --department; autokit cannot ask for it because stdin" in result.err


def test_missing_fields_without_a_terminal(repo, cli, monkeypatch):
    monkeypatch.setattr(sys, "stdin", io.StringIO(""))
    result = cli("new", "greeter", "--runtime", "shell", "--title", "T", "--repo", str(repo))
    assert result.code == 1
    assert "missing --summary, --owner, --department" in result.err
    assert "stdin is not a terminal" in result.err
    assert "autokit new greeter --summary ... --owner ... --department ..." in result.err
    assert_nothing_created(repo)


def answer_on_a_terminal(
    repo: Path, answers: str, *args: str, env: dict[str, str] | None = None
) -> tuple[int, str]:
    """Run `autokit new` with stdin on a pseudo-terminal, typing `answers`."""
    leader, follower = pty.openpty()
    process = subprocess.Popen(
        [sys.executable, "-m", "toolkit", "--repo", str(repo), "new", *args],
        env={**os.environ, **(env or {})},
        stdin=follower,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    os.close(follower)
    os.write(leader, answers.encode("utf-8", "surrogateescape"))
    output, _ = process.communicate(timeout=30)
    os.close(leader)
    return process.returncode, output


def test_asks_for_missing_fields_on_a_terminal(repo):
    answers = "\n\n" + "x" * 161 + "\nSends reminders.\nalice\n@alice\nfinance\n"
    code, output = answer_on_a_terminal(repo, answers, "late-invoices")
    assert code == 0, output
    assert "161 characters; keep it to 160" in output
    assert "Template (one of the above) [python]: " in output
    assert "Title (a few words) [Late invoices]: " in output
    assert "write a GitHub handle: @user or @org/team" in output
    metadata = yaml.safe_load((repo / "automations/late-invoices/automation.yaml").read_text())
    assert metadata["runtime"] == "python"
    assert metadata["title"] == "Late invoices"
    assert metadata["summary"] == "Sends reminders."
    assert metadata["owners"] == ["@alice"]
    assert metadata["department"] == "finance"


def test_terminal_closed_before_all_answers(repo):
    code, output = answer_on_a_terminal(repo, "shell\n\x04", "half-done")
    assert code == 1
    assert "no answer given; nothing was created" in output
    assert_nothing_created(repo)


def test_asks_for_the_name_on_a_terminal(repo):
    answers = "\nLate Fees\nlate-fees\n\nAdds fees.\n@alice\nfinance\n"  # template first
    code, output = answer_on_a_terminal(repo, answers)
    assert code == 0, output
    assert "Name (lowercase letters, digits and dashes, e.g. late-fees): " in output
    assert "'Late Fees' is not a valid automation name" in output
    assert "Title (a few words) [Late fees]: " in output  # the default comes from the name
    metadata = yaml.safe_load((repo / "automations/late-fees/automation.yaml").read_text())
    assert (metadata["name"], metadata["summary"]) == ("late-fees", "Adds fees.")


def test_without_a_name_or_a_terminal_the_error_says_what_to_pass(repo, cli, monkeypatch):
    monkeypatch.setattr(sys, "stdin", io.StringIO(""))
    result = cli("new", "--runtime", "shell", *OPTIONS, "--repo", str(repo))
    assert result.code == 1, result
    assert "missing NAME; autokit cannot ask for it because stdin is not a terminal" in result.err
    assert "autokit new NAME" in result.err and "usage:" not in result.err
    assert_nothing_created(repo)


@pytest.fixture
def warehouse_repo(repo) -> Path:
    build_tree(repo, automation_files("stock-count", department="warehouse-ops"))
    build_tree(repo, automation_files("payroll", department="finance"))
    return repo


@pytest.mark.parametrize(
    ("reply", "department"), [("\n", "warehouse-ops"), ("n\n", "Warehouse Ops")]
)
def test_a_department_spelled_like_an_existing_one_suggests_it(warehouse_repo, reply, department):
    answers = "shell\n\nCounts stock.\n@alice\nWarehouse Ops\n" + reply
    code, output = answer_on_a_terminal(warehouse_repo, answers, "shelf-check")
    assert code == 0, output
    assert "Department (existing: finance, warehouse-ops): " in output
    assert "'Warehouse Ops' looks like the existing department 'warehouse-ops'" in output
    text = (warehouse_repo / "automations/shelf-check/automation.yaml").read_text()
    assert yaml.safe_load(text)["department"] == department


def test_a_department_option_spelled_like_an_existing_one_is_noted(warehouse_repo, cli):
    options = ["--title", "Shelf check", "--summary", "Counts shelves.", "--owner", "@alice"]
    result = cli(
        "new",
        "shelf-check",
        "--runtime",
        "shell",
        *options,
        "--department",
        "Warehouse_Ops",
        "--repo",
        str(warehouse_repo),
    )
    assert result.code == 0, result
    assert "--department 'Warehouse_Ops' is written 'warehouse-ops'" in result.err


def test_an_answer_that_is_not_text_is_asked_again(repo):
    answers = "shell\n\udcff\nfixed-name\n\nSends.\n@alice\nfinance\n"
    strict = {"PYTHONIOENCODING": "utf-8:strict"}  # as on a terminal with a UTF-8 locale
    code, output = answer_on_a_terminal(repo, answers, env=strict)
    assert code == 0, output
    assert "that was not readable text (UTF-8); type it again" in output
    assert (repo / "automations/fixed-name/automation.yaml").is_file()
