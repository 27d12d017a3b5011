"""The governance-change check: every change a pull request makes to the rules, named."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from helpers import git
from policy_support import PYPROJECT, base_repo, by_check, open_pr, policy_json

PROJECT = Path(__file__).resolve().parent.parent

SOON = (dt.date.today() + dt.timedelta(days=20)).isoformat()
LATER = (dt.date.today() + dt.timedelta(days=60)).isoformat()
WAIVER = (
    '\n[[tool.autokit.waivers]]\ncheck = "file-size"\nautomation = "greeter"\n'
    'reason = "the sample workbook is large"\nexpires = {expires}\n'
)


def warnings(report):
    found = by_check(report, "governance-change")
    assert all(f["severity"] == "warning" for f in found), found
    return found


def line_text(root, finding):
    return (root / finding["path"]).read_text().splitlines()[finding["line"] - 1]


def test_switching_a_check_off_is_named_at_its_line(make_repo, cli):
    root = base_repo(make_repo, "greeter")
    open_pr(root, {"pyproject.toml": PYPROJECT + "\n[tool.autokit.checks]\nfile-size = false\n"})
    code, report = policy_json(cli, root, "--base", "main")
    (finding,) = warnings(report)
    assert finding["message"] == "switches the check file-size off"
    assert line_text(root, finding) == "file-size = false"
    assert code == 0 and report["rules_changed"] is True
    assert "security" in finding["hint"]


def test_switching_a_check_back_on_is_named(make_repo, cli):
    root = base_repo(
        make_repo,
        "greeter",
        extra={"pyproject.toml": PYPROJECT + "\n[tool.autokit.checks]\nfile-size = false\n"},
    )
    open_pr(root, {"pyproject.toml": PYPROJECT})
    _, report = policy_json(cli, root, "--base", "main")
    assert [f["message"] for f in warnings(report)] == ["switches the check file-size back on"]


def test_an_added_and_an_extended_waiver_give_their_dates(make_repo, cli):
    root = base_repo(make_repo, "greeter")
    open_pr(root, {"pyproject.toml": PYPROJECT + WAIVER.format(expires=SOON)}, branch="add")
    _, report = policy_json(cli, root, "--base", "main")
    (added,) = warnings(report)
    assert added["message"] == (
        f"adds a waiver of file-size for greeter until {SOON}: the sample workbook is large"
    )
    assert line_text(root, added) == 'automation = "greeter"'

    git(root, "checkout", "-q", "main")
    git(root, "merge", "-q", "add")
    open_pr(root, {"pyproject.toml": PYPROJECT + WAIVER.format(expires=LATER)}, branch="extend")
    _, report = policy_json(cli, root, "--base", "main")
    (extended,) = warnings(report)
    assert extended["message"].startswith(f"extends a waiver of file-size for greeter from {SOON}")
    assert LATER in extended["message"]


@pytest.mark.parametrize("key", ["security_reviewers", "default_owners"])
def test_changed_reviewers_or_owners_are_named(make_repo, cli, key):
    root = base_repo(make_repo, "greeter")
    text = (
        PYPROJECT.replace("@shop/security", "@shop/nobody")
        if key == "security_reviewers"
        else (PYPROJECT + 'default_owners = ["@shop/everyone"]\n')
    )
    open_pr(root, {"pyproject.toml": text})
    _, report = policy_json(cli, root, "--base", "main")
    found = [f for f in warnings(report) if f["field"] == f"tool.autokit.{key}"]
    assert len(found) == 1 and found[0]["message"].startswith(f"changes {key} from ")
    assert line_text(root, found[0]).startswith(key)


def test_dependencies_changed_outside_the_autokit_table(make_repo, cli):
    root = base_repo(make_repo, "greeter")
    text = PYPROJECT.replace('name = "shop"\n', 'name = "shop"\ndependencies = ["evil"]\n')
    open_pr(root, {"pyproject.toml": text})
    _, report = policy_json(cli, root, "--base", "main")
    (finding,) = warnings(report)
    assert finding["message"] == "changes pyproject.toml outside [tool.autokit]"
    assert line_text(root, finding) == 'dependencies = ["evil"]'


GOVERNED_FILES = {
    ".github/workflows/extra.yml": (
        "name: extra\non: push\npermissions: {}\njobs:\n  hello:\n    runs-on: ubuntu-latest\n"
        "    steps:\n      - run: echo hello\n"
    ),
    "toolkit/checks/extra.py": "X = 1\n",
    "templates/python/main.py": "print('x')\n",
    ".pre-commit-config.yaml": "repos: []\n",
    "noxfile.py": "import nox\n",
    "mkdocs.yml": "site_name: x\n",
    "docs/extra.md": "# Extra\n",
    ".ci/run": "echo ok\n",
}


def test_each_rules_file_added_is_one_warning_and_the_summary_says_who_reviews(
    make_repo, cli, tmp_path, monkeypatch
):
    root = base_repo(make_repo, "greeter")
    open_pr(root, GOVERNED_FILES)
    _, report = policy_json(cli, root, "--base", "main")
    found = {f["path"]: f["message"] for f in warnings(report)}
    assert found == {
        path: f"this pull request adds {path}, one of the rules' files" for path in GOVERNED_FILES
    }
    summary = tmp_path / "summary.md"
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(summary))
    result = cli("policy", "--repo", str(root), "--base", "main", "--format", "github")
    lines = [line for line in summary.read_text().splitlines() if line]
    assert lines[1] == (
        "This pull request changes the rules; it needs a review by @shop/security."
    ), lines
    assert result.code == 0


def test_a_deleted_workflow_is_named_and_nothing_is_said_about_automation_only_changes(
    make_repo, cli
):
    root = base_repo(make_repo, "greeter", extra={".github/workflows/ci.yml": "name: ci\n"})
    open_pr(root, delete=(".github/workflows/ci.yml",))
    _, report = policy_json(cli, root, "--base", "main")
    assert [f["message"] for f in warnings(report)] == [
        "this pull request deletes .github/workflows/ci.yml, one of the rules' files"
    ]
    _, everything = policy_json(cli, root, "--all")
    assert by_check(everything, "governance-change") == []


def test_a_policy_step_replaced_by_echo_ok_needs_the_security_reviewers(make_repo, cli):
    """GitHub runs the pull request's own ci.yml: the edit cannot be refused by a check
    running in it, so it is named, and CODEOWNERS makes the security reviewers approve it."""
    ci = (PROJECT / ".github/workflows/ci.yml").read_text()
    root = base_repo(make_repo, "greeter", extra={".github/workflows/ci.yml": ci})
    command = 'run: autokit policy --base "origin/${GITHUB_BASE_REF}" --format github'
    assert command in ci
    open_pr(root, {".github/workflows/ci.yml": ci.replace(command, "run: echo ok")})
    code, report = policy_json(cli, root, "--base", "main")
    (finding,) = warnings(report)
    assert finding["path"] == ".github/workflows/ci.yml"
    assert report["rules_changed"] is True and code == 0
    owners = (root / ".github/CODEOWNERS").read_text()
    assert "/.github/ @shop/security" in owners
