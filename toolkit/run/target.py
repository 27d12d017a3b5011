"""Step 1 of a run: which automation, and where its files come from.

`NAME` runs the working tree's folder (its metadata validated through a small cache, so
cerberus and the YAML parser stay off the usual run path); `NAME@VERSION` runs the files
of the Git tag `NAME@VERSION`, materialized once per tree in the cache.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path

from toolkit.errors import ToolkitError
from toolkit.files import LINK_HINT, LinkedFile, links_under
from toolkit.git import (
    links_in_tree,
    materialize_tree,
    tree_id,
    version_tags,
    working_tree_state,
)
from toolkit.metadata import METADATA_FILE, SLUG, Automation, load_automation
from toolkit.metadata.cache import load_valid
from toolkit.paths import cache_home
from toolkit.repo import Repository
from toolkit.suggest import did_you_mean
from toolkit.versions import parse_version

_SPEC = re.compile(r"^(?P<name>[^@]+)(?:@(?P<version>.*))?$")


@dataclass(frozen=True)
class Target:
    """The automation to run and where its files came from."""

    automation: Automation
    version: str
    pinned: bool
    commit: str | None
    dirty: bool | None


def parse_spec(spec: str) -> tuple[str, str | None]:
    """`"name@1.2.0"` -> `("name", "1.2.0")`; `"name"` -> `("name", None)`."""
    match = _SPEC.match(spec.strip())
    name = match["name"] if match else spec
    version = match["version"] if match else None
    if not re.match(SLUG, name):
        raise ToolkitError(
            f"'{spec}' is not an automation name",
            "give NAME or NAME@VERSION, e.g. invoice-reminders@1.2.0",
        )
    if version is not None and parse_version(version) is None:
        raise ToolkitError(f"'{version}' is not a version", "write it as MAJOR.MINOR.PATCH")
    return name, version


def load_target(repo: Repository, spec: str) -> Target:
    name, version = parse_spec(spec)
    if version is None:
        return working_tree_target(repo, name)
    return pinned_target(repo, name, version)


def working_tree_target(repo: Repository, name: str) -> Target:
    folder = repo.automations_dir / name
    if not (folder / METADATA_FILE).is_file():
        _raise_unknown(repo, name)
    automation = load_valid(repo.root, folder)  # validated once per content, then cached
    refuse_linked_files(repo, folder)
    state = working_tree_state(repo.root, repo.relative(folder))
    return Target(automation, automation.version, False, state.commit, state.dirty)


def refuse_linked_files(repo: Repository, folder: Path) -> None:
    """Refuse to run or test a folder holding a symbolic link: the code or data it would
    use could come from anywhere on this machine instead of what was reviewed."""
    links = links_under(folder)
    if links:
        shown = Path(os.path.relpath(links[0], repo.root)).as_posix()
        more = f" (and {len(links) - 1} more)" if len(links) > 1 else ""
        raise ToolkitError(f"{LinkedFile(shown)}{more}; {folder.name} is not run", LINK_HINT)


def _raise_unknown(repo: Repository, name: str) -> None:
    names = [folder.name for folder in repo.automation_dirs()]
    raise ToolkitError(
        f"no automation named '{name}' in {repo.relative(repo.automations_dir)}/",
        did_you_mean(name, names, "`autokit list` shows what exists"),
    )


def pinned_target(repo: Repository, name: str, version: str) -> Target:
    """The files of the tag `name@version`, materialized in the cache (once per tree)."""
    tags = version_tags(repo.root, name).get(name, [])
    tag = next((t for t in tags if t.version == version), None)
    if tag is None:
        existing = ", ".join(t.version for t in reversed(tags))
        hint = (
            f"versions that exist: {existing}"
            if existing
            else f"no version of {name} is tagged yet (tags are named {name}@x.y.z)"
        )
        raise ToolkitError(f"{name} has no version {version} (no Git tag {name}@{version})", hint)
    folder_in_git = f"{repo.relative(repo.automations_dir)}/{name}"
    tree = tree_id(repo.root, tag.commit, folder_in_git)
    if tree is None:
        raise ToolkitError(
            f"the tag {tag.tag} has no folder {folder_in_git}/",
            "the tag points at the wrong commit; ask the owner to re-tag it",
        )
    links = links_in_tree(repo.root, tree)
    if links:
        shown = f"{folder_in_git}/{links[0]}"
        raise ToolkitError(f"{tag.tag}: {LinkedFile(shown)}; it is not run", LINK_HINT)
    base = cache_home() / "versions" / tree
    materialize_tree(repo.root, tree, base / name)
    automation = load_automation(base / name / METADATA_FILE, base)
    return Target(automation, version, True, tag.commit, False)
