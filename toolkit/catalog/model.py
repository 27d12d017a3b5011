"""Everything the catalog shows, as typed records: metadata, README, CHANGELOG, Git history.

Git is read in three calls for the whole repository (`git for-each-ref` for version tags,
one `git log --name-only` for history, one `git log` for every author's last commit),
never once per automation or owner. What cannot be
computed (no Git, a shallow clone, no tags, a README link to a missing file) becomes a
note that the build prints and the site shows, instead of a failure.

This module only gathers; `build` decides where the work runs and renders the pages.
"""

from __future__ import annotations

import contextlib
import functools
import os
import secrets
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

from toolkit import changelog, feedback, git
from toolkit.catalog.images import SiteImage
from toolkit.catalog.recognition import Recognition
from toolkit.catalog.safe import LinkPolicy, render_markdown
from toolkit.errors import ToolkitError
from toolkit.files import (
    LINK_HINT,
    LinkedFile,
    linked_part,
    links_under,
    read_contributor_text,
)
from toolkit.git import Author, CommitInfo, VersionTag
from toolkit.hygiene import Activity, Staleness, activity
from toolkit.ideas.model import IdeasFile
from toolkit.ledger.branch import read_ledger
from toolkit.ledger.sharing import settings_of
from toolkit.ledger.summary import RunFigures, last_months, summarize
from toolkit.metadata import Automation
from toolkit.repo import Repository
from toolkit.versions import parse_version, version_key

if TYPE_CHECKING:
    from toolkit.libraries import Library
    from toolkit.libraries.api import PublicName


@dataclass(frozen=True)
class Version:
    version: str
    date: str | None  # ISO 8601 date of the tag, else of its CHANGELOG heading, else None
    commit: str | None  # the tagged commit; None: not tagged (read from the CHANGELOG)
    changes_html: str  # the sanitized CHANGELOG section, or ""


@dataclass(frozen=True)
class Contributor:
    name: str
    commits: int


@dataclass(frozen=True)
class TemplateOrigin:
    """The template an automation was made from (its `template:` record), and the
    template's version now."""

    name: str
    version: int
    current: int | None  # None: no longer in the gallery, or without a version

    @property
    def describe(self) -> str:
        """E.g. "made from template csv-report v1 (current v2)"."""
        if self.current is None:
            state = "no longer in the templates"
        elif self.current > self.version:
            state = f"current v{self.current}"
        else:
            state = "current"
        return f"made from template {self.name} v{self.version} ({state})"


def template_origin(automation: Automation) -> TemplateOrigin | None:
    """Where the automation came from, if its metadata records a template."""
    if automation.template is None:
        return None
    repo = Repository(automation.folder.parent.parent)
    current = _template_versions(*_template_files(repo)).get(automation.template.name)
    return TemplateOrigin(automation.template.name, automation.template.version, current)


def _template_files(repo: Repository) -> tuple[Repository, tuple[tuple[str, int], ...]]:
    """The repository and each template.yaml's modification time: the cache key, so a
    served catalog sees a template's new version."""
    from toolkit.gallery import TEMPLATE_FILE, template_bases

    stamps = []
    for base in template_bases(repo):
        for path in sorted(base.glob(f"*/{TEMPLATE_FILE}")):
            with contextlib.suppress(OSError):
                stamps.append((str(path), path.stat().st_mtime_ns))
    return repo, tuple(stamps)


@functools.lru_cache(maxsize=4)
def _template_versions(
    repo: Repository, _stamps: tuple[tuple[str, int], ...]
) -> dict[str, int | None]:
    from toolkit.gallery import gallery

    try:
        return {name: template.version for name, template in gallery(repo).items()}
    except ToolkitError:  # a broken template.yaml: `autokit new` names it
        return {}


