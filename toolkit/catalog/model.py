"""Everything the catalog shows, gathered once: metadata, README, CHANGELOG, Git history.

Git is read in two calls for the whole repository (`git for-each-ref` for version tags,
one `git log --name-only` for history), never once per automation. What cannot be
computed (no Git, a shallow clone, no tags, a README link to a missing file) becomes a
note that the build prints and the site shows, instead of a failure.
"""

from __future__ import annotations

import re
import secrets
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from toolkit.catalog.safe import LinkPolicy, render_markdown
from toolkit.metadata import Automation
from toolkit.repo import Repository

_CHANGELOG_HEADING = re.compile(r"^##\s+\[?v?(\d+\.\d+\.\d+)\]?.*$", re.MULTILINE)
_NEXT_HEADING = re.compile(r"^#{1,2}\s", re.MULTILINE)
PARALLEL_FROM = 200  # automations; below this, starting worker processes costs more


@dataclass(frozen=True)
class Version:
    version: str
    date: str | None  # ISO 8601 date of the tag; None when not tagged yet
    commit: str | None
    changes_html: str  # the sanitized CHANGELOG section, or ""


@dataclass(frozen=True)
class Contributor:
    name: str
    commits: int


@dataclass
class Entry:
    """One automation as the catalog shows it."""

    automation: Automation
    versions: list[Version]  # newest first
    readme_html: str | None
    contributors: list[Contributor]
    created: str | None  # ISO 8601 date of the first commit of the folder
    notes: list[str] = field(default_factory=list)
    page: tuple[Any, str] | None = None  # (pages.Links, its page) when `collect` rendered it

    @property
    def name(self) -> str:
        return self.automation.name


@dataclass(frozen=True)
class Leader:
    name: str
    created: int
    versions: int


@dataclass
class Catalog:
    entries: list[Entry]
    leaders: list[Leader]
    notes: list[str]
    repository_url: str | None
    default_branch: str
    checks: list[tuple[str, str]]  # (check id, docstring)


@dataclass
class _History:
    """What Git could tell: tags by automation, commits by automation, site-wide notes."""

    tags: dict[str, list[Any]] = field(default_factory=dict)
    commits: dict[str, list[Any]] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    def for_names(self, names: list[str]) -> _History:
        """The part of the history a worker handling `names` needs."""
        return _History(
            {n: self.tags[n] for n in names if n in self.tags},
            {n: self.commits[n] for n in names if n in self.commits},
        )


def collect(root: Path, workers: int | None = None, page_links: Any = None) -> Catalog:
    """Gather the catalog of the repository at `root`.

    Validating metadata and rendering Markdown cost a few milliseconds per automation, so
    with many automations they run in `workers` processes (default: one per CPU). With
    `page_links` (a `pages.Links`), the workers also render each automation's page, which
    `pages.generate` then uses: the main process has the rest of the site to build.
    """
    from toolkit.checks import CHECKS, documentation

    repo = Repository(root)
    notes: list[str] = []
    history = _read_history(root)
    base_url = _repository_url(repo.config, notes)
    branch = str(repo.config.get("default_branch", "main"))
    blob_url = f"{base_url}/blob/{branch}" if base_url else None
    site = None
    if page_links is not None:
        from toolkit.catalog.pages import Site

        names = frozenset(folder.name for folder in repo.automation_dirs())
        site = Site(page_links, base_url, branch, names)
    entries, broken = _entries(repo, history, blob_url, workers, site)
    _forget_pages_linking_to(entries, {path.split("/", 1)[1] for path in broken})
    checks = [(check_id, documentation(check)) for check_id, check in CHECKS.items()]
    return Catalog(
        entries,
        _leaders(entries, history),
        _inventory_notes(broken) + notes + history.notes,
        base_url,
        branch,
        checks,
    )


def _forget_pages_linking_to(entries: list[Entry], left_out: set[str]) -> None:
    """Pages rendered before it was known that their replacement has no page of its own."""
    for entry in entries:
        deprecation = entry.automation.deprecation
        if deprecation and deprecation.replaced_by in left_out:
            entry.page = None


