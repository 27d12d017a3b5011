"""`autokit policy --base` judges a change by the base's rules, not by the change's own.

Each repository here holds a real copy of this project's `toolkit/` and pyproject.toml on
`main`, as the shipped monorepo does; the pull request edits the rules and breaks them in
the same commit. The hostile code path runs the pull request's own copy of autokit (as
`pip install -e .` of the pull request would), in a subprocess.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import site
import subprocess
import sys
from pathlib import Path

import pytest
from helpers import automation_files, build_tree, commit_all, git
from policy_support import by_check, open_pr, policy_json

from toolkit import codeowners
from toolkit import git as git_module

PROJECT = Path(__file__).resolve().parent.parent
LEAKED_LINE = 'AWS_SECRET_ACCESS_KEY = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"\n'
SECRETS_CHECK = "toolkit/checks/hardcoded_secrets.py"


def governed_repo(root: Path) -> Path:
    """`main` with this project's toolkit and pyproject.toml and one automation."""
    shutil.copytree(
        PROJECT / "toolkit", root / "toolkit", ignore=shutil.ignore_patterns("__pycache__")
    )
    shutil.copy(PROJECT / "pyproject.toml", root / "pyproject.toml")
    build_tree(root, automation_files("greeter"))
    git(root, "init", "-q", "-b", "main")
    subprocess.run(
        [sys.executable, "-m", "toolkit", "codeowners", "--repo", str(root)],
        check=True,
        capture_output=True,
    )
    commit_all(root, "main")
    return root


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    return governed_repo(tmp_path / "repo")


def rules_copy(repo: Path) -> Path:
    """Where policy keeps the copy of main's rules: named by the tree of main's toolkit/."""
    tree = git(repo, "rev-parse", "main:toolkit").strip()
    return Path(os.environ["AUTOKIT_CACHE_DIR"]) / "rules" / tree


def leaking(root: Path) -> dict[str, str | bytes]:
    main = (root / "automations/greeter/main.py").read_text()
    return {"automations/greeter/main.py": LEAKED_LINE + main}


def run_own_code(root: Path, *args: str) -> tuple[int, dict[str, object], str]:
    """`autokit policy` run by the pull request's own copy of the toolkit."""
    result = subprocess.run(
        [sys.executable, "-m", "toolkit", "policy", "--repo", str(root), "--format", "json", *args],
        cwd=root,
        env={**os.environ, "PYTHONPATH": str(root)},
        capture_output=True,
        text=True,
    )
    assert "Traceback" not in result.stderr, result.stderr
    return result.returncode, json.loads(result.stdout), result.stderr


def test_an_edited_check_does_not_judge_the_change_that_edits_it(repo: Path):
    neutered = (
        (repo / SECRETS_CHECK)
        .read_text()
        .replace(
            "def check(ctx: PolicyContext) -> list[Finding]:\n",
            "def check(ctx: PolicyContext) -> list[Finding]:\n    return []\n",
        )
    )
    assert neutered.count("return []") > (repo / SECRETS_CHECK).read_text().count("return []")
    open_pr(repo, {SECRETS_CHECK: neutered, **leaking(repo)})

    _, own_report, _ = run_own_code(repo, "--all")
    assert by_check(own_report, "hardcoded-secrets") == [], "the edited check is neutered"

    code, report, _ = run_own_code(repo, "--base", "main")
    leaks = by_check(report, "hardcoded-secrets")
    assert code == 1 and [f["path"] for f in leaks] == ["automations/greeter/main.py"]
    copy = rules_copy(repo)
    assert (copy / SECRETS_CHECK).read_text() == git(repo, "show", f"main:{SECRETS_CHECK}")


def test_a_tampered_copy_of_the_rules_is_replaced_before_it_runs(repo: Path):
    edited = (repo / "toolkit/__init__.py").read_text() + "# edited\n"
    open_pr(repo, {"toolkit/__init__.py": edited, **leaking(repo)})
    assert run_own_code(repo, "--base", "main")[0] == 1
    check = rules_copy(repo) / SECRETS_CHECK
    original = check.read_text()
    check.write_text(original.replace("def check(", "def check(*_):\n    return []\n\n\ndef _old("))
    code, report, _ = run_own_code(repo, "--base", "main")
    assert code == 1 and by_check(report, "hardcoded-secrets")
    assert check.read_text() == original


