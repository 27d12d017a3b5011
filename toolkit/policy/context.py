"""`PolicyContext`: everything a check may look at, each read done once per run.

A check receives the context and reads from it: the repository, the merge base, the
automations under review with their metadata now and at the base, the configuration, and
the few whole-repository reads some checks need (every automation's metadata,
CODEOWNERS, the release tags, a `git grep`). Each is a cached property, so however many
checks ask, Git and the disk are read once; and what is read from Git is read in a fixed
number of calls, whatever the number of automations.

`ctx.finding(...)` and `ctx.metadata_finding(...)` build a check's findings with its id
filled in (the runner sets `check_id` before calling each check).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from functools import cached_property
from pathlib import Path
from typing import Any

from toolkit import codeowners, git
from toolkit.config import PolicyConfig
from toolkit.files import linked_part, read_contributor_file, walk_files
from toolkit.findings import ERROR, Finding
from toolkit.inventory import Inventory, load_inventory
from toolkit.libraries import (
    LIBRARIES_DIR,
    LibraryInventory,
    library_dirs,
    library_of,
    load_libraries,
)
from toolkit.metadata import METADATA_FILE, Automation
from toolkit.metadata.yamlfile import (
    MAX_FILE_BYTES,
    LineIndex,
    YamlProblem,
    decode,
    parse_mapping,
)
from toolkit.policy.scope import Scope, metadata_path
from toolkit.repo import Repository

Key = str | int  # one step of a path into a YAML document: a mapping key or a list index


def parse_loosely(raw: bytes | None) -> dict[str, Any] | None:
    """A YAML mapping without validation; None when it is missing or does not parse."""
    if raw is None:
        return None
    try:
        return parse_mapping(decode(raw))
    except YamlProblem:
        return None


class PolicyContext:
    """Everything a check may look at. Checks read; they never write."""

    def __init__(
        self,
        repo: Repository,
        scope: Scope,
        base: str | None,
        config: PolicyConfig,
        proposed_config: PolicyConfig | None = None,
    ) -> None:
        self.repo = repo
        self.scope = scope
        self.base = base  # the merge base commit, or None with --all
        # The configuration the change is judged by (the base's, when judged by its rules),
        # and the one the change proposes (the working tree's): CODEOWNERS follows the latter.
        self.config = config
        self.proposed_config = proposed_config or config
        self.today = dt.date.today()
        self.check_id = ""  # the check being run, set by the runner for `finding`
        self._line_indexes: dict[str, LineIndex] = {}

    @property
    def root(self) -> Path:
        return self.repo.root

    @property
    def names(self) -> list[str]:
        return self.scope.names

    def folder(self, name: str) -> Path:
        return self.repo.automations_dir / name

    def relative(self, path: Path) -> str:
        return self.repo.relative(path)

    # -- findings ----------------------------------------------------------------------

    def reported_by_schema(self, field: str) -> set[tuple[str, int | None]]:
        """Where metadata-schema already reports a problem of the top-level `field`
        (path, line): a check about that field leaves those places to it."""
        if "metadata-schema" in self.config.disabled:
            return set()
        return {
            (f.path, f.line)
            for f in self.inventory.findings
            if f.field and f.field.split(".")[0].split("[")[0] == field
        }

    def finding(
        self,
        where: str | Path,
        message: str,
        hint: str | None = None,
        *,
        line: int | None = None,
        column: int | None = None,
        severity: str = ERROR,
        field: str | None = None,
    ) -> Finding:
        """A finding of the current check at `where` (a repository path, or a file)."""
        path = where if isinstance(where, str) else self.relative(where)
        return Finding(path, line, column, self.check_id, severity, message, hint, field)

    def metadata_finding(
        self,
        name: str,
        field: str,
        message: str,
        hint: str,
        *,
        keys: Sequence[Key] | None = None,
        key: bool = False,
        severity: str = ERROR,
    ) -> Finding:
        """A finding on `name`'s automation.yaml, at the line of `keys` (default: `field`)."""
        where = keys if keys is not None else field.split(".")
        line = self.line_of(name, *where, key=key)
        path = self.relative(self.folder(name) / METADATA_FILE)
        return self.finding(path, message, hint, line=line, severity=severity, field=field)

    # -- the automations under review --------------------------------------------------

    @cached_property
    def inventory(self) -> Inventory:
        """The validated metadata of the automations under review."""
        return load_inventory(self.repo, [self.folder(n) for n in self.names])

    @cached_property
    def automations(self) -> list[Automation]:
        """The automations under review whose metadata is valid."""
        return list(self.inventory.automations)

    @cached_property
    def _base_texts(self) -> dict[str, bytes | None]:
        if self.base is None:
            return {}
        old_names = {n: self.scope.renamed.get(n, n) for n in self.names}
        blobs = git.files_at(self.root, self.base, [metadata_path(o) for o in old_names.values()])
        return {n: blobs[metadata_path(o)] for n, o in old_names.items()}

    def base_data(self, name: str) -> dict[str, Any] | None:
        """The metadata at the merge base (under the old name if renamed), if readable."""
        return parse_loosely(self._base_texts.get(name))

    @cached_property
    def _head_texts(self) -> dict[str, bytes | None]:
        return {name: self._read_metadata(name) for name in self.names}

    def _read_metadata(self, name: str) -> bytes | None:
        # A link reads as missing (metadata-schema and symlinks report it); one byte past
        # the limit is enough to refuse the file, so a 50 MB file is not read.
        try:
            path = self.folder(name) / METADATA_FILE
            return read_contributor_file(path, self.root, MAX_FILE_BYTES + 1)
        except OSError:
            return None

    def data(self, name: str) -> dict[str, Any] | None:
        """The metadata now, parsed without validation (None if unreadable)."""
        return parse_loosely(self._head_texts.get(name))

    def data_of_any(self, name: str) -> dict[str, Any] | None:
        """The metadata now of any automation, under review or not, read loosely."""
        raw = self._head_texts[name] if name in self._head_texts else self._read_metadata(name)
        return parse_loosely(raw)

    def line_of(self, name: str, *keys: Key, key: bool = False) -> int:
        """The line of a field in the automation's metadata file (1 if not found)."""
        raw = self._head_texts.get(name)
        if raw is None or len(raw) > MAX_FILE_BYTES:
            return 1
        if name not in self._line_indexes:
            self._line_indexes[name] = LineIndex(raw.decode("utf-8", errors="replace"))
        return self._line_indexes[name].locate(keys, key=key).line

    def files(self, name: str) -> list[Path]:
        """The automation's files to scan: those changed, or every file with --all."""
        if self.scope.changes is not None:
            paths = [self.root / p for p in self.scope.changed_paths(name)]
            return [p for p in paths if linked_part(p, self.root) is None and p.is_file()]
        return walk_files(self.folder(name))

    def read(self, path: Path) -> bytes | None:
        """A contributor file's bytes; None when it is missing, unreadable, a symbolic link
        (never followed: the symlinks check reports it) or over the 1 MiB that any file
        may hold (file-size reports it): no check reads or parses a huge file."""
        try:
            data = read_contributor_file(path, self.root, MAX_FILE_BYTES + 1)
        except OSError:
            return None
        return data if len(data) <= MAX_FILE_BYTES else None

    def every_file(self, name: str) -> list[Path]:
        """Every file of the automation, changed or not (caches and links left out)."""
        return walk_files(self.folder(name))

    # -- the libraries under review ----------------------------------------------------

    @cached_property
    def library_names(self) -> list[str]:
        """The libraries the change touches that exist now (every library with --all)."""
        existing = [folder.name for folder in library_dirs(self.root)]
        if self.scope.changes is None:
            return existing
        touched = {library_of(p) for p in self.scope.other_paths}
        return [name for name in existing if name in touched]

    @cached_property
    def libraries(self) -> LibraryInventory:
        """Every library of the working tree, validated."""
        return load_libraries(self.root)

    def library_files(self, name: str) -> list[Path]:
        """The library's files to scan: those changed, or every file with --all."""
        folder = self.root / LIBRARIES_DIR / name
        if self.scope.changes is not None:
            prefix = f"{LIBRARIES_DIR}/{name}/"
            paths = [self.root / p for p in self.scope.other_paths if p.startswith(prefix)]
            return [p for p in paths if linked_part(p, self.root) is None and p.is_file()]
        return walk_files(folder)

    # -- whole-repository reads, once per run ------------------------------------------

    @cached_property
    def every_automation(self) -> list[Automation]:
        """Every automation in the repository whose metadata is valid."""
        return load_inventory(self.repo).automations

    @cached_property
    def codeowners_text(self) -> str | None:
        """`.github/CODEOWNERS` as committed in the working tree (None if unreadable)."""
        return codeowners.read(self.root)

    @cached_property
    def released(self) -> dict[str, list[git.VersionTag]]:
        """Every `<name>@<version>` tag, read in one Git call (none outside Git)."""
        if not git.is_git_repository(self.root):
            return {}
        return git.version_tags(self.root)

    @cached_property
    def replacing_deleted(self) -> list[str]:
        """Metadata files whose `replaced_by` names an automation this change deletes.

        One `git grep` over every metadata file, instead of reading them all.
        """
        if not self.scope.deleted:
            return []
        alternatives = "|".join(self.scope.deleted)
        pattern = rf"replaced_by:[[:space:]]*['\"]?({alternatives})['\"]?[[:space:]]*(#.*)?$"
        return git.grep_files(self.root, pattern, f"automations/*/{METADATA_FILE}")
