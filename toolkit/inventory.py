"""All automations of a repository, validated, with a cache for unchanged files.

The cache maps (file path, content hash) to the parsed metadata and its content
findings; it lives in the user's cache folder and is keyed by the toolkit version, so a
new release never reuses old verdicts.
"""

from __future__ import annotations

import hashlib
import os
import pickle
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from toolkit import __version__
from toolkit.findings import ERROR, Finding
from toolkit.metadata import (
    CHECK_ID,
    METADATA_FILE,
    Automation,
    check_content,
    check_file,
    content_key,
    display_path,
)
from toolkit.paths import cache_home
from toolkit.repo import Repository
from toolkit.yamlfile import MAX_FILE_BYTES


@dataclass
class Inventory:
    automations: list[Automation] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)

    def by_name(self) -> dict[str, Automation]:
        return {a.name: a for a in self.automations}

    def get(self, name: str) -> Automation:
        """The automation called `name`, or a clear error naming the closest one."""
        found = self.by_name().get(name)
        if found is not None:
            return found
        import difflib

        from toolkit.errors import ToolkitError

        broken = [f for f in self.findings if f.path.split("/")[1:2] == [name]]
        if broken:
            lines = "\n".join(f.as_line() for f in broken)
            raise ToolkitError(f"automation '{name}' has invalid metadata:\n{lines}")
        close = difflib.get_close_matches(name.lower(), list(self.by_name()), n=1)
        hint = f"did you mean '{close[0]}'?" if close else "`autokit list` shows what exists"
        raise ToolkitError(f"no automation named '{name}'", hint)


class MetadataCache(dict[str, Any]):
    """A dict persisted with pickle; only entries used in this run are written back."""

    def __init__(self, path: Path | None) -> None:
        super().__init__()
        self.path = path
        self.used: set[str] = set()
        self.changed = False
        if path is not None:
            try:
                with path.open("rb") as file:
                    stored = pickle.load(file)
                if stored.get("version") == _cache_version():
                    self.update(stored["entries"])
            except Exception:
                # Unreadable, truncated, or written by another version (its classes may
                # have moved): a cache that cannot be read only costs time.
                pass

    def get(self, key: str, default: Any = None) -> Any:
        self.used.add(key)
        return super().get(key, default)

    def __setitem__(self, key: str, value: Any) -> None:
        self.used.add(key)
        self.changed = True
        super().__setitem__(key, value)

    def save(self) -> None:
        if self.path is None or not (self.changed or len(self.used) != len(self)):
            return
        entries = {key: self[key] for key in self.used if key in self}
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            temporary = self.path.with_suffix(f".{os.getpid()}.tmp")
            with temporary.open("wb") as file:
                pickle.dump({"version": _cache_version(), "entries": entries}, file)
            os.replace(temporary, self.path)
        except OSError:
            pass  # a cache that cannot be written only costs time


def _cache_version() -> str:
    """The toolkit version, plus the validator's source times for editable installs."""
    from toolkit import cron, metadata, yamlfile

    stamps = [Path(m.__file__ or "").stat().st_mtime_ns for m in (metadata, yamlfile, cron)]
    return ":".join([__version__, *map(str, stamps)])


def cache_for(repo: Repository) -> MetadataCache:
    if os.environ.get("AUTOKIT_NO_CACHE"):
        return MetadataCache(None)
    digest = hashlib.blake2b(str(repo.root.resolve()).encode(), digest_size=8).hexdigest()
    return MetadataCache(cache_home() / "metadata" / f"{digest}.pickle")


# Below this many unchanged-since-never files, a process pool costs more than it saves.
PARALLEL_MIN_FILES = 300
MAX_WORKERS = 8


def load_inventory(repo: Repository, folders: list[Path] | None = None) -> Inventory:
    """Validate the given automation folders (all of them by default), collecting everything."""
    cache = cache_for(repo)
    inventory = Inventory()
    folders = repo.automation_dirs() if folders is None else folders
    contents = _read_all(folders)
    _check_uncached_in_parallel(repo, cache, contents)
    for folder in folders:
        metadata = folder / METADATA_FILE
        if folder not in contents and not metadata.exists():
            inventory.findings.append(_missing_metadata(repo, folder))
            continue
        findings, automation = check_file(metadata, repo.root, cache, contents.get(folder))
        inventory.findings.extend(findings)
        if automation is not None:
            inventory.automations.append(automation)
    cache.save()
    return inventory


def _read_all(folders: list[Path]) -> dict[Path, bytes]:
    """Each folder's metadata bytes; unreadable files are left to `check_file` to report."""
    contents = {}
    for folder in folders:
        try:
            with (folder / METADATA_FILE).open("rb") as file:
                raw = file.read(MAX_FILE_BYTES + 1)
        except OSError:
            continue
        if len(raw) <= MAX_FILE_BYTES:
            contents[folder] = raw
    return contents


def _check_uncached_in_parallel(
    repo: Repository, cache: MetadataCache, contents: dict[Path, bytes]
) -> None:
    """Fill the cache for files it lacks, on every core, when there are many (a cold run)."""
    workers = min(os.cpu_count() or 1, MAX_WORKERS)
    # The cache keeps only entries used in its last run, so when it holds nearly as many
    # entries as there are files, few can be missing: skip hashing everything twice.
    if workers < 2 or len(cache) > len(contents) - PARALLEL_MIN_FILES:
        return
    pending: dict[str, tuple[bytes, str]] = {}
    for folder, raw in contents.items():
        display = display_path(folder / METADATA_FILE, repo.root)
        key = content_key(display, raw)
        if key not in cache:
            pending[key] = (raw, display)
    if len(pending) < PARALLEL_MIN_FILES:
        return
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    methods = multiprocessing.get_all_start_methods()
    context = multiprocessing.get_context("fork" if "fork" in methods else None)
    raws, displays = zip(*pending.values(), strict=True)
    chunk = max(1, len(pending) // (workers * 4))
    with ProcessPoolExecutor(workers, mp_context=context) as pool:
        results = pool.map(check_content, raws, displays, chunksize=chunk)
        for key, entry in zip(pending, results, strict=True):
            cache[key] = entry


def _missing_metadata(repo: Repository, folder: Path) -> Finding:
    return Finding(
        path=repo.relative(folder / METADATA_FILE),
        line=None,
        column=None,
        check=CHECK_ID,
        severity=ERROR,
        message=f"the folder {repo.relative(folder)}/ has no {METADATA_FILE}",
        hint="add one (`autokit new` scaffolds a complete folder) or remove the folder",
    )


def warn_about_invalid(inventory: Inventory) -> None:
    """Tell the user, on stderr, that automations with invalid metadata were left out."""
    import sys

    broken = sorted({f.path for f in inventory.findings})
    if broken:
        print(
            f"warning: {len(broken)} automation(s) with invalid metadata left out "
            f"({', '.join(broken[:3])}{', ...' if len(broken) > 3 else ''}); "
            "`autokit validate` says what to fix",
            file=sys.stderr,
        )
