"""`autokit changed` on real repositories, and its JSON for a GitHub Actions matrix."""

from __future__ import annotations

import json

from helpers import automation_files, git
from policy_support import base_repo, bumped, open_pr


def changed(cli, root, *args):
    result = cli("changed", "--repo", str(root), "--base", "main", *args)
    assert "Traceback" not in result.err
    return result


def test_added_modified_renamed_deleted(make_repo, cli):
    # Folders are told apart by content (Git's rename detection): give beta its own.
    beta = {
        "automations/beta/main.py": "def main():\n    return {'beta': True}\n",
        "automations/beta/tests/test_main.py": "def test_beta():\n    assert 1\n",
        "automations/beta/CHANGELOG.md": "## 1.0.0\n\n- Beta begins.\n",
    }
    root = base_repo(make_repo, "alpha", "beta", "gamma", extra=beta)
    git(root, "checkout", "-q", "-b", "pr")
    git(root, "mv", "automations/gamma", "automations/delta")
    epsilon = automation_files("epsilon")  # a different automation, not beta renamed
    epsilon["automations/epsilon/main.py"] = "def main():\n    return {'n': 42}\n"
    epsilon["automations/epsilon/README.md"] = "# Epsilon\n\nCounts to forty-two.\n"
    epsilon["automations/epsilon/tests/test_main.py"] = "def test_nothing():\n    pass\n"
    open_pr(root, {**bumped("alpha"), **epsilon}, delete=("automations/beta",), branch="pr2")
    report = json.loads(changed(cli, root, "--format", "json").out)
    assert report["added"] == ["epsilon"]
    assert report["modified"] == ["alpha"]
    assert report["renamed"] == [{"name": "delta", "from": "gamma"}]
    assert report["deleted"] == ["beta"]
    assert report["automations"] == ["alpha", "delta", "epsilon"]
    assert report["include"] == [{"name": "alpha"}, {"name": "delta"}, {"name": "epsilon"}]
    assert report["any"] is True and report["toolkit_changed"] is False
    text = changed(cli, root).out.splitlines()
    assert text == [
        "added     epsilon",
        "modified  alpha",
        "renamed   gamma -> delta",
        "deleted   beta",
    ]


def test_only_toolkit_changed_gives_an_empty_matrix(make_repo, cli):
    root = base_repo(make_repo, "alpha", extra={"toolkit/cli.py": "x = 1\n"})
    open_pr(root, {"toolkit/cli.py": "x = 2\n"})
    report = json.loads(changed(cli, root, "--format", "json").out)
    assert report["automations"] == [] and report["include"] == []
    assert report["any"] is False and report["toolkit_changed"] is True
    assert report["other_paths"] == ["toolkit/cli.py"]
    assert changed(cli, root).out.startswith("no automation changed")


def test_nonexistent_base_is_a_clear_error(make_repo, cli):
    root = base_repo(make_repo, "alpha")
    result = cli("changed", "--repo", str(root), "--base", "nope")
    assert result.code == 1 and "the ref 'nope' does not exist" in result.err


def test_base_only_on_the_remote_suggests_the_remote_ref(make_repo, cli, tmp_path):
    origin = base_repo(make_repo, "alpha")
    open_pr(origin, bumped("alpha"))
    clone = tmp_path / "clone"
    git(tmp_path, "clone", "-q", "--branch", "pr", f"file://{origin}", str(clone))
    result = cli("changed", "--repo", str(clone), "--base", "main")
    assert result.code == 1 and "the ref 'main' does not exist" in result.err
    assert "did you mean 'origin/main'?" in result.err
    report = json.loads(
        cli("changed", "--repo", str(clone), "--base", "origin/main", "--format", "json").out
    )
    assert report["modified"] == ["alpha"]


def test_changes_on_main_since_the_branch_point_are_not_counted(make_repo, cli):
    root = base_repo(make_repo, "alpha", "beta")
    open_pr(root, bumped("alpha"))
    git(root, "checkout", "-q", "main")
    open_pr(root, bumped("beta"), branch="other-pr")
    git(root, "checkout", "-q", "main")
    git(root, "merge", "-q", "--no-ff", "-m", "merge other", "other-pr")
    git(root, "checkout", "-q", "pr")
    report = json.loads(changed(cli, root, "--format", "json").out)
    assert report["automations"] == ["alpha"]


def test_binary_and_non_utf8_paths_are_listed(make_repo, cli):
    root = base_repo(make_repo, "alpha")
    open_pr(
        root,
        {
            "automations/alpha/tests/data.xlsx": b"PK\x03\x04\x00\xff",
            "automations/alpha/tests/caf\u00e9.csv": "a;b\n".encode("latin-1"),
        },
    )
    report = json.loads(changed(cli, root, "--format", "json").out)
    assert report["modified"] == ["alpha"]
