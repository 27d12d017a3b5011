"""Building the catalog: where the work runs, the metadata cache, and pages rendered early.

Validating metadata and rendering Markdown cost a few milliseconds per automation, so
with many automations the entries are gathered in worker processes (one per CPU). Given
the site's `Links`, the workers also render each automation's page: the main process has
the rest of the site to build. `model` gathers, `pages` renders; only this module knows
about processes and caches.
"""

from __future__ import annotations

import os
import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from toolkit.catalog.library_entries import (
    broken_libraries,
    broken_library_notes,
    current_versions,
    library_entries,
    library_inventory,
)
from toolkit.catalog.model import (
    Catalog,
    Entry,
    History,
    Runs,
    entry_of,
    inventory_notes,
    linked_folder_notes,
    read_history,
    read_runs,
    repository_url,
)
from toolkit.catalog.pages import Links, Site, automation_markdown
from toolkit.catalog.recognition import (
    Recognition,
    Work,
    idea_credits,
    leaderboard_setting,
    recognize,
)
from toolkit.checks import CHECKS, documentation
from toolkit.errors import ToolkitError
from toolkit.forms import form_path
from toolkit.hygiene import Staleness, staleness
from toolkit.ideas.model import IdeasFile
from toolkit.ledger.summary import RunFigures
from toolkit.metadata import METADATA_FILE, ContentVerdict, check_file
from toolkit.metadata.cache import cache_for
from toolkit.repo import Repository

PARALLEL_FROM = 200  # automations; below this, starting worker processes costs more


@dataclass(frozen=True)
class CatalogBuild:
    """A catalog and the automation pages rendered while it was gathered."""

    catalog: Catalog
    links: Links | None  # the links `pages` were rendered with; None: no pages
    pages: dict[str, str] = field(default_factory=dict)  # automation name -> its page


def collect(root: Path, workers: int | None = None) -> Catalog:
    """Gather the catalog of the repository at `root` (`workers` processes; default: one
    per CPU from PARALLEL_FROM automations on)."""
    return collect_with_pages(root, None, workers).catalog


def collect_with_pages(
    root: Path, links: Links | None, workers: int | None = None, ideas: IdeasFile | None = None
) -> CatalogBuild:
    """The catalog, and with `links` each automation's page as `pages.generate` would
    write it now; `ideas` is the ideas file the build was given."""
    repo = Repository(root)
    notes: list[str] = []
    history = read_history(root)
    base_url = repository_url(repo.config, notes)
    branch = str(repo.config.get("default_branch", "main"))
    names = frozenset(folder.name for folder in repo.automation_dirs())
    # A button to a form is shown only when the form is committed: GitHub runs those.
    forms = frozenset(name for name in names if (root / form_path(name)).is_file())
    now = datetime.now(UTC)
    runs = read_runs(repo, names, now)
    inventory = library_inventory(root)  # before the pages, which link to libraries
    broken = broken_libraries(inventory)
    site = None
    if links is not None:
        versions = current_versions(inventory)
        authors = {idea.number: idea.author for idea in ideas.ideas if idea.author} if ideas else {}
        site = Site(links, base_url, branch, names, forms, runs.months, versions, authors)
    blob_url = f"{base_url}/blob/{branch}" if base_url else None
    share = _gather(repo, history, runs, blob_url, workers, site)
    people = _people(repo, share.entries, history, now, notes, ideas)
    catalog = Catalog(
        share.entries,
        people,
        inventory_notes(share.broken)
        + broken_library_notes(broken)
        + linked_folder_notes(repo.linked_automation_dirs())
        + notes
        + history.notes
        + runs.notes,
        base_url,
        branch,
        [(check_id, documentation(check)) for check_id, check in CHECKS.items()],
        forms,
        runs,
        _staleness(share.entries, runs, history, now),
        library_entries(root, inventory, share.entries, history, blob_url),
        broken,
    )
    left_out = {path.split("/", 1)[1] for path in share.broken}
    catalog.ideas = ideas
    return CatalogBuild(catalog, links, _without_pages_linking_to(share, left_out))


def _people(
    repo: Repository,
    entries: list[Entry],
    history: History,
    now: datetime,
    notes: list[str],
    ideas: IdeasFile | None = None,
) -> Recognition:
    """The Contributors page's figures; a bad `leaderboard` setting is a note, not a stop."""
    try:
        ranked = leaderboard_setting(repo)
    except ToolkitError as error:
        notes.append(f"{error}: people are ranked, as by default.")
        ranked = True
    works = [
        Work(
            e.name,
            tuple(e.automation.owners),
            history.commits.get(e.name, []),
            history.tags.get(e.name, []),
        )
        for e in entries
    ]
    month = f"{now:%Y-%m}"
    total = {e.name: e.runs.hours_total for e in entries if e.runs}
    this_month = {e.name: e.runs.monthly_hours.get(month, 0.0) for e in entries if e.runs}
    automations = {e.name: e.automation for e in entries}
    credits = idea_credits(ideas, automations) if ideas is not None else []
    return recognize(works, total, this_month, now, ranked, credits)


