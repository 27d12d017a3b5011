"""`autokit codeowners`: generation, --check, and classification reviewers."""

from __future__ import annotations

import json

from helpers import automation_files
from policy_support import base_repo, by_check, metadata_yaml, open_pr, policy_json

from toolkit import codeowners

PYPROJECT = (
    '[tool.autokit]\nsecurity_reviewers = ["@shop/security"]\ndefault_owners = ["@shop/platform"]\n'
)


def repo(make_repo):
    files = {**automation_files("alpha"), **automation_files("beta"), "pyproject.toml": PYPROJECT}
    files["automations/beta/automation.yaml"] = metadata_yaml(
        "beta", classification="restricted", owners=["@bob", "@carol", "@shop/security"]
    )
    return make_repo(files)


def test_writes_owners_and_security_reviewers_for_restricted(make_repo, cli):
    root = repo(make_repo)
    result = cli("codeowners", "--repo", str(root))
    assert result.code == 0, result
    rules = [
        line
        for line in (root / ".github/CODEOWNERS").read_text().splitlines()
        if not line.startswith("#")
    ]
    governed = [f"{path} @shop/security" for path in codeowners.GOVERNED_PATHS]
    assert {"/toolkit/ @shop/security", "/.github/ @shop/security"} <= set(governed)
    assert rules == [
        "* @shop/platform",
        *governed,
        "/automations/alpha/ @alice",
        "/automations/beta/ @bob @carol @shop/security",
    ]


def test_check_fails_when_stale_and_passes_when_current(make_repo, cli):
    root = repo(make_repo)
    check = cli("codeowners", "--repo", str(root), "--check")
    assert check.code == 1 and "missing" in check.err
    assert not (root / ".github/CODEOWNERS").exists()
    cli("codeowners", "--repo", str(root))
    assert cli("codeowners", "--repo", str(root), "--check").code == 0
    (root / "automations/alpha/automation.yaml").write_text(
        metadata_yaml("alpha", owners=["@dave"])
    )
    stale = cli("codeowners", "--repo", str(root), "--check")
    assert stale.code == 1 and "out of date" in stale.err


def test_invalid_metadata_is_a_clear_error(make_repo, cli):
    root = repo(make_repo)
    (root / "automations/alpha/automation.yaml").write_text(metadata_yaml("alpha", owners=[]))
    result = cli("codeowners", "--repo", str(root))
    assert result.code == 1
    assert "automations/alpha/automation.yaml:" in result.err
    assert not (root / ".github/CODEOWNERS").exists()


def test_policy_all_compares_the_whole_file(make_repo, cli):
    root = repo(make_repo)
    cli("codeowners", "--repo", str(root))
    path = root / ".github/CODEOWNERS"
    path.write_text(path.read_text().replace("@carol ", ""))
    result = cli("policy", "--repo", str(root), "--all", "--format", "json")
    findings = [f for f in json.loads(result.out)["findings"] if f["check"] == "codeowners-sync"]
    lines = path.read_text().splitlines()
    assert len(findings) == 1
    assert lines[findings[0]["line"] - 1].startswith("/automations/beta/")


def test_empty_security_reviewers_is_an_error_for_the_command_and_the_check(make_repo, cli):
    root = repo(make_repo)
    pyproject = root / "pyproject.toml"
    pyproject.write_text(PYPROJECT.replace('"@shop/security"', ""))
    result = cli("codeowners", "--repo", str(root))
    assert result.code == 1 and "security_reviewers" in result.err and "is empty" in result.err
    assert not (root / ".github/CODEOWNERS").exists()
    code, report = policy_json(cli, root, "--all")
    (finding,) = [f for f in by_check(report, "codeowners-sync") if f["path"] == "pyproject.toml"]
    assert code == 1 and "nobody owns the rules' files" in finding["message"]
    assert pyproject.read_text().splitlines()[finding["line"] - 1].startswith("security_reviewers")


def test_a_pull_request_dropping_the_rules_owners_fails(make_repo, cli):
    root = base_repo(make_repo, "alpha")
    text = (root / ".github/CODEOWNERS").read_text()
    open_pr(root, {".github/CODEOWNERS": text.replace("/toolkit/ @shop/security\n", "")})
    code, report = policy_json(cli, root, "--base", "main")
    messages = [f["message"] for f in by_check(report, "codeowners-sync")]
    assert code == 1 and any("/toolkit/" in m for m in messages), messages