def _entries(
    repo: Repository, history: _History, blob_url: str | None, workers: int | None, site: Any
) -> tuple[list[Entry], list[str]]:
    """Valid automations as entries (sorted by name), and the folders with invalid metadata."""
    import os
    import threading

    from toolkit.metadata.cache import cache_for

    folders = repo.automation_dirs()
    if workers is None:
        workers = (os.cpu_count() or 1) if len(folders) >= PARALLEL_FROM else 1
    # Workers are forked, so they start instantly with everything imported; forking a
    # process that runs threads (mkdocs serve) is unsafe, so that stays in one process.
    if not hasattr(os, "fork") or threading.active_count() > 1:
        workers = 1
    workers = max(1, min(workers, len(folders)))
    cache = cache_for(repo)
    chunks = [folders[i::workers] for i in range(workers)]
    jobs = [
        (repo.root, chunk, dict(cache), history.for_names([f.name for f in chunk]), blob_url, site)
        for chunk in chunks
    ]
    if workers == 1:
        results = [_entries_of(*jobs[0])]
    else:
        import multiprocessing
        from concurrent.futures import ProcessPoolExecutor

        with ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("fork")) as pool:
            results = list(pool.map(_entries_of, *zip(*jobs, strict=True)))
    entries: list[Entry] = []
    broken: list[str] = []
    for found, bad, used, new in results:
        entries += found
        broken += bad
        for key in used:
            cache.get(key)  # keeps the entry when the cache is saved
        for key, value in new.items():
            cache[key] = value
    cache.save()
    return sorted(entries, key=lambda entry: entry.name), sorted(broken)


class _RecordingCache(dict[str, Any]):
    """A metadata cache that remembers which keys were read and which were added."""

    def __init__(self, known: dict[str, Any]) -> None:
        super().__init__(known)
        self.used: set[str] = set()
        self.new: dict[str, Any] = {}

    def get(self, key: str, default: Any = None) -> Any:
        self.used.add(key)
        return super().get(key, default)

    def __setitem__(self, key: str, value: Any) -> None:
        self.new[key] = value
        super().__setitem__(key, value)


def _entries_of(
    root: Path,
    folders: list[Path],
    known: dict[str, Any],
    history: _History,
    blob_url: str | None,
    site: Any,
) -> tuple[list[Entry], list[str], set[str], dict[str, Any]]:
    """One worker's share: validate each folder's metadata, build its entry (and page)."""
    from toolkit.catalog.pages import automation_markdown
    from toolkit.metadata import METADATA_FILE, check_file

    cache = _RecordingCache(known)
    entries: list[Entry] = []
    broken: list[str] = []
    for folder in folders:
        metadata = folder / METADATA_FILE
        automation = check_file(metadata, root, cache)[1] if metadata.exists() else None
        if automation is None:
            broken.append(f"automations/{folder.name}")
        else:
            entries.append(_entry(automation, history, blob_url))
            if site is not None:
                entries[-1].page = (site.links, automation_markdown(entries[-1], site))
    return entries, broken, cache.used, cache.new


def _inventory_notes(broken: list[str]) -> list[str]:
    if not broken:
        return []
    return [
        f"{len(broken)} automation(s) left out because their metadata is invalid "
        f"({', '.join(broken[:5])}{'...' if len(broken) > 5 else ''}); "
        "`autokit validate` explains why."
    ]


def _repository_url(config: dict[str, Any], notes: list[str]) -> str | None:
    url = config.get("repository_url")
    if isinstance(url, str) and re.fullmatch(r"https://[^\s\"'<>]+", url):
        return url.rstrip("/")
    notes.append(
        "No valid `repository_url` (https://...) in [tool.autokit] of pyproject.toml: "
        "pages have no source or edit links."
    )
    return None


def _read_history(root: Path) -> _History:
    from toolkit import git

    history = _History()
    if not git.is_git_repository(root) or git.head_commit(root) is None:
        history.notes.append(
            "Not a Git repository with commits: versions, dates and "
            "contributors could not be computed."
        )
        return history
    history.tags = git.version_tags(root)
    for commit in git.history(root, "automations"):
        for name in {p.split("/")[1] for p in commit.paths if p.count("/") >= 2}:
            history.commits.setdefault(name, []).append(commit)
    if git.is_shallow(root):
        history.notes.append(
            "This is a shallow clone: creation dates, contributors and the "
            "leaderboard only cover the fetched history (fetch with "
            "`fetch-depth: 0` for all of it)."
        )
    if not history.tags:
        history.notes.append(
            "No version tags (`<name>@<version>`) found: version dates "
            "are unknown; `autokit release` creates the tags."
        )
    return history