def _staleness(entries: list[Entry], runs: Runs, history: History, now: datetime) -> Staleness:
    """What has gone stale, as far as this build can tell: no ledger tells no idle
    automation, and no full Git history no stale owner."""
    found = staleness([e.automation for e in entries], runs.activity, history.authors, now)
    if not runs.found:
        found = found._replace(idle=[], still_running=[])
    if not history.authors:
        found = found._replace(stale_owners=[])
    return found


@dataclass
class _Share:
    """What one worker gathered, and which metadata cache keys it read and added."""

    entries: list[Entry] = field(default_factory=list)
    broken: list[str] = field(default_factory=list)  # folders with invalid metadata
    pages: dict[str, str] = field(default_factory=dict)
    used: set[str] = field(default_factory=set)
    new: dict[str, ContentVerdict] = field(default_factory=dict)


def _without_pages_linking_to(share: _Share, left_out: set[str]) -> dict[str, str]:
    """Pages rendered before it was known that their replacement has no page of its own."""
    stale = set()
    for entry in share.entries:
        deprecation = entry.automation.deprecation
        if deprecation and deprecation.replaced_by in left_out:
            stale.add(entry.name)
    return {name: page for name, page in share.pages.items() if name not in stale}


def _gather(
    repo: Repository,
    history: History,
    runs: Runs,
    blob_url: str | None,
    workers: int | None,
    site: Site | None,
) -> _Share:
    """Valid automations as entries (sorted by name), and the folders with invalid metadata."""
    folders = repo.automation_dirs()
    workers = _worker_count(workers, len(folders))
    cache = cache_for(repo)
    chunks = [folders[i::workers] for i in range(workers)]
    jobs = []
    for chunk in chunks:  # each worker is sent the history and figures of its own share
        names = [folder.name for folder in chunk]
        part = (history.for_names(names), runs.for_names(names))
        jobs.append((repo.root, chunk, dict(cache), *part, blob_url, site))
    if workers == 1:
        shares = [_share(*jobs[0])]
    else:
        import multiprocessing
        from concurrent.futures import ProcessPoolExecutor

        with ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("fork")) as pool:
            shares = list(pool.map(_share, *zip(*jobs, strict=True)))
    whole = _Share()
    for share in shares:
        whole.entries += share.entries
        whole.broken += share.broken
        whole.pages.update(share.pages)
        for key in share.used:
            cache.get(key)  # keeps the entry when the cache is saved
        for key, value in share.new.items():
            cache[key] = value
    cache.save()
    whole.entries.sort(key=lambda entry: entry.name)
    whole.broken.sort()
    return whole


def _worker_count(requested: int | None, folders: int) -> int:
    if requested is None:
        requested = (os.cpu_count() or 1) if folders >= PARALLEL_FROM else 1
    # Workers are forked, so they start instantly with everything imported; forking a
    # process that runs threads (mkdocs serve) is unsafe, so that stays in one process.
    if not hasattr(os, "fork") or threading.active_count() > 1:
        requested = 1
    return max(1, min(requested, folders))


class _RecordingCache(dict[str, ContentVerdict]):
    """A worker's copy of the metadata cache that remembers which keys were read and added."""

    def __init__(self, known: dict[str, ContentVerdict]) -> None:
        super().__init__(known)
        self.used: set[str] = set()
        self.new: dict[str, ContentVerdict] = {}

    def get(  # type: ignore[override]
        self, key: str, default: ContentVerdict | None = None
    ) -> ContentVerdict | None:
        self.used.add(key)
        return super().get(key, default)

    def __setitem__(self, key: str, value: ContentVerdict) -> None:
        self.new[key] = value
        super().__setitem__(key, value)


def _share(
    root: Path,
    folders: list[Path],
    known: dict[str, ContentVerdict],
    history: History,
    runs: dict[str, RunFigures],
    blob_url: str | None,
    site: Site | None,
) -> _Share:
    """One worker's share: validate each folder's metadata, build its entry (and page)."""
    cache = _RecordingCache(known)
    share = _Share()
    for folder in folders:
        metadata = folder / METADATA_FILE
        automation = check_file(metadata, root, cache)[1] if metadata.exists() else None
        if automation is None:
            share.broken.append(f"automations/{folder.name}")
            continue
        entry = entry_of(automation, history, blob_url, runs.get(automation.name))
        share.entries.append(entry)
        if site is not None:
            share.pages[entry.name] = automation_markdown(entry, site)
    share.used, share.new = cache.used, cache.new
    return share
