"""No symbolic links in contributor folders: the `symlinks` check, and every reader that
refuses to follow one (catalog, metadata, policy, run, test), on real Git repositories."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from catalog_repo import git_as, isolated_env, site_files
from helpers import automation_files, build_tree, commit_all, git
from policy_support import base_repo, bumped, by_check, open_pr, policy_json

from toolkit.files import LinkedFile, linked_part, links_under, read_contributor_file

REASON = "autokit does not follow links in contributor folders"
CANARY = "autokit-canary-7f3e9b21"  # a value only the build's environment holds


def link(root: Path, path: str, target: str | Path) -> None:
    """A symbolic link at `path` (relative to `root`), its folder created when missing."""
    where = root / path
    where.parent.mkdir(parents=True, exist_ok=True)
    if where.exists() or where.is_symlink():
        where.unlink()
    os.symlink(target, where)


def pr_with_link(make_repo, path: str, target: str | Path) -> Path:
    """A repository whose `pr` branch bumps greeter and adds a link at `path`."""
    root = base_repo(make_repo, "greeter")
    open_pr(root, bumped("greeter"), commit=False)
    link(root, path, target)
    commit_all(root, "pull request")
    return root


# -- the shared reader -------------------------------------------------------------------


def test_read_contributor_file_refuses_a_link_and_a_linked_folder(tmp_path: Path) -> None:
    root = tmp_path / "repo"
    build_tree(root, {"automations/x/OTHER.md": "other\n", "automations/x/data/a.csv": "1\n"})
    link(root, "automations/x/README.md", "OTHER.md")
    link(root, "automations/y", root / "automations/x")
    assert read_contributor_file(root / "automations/x/OTHER.md", root) == b"other\n"
    with pytest.raises(LinkedFile) as same_folder:
        read_contributor_file(root / "automations/x/README.md", root)
    assert str(same_folder.value).startswith("automations/x/README.md is a symbolic link; ")
    assert REASON in str(same_folder.value)
    with pytest.raises(LinkedFile) as through_folder:
        read_contributor_file(root / "automations/y/data/a.csv", root)
    assert through_folder.value.link == "automations/y"
    assert linked_part(root / "automations/x/data/a.csv", root) is None


def test_a_repository_behind_a_link_is_still_readable(tmp_path: Path) -> None:
    # e.g. a home folder on another disk: only what lies below the root is contributors'.
    build_tree(tmp_path / "real", {"automations/x/README.md": "hi\n"})
    link(tmp_path, "alias", tmp_path / "real")
    alias = tmp_path / "alias"
    assert read_contributor_file(alias / "automations/x/README.md", alias) == b"hi\n"


def test_links_under_finds_linked_files_and_folders_but_not_inside_caches(tmp_path) -> None:
    folder = tmp_path / "x"
    build_tree(folder, {"main.py": "", "tests/data.csv": "", ".venv/bin/.keep": ""})
    link(folder, "tests/linked.csv", "/etc/passwd")
    link(folder, "up", "../..")
    link(folder, ".venv/bin/python", sys.executable)
    assert links_under(folder) == [folder / "tests/linked.csv", folder / "up"]


# -- the policy check --------------------------------------------------------------------


def test_a_readme_linked_to_etc_passwd_fails_policy_at_its_path(make_repo, cli) -> None:
    root = pr_with_link(make_repo, "automations/greeter/README.md", "/etc/passwd")
    code, report = policy_json(cli, root, "--base", "main")
    assert code == 1
    (finding,) = by_check(report, "symlinks")
    assert finding["path"] == "automations/greeter/README.md"
    assert finding["severity"] == "error"
    assert "is a symbolic link (to /etc/passwd)" in finding["message"]
    assert REASON in finding["message"]
    assert "replace the link" in finding["hint"]
    assert "root:x:" not in json.dumps(report)


def test_a_link_inside_the_same_folder_is_refused_too(make_repo, cli) -> None:
    root = base_repo(make_repo, "greeter")
    open_pr(root, {**bumped("greeter"), "automations/greeter/OTHER.md": "# Other\n"}, commit=False)
    link(root, "automations/greeter/README.md", "OTHER.md")
    commit_all(root, "pull request")
    code, report = policy_json(cli, root, "--base", "main")
    assert code == 1
    (finding,) = by_check(report, "symlinks")
    assert finding["path"] == "automations/greeter/README.md"
    assert "(to OTHER.md)" in finding["message"]
    assert "a link cannot publish or run files from elsewhere" in finding["message"]


@pytest.mark.parametrize(
    ("path", "target"),
    [
        ("automations/greeter/tests/data.csv", "/etc/passwd"),
        ("automations/greeter/lib", "../../.."),  # a linked folder
        ("docs/secret.md", "/etc/passwd"),
        ("templates/python/main.py.jinja", "/etc/passwd"),
        ("libraries/shared", "/etc"),
    ],
)
def test_every_contributor_folder_is_covered(make_repo, cli, path: str, target: str) -> None:
    root = pr_with_link(make_repo, path, target)
    code, report = policy_json(cli, root, "--base", "main")
    assert code == 1
    assert [f["path"] for f in by_check(report, "symlinks")] == [path]


def test_a_linked_automation_folder_fails_policy(make_repo, cli, tmp_path) -> None:
    root = base_repo(make_repo, "greeter")
    build_tree(tmp_path / "elsewhere", automation_files("linked"))
    open_pr(root, commit=False)
    link(root, "automations/linked", tmp_path / "elsewhere/automations/linked")
    commit_all(root, "pull request")
    code, report = policy_json(cli, root, "--base", "main")
    assert code == 1
    assert [f["path"] for f in by_check(report, "symlinks")] == ["automations/linked"]


def test_links_outside_contributor_folders_are_not_this_checks_business(make_repo, cli) -> None:
    root = pr_with_link(make_repo, "scripts/latest", "/etc/passwd")
    _code, report = policy_json(cli, root, "--base", "main")
    assert by_check(report, "symlinks") == []


def test_all_reports_tracked_links_and_outside_git_links_on_disk(make_repo, cli) -> None:
    root = base_repo(make_repo, "greeter")
    link(root, "automations/greeter/README.md", "/etc/passwd")
    commit_all(root, "link")
    _code, report = policy_json(cli, root, "--all")
    assert [f["path"] for f in by_check(report, "symlinks")] == ["automations/greeter/README.md"]

    plain = root.parent / "plain"
    build_tree(plain, automation_files("greeter"))
    link(plain, "docs/passwd.md", "/etc/passwd")
    _code, report = policy_json(cli, plain, "--all")
    assert [f["path"] for f in by_check(report, "symlinks")] == ["docs/passwd.md"]


def test_an_uncommitted_link_is_reported_from_the_working_tree(make_repo, cli) -> None:
    root = base_repo(make_repo, "greeter")
    open_pr(root, bumped("greeter"))
    link(root, "automations/greeter/CHANGELOG.md", "/etc/passwd")
    _code, report = policy_json(cli, root, "--base", "main", "--uncommitted")
    assert [f["path"] for f in by_check(report, "symlinks")] == ["automations/greeter/CHANGELOG.md"]


# -- metadata, validate, run, test -------------------------------------------------------


def test_a_linked_metadata_file_is_a_validation_problem_naming_it(make_repo, cli, tmp_path):
    root = make_repo(automation_files("greeter"))
    build_tree(tmp_path / "elsewhere", automation_files("greeter"))
    link(
        root,
        "automations/greeter/automation.yaml",
        tmp_path / "elsewhere/automations/greeter/automation.yaml",
    )
    result = cli("validate", "--repo", str(root))
    assert result.code == 1
    assert (
        "automations/greeter/automation.yaml: automations/greeter/automation.yaml is a "
        "symbolic link; " in result.out
    )
    assert "Traceback" not in result.err


def test_a_linked_automation_folder_is_not_an_automation(make_repo, cli, tmp_path) -> None:
    root = make_repo(automation_files("greeter"))
    build_tree(tmp_path / "elsewhere", automation_files("linked"))
    link(root, "automations/linked", tmp_path / "elsewhere/automations/linked")
    listed = cli("list", "--repo", str(root), "--format", "json")
    assert [a["name"] for a in json.loads(listed.out)] == ["greeter"]
    validated = cli("validate", "--repo", str(root))
    assert validated.code == 1
    assert "automations/linked is a symbolic link; " in validated.out
    assert "it is not treated as an automation" in validated.out
    ran = cli("run", "linked", "--repo", str(root))
    assert ran.code == 1
    assert "automations/linked is a symbolic link" in ran.err


def test_run_refuses_a_main_py_linked_outside(make_repo, cli, tmp_path) -> None:
    outside = tmp_path / "outside.py"
    outside.write_text("def main(greeting=''):\n    return 'unreviewed'\n", encoding="utf-8")
    root = make_repo(automation_files("greeter"))
    link(root, "automations/greeter/main.py", outside)
    result = cli("run", "greeter", "--repo", str(root))
    assert result.code == 1, result
    assert "'main.py' is a symbolic link; " + REASON in result.err
    assert "unreviewed" not in result.out + result.err


def test_run_refuses_a_folder_holding_any_link(make_repo, cli) -> None:
    root = make_repo(automation_files("greeter"))
    link(root, "automations/greeter/data/customers.csv", "/etc/passwd")
    result = cli("run", "greeter", "--repo", str(root), "--dry-run")
    assert result.code == 1
    assert "automations/greeter/data/customers.csv is a symbolic link; " in result.err
    assert "greeter is not run" in result.err


def test_a_pinned_version_with_a_link_in_its_tag_is_refused(make_repo, cli) -> None:
    root = make_repo(automation_files("greeter"))
    link(root, "automations/greeter/data.csv", "/etc/passwd")
    commit_all(root, "link")
    git(root, "tag", "greeter@1.0.0")
    (root / "automations/greeter/data.csv").unlink()
    result = cli("run", "greeter@1.0.0", "--repo", str(root))
    assert result.code == 1, result
    assert "greeter@1.0.0: automations/greeter/data.csv is a symbolic link" in result.err


def test_an_inputs_file_linked_inside_an_automation_is_refused(make_repo, cli) -> None:
    root = make_repo(automation_files("greeter"))
    link(root, "automations/greeter/inputs.json", "/etc/passwd")
    path = str(root / "automations/greeter/inputs.json")
    result = cli("run", "greeter", "--repo", str(root), "--inputs-file", path, "--dry-run")
    assert result.code == 1
    assert "automations/greeter/inputs.json is a symbolic link" in result.err


def test_autotest_refuses_a_linked_tests_data_file_naming_it(make_repo, cli) -> None:
    root = make_repo(automation_files("greeter"))
    link(root, "automations/greeter/tests/data.csv", "/etc/passwd")
    result = cli("test", "--repo", str(root), "greeter", "--format", "json")
    assert result.code == 1
    (report,) = json.loads(result.out)["results"]
    assert report["tests"] == "error"
    assert "automations/greeter/tests/data.csv is a symbolic link; " + REASON in report["detail"]


# -- the catalog ---------------------------------------------------------------------------


def hostile_catalog_repo(root: Path, env: dict[str, str]) -> Path:
    """A repository whose automations' READMEs and a docs page are links."""
    root.mkdir(parents=True)
    site_files(root)
    for name in ("passwd-readme", "environ-readme", "same-folder"):
        build_tree(root, automation_files(name))
    build_tree(root, {"automations/same-folder/OTHER.md": "Text only reachable by a link.\n"})
    link(root, "automations/passwd-readme/README.md", "/etc/passwd")
    link(root, "automations/environ-readme/README.md", "/proc/self/environ")
    link(root, "automations/environ-readme/CHANGELOG.md", "/proc/self/environ")
    link(root, "automations/same-folder/README.md", "OTHER.md")
    link(root, "docs/secret.md", "/etc/passwd")
    git_as(root, env, "Dana", "init", "-q", "-b", "main")
    git_as(root, env, "Dana", "add", "-A")
    git_as(root, env, "Dana", "commit", "-qm", "links")
    return root


