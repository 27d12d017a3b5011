"""`autokit release` on real repositories: tags, idempotence and refusals."""

from __future__ import annotations

from helpers import build_tree, commit_all, git
from policy_support import base_repo, bumped


def release(cli, root, *args):
    result = cli("release", "--repo", str(root), *args)
    assert "Traceback" not in result.err
    return result


def test_tags_every_untagged_version_with_its_changelog(make_repo, cli):
    root = base_repo(make_repo, "alpha", "beta")
    result = release(cli, root)
    assert result.code == 0, result
    assert result.out.splitlines() == ["tagged alpha@1.0.0", "tagged beta@1.0.0"]
    assert git(root, "cat-file", "-t", "alpha@1.0.0").strip() == "tag"  # annotated
    message = git(root, "tag", "-l", "--format=%(contents)", "alpha@1.0.0")
    assert message.startswith("alpha 1.0.0\n\n- First version.")
    assert git(root, "rev-parse", "alpha@1.0.0^{commit}") == git(root, "rev-parse", "HEAD")


def test_is_idempotent_and_tags_only_new_versions(make_repo, cli):
    root = base_repo(make_repo, "alpha", "beta")
    release(cli, root)
    again = release(cli, root)
    assert again.code == 0 and again.out == ""
    assert "already tagged" in again.err
    build_tree(root, bumped("beta", version="1.1.0"))
    commit_all(root, "beta 1.1.0")
    assert release(cli, root).out.splitlines() == ["tagged beta@1.1.0"]
    assert "- Changed." in git(root, "tag", "-l", "--format=%(contents)", "beta@1.1.0")


def test_dry_run_creates_nothing(make_repo, cli):
    root = base_repo(make_repo, "alpha")
    result = release(cli, root, "--dry-run")
    assert result.out.splitlines() == ["would tag alpha@1.0.0"]
    assert git(root, "tag", "-l") == ""


def test_refuses_a_dirty_tree(make_repo, cli):
    root = base_repo(make_repo, "alpha")
    (root / "automations/alpha/README.md").write_text("edited\n")
    result = release(cli, root)
    assert result.code == 1 and "uncommitted changes" in result.err
    assert git(root, "tag", "-l") == ""


def test_refuses_other_branches_and_detached_head(make_repo, cli):
    root = base_repo(make_repo, "alpha")
    git(root, "checkout", "-q", "-b", "feature")
    result = release(cli, root)
    assert result.code == 1 and "the current branch is 'feature'" in result.err
    git(root, "checkout", "-q", "--detach", "main")
    result = release(cli, root)
    assert result.code == 1 and "HEAD is detached" in result.err
    assert "git checkout main" in result.err


def test_release_branch_is_configurable(make_repo, cli):
    root = base_repo(
        make_repo, "alpha", extra={"pyproject.toml": '[tool.autokit]\nrelease_branch = "trunk"\n'}
    )
    assert "only on 'trunk'" in release(cli, root).err
    git(root, "checkout", "-q", "-b", "trunk")
    assert release(cli, root).code == 0


def test_missing_changelog_section_tags_nothing(make_repo, cli):
    root = base_repo(make_repo, "alpha", "beta")
    (root / "automations/beta/CHANGELOG.md").write_text("# Changelog\n")
    commit_all(root, "lose the changelog")
    result = release(cli, root)
    assert result.code == 1
    assert "beta: CHANGELOG.md has no '## 1.0.0' section" in result.err
    assert git(root, "tag", "-l") == ""  # not even alpha


def test_push_sends_only_the_new_tags(make_repo, cli, tmp_path):
    remote = tmp_path / "remote.git"
    git(tmp_path, "init", "-q", "--bare", str(remote))
    root = base_repo(make_repo, "alpha")
    git(root, "remote", "add", "origin", str(remote))
    git(root, "tag", "unrelated")
    assert release(cli, root, "--push").code == 0
    assert git(remote, "tag", "-l").split() == ["alpha@1.0.0"]


def test_push_without_origin_tags_nothing_and_a_failed_push_is_completed_later(
    make_repo, cli, tmp_path
):
    root = base_repo(make_repo, "alpha")
    result = release(cli, root, "--push")
    assert result.code == 1 and "needs a remote named 'origin'" in result.err
    assert git(root, "tag", "-l") == ""
    remote = tmp_path / "remote.git"
    git(root, "remote", "add", "origin", str(remote))  # not created yet: the push fails
    result = release(cli, root, "--push")
    assert result.code == 1 and "git push failed" in result.err
    assert "run `autokit release --push` again" in result.err
    assert git(root, "tag", "-l").split() == ["alpha@1.0.0"]
    git(tmp_path, "init", "-q", "--bare", str(remote))
    assert release(cli, root, "--push").code == 0
    assert git(remote, "tag", "-l").split() == ["alpha@1.0.0"]


def test_refuses_a_shallow_clone(make_repo, cli, tmp_path):
    origin = base_repo(make_repo, "alpha")
    (origin / "automations/alpha/README.md").write_text("# Alpha\n\nSecond.\n")
    commit_all(origin, "second")
    clone = tmp_path / "clone"
    git(tmp_path, "clone", "-q", "--depth", "1", f"file://{origin}", str(clone))
    result = release(cli, clone)
    assert result.code == 1 and "fetch-depth: 0" in result.err