def test_a_check_switched_off_in_the_change_still_judges_it(repo: Path, cli):
    pyproject = (repo / "pyproject.toml").read_text()
    switched_off = pyproject.replace(
        "[tool.autokit]\n",
        "[tool.autokit.checks]\nhardcoded-secrets = false\n\n[tool.autokit]\n",
        1,
    )
    open_pr(repo, {"pyproject.toml": switched_off, **leaking(repo)})
    code, report = policy_json(cli, repo, "--base", "main")
    assert code == 1 and by_check(report, "hardcoded-secrets")
    assert "hardcoded-secrets" in report["checks"]
    # Reviewing everything in the working tree uses the working tree's configuration.
    _, everything = policy_json(cli, repo, "--all")
    assert "hardcoded-secrets" not in everything["checks"]


def _waiver(expires: str, reason: str = "test fixtures hold revoked sample keys") -> str:
    return (
        '\n[[tool.autokit.waivers]]\ncheck = "hardcoded-secrets"\nautomation = "greeter"\n'
        f'reason = "{reason}"\nexpires = {expires}\n'
    )


def test_a_waiver_added_in_the_change_applies_only_once_merged(repo: Path, cli):
    soon = (dt.date.today() + dt.timedelta(days=30)).isoformat()
    pyproject = (repo / "pyproject.toml").read_text()
    open_pr(repo, {"pyproject.toml": pyproject + _waiver(soon), **leaking(repo)})
    code, report = policy_json(cli, repo, "--base", "main")
    assert code == 1 and by_check(report, "hardcoded-secrets") and report["waived"] == []


def test_a_waiver_for_ever_in_the_change_is_an_error_at_its_line(repo: Path, cli):
    pyproject = (repo / "pyproject.toml").read_text()
    open_pr(repo, {"pyproject.toml": pyproject + _waiver("9999-12-31", "x")})
    code, report = policy_json(cli, repo, "--base", "main")
    problems = {f["field"]: f for f in by_check(report, "policy-config")}
    assert code == 1 and set(problems) == {
        "tool.autokit.waivers[0].reason",
        "tool.autokit.waivers[0].expires",
    }
    lines = (repo / "pyproject.toml").read_text().splitlines()
    assert lines[problems["tool.autokit.waivers[0].expires"]["line"] - 1] == (
        "expires = 9999-12-31"
    )


def test_a_waiver_on_the_base_is_honoured_and_extending_it_changes_nothing(repo: Path, cli):
    soon = (dt.date.today() + dt.timedelta(days=10)).isoformat()
    later = (dt.date.today() + dt.timedelta(days=80)).isoformat()
    pyproject = (repo / "pyproject.toml").read_text()
    build_tree(repo, {"pyproject.toml": pyproject + _waiver(soon), **leaking(repo)})
    commit_all(repo, "a waived leak on main")
    changed = (repo / "automations/greeter/main.py").read_text() + "# reviewed again\n"
    open_pr(
        repo,
        {
            "pyproject.toml": pyproject + _waiver(later),
            "automations/greeter/main.py": changed,
            **bumped_greeter(repo),
        },
    )
    code, report = policy_json(cli, repo, "--base", "main")
    assert by_check(report, "hardcoded-secrets") == []
    (waived,) = report["waived"]
    assert waived["waiver"]["expires"] == soon, "the base's waiver, not the extended one"
    assert code == 0, report


def bumped_greeter(root: Path) -> dict[str, str | bytes]:
    folder = root / "automations/greeter"
    metadata = (folder / "automation.yaml").read_text().replace("version: 1.0.0", "version: 1.0.1")
    changelog = (
        (folder / "CHANGELOG.md")
        .read_text()
        .replace("# Changelog\n", "# Changelog\n\n## 1.0.1\n\n- Friendlier greeting.\n", 1)
    )
    return {
        "automations/greeter/automation.yaml": metadata,
        "automations/greeter/CHANGELOG.md": changelog,
    }


def test_emptied_security_reviewers_fail_the_change(repo: Path, cli):
    pyproject = (repo / "pyproject.toml").read_text()
    emptied = pyproject.replace(
        'security_reviewers = ["@example-shop/security"]', "security_reviewers = []"
    )
    assert emptied != pyproject
    open_pr(repo, {"pyproject.toml": emptied})
    code, report = policy_json(cli, repo, "--base", "main")
    messages = [f["message"] for f in by_check(report, "codeowners-sync")]
    assert code == 1 and any("nobody owns the rules' files" in m for m in messages), messages


def test_a_base_without_autokit_is_judged_by_the_running_code(make_repo, cli):
    root = make_repo({**automation_files("greeter"), ".github/CODEOWNERS": codeowners.HEADER})
    open_pr(root, leaking(root))
    rules = Path(os.environ["AUTOKIT_CACHE_DIR"]) / "rules"
    before = sorted(rules.iterdir()) if rules.exists() else []
    code, report = policy_json(cli, root, "--base", "main")
    assert code == 1 and by_check(report, "hardcoded-secrets")
    assert (sorted(rules.iterdir()) if rules.exists() else []) == before