@dataclass
class Entry:
    """One automation as the catalog shows it."""

    automation: Automation
    versions: list[Version]  # newest first
    readme_html: str | None
    contributors: list[Contributor]
    created: str | None  # ISO 8601 date of the first commit of the folder
    notes: list[str] = field(default_factory=list)
    images: list[SiteImage] = field(default_factory=list)  # shown by its README or CHANGELOG
    runs: RunFigures | None = None  # what the run ledger tells; None: it holds no real run
    template: TemplateOrigin | None = None  # the template it was made from, if recorded
    made_by: str | None = None  # the author of the folder's first commit (after .mailmap)

    @property
    def name(self) -> str:
        return self.automation.name


class Use(NamedTuple):
    """An automation or library that declares a library."""

    name: str
    pin: str | None  # the version it names (`shopkit@1.2.0`); None: as in the same commit


@dataclass
class LibraryEntry:
    """One library as the catalog shows it."""

    library: Library
    versions: list[Version]  # newest first
    readme_html: str | None
    api: list[PublicName]  # in the order of `__all__`
    automations: list[Use]  # the automations that declare it, by name
    libraries: list[Use]  # the libraries that declare it, by name
    notes: list[str]
    images: list[SiteImage]

    @property
    def name(self) -> str:
        return self.library.name


@dataclass
class Runs:
    """What the shared run ledger told when the catalog was gathered (`read_runs`)."""

    found: bool = False  # the clone has a copy of the ledger branch
    records: int = 0  # the records read, of every automation
    by_automation: dict[str, RunFigures] = field(default_factory=dict)
    monthly_hours: dict[str, float] = field(default_factory=dict)  # the shop's: YYYY-MM -> h
    months: tuple[str, ...] = ()  # the months a trend chart shows, oldest first
    unknown: dict[str, int] = field(default_factory=dict)  # not in the repository -> records
    notes: list[str] = field(default_factory=list)
    activity: dict[str, Activity] = field(default_factory=dict)  # what staleness needs

    def for_names(self, names: list[str]) -> dict[str, RunFigures]:
        """The figures a worker handling `names` needs."""
        return {n: self.by_automation[n] for n in names if n in self.by_automation}


@dataclass
class Catalog:
    entries: list[Entry]
    people: Recognition  # the Contributors page (`recognition`)
    notes: list[str]
    repository_url: str | None
    default_branch: str
    checks: list[tuple[str, str]]  # (check id, docstring)
    run_forms: frozenset[str] = frozenset()  # automations with a Run form on GitHub
    runs: Runs = field(default_factory=Runs)
    staleness: Staleness | None = None  # what the Owners pages mark; None: not known
    libraries: list[LibraryEntry] = field(default_factory=list)  # valid ones, by name
    broken_libraries: list[str] = field(default_factory=list)  # `libraries/<name>` left out
    ideas: IdeasFile | None = None  # the ideas file the build was given (`--ideas`)


@dataclass
class History:
    """What Git could tell: tags by automation (oldest version first), commits by
    automation (newest first), site-wide notes."""

    tags: dict[str, list[VersionTag]] = field(default_factory=dict)
    commits: dict[str, list[CommitInfo]] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    authors: list[Author] = field(default_factory=list)  # of the whole repository; []: unknown

    def for_names(self, names: list[str]) -> History:
        """The part of the history a worker handling `names` needs."""
        return History(
            {n: self.tags[n] for n in names if n in self.tags},
            {n: self.commits[n] for n in names if n in self.commits},
        )


def inventory_notes(broken: list[str]) -> list[str]:
    """The note about folders left out of the catalog because their metadata is invalid."""
    if not broken:
        return []
    return [
        f"{len(broken)} automation(s) left out because their metadata is invalid "
        f"({', '.join(broken[:5])}{'...' if len(broken) > 5 else ''}); "
        "`autokit validate` explains why."
    ]


def linked_folder_notes(links: list[Path]) -> list[str]:
    """The note about links under `automations/`: never followed, so never published."""
    return [
        f"{LinkedFile(f'automations/{link.name}')}; it is left out of the catalog."
        for link in links
    ]


