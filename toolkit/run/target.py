"""Step 1 of a run: which automation, and where its files come from.

`NAME` runs the working tree's folder (its metadata validated through a small cache, so
cerberus and the YAML parser stay off the usual run path); `NAME@VERSION` runs the files
of the Git tag `NAME@VERSION`, materialized once per tree in the cache and checked against
the tag's tree before every run (paths and Git blob ids, one `git ls-tree` plus hashing
the copy's files): a copy that was edited, grew a file or lost one is replaced by a fresh
one, so what runs as `NAME@VERSION` is what was tagged.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import NamedTuple

from toolkit.errors import ToolkitError
from toolkit.files import LINK_HINT, LinkedFile, links_under
from toolkit.git import (
    matches_tree,
    materialize_tree,
    stray_bytecode,
    tree_entries,
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


class Target(NamedTuple):
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
    files, links = tree_entries(repo.root, tree)
    if links:
        shown = f"{folder_in_git}/{links[0]}"
        raise ToolkitError(f"{tag.tag}: {LinkedFile(shown)}; it is not run", LINK_HINT)
    base = cache_home() / "versions" / tree
    verified_copy(repo.root, tree, files, base / name)
    automation = load_automation(base / name / METADATA_FILE, base)
    return Target(automation, version, True, tag.commit, False)


def verified_copy(root: Path, tree: str, files: dict[str, str], folder: Path) -> Path:
    """`folder` holding exactly the files of `tree`: materialized when missing, replaced
    when it differs from the tree (or is not a folder at all), without stray bytecode.

    Bytecode is left out of the comparison, so bytecode that is not the tree's is removed
    instead: the runtime runs with `-B` (writes none) and must not read what another
    process left in `__pycache__`.
    """
    for _attempt in range(2):
        try:
            materialize_tree(root, tree, folder)
        except OSError:
            pass  # e.g. a file where the folder should be: set aside below
        else:
            if matches_tree(folder, files):
                for path in stray_bytecode(folder, files):
                    path.unlink(missing_ok=True)
                return folder
        _set_aside(folder.parent)  # edited, added to or half-deleted: extract it again
    raise ToolkitError(
        f"the copy of {tree} in {folder} does not match Git's tree",
        f"check that {cache_home()} is writable by you alone, then run the command again",
    )


def _set_aside(path: Path) -> None:
    """Remove `path`, renamed first so that a concurrent run extracts a fresh copy."""
    import shutil

    aside = path.with_name(f".stale-{path.name}-{os.getpid()}")
    try:
        os.rename(path, aside)
    except OSError:
        return  # already set aside by another run
    if aside.is_dir() and not aside.is_symlink():
        shutil.rmtree(aside, ignore_errors=True)
    else:
        aside.unlink(missing_ok=True)