def test_a_change_to_a_generator_is_left_to_the_reviewers_not_failed(repo: Path):
    owners_code = (repo / "toolkit/codeowners.py").read_text()
    widened = owners_code.replace('    "/.ci/",\n', '    "/.ci/",\n    "/benchmarks/",\n')
    assert widened != owners_code
    open_pr(repo, {"toolkit/codeowners.py": widened})
    regenerate = subprocess.run(
        [sys.executable, "-m", "toolkit", "codeowners", "--repo", str(repo)],
        cwd=repo,
        env={**os.environ, "PYTHONPATH": str(repo)},
        capture_output=True,
        text=True,
    )
    assert regenerate.returncode == 0, regenerate.stderr
    assert "/benchmarks/" in (repo / ".github/CODEOWNERS").read_text()
    commit_all(repo, "regenerated")
    code, report, _ = run_own_code(repo, "--base", "main")
    stale = by_check(report, "codeowners-sync")
    assert stale and all(f["severity"] == "warning" for f in stale), stale
    assert "a security reviewer confirms it" in stale[0]["message"]
    assert {f["path"] for f in by_check(report, "governance-change")} == {"toolkit/codeowners.py"}
    assert code == 0, report


@pytest.mark.slow
def test_the_ci_policy_job_installs_the_base_and_its_rules_judge(tmp_path: Path):
    """The policy job's own steps, read from ci.yml, on a clone of a hostile pull request."""
    import yaml

    origin = tmp_path / "origin.git"
    work = governed_repo(tmp_path / "work")
    git(tmp_path, "init", "-q", "--bare", str(origin))
    git(work, "remote", "add", "origin", str(origin))
    git(work, "push", "-q", "origin", "main")
    neutered = (
        (work / SECRETS_CHECK)
        .read_text()
        .replace(
            "def check(ctx: PolicyContext) -> list[Finding]:\n",
            "def check(ctx: PolicyContext) -> list[Finding]:\n    return []\n",
        )
    )
    open_pr(work, {SECRETS_CHECK: neutered, **leaking(work)})
    git(work, "push", "-q", "origin", "pr")
    clone = tmp_path / "checkout"
    git(tmp_path, "clone", "-q", "--branch", "pr", str(origin), str(clone))

    # The runner: a fresh environment that sees this one's packages (no downloads), and
    # nothing of autokit until the job installs it.
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    bin_dir = venv / "bin"
    (site_packages,) = venv.glob("lib/python*/site-packages")
    (site_packages / "dependencies.pth").write_text("\n".join(site.getsitepackages()) + "\n")
    runner_temp = tmp_path / "runner-temp"
    runner_temp.mkdir()
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "VIRTUAL_ENV"))},
        "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}",
        "GITHUB_BASE_REF": "main",
        "RUNNER_TEMP": str(runner_temp),
        "PIP_NO_BUILD_ISOLATION": "1",
        "PIP_NO_DEPS": "1",
    }
    workflow = yaml.safe_load((PROJECT / ".github/workflows/ci.yml").read_text())
    steps = {s.get("id"): s for s in workflow["jobs"]["policy"]["steps"]}

    def step(step_id: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            ["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", steps[step_id]["run"]],
            cwd=clone,
            env=env,
            capture_output=True,
            text=True,
        )

    installed = step("install")
    assert installed.returncode == 0, installed.stderr[-3000:]
    where = subprocess.run(
        [bin_dir / "python", "-c", "import toolkit; print(toolkit.__file__)"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
    )
    assert str(runner_temp) not in where.stdout and "site-packages" in where.stdout, where
    judged = step("policy")
    assert judged.returncode == 1, judged.stderr
    assert "hardcoded-secrets" in judged.stdout and "automations/greeter/main.py" in judged.stdout


def test_a_materialized_tree_holds_only_folders_and_regular_files(make_repo, tmp_path: Path):
    root = make_repo({"tree/run.sh": "echo hi\n", "tree/sub/data.txt": "x\n"})
    (root / "tree/run.sh").chmod(0o755)
    (root / "tree/passwd").symlink_to("/etc/passwd")
    commit_all(root, "a link and an executable")
    tree = git(root, "rev-parse", "HEAD:tree").strip()
    copy = git_module.materialize_tree(root, tree, tmp_path / "copy")
    assert sorted(p.relative_to(copy).as_posix() for p in copy.rglob("*")) == [
        "run.sh",
        "sub",
        "sub/data.txt",
    ]
    assert os.access(copy / "run.sh", os.X_OK) and not os.access(copy / "sub/data.txt", os.X_OK)