def linked_docs(docs_dir: Path, sources: list[str]) -> list[str]:
    """The files of `docs/` (paths relative to it) that are, or lie in, a symbolic link.

    They are left out of the site: a page is published as what it is, never as what it
    points at (a link could publish any file of the machine that builds the site).
    """
    return [src for src in sources if linked_part(docs_dir / src, docs_dir.parent) is not None]


def refuse_linked_docs_folders(docs_dir: Path) -> None:
    """Stop the build when `docs/` is, or holds, a link to a folder.

    MkDocs follows such links while it lists the pages, before any plugin sees them, so
    a link to `/` would have it walk (and publish) the whole machine; a linked file is only
    left out, but a linked folder must fail the build.
    """
    folders = [link for link in links_under(docs_dir) if link.is_dir()]
    if folders:
        shown = _shown_from(docs_dir.parent, folders[0])
        raise ToolkitError(str(LinkedFile(shown)), LINK_HINT)


def _shown_from(root: Path, path: Path) -> str:
    return Path(os.path.relpath(path, root)).as_posix()


def repository_url(config: Mapping[str, object], notes: list[str]) -> str | None:
    """The repository's https URL from `[tool.autokit]`, or None and a note saying why."""
    url = feedback.repository_url(config)
    if url is not None:
        return url
    notes.append(
        "No valid `repository_url` (https://...) in [tool.autokit] of pyproject.toml: "
        "pages have no source or edit links."
    )
    return None


def read_history(root: Path) -> History:
    """Tags and commits of every automation, in two Git calls for the whole repository,
    and every author's last commit in a third."""
    history = History()
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
    shallow = git.is_shallow(root)
    # Who last committed when: only a full history can tell that someone stopped.
    history.authors = [] if shallow else git.authors(root)
    if shallow:
        history.notes.append(
            "This is a shallow clone: creation dates, contributors and the "
            "leaderboard only cover the fetched history (fetch with "
            "`fetch-depth: 0` for all of it)."
        )
    if not history.tags:
        history.notes.append(
            "No version tags (`<name>@<version>`) found: the versions shown are read from "
            "each CHANGELOG.md, undated unless a heading gives the date "
            "(`## 1.2.0 - 2026-11-26`); `autokit release` creates the tags."
        )
    return history


RUNS_GET_THERE = (
    "Runs reach it with `autokit runs push` from a clone, from every run with "
    "`share_runs = true` in [tool.autokit] of pyproject.toml, and from the GitHub jobs; "
    "the site shows the branch as its build found it (the publish workflow fetches it)."
)


def read_runs(repo: Repository, names: frozenset[str], now: datetime) -> Runs:
    """The ledger branch's figures for the automations `names`, as of `now` (one read of
    the branch per build; the builder's own unsent runs are not the shop's, so they are
    left out). What the ledger cannot tell becomes a note."""
    months = tuple(last_months(now))
    try:
        settings = settings_of(repo)
    except ToolkitError as error:
        return Runs(months=months, notes=[f"{error}: runs are not shown."])
    if not git.is_git_repository(repo.root):
        return Runs(months=months)  # the history's note says Git could not be read
    ledger = read_ledger(repo.root, settings)
    if not ledger.found:
        return Runs(
            months=months,
            notes=[
                f"No run ledger: this clone has no `{settings.branch}` branch, so no runs "
                f"are shown. {RUNS_GET_THERE}"
            ],
        )
    summary = summarize(ledger.records, names, now)
    activities = activity(ledger.records, names, now)
    notes = [f"Run ledger: {problem}" for problem in ledger.problems]
    if not summary.records:
        notes.append(f"The run ledger (`{settings.branch}`) holds no runs yet. {RUNS_GET_THERE}")
    notes += _strange_record_notes(summary.unknown, summary.in_the_future)
    return Runs(
        True,
        summary.records,
        summary.by_automation,
        summary.monthly_hours,
        months,
        summary.unknown,
        notes,
        activities,
    )


