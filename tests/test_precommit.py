"""The repository's pre-commit hooks, run for real by pre-commit in a throwaway clone."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from helpers import automation_files, commit_all, metadata

PROJECT = Path(__file__).resolve().parent.parent
METADATA = "automations/greeter/automation.yaml"


@pytest.fixture
def hooked_repo(make_repo) -> Path:
    root = make_repo(automation_files("greeter"), commit=False)
    shutil.copy(PROJECT / ".pre-commit-config.yaml", root / ".pre-commit-config.yaml")
    (root / ".ci").mkdir()
    shutil.copy(PROJECT / ".ci" / "dev-tool", root / ".ci" / "dev-tool")
    shutil.copy(PROJECT / "pyproject.toml", root / "pyproject.toml")  # ruff's settings
    commit_all(root, "with hooks")
    return root


# A PATH with Git and a shell but none of the virtual environment's tools.
OUTSIDE_THE_VENV = os.pathsep.join(["/usr/local/bin", "/usr/bin", "/bin"])


def pre_commit(
    root: Path, *args: str, home: Path | None = None, path: str | None = None
) -> subprocess.CompletedProcess[str]:
    """`pre-commit run ...` with this environment's autokit, ruff and mypy on PATH (or `path`)."""
    in_venv = f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"
    env = {**os.environ, "PATH": path or in_venv}
    if home is not None:
        env["PRE_COMMIT_HOME"] = str(home)
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "pre_commit",
            *(args if args[:1] == ("install",) else ("run", *args)),
        ],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )


def test_validate_hook_passes_a_good_automation(hooked_repo):
    result = pre_commit(
        hooked_repo, "autokit-validate", "--files", METADATA, "automations/greeter/main.py"
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "autokit validate (automation metadata)" in result.stdout
    assert "Passed" in result.stdout


def test_validate_hook_fails_a_bad_automation(hooked_repo):
    bad = metadata("greeter", owners=["alice"], version="2")
    (hooked_repo / METADATA).write_text(yaml.safe_dump(bad, sort_keys=False), encoding="utf-8")
    result = pre_commit(hooked_repo, "autokit-validate", "--files", METADATA)
    assert result.returncode == 1
    assert "Failed" in result.stdout
    assert f"{METADATA}:4:10: version: '2' must be a semantic version" in result.stdout
    assert "owners[0]: 'alice' must be a GitHub handle" in result.stdout


def test_validate_hook_ignores_files_outside_automations(hooked_repo):
    (hooked_repo / "notes.md").write_text("# notes\n", encoding="utf-8")
    result = pre_commit(hooked_repo, "autokit-validate", "--files", "notes.md")
    assert result.returncode == 0
    assert "(no files to check)Skipped" in result.stdout


@pytest.mark.slow
def test_hygiene_hooks_install_from_pypi_and_fix_whitespace(hooked_repo, tmp_path_factory):
    home = tmp_path_factory.getbasetemp() / "pre-commit-home"
    messy = hooked_repo / "automations/greeter/README.md"
    messy.write_text("# Greeter \n\nNo final newline", encoding="utf-8")
    (hooked_repo / "broken.yaml").write_text("a: [1\n", encoding="utf-8")
    files = ["automations/greeter/README.md", "broken.yaml"]
    result = pre_commit(hooked_repo, "--files", *files, home=home)
    assert result.returncode == 1
    assert messy.read_text(encoding="utf-8") == "# Greeter\n\nNo final newline\n"
    lines = {line.split(".")[0]: line for line in result.stdout.splitlines()}
    assert lines["check YAML syntax"].endswith("Failed")
    assert lines["no trailing whitespace"].endswith("Failed")
    assert lines["files end with one newline"].endswith("Failed")


def test_no_hook_is_cloned_from_a_git_host():
    config = yaml.safe_load((PROJECT / ".pre-commit-config.yaml").read_text(encoding="utf-8"))
    assert [repo["repo"] for repo in config["repos"]] == ["local"]
    for hook in config["repos"][0]["hooks"]:
        # system hooks run from the project's environment; python hooks install from PyPI
        assert hook["language"] in {"system", "python"}, hook["id"]
        for requirement in hook.get("additional_dependencies", []):
            assert "==" in requirement and "://" not in requirement, requirement


def test_import_contract_hook_runs_when_toolkit_or_its_contract_changes():
    config = yaml.safe_load((PROJECT / ".pre-commit-config.yaml").read_text(encoding="utf-8"))
    (hook,) = [h for h in config["repos"][0]["hooks"] if h["id"] == "lint-imports"]
    assert hook["entry"].split()[:3] == ["sh", ".ci/dev-tool", "lint-imports"]
    assert hook["pass_filenames"] is False
    pattern = re.compile(hook["files"])
    assert pattern.search("toolkit/cli.py") and pattern.search("pyproject.toml")
    assert not pattern.search("automations/greeter/main.py")


SYSTEM_HOOKS = {
    "autokit-validate": ("autokit", METADATA),
    "ruff-check": ("ruff", "automations/greeter/main.py"),
    "ruff-format": ("ruff", "automations/greeter/main.py"),
    "mypy": ("mypy", "pyproject.toml"),
    "lint-imports": ("lint-imports", "pyproject.toml"),
}


@pytest.mark.parametrize("hook", sorted(SYSTEM_HOOKS))
def test_a_hook_outside_the_virtual_environment_says_to_activate_it(hooked_repo, hook):
    tool, file = SYSTEM_HOOKS[hook]
    result = pre_commit(hooked_repo, hook, "--files", file, path=OUTSIDE_THE_VENV)
    output = result.stdout + result.stderr
    assert result.returncode == 1, output
    assert f"`{tool}` was not found on PATH" in output
    assert "Activate the virtual environment (. .venv/bin/activate)" in output
    assert "Executable" not in output


def test_the_ruff_hook_fixes_what_it_can_and_reports_the_rest(hooked_repo):
    code = hooked_repo / "automations/greeter/main.py"
    long_line = "    return {'message': '" + "x" * 90 + "', 'at': os.sep + sys.platform}\n"
    code.write_text(f"import sys\nimport os\n\n\ndef main():\n{long_line}", encoding="utf-8")
    result = pre_commit(hooked_repo, "ruff-check", "--files", "automations/greeter/main.py")
    assert result.returncode == 1
    assert code.read_text(encoding="utf-8").startswith("import os\nimport sys\n")  # fixed
    assert "E501" in result.stdout and "I001" not in result.stdout  # left to the author


@pytest.mark.slow
def test_a_new_scaffold_passes_every_hook_as_generated(hooked_repo, tmp_path_factory):
    home = tmp_path_factory.getbasetemp() / "pre-commit-home"
    for runtime in ("python", "shell"):
        name = f"late-fees-{runtime}"
        options = ["--title", "Late fees", "--summary", "Adds late fees to overdue invoices."]
        options += ["--owner", "@shop/finance", "--department", "finance"]
        new = subprocess.run(
            [sys.executable, "-m", "toolkit", "new", name, "--runtime", runtime, *options],
            cwd=hooked_repo,
            capture_output=True,
            text=True,
            check=False,
        )
        assert new.returncode == 0, new.stderr
    subprocess.run(["git", "add", "-A"], cwd=hooked_repo, check=True)
    result = pre_commit(hooked_repo, "--files", *_staged(hooked_repo), home=home)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Failed" not in result.stdout
    changed = subprocess.run(["git", "diff", "--stat"], cwd=hooked_repo, capture_output=True)
    assert changed.stdout == b""  # no hook rewrote a generated file


@pytest.mark.slow
def test_committing_outside_the_virtual_environment_says_to_activate_it(
    hooked_repo, tmp_path_factory
):
    home = tmp_path_factory.getbasetemp() / "pre-commit-home"
    installed = pre_commit(hooked_repo, "install", home=home)
    assert installed.returncode == 0, installed.stderr
    (hooked_repo / METADATA).write_text(
        (hooked_repo / METADATA).read_text(encoding="utf-8") + "tags: [more]\n", encoding="utf-8"
    )
    env = {**os.environ, "PATH": OUTSIDE_THE_VENV, "PRE_COMMIT_HOME": str(home)}
    subprocess.run(["git", "add", METADATA], cwd=hooked_repo, check=True)
    commit = subprocess.run(
        ["git", "commit", "-m", "more tags"],
        cwd=hooked_repo,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    output = commit.stdout + commit.stderr
    assert commit.returncode == 1, output
    assert "`autokit` was not found on PATH" in output
    assert "Activate the virtual environment" in output


def _staged(root: Path) -> list[str]:
    listing = subprocess.run(
        ["git", "diff", "--cached", "--name-only"],
        cwd=root,
        capture_output=True,
        text=True,
        check=True,
    )
    return listing.stdout.split()
