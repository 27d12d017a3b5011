"""Building pull requests on real Git repositories for the policy tests."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml
from helpers import automation_files, build_tree, commit_all, git, metadata

from toolkit import codeowners

SECURITY_REVIEWERS = ["@shop/security"]
PYPROJECT = '[project]\nname = "shop"\n\n[tool.autokit]\nsecurity_reviewers = ["@shop/security"]\n'


def codeowners_text(owners: dict[str, list[str]]) -> str:
    lines = [f"/automations/{name}/ {' '.join(o)}\n" for name, o in sorted(owners.items())]
    governed = codeowners.governed_lines(SECURITY_REVIEWERS)
    return codeowners.HEADER + "".join(governed) + "".join(lines)


def base_repo(
    make_repo: Callable[..., Path], *names: str, extra: dict[str, Any] | None = None
) -> Path:
    """A repository on `main` with valid automations and a matching CODEOWNERS."""
    files: dict[str, str | bytes] = {}
    for name in names:
        files.update(automation_files(name))
    files[".github/CODEOWNERS"] = codeowners_text({n: ["@alice"] for n in names})
    files["pyproject.toml"] = PYPROJECT
    files.update(extra or {})
    return make_repo(files)


def metadata_yaml(name: str, **overrides: Any) -> str:
    return yaml.safe_dump(metadata(name, **overrides), sort_keys=False)


def bumped(name: str, version: str = "1.1.0", **overrides: Any) -> dict[str, str]:
    """The metadata and changelog of `name` at a new version."""
    prefix = f"automations/{name}/"
    return {
        prefix + "automation.yaml": metadata_yaml(name, version=version, **overrides),
        prefix + "CHANGELOG.md": f"# Changelog\n\n## {version}\n\n- Changed.\n\n## 1.0.0\n\n"
        "- First version.\n",
    }


def open_pr(
    root: Path,
    files: dict[str, str | bytes] | None = None,
    delete: tuple[str, ...] = (),
    branch: str = "pr",
    commit: bool = True,
) -> None:
    """Create a branch from main with the given changes (committed unless told not to)."""
    git(root, "checkout", "-q", "-b", branch)
    build_tree(root, files or {})
    for path in delete:
        target = root / path
        shutil.rmtree(target) if target.is_dir() else target.unlink()
    if commit:
        commit_all(root, "pull request")


def policy_json(cli: Callable[..., Any], root: Path, *args: str) -> tuple[int, dict[str, Any]]:
    result = cli("policy", "--repo", str(root), "--format", "json", *args)
    assert "Traceback" not in result.err, result
    return result.code, json.loads(result.out) if result.out.strip() else {}


def by_check(report: dict[str, Any], check: str) -> list[dict[str, Any]]:
    return [f for f in report["findings"] if f["check"] == check]