def _strange_record_notes(unknown: dict[str, int], in_the_future: int) -> list[str]:
    notes = []
    if unknown:
        count = sum(unknown.values())
        shown = ", ".join(f"`{name}`" for name in sorted(unknown)[:5])
        more = "..." if len(unknown) > 5 else ""
        notes.append(
            f"{count} run record(s) of {len(unknown)} automation(s) not in the repository "
            f"({shown}{more}) are kept and shown as such on the Impact page; they count "
            "in no figure."
        )
    if in_the_future:
        notes.append(
            f"{in_the_future} run record(s) say they started after this build did (a clock "
            "set ahead, or a record written by hand); they are kept and counted as written."
        )
    return notes


def entry_of(
    automation: Automation,
    history: History,
    blob_url: str | None,
    runs: RunFigures | None = None,
) -> Entry:
    """One automation's entry; `blob_url` is where README links to its files point,
    `runs` what the run ledger tells about it."""
    documents = documents_of(
        automation.folder,
        f"automations/{automation.name}",
        (automation.title, automation.summary, automation.version),
        history.tags.get(automation.name, []),
        blob_url,
    )
    commits = history.commits.get(automation.name, [])
    return Entry(
        automation,
        documents.versions,
        documents.readme_html,
        _contributors(commits),
        commits[-1].date[:10] if commits else None,
        documents.notes,
        documents.images,
        runs,
        template_origin(automation),
        _first_author(commits),
    )


@dataclass(frozen=True)
class Documents:
    """What a folder's README and CHANGELOG (and its version tags) give its page."""

    readme_html: str | None
    versions: list[Version]  # newest first
    notes: list[str]
    images: list[SiteImage]


def documents_of(
    folder: Path,
    repo_path: str,
    described: tuple[str, str, str],
    tags: list[VersionTag],
    blob_url: str | None,
) -> Documents:
    """The README and CHANGELOG of an automation's or a library's `folder` (`repo_path`
    from the repository root), as sanitized HTML; `described` is its (title, summary,
    current version), which the README need not repeat."""
    title, summary, version = described
    links = LinkPolicy(folder, repo_path, blob_url)
    notes: list[str] = []
    readme = _read_text(folder / "README.md", notes)
    body = without_title_and_summary(readme, title, summary) if readme else ""
    readme_html = render_markdown(body, links) if body.strip() else None
    if readme_html is None and readme and readme.strip():
        notes.append("Its README.md only repeats the title and summary.")
    elif readme_html is None and not notes:  # a note already says why there is none
        notes.append("It has no README.md.")
    changelog_text = _read_text(folder / "CHANGELOG.md", notes) or ""
    changes = _changelog_html(changelog_text, links)
    if not changes:
        notes.append("Its CHANGELOG.md has no `## <version>` sections.")
    if links.dropped:
        notes.append(
            "Links to files that do not exist in its folder were removed: "
            + ", ".join(sorted(set(links.dropped)))
        )
    if links.refused:
        notes.append(
            "Images left out (shown as their alt text): "
            + "; ".join(f"`{target}`: {why}" for target, why in sorted(links.refused.items()))
        )
    versions = _versions(version, tags, changes, changelog.heading_dates(changelog_text))
    return Documents(readme_html, versions, notes, list(links.images.values()))


def without_title_and_summary(readme: str, title: str, summary: str) -> str:
    """A README without an opening `# heading` that repeats the title, nor an opening
    paragraph that repeats the summary: the page shows both above it, and search would
    list them twice. (Plain string work, no regular expression: README text is a
    contributor's, and a crafted line must not make the build backtrack for hours.)"""
    readme = readme.removeprefix("\ufeff")  # a byte-order mark an editor wrote
    first_line, after = _opening_block(readme, first_line_only=True)
    heading = _heading_text(first_line)
    if heading is not None and _same_words(heading, title):
        readme = after
    paragraph, after = _opening_block(readme, first_line_only=False)
    if paragraph and _same_words(paragraph, summary):
        readme = after
    return readme


def _opening_block(text: str, *, first_line_only: bool) -> tuple[str, str]:
    """The first non-blank line (or lines up to a blank one) of `text`, and what follows."""
    lines = text.split("\n")
    start = 0
    while start < len(lines) and not lines[start].strip():
        start += 1
    end = start + 1 if first_line_only else start
    while not first_line_only and end < len(lines) and lines[end].strip():
        end += 1
    return "\n".join(lines[start:end]), "\n".join(lines[end:])


