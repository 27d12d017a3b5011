"""Step 1 of a run: which automation, and where its files come from.

`NAME` runs the working tree's folder (its metadata validated through a small cache, so
cerberus and the YAML parser stay off the usual run path); `NAME@VERSION` runs the files
of the Git tag `NAME@VERSION`, materialized once per tree in the cache.
"""

from __future__ import annotations

import contextlib
import hashlib
import pickle
import re
from dataclasses import dataclass
from pathlib import Path

from toolkit import metadata
from toolkit.errors import ToolkitError
from toolkit.fileio import atomic_write
from toolkit.git import materialize_tree, tree_id, version_tags, working_tree_state
from toolkit.metadata import METADATA_FILE, SLUG, Automation
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
    automation = _load_cached(repo, folder)  # the run path's one metadata cache
    state = working_tree_state(repo.root, repo.relative(folder))
    return Target(automation, automation.version, False, state.commit, state.dirty)


def _raise_unknown(repo: Repository, name: str) -> None:
    names = [folder.name for folder in repo.automation_dirs()]
    raise ToolkitError(
        f"no automation named '{name}' in {repo.relative(repo.automations_dir)}/",
        did_you_mean(name, names, "`autokit list` shows what exists"),
    )


def _load_cached(repo: Repository, folder: Path) -> Automation:
    """Load and validate the metadata, skipping validation for content validated before.

    Valid metadata is cached by a hash of the file's bytes and the validator's version,
    one small file per content; the checks of the folder itself (name, entrypoint) run
    every time. This keeps cerberus and the YAML parser off the usual run path.
    """
    raw = (folder / METADATA_FILE).read_bytes()
    validator = Path(metadata.__file__ or "")
    stamps = [p.stat().st_mtime_ns for p in (validator, validator.with_name("yamlfile.py"))]
    digest = hashlib.blake2b(raw + repr(stamps).encode(), digest_size=16).hexdigest()
    cached = _metadata_cache_dir() / f"{digest}.pickle"
    try:
        data = pickle.loads(cached.read_bytes())
    except (OSError, pickle.UnpicklingError, EOFError):
        return _load_and_cache(repo, folder, cached)
    problems = metadata.filesystem_problems(data, folder, repo.root)
    if problems:
        return _load_and_cache(repo, folder, cached)  # reports them with line numbers
    return metadata.automation_from_data(data, folder)


def _metadata_cache_dir() -> Path:
    return cache_home() / "run-metadata"


def _load_and_cache(repo: Repository, folder: Path, cached: Path) -> Automation:
    findings, automation = metadata.check_file(folder / METADATA_FILE, repo.root)
    if automation is None:
        lines = "\n".join(f.as_line() for f in findings)
        raise ToolkitError(
            f"{folder.name} has invalid metadata:\n{lines}",
            "fix it (`autokit validate` checks it) and run again",
        )
    with contextlib.suppress(OSError):  # a cache that cannot be written only costs time
        atomic_write(cached, pickle.dumps(automation.data))
    return automation


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
    base = cache_home() / "versions" / tree
    materialize_tree(repo.root, tree, base / name)
    automation = metadata.load_automation(base / name / METADATA_FILE, base)
    return Target(automation, version, True, tag.commit, False)
