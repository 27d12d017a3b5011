"""Step 1 of a run: which automation, and where its files come from.

`NAME` runs the working tree's folder (its metadata validated through a small cache, so
cerberus and the YAML parser stay off the usual run path); `NAME@VERSION` runs the files
of the Git tag `NAME@VERSION`, materialized once per tree in the cache and checked against
the tag's tree before every run (paths and Git blob ids, one `git ls-tree` plus hashing
the copy's files): a copy that was edited, grew a file or lost one is replaced by a fresh
one, so what runs as `NAME@VERSION` is what was tagged.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, NamedTuple

from toolkit.errors import ToolkitError
from toolkit.files import LINK_HINT, LinkedFile
from toolkit.git import (
    tree_entries,
    tree_id,
    version_tags,
    working_tree_state,
)
from toolkit.metadata import METADATA_FILE, SLUG, Automation, load_automation
from toolkit.metadata.cache import load_valid
from toolkit.paths import cache_home
from toolkit.repo import Repository
from toolkit.run.copies import refuse_linked_files, verified_copy
from toolkit.suggest import did_you_mean
from toolkit.versions import parse_version

if TYPE_CHECKING:
    from toolkit.run.libraries import ResolvedLibrary

_SPEC = re.compile(r"^(?P<name>[^@]+)(?:@(?P<version>.*))?$")


class Target(NamedTuple):
    """The automation to run and where its files came from."""

    automation: Automation
    version: str
    pinned: bool
    commit: str | None
    dirty: bool | None
    # The shared libraries it imports (their requirements are in automation.requirements).
    libraries: tuple[ResolvedLibrary, ...] = ()


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
        return with_libraries(repo, working_tree_target(repo, name))
    return with_libraries(repo, pinned_target(repo, name, version))


def with_libraries(repo: Repository, target: Target) -> Target:
    """The target with its libraries resolved and their requirements added to its own."""
    automation = target.automation
    if not automation.libraries:
        return target
    from dataclasses import replace

    from toolkit.run.libraries import merged_requirements, resolve_libraries

    commit = target.commit if target.pinned else None
    libraries = resolve_libraries(repo.root, automation.name, automation.libraries, commit)
    requirements = merged_requirements(automation.name, automation.requirements, libraries)
    return target._replace(
        automation=replace(automation, requirements=requirements), libraries=libraries
    )


def working_tree_target(repo: Repository, name: str) -> Target:
    folder = repo.automations_dir / name
    if not (folder / METADATA_FILE).is_file():
        _raise_unknown(repo, name)
    automation = load_valid(repo.root, folder)  # validated once per content, then cached
    refuse_linked_files(repo, folder)
    state = working_tree_state(repo.root, repo.relative(folder))
    return Target(automation, automation.version, False, state.commit, state.dirty)


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