def _heading_text(line: str) -> str | None:
    """The text of an ATX level-one heading (`# Title`, `# Title #`), or None."""
    indent = len(line) - len(line.lstrip(" "))
    marked = line.lstrip(" ")
    if indent > 3 or not (marked.startswith(("# ", "#\t")) or marked == "#"):
        return None
    text = marked[1:].strip()
    closed = text.rstrip("#")
    if closed != text and (not closed or closed[-1] in " \t"):  # a closing run of '#'
        text = closed.rstrip()
    return text


def _same_words(text: str, other: str) -> bool:
    """Equal but for case, spacing and a closing full stop."""

    def words(value: str) -> str:
        return " ".join(value.split()).rstrip(".").casefold()

    return words(text) == words(other)


def _read_text(path: Path, notes: list[str]) -> str | None:
    """A file of the automation's folder, or None when it is missing, unreadable or a
    symbolic link. A link is never followed (it could point at any file of the machine
    that builds the site) and the page says why it shows nothing in its place."""
    root = path.parent.parent.parent  # automations/<name>/<file>: the repository
    try:
        return read_contributor_text(path, root)
    except LinkedFile as link:
        notes.append(f"{link.message}; it is left out of the catalog.")
        return None
    except OSError:
        return None


def _changelog_html(text: str, links: LinkPolicy) -> dict[str, str]:
    """Each `## <version>` section of a CHANGELOG as sanitized HTML.

    The sections are joined with a marker and rendered in one pass (Markdown's per-call
    cost dominates for short sections), then split again.
    """
    bodies = changelog.sections(text)
    if not bodies:
        return {}
    marker = f"autokit-section-{secrets.token_hex(8)}"  # no contributor text can hold it
    joined = f"\n\n{marker}\n\n".join(bodies.values())
    parts = render_markdown(joined, links).split(f"<p>{marker}</p>")
    if len(parts) != len(bodies):  # e.g. an unclosed code fence swallowed a marker
        parts = [render_markdown(body, links) for body in bodies.values()]
    return {v: part.strip() for v, part in zip(bodies, parts, strict=True)}


def _versions(
    current: str,
    tags: list[VersionTag],
    changes: dict[str, str],
    dates: dict[str, str],
) -> list[Version]:
    """Every tagged version, and every version its CHANGELOG names up to the current one
    that has no tag (all of them before the first release): a repository shipped without
    tags still shows its history, dated where a CHANGELOG heading gives the date."""
    versions = [Version(t.version, t.date[:10], t.commit, changes.get(t.version, "")) for t in tags]
    untagged = {*changes, current} - {t.version for t in tags}
    for version in untagged:
        if _up_to(version, current):
            versions.append(Version(version, dates.get(version), None, changes.get(version, "")))
    versions.sort(key=lambda v: version_key(v.version), reverse=True)
    return versions


def _up_to(version: str, current: str) -> bool:
    """Whether a CHANGELOG's version is the current one or before it: a section written
    ahead is not a version yet, and `## 01.2.0` is none at all."""
    parsed = parse_version(version)
    return version == current or (parsed is not None and parsed <= version_key(current))


def _first_author(commits: list[CommitInfo]) -> str | None:
    """Who made the folder (its first commit), spelled as in their newest commit, as
    `_contributors` spells them."""
    if not commits:
        return None
    key = commits[-1].email.lower()
    return next(c.author for c in commits if c.email.lower() == key)


def _contributors(commits: list[CommitInfo]) -> list[Contributor]:
    counts: Counter[str] = Counter()
    names: dict[str, str] = {}
    for commit in commits:
        key = commit.email.lower()
        counts[key] += 1
        names.setdefault(key, commit.author)  # newest first: the latest spelling wins
    return [Contributor(names[key], count) for key, count in counts.most_common()]
