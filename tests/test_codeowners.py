"""`autokit codeowners`: generation, --check, and classification reviewers."""

from __future__ import annotations

import json

from helpers import automation_files
from policy_support import metadata_yaml

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
    assert rules == [
        "* @shop/platform",
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
    assert len(findings) == 1 and findings[0]["line"] == 6