def _entry(automation: Automation, history: _History, blob_url: str | None) -> Entry:
    folder = f"automations/{automation.name}"
    links = LinkPolicy(automation.folder, folder, blob_url)
    notes: list[str] = []
    readme = _read_text(automation.folder / "README.md")
    readme_html = render_markdown(readme, links) if readme and readme.strip() else None
    if readme_html is None:
        notes.append("It has no README.md.")
    changelog = _changelog_sections(_read_text(automation.folder / "CHANGELOG.md") or "", links)
    if not changelog:
        notes.append("Its CHANGELOG.md has no `## <version>` sections.")
    if links.dropped:
        notes.append(
            "Links to files that do not exist in its folder were removed: "
            + ", ".join(sorted(set(links.dropped)))
        )
    commits = history.commits.get(automation.name, [])
    tags = history.tags.get(automation.name, [])
    return Entry(
        automation,
        _versions(automation, tags, changelog),
        readme_html,
        _contributors(commits),
        commits[-1].date[:10] if commits else None,
        notes,
    )


def _read_text(path: Path) -> str | None:
    try:
        return path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return None


def _changelog_sections(text: str, links: LinkPolicy) -> dict[str, str]:
    """Each `## <version>` section of a CHANGELOG as sanitized HTML.

    The sections are joined with a marker and rendered in one pass (Markdown's per-call
    cost dominates for short sections), then split again.
    """
    versions: list[str] = []
    bodies: list[str] = []
    for match in _CHANGELOG_HEADING.finditer(text):
        if match[1] in versions:
            continue
        following = _NEXT_HEADING.search(text, match.end())
        versions.append(match[1])
        bodies.append(text[match.end() : following.start() if following else len(text)])
    if not versions:
        return {}
    marker = f"autokit-section-{secrets.token_hex(8)}"  # no contributor text can hold it
    joined = f"\n\n{marker}\n\n".join(bodies)
    parts = render_markdown(joined, links).split(f"<p>{marker}</p>")
    if len(parts) != len(versions):  # e.g. an unclosed code fence swallowed a marker
        parts = [render_markdown(body, links) for body in bodies]
    return {v: part.strip() for v, part in zip(versions, parts, strict=True)}


def _versions(automation: Automation, tags: list[Any], changelog: dict[str, str]) -> list[Version]:
    versions = [
        Version(t.version, t.date[:10], t.commit, changelog.get(t.version, "")) for t in tags
    ]
    if automation.version not in {t.version for t in tags}:
        versions.append(
            Version(automation.version, None, None, changelog.get(automation.version, ""))
        )
    versions.sort(key=lambda v: tuple(int(p) for p in v.version.split(".")), reverse=True)
    return versions


def _contributors(commits: list[Any]) -> list[Contributor]:
    counts: Counter[str] = Counter()
    names: dict[str, str] = {}
    for commit in commits:
        key = commit.email.lower()
        counts[key] += 1
        names.setdefault(key, commit.author)  # newest first: the latest spelling wins
    return [Contributor(names[key], count) for key, count in counts.most_common()]


def _leaders(entries: list[Entry], history: _History) -> list[Leader]:
    """Automations created (first commit of a folder) and versions shipped, per author."""
    created: Counter[str] = Counter()
    shipped: Counter[str] = Counter()
    names: dict[str, str] = {}
    for entry in entries:
        commits = history.commits.get(entry.name, [])
        for commit in commits:
            names.setdefault(commit.email.lower(), commit.author)
        if commits:
            created[commits[-1].email.lower()] += 1
        for tag in history.tags.get(entry.name, []):
            author = _author_at(commits, tag)
            if author:
                shipped[author] += 1
    people = set(created) | set(shipped)
    leaders = [Leader(names[p], created[p], shipped[p]) for p in people]
    return sorted(leaders, key=lambda lead: (-lead.created - lead.versions, lead.name))


def _author_at(commits: list[Any], tag: Any) -> str | None:
    """Who shipped a version: the author of the newest folder commit at or before its tag."""
    for commit in commits:
        if commit.sha == tag.commit:
            return str(commit.email.lower())
    moment = datetime.fromisoformat(tag.date)
    for commit in commits:  # newest first
        if datetime.fromisoformat(commit.date) <= moment:
            return str(commit.email.lower())
    return None
