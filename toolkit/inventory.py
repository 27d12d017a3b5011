"""All automations of a repository, validated, every finding collected.

Unchanged files are judged by the metadata cache (`toolkit.metadata.cache`); on a cold
run with many files, their content checks run in a process pool first.
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass, field
from pathlib import Path

from toolkit.errors import ToolkitError
from toolkit.files import LINK_HINT, NO_FOLLOW, LinkedFile
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
from toolkit.metadata.cache import MetadataCache, cache_for
from toolkit.metadata.yamlfile import MAX_FILE_BYTES
from toolkit.repo import AUTOMATIONS_DIR, Repository
from toolkit.suggest import did_you_mean


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
        broken = [f for f in self.findings if f.path.split("/")[1:2] == [name]]
        if broken:
            lines = "\n".join(f.as_line() for f in broken)
            raise ToolkitError(f"automation '{name}' has invalid metadata:\n{lines}")
        hint = did_you_mean(name.lower(), self.by_name(), "`autokit list` shows what exists")
        raise ToolkitError(f"no automation named '{name}'", hint)


# Below this many unchanged-since-never files, a process pool costs more than it saves.
PARALLEL_MIN_FILES = 300
MAX_WORKERS = 8


def load_inventory(repo: Repository, folders: list[Path] | None = None) -> Inventory:
    """Validate the given automation folders (all of them by default), collecting everything."""
    cache = cache_for(repo)
    inventory = Inventory()
    if folders is None:
        folders = repo.automation_dirs()
        inventory.findings += [_linked_folder(repo, link) for link in repo.linked_automation_dirs()]
    contents = _read_all(folders)
    _check_uncached_in_parallel(repo, cache, contents)
    for folder in folders:
        metadata = folder / METADATA_FILE
        if folder not in contents and not os.path.lexists(metadata):  # a link: check_file says so
            inventory.findings.append(_missing_metadata(repo, folder))
            continue
        findings, automation = check_file(metadata, repo.root, cache, contents.get(folder))
        inventory.findings.extend(findings)
        if automation is not None:
            inventory.automations.append(automation)
    cache.save()
    return inventory


def _read_all(folders: list[Path]) -> dict[Path, bytes]:
    """Each folder's metadata bytes; unreadable files (and links) are left to `check_file`
    to report."""
    contents = {}
    for folder in folders:
        try:
            # O_NOFOLLOW: never read what a link points at (a FIFO, /dev/zero...);
            # `check_file` then checks the folders above it for links as well.
            descriptor = os.open(folder / METADATA_FILE, os.O_RDONLY | NO_FOLLOW)
            with os.fdopen(descriptor, "rb") as file:
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


def _linked_folder(repo: Repository, link: Path) -> Finding:
    shown = f"{AUTOMATIONS_DIR}/{link.name}"
    message = f"{LinkedFile(shown)}; it is not treated as an automation"
    return Finding(shown, None, None, CHECK_ID, ERROR, message, LINK_HINT)


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
    broken = sorted({f.path for f in inventory.findings})
    if broken:
        print(
            f"warning: {len(broken)} automation(s) with invalid metadata left out "
            f"({', '.join(broken[:3])}{', ...' if len(broken) > 3 else ''}); "
            "`autokit validate` says what to fix",
            file=sys.stderr,
        )