def build_in_subprocess(root: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    # A child process: /proc/self/environ holds the environment a process started with.
    site = root.parent / "site"
    command = [sys.executable, "-m", "toolkit", "--repo", str(root), "catalog", "build"]
    return subprocess.run(
        [*command, "--site-dir", str(site)],
        env={**env, "AUTOKIT_CANARY": CANARY},
        capture_output=True,
        text=True,
        check=False,
    )


def site_text(site: Path) -> str:
    return "\n".join(
        p.read_text(encoding="utf-8", errors="replace")
        for p in site.rglob("*")
        if p.is_file() and p.suffix in (".html", ".json", ".xml", ".md", ".txt")
    )


@pytest.mark.slow
def test_the_catalog_never_publishes_what_a_link_points_at(tmp_path: Path) -> None:
    env = isolated_env(tmp_path)
    root = hostile_catalog_repo(tmp_path / "repo", env)
    built = build_in_subprocess(root, env)
    assert built.returncode == 0, built.stderr
    site = tmp_path / "site"
    text = site_text(site)
    assert (site / "search/search_index.json").is_file()
    assert "root:x:" not in text
    assert CANARY not in text
    assert "Text only reachable by a link." not in text
    assert not (site / "secret").exists() and not (site / "secret.html").exists()
    # The build names every link it left out, and each page says why it has no README.
    for path in (
        "automations/passwd-readme/README.md",
        "automations/environ-readme/README.md",
        "automations/same-folder/README.md",
        "docs/secret.md",
    ):
        assert f"{path} is a symbolic link; {REASON}" in built.stderr, path
    page = (site / "automations/same-folder/index.html").read_text(encoding="utf-8")
    assert "automations/same-folder/README.md is a symbolic link" in page
    assert "It has no README.md." not in page


@pytest.mark.slow
def test_a_linked_automation_folder_is_left_out_of_the_catalog(tmp_path: Path) -> None:
    env = isolated_env(tmp_path)
    root = tmp_path / "repo"
    root.mkdir()
    site_files(root)
    build_tree(root, automation_files("kept"))
    build_tree(tmp_path / "elsewhere", automation_files("linked", summary="Zanzibar elsewhere."))
    link(root, "automations/linked", tmp_path / "elsewhere/automations/linked")
    built = build_in_subprocess(root, env)
    assert built.returncode == 0, built.stderr
    assert "automations/linked is a symbolic link" in built.stderr
    assert "Zanzibar elsewhere." not in site_text(tmp_path / "site")
    assert (tmp_path / "site/automations/kept/index.html").is_file()


def test_a_linked_docs_folder_fails_the_build_naming_it(tmp_path: Path) -> None:
    # MkDocs would walk into it (here: all of /etc) before any plugin could leave it out.
    env = isolated_env(tmp_path)
    root = tmp_path / "repo"
    root.mkdir()
    site_files(root)
    build_tree(root, automation_files("kept"))
    link(root, "docs/etc", "/etc")
    built = build_in_subprocess(root, env)
    assert built.returncode == 1, built.stderr
    assert "docs/etc is a symbolic link; " + REASON in built.stderr
    assert "Traceback" not in built.stderr
    assert not (tmp_path / "site/etc").exists()


def test_new_refuses_a_linked_template_file(make_repo, cli) -> None:
    import shutil

    from catalog_repo import PROJECT

    root = make_repo({})
    shutil.copytree(PROJECT / "templates", root / "templates")
    link(root, "templates/automation/python/README.md.j2", "/etc/passwd")
    result = cli(
        "new", "greeter", "--runtime", "python", "--title", "Greeter", "--summary", "Greets.",
        "--owner", "@alice", "--department", "ops", "--repo", str(root),
    )  # fmt: skip
    assert result.code == 1, result
    assert "template README.md.j2 is a symbolic link; " + REASON in result.err
    assert not (root / "automations/greeter").exists()


def test_schedule_refuses_a_linked_workflow_template(make_repo, cli) -> None:
    root = make_repo(automation_files("greeter", schedule="0 8 * * 1"))
    link(root, "templates/workflows/scheduled.yml.j2", "/etc/passwd")
    result = cli("schedule", "render", "--repo", str(root))
    assert result.code == 1, result
    assert "templates/workflows/scheduled.yml.j2 is a symbolic link" in result.err
    assert "root:x:" not in result.out
