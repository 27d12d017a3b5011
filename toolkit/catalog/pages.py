"""The catalog's pages as Markdown with front matter, ready for any Markdown site engine.

The body of each page is one raw HTML block built by autoescaping Jinja templates, so
Markdown never interprets contributor text (a title like `[x](javascript:...)` stays
text). The only unescaped HTML is what `safe.sanitize` produced. Tables and facts are
marked `data-search-exclude`, so the search index holds titles, summaries, tags and
README text only. A library's docstrings are contributor text shown as text (escaped),
never as Markdown or HTML.
"""

from __future__ import annotations

import hashlib
import json
import posixpath
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import lru_cache
from html import escape
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple, TypedDict

from toolkit import cron
from toolkit.catalog.ideas import HOW_TO, idea_rows
from toolkit.catalog.impact import bar_chart, impact_of, month_chart, ranking
from toolkit.catalog.library_entries import broken_library_notes
from toolkit.catalog.model import Catalog, Entry, LibraryEntry, Runs
from toolkit.catalog.safe import one_line
from toolkit.commandline import input_text, run_command
from toolkit.feedback import https_url, issue_form_url
from toolkit.forms import form_path
from toolkit.hygiene import IDLE_DAYS, OWNER_DAYS, Staleness, handle_of
from toolkit.libraries import split_reference
from toolkit.templating import sandboxed_environment

if TYPE_CHECKING:
    from jinja2.sandbox import SandboxedEnvironment
    from markupsafe import Markup

    from toolkit.ledger.summary import LastRun, RunFigures
    from toolkit.libraries.api import PublicName

HOME = "index.md"
HOME_MARKER = "<!-- autokit:home -->"
ALL = "automations/index.md"
TAGS = "tags.md"
DEPARTMENTS = "departments/index.md"
OWNERS = "owners/index.md"
IMPACT = "impact.md"
CONTRIBUTORS = "contributors.md"
POLICY = "policy.md"
LIBRARIES = "libraries/index.md"  # only for a repository with libraries (`_library_pages`)
IDEAS = "ideas.md"
INDEX_PAGES = (ALL, TAGS, DEPARTMENTS, OWNERS, IMPACT, IDEAS, CONTRIBUTORS, POLICY)


def automation_page(name: str) -> str:
    return f"automations/{name}/index.md"


def library_page(name: str) -> str:
    return f"libraries/{name}/index.md"


def department_page(department: str) -> str:
    return f"departments/{department_slug(department)}/index.md"


def owner_page(owner: str) -> str:
    return f"owners/{owner_slug(owner)}/index.md"


SLUG_LIMIT = 60  # characters of a file or URL name made from a metadata value
_SLUG_HASH = 8  # hex digits of the hash that ends a cut slug


def department_slug(department: str) -> str:
    return bounded_slug(re.sub(r"[^a-z0-9]+", "-", department.lower()), "department")


def owner_slug(owner: str) -> str:
    # GitHub names never hold "--", so "org--team" cannot clash with a user.
    return bounded_slug(owner.lstrip("@").lower().replace("/", "--"), "owner")


def bounded_slug(text: str, fallback: str) -> str:
    """A file and URL name made from a metadata value: the one place such names are made.

    Characters other than a-z, 0-9, '.', '_' and '-' become '-', and no name starts or
    ends with '.' or '-' (so none is '..'). A name longer than SLUG_LIMIT is cut and ends
    with a hash of the whole name, so it is stable and distinct names stay distinct.
    """
    slug = re.sub(r"[^a-z0-9._-]+", "-", text.lower()).strip(".-")
    if not slug:
        return fallback
    if len(slug) <= SLUG_LIMIT:
        return slug
    digest = hashlib.sha256(slug.encode("utf-8")).hexdigest()[:_SLUG_HASH]
    return slug[: SLUG_LIMIT - _SLUG_HASH - 1].rstrip(".-") + "-" + digest


def github_url(owner: str) -> str:
    handle = owner.lstrip("@")
    if "/" in handle:
        org, team = handle.split("/", 1)
        return f"https://github.com/orgs/{org}/teams/{team}"
    return f"https://github.com/{handle}"


@dataclass(frozen=True)
class Links:
    """Page-relative URLs between source paths, as MkDocs will write them."""

    directory_urls: bool = True

    def url(self, src: str) -> str:
        stem = src.removesuffix(".md")
        if stem == "index" or stem.endswith("/index"):
            folder = stem.removesuffix("index")
            return folder if self.directory_urls else stem + ".html"
        return stem + "/" if self.directory_urls else stem + ".html"

    def rel(self, from_src: str, to_src: str) -> str:
        """The link from one page to another (posixpath.relpath is slow for 10,000s)."""
        here = self._folder(from_src)
        target = self.url(to_src)
        parts = [p for p in target.split("/") if p]
        common = 0
        while common < min(len(here), len(parts)) and here[common] == parts[common]:
            common += 1
        relative = "../" * (len(here) - common) + "/".join(parts[common:])
        if target.endswith("/") or not target:
            return relative.rstrip("/") + "/" if relative else "./"
        return relative

    def _folder(self, src: str) -> list[str]:
        url = self.url(src)
        folder = url if self.directory_urls else posixpath.dirname(url)
        return [p for p in folder.split("/") if p]


@dataclass(frozen=True)
class Site:
    """What an automation's page needs to know about the rest of the site."""

    links: Links
    repository_url: str | None
    default_branch: str
    names: frozenset[str]  # the automations that have a page
    run_forms: frozenset[str] = frozenset()  # the automations with a Run form on GitHub
    trend_months: tuple[str, ...] = ()  # the months a chart of runs shows, oldest first
    libraries: Mapping[str, str] = field(default_factory=dict)  # with a page -> version
    idea_authors: Mapping[int, str] = field(default_factory=dict)  # idea number -> handle


def generate(
    catalog: Catalog,
    links: Links,
    now: datetime | None = None,
    prerendered: Mapping[str, str] | None = None,
) -> dict[str, str]:
    """Every generated page: source path -> Markdown with front matter.

    `prerendered` holds automation pages (by name) already rendered with `links` for the
    current time, as `build.collect_with_pages` gives them; they are used unless `now`
    asks for another time.
    """
    ready = prerendered if prerendered is not None and now is None else {}
    now = now or datetime.now(UTC)
    env = _environment()
    pages: dict[str, str] = {}
    site = Site(
        links,
        catalog.repository_url,
        catalog.default_branch,
        frozenset(e.name for e in catalog.entries),
        catalog.run_forms,
        catalog.runs.months,
        {e.name: e.library.version for e in catalog.libraries},
        {i.number: i.author for i in catalog.ideas.ideas if i.author} if catalog.ideas else {},
    )
    for entry in catalog.entries:
        page = ready.get(entry.name)
        pages[automation_page(entry.name)] = page or _automation(env, entry, site, now)
    if catalog.libraries or catalog.broken_libraries:  # else no page says "no libraries"
        pages.update(_library_pages(env, catalog, links))
    pages[ALL] = _all(env, catalog, links)
    pages.update(_groups(env, catalog, links, "department"))
    pages.update(_groups(env, catalog, links, "owner"))
    pages[TAGS] = (
        _front({"title": "Tags", "search": {"exclude": True}})
        + "Every tag, with the automations that carry it.\n\n<!-- material/tags -->\n"
    )
    pages[IMPACT] = _impact(env, catalog, links)
    pages[IDEAS] = _ideas(env, catalog, links)
    pages[CONTRIBUTORS] = _listing(
        env,
        "contributors.html",
        CONTRIBUTORS,
        links,
        "Contributors",
        catalog=catalog,
        people=catalog.people,
        owner_page=owner_page,
    )
    pages[POLICY] = _policy(catalog)
    return pages


def home_block(catalog: Catalog, links: Links) -> str:
    """The generated part of the home page (replaces HOME_MARKER)."""
    newest = sorted(
        (e for e in catalog.entries if e.created),
        key=lambda e: (e.created or "", e.name),
        reverse=True,
    )[:5]
    html = (
        _environment()
        .get_template("home.html")
        .render(
            catalog=catalog,
            newest=newest,
            # Measured hours in all when the run ledger has measured any, else the estimate.
            measured=[r for r in _measured_rows(catalog.entries) if r.hours_total > 0][:5],
            top=ranking([e.automation for e in catalog.entries])[:5],
            link=lambda to: links.rel(HOME, to),
            automation_page=automation_page,
        )
    )
    return _one_block(html)


def automation_markdown(entry: Entry, site: Site) -> str:
    """One automation's page, as `generate` would write it now."""
    return _automation(_environment(), entry, site, datetime.now(UTC))


def _automation(env: SandboxedEnvironment, entry: Entry, site: Site, now: datetime) -> str:
    automation = entry.automation
    src = automation_page(entry.name)
    meta = {"title": meta_text(automation.title), "tags": list(automation.tags), "hide": ["toc"]}
    return _render(
        env,
        "automation.html",
        src,
        site.links,
        meta,
        e=entry,
        a=automation,
        names=site.names,
        schedule=_schedule(automation.schedule, now),
        impact=impact_of(automation),
        runs=entry.runs,
        health=health_of(entry.runs),
        feedback=feedback_urls(site.repository_url, automation.name, automation.version),
        trend=_runs_chart(entry, site.trend_months),
        command=run_command(automation),
        source_url=_source_url(site, automation.name),
        edit_url=_edit_url(site, entry),
        run_url=_run_url(site, automation.name),
        library_uses=library_uses(automation.libraries, site.libraries),
        library_page=library_page,
        idea_url=f"{site.repository_url}/issues/{automation.idea}" if site.repository_url else None,
        idea_author=site.idea_authors.get(automation.idea) if automation.idea else None,
        github_url=github_url,
        automation_page=automation_page,
        department_page=department_page,
        owner_page=owner_page,
        value=_display_value,
    )


class LibraryUse(NamedTuple):
    """A library an automation (or library) declares, as its page shows it."""

    name: str
    version: str  # "1.2.0" when pinned, "this commit (1.3.0)" when not
    has_page: bool


def library_uses(references: Iterable[str], libraries: Mapping[str, str]) -> list[LibraryUse]:
    """`libraries:` references as pages show them; `libraries` maps those with a page to
    their current version (a library left out has none: its name is shown as text)."""
    uses = []
    for reference in references:
        name, pin = split_reference(reference)
        current = libraries.get(name)
        uses.append(LibraryUse(name, used_version(pin, current), current is not None))
    return uses


def used_version(pin: str | None, current: str | None) -> str:
    """Which version of a library a declaration means: its pin, or the same commit's."""
    if pin:
        return pin
    return f"this commit ({current})" if current else "this commit"


class Health(NamedTuple):
    """Why an automation's page warns that it is failing (`health_of`)."""

    failing: tuple[LastRun, ...]  # the newest real runs, all failed (empty: not all did)
    last_success: str | None  # the start of its newest successful run, if any
    issue_url: str | None  # an open `run-failure` issue, when one is known


def health_of(figures: RunFigures | None) -> Health | None:
    """What the page's banner says: None when the newest real runs (`summary.LATEST`) did
    not all fail and no open `run-failure` issue is known."""
    if figures is None:
        return None
    issue = figures.failure_issue
    issue_url = https_url(issue)
    if not figures.failing and issue_url is None:
        return None
    failing = figures.latest if figures.failing else ()
    return Health(failing, figures.last_success, issue_url)


FEEDBACK_FORMS = {  # link -> (issue form, title before the automation's name)
    "problem": ("bug-report.yml", "Bug: "),
    "improvement": ("automation-idea.yml", "Improvement: "),
}


def feedback_urls(repository_url: str | None, name: str, version: str) -> dict[str, str]:
    """GitHub's new-issue links of "Report a problem" and "Suggest an improvement", their
    `automation` field filled with `name@version` (issue forms take a field's value from
    the query parameter named as its id); none without a repository URL."""
    if not repository_url:
        return {}
    return {
        link: issue_form_url(repository_url, form, name, version, f"{prefix}{name}")
        for link, (form, prefix) in FEEDBACK_FORMS.items()
    }


def _runs_chart(entry: Entry, months: tuple[str, ...]) -> str:
    """The automation's real runs per month, as an inline SVG chart ("": it has none)."""
    if entry.runs is None:
        return ""
    monthly = entry.runs.monthly_runs
    figures = [(month, float(monthly.get(month, 0))) for month in months]
    return month_chart(figures, "Real runs per month, last 12 months", lambda v: f"{v:,.0f}")


def _all(env: SandboxedEnvironment, catalog: Catalog, links: Links) -> str:
    entries = catalog.entries
    facets = {
        "department": sorted({one_line(e.automation.department) for e in entries}, key=str.lower),
        "tag": sorted({t for e in entries for t in e.automation.tags}),
        "status": sorted({e.automation.status for e in entries}),
        "owner": sorted({o for e in entries for o in e.automation.owners}, key=str.lower),
    }
    return _render(
        env,
        "all.html",
        ALL,
        links,
        {"title": "All automations", "search": {"exclude": True}, "hide": ["toc"]},
        entries=entries,
        facets=facets,
        automation_page=automation_page,
        department_slug=department_slug,
    )


def _groups(env: SandboxedEnvironment, catalog: Catalog, links: Links, kind: str) -> dict[str, str]:
    """One page per department (or owner) and an index page listing them.

    Names that share a page ("Finance" and "finance") share a group, shown as first seen.
    """
    page_of = department_page if kind == "department" else owner_page
    groups: dict[str, tuple[str, list[Entry]]] = {}
    for entry in catalog.entries:
        keys = [entry.automation.department] if kind == "department" else entry.automation.owners
        for key in keys:
            groups.setdefault(page_of(one_line(key)), (one_line(key), []))[1].append(entry)
    index = DEPARTMENTS if kind == "department" else OWNERS
    marks = _owner_marks(groups, catalog.staleness) if kind == "owner" else {}
    pages = {
        index: _listing(
            env,
            "groups.html",
            index,
            links,
            kind.title() + "s",
            groups=sorted(groups.values(), key=lambda g: g[0].lower()),
            page_of=page_of,
            kind=kind,
            github_url=github_url,
            marks=marks,
            days=(OWNER_DAYS, IDLE_DAYS),
        )
    }
    for src, (key, members) in groups.items():
        pages[src] = _listing(
            env,
            "group.html",
            src,
            links,
            meta_text(key),
            key=key,
            entries=members,
            kind=kind,
            github_url=github_url,
            automation_page=automation_page,
            index=index,
            mark=marks.get(key),
            days=(OWNER_DAYS, IDLE_DAYS),
        )
    return pages


@dataclass(frozen=True)
class OwnerMark:
    """What an owner's pages say has gone stale (`toolkit.hygiene`)."""

    team: bool  # a team is not checked for commits
    last_commit: str | None  # the date of their last commit, when it is too old
    stale: bool  # no commit in OWNER_DAYS days
    idle: list[tuple[Entry, str | None]]  # their automations with no counted run in
    # IDLE_DAYS days, with the date of the last counted run (None: never)


def _owner_marks(
    groups: Mapping[str, tuple[str, list[Entry]]], staleness: Staleness | None
) -> dict[str, OwnerMark]:
    if staleness is None:
        return {}
    idle = {i.automation: i.last_counted for i in staleness.idle}
    marks = {}
    for owner, members in groups.values():
        found = staleness.stale_owner(owner)
        marks[owner] = OwnerMark(
            handle_of(owner) is None,
            found.last_commit[:10] if found and found.last_commit else None,
            found is not None,
            [(e, (idle[e.name] or "")[:10] or None) for e in members if e.name in idle],
        )
    return marks


def _impact(env: SandboxedEnvironment, catalog: Catalog, links: Links) -> str:
    automations = [e.automation for e in catalog.entries]
    impacts = ranking(automations)
    href = {i.name: links.rel(IMPACT, automation_page(i.name)) for i in impacts}
    runs = catalog.runs
    measured = _measured_rows(catalog.entries)
    return _listing(
        env,
        "impact.html",
        IMPACT,
        links,
        "Impact",
        impacts=impacts,
        chart=bar_chart(impacts, href),
        total=sum(i.hours_per_month for i in impacts),
        unscheduled=len(automations) - len(impacts),
        runs=runs,
        measured=measured,
        departments=_by_department(measured),
        measured_chart=_hours_chart(runs),
        measured_30_days=sum(row.hours_30_days for row in measured),
        measured_total=sum(row.hours_total for row in measured),
        automation_page=automation_page,
        department_page=department_page,
    )


def _ideas(env: SandboxedEnvironment, catalog: Catalog, links: Links) -> str:
    rows = idea_rows(catalog.ideas, catalog.entries) if catalog.ideas is not None else []
    base = catalog.repository_url
    return _listing(
        env,
        "ideas.html",
        IDEAS,
        links,
        "Ideas",
        ideas=catalog.ideas,
        rows=rows,
        built=[row for row in rows if row.automation is not None],
        how_to=HOW_TO,
        new_idea_url=f"{base}/issues/new?template=automation-idea.yml" if base else None,
        automation_page=automation_page,
    )


@dataclass(frozen=True)
class MeasuredRow:
    """What the run ledger measured for one automation, beside the estimate (hours per
    month from its schedule; None: it runs on demand). A department's row sums those of its
    automations; its `name` is the department's page."""

    name: str
    title: str
    department: str
    runs_30_days: int
    hours_30_days: float
    hours_total: float
    estimate: float | None


def _measured_rows(entries: list[Entry]) -> list[MeasuredRow]:
    """Every automation with real runs, most hours saved in all first."""
    rows = []
    for entry in entries:
        if entry.runs is None:
            continue
        a = entry.automation
        estimate = impact_of(a).hours_per_month if a.schedule else None
        figures = entry.runs
        rows.append(
            MeasuredRow(
                a.name,
                one_line(a.title),
                one_line(a.department),
                figures.runs_30_days,
                figures.hours_30_days,
                figures.hours_total,
                estimate,
            )
        )
    return sorted(rows, key=lambda row: (-row.hours_total, -row.hours_30_days, row.name))


def _by_department(rows: list[MeasuredRow]) -> list[MeasuredRow]:
    """The measured rows summed by department (names that share a page share a row,
    shown as first seen), most hours saved in all first."""
    groups: dict[str, list[MeasuredRow]] = {}
    for row in rows:
        groups.setdefault(department_page(row.department), []).append(row)
    summed = [
        MeasuredRow(
            src,
            members[0].department,
            members[0].department,
            sum(m.runs_30_days for m in members),
            round(sum(m.hours_30_days for m in members), 2),
            round(sum(m.hours_total for m in members), 2),
            sum(m.estimate or 0.0 for m in members),
        )
        for src, members in groups.items()
    ]
    return sorted(summed, key=lambda row: (-row.hours_total, row.title.lower()))


def _hours_chart(runs: Runs) -> str:
    """The shop's measured hours saved per month, as an inline SVG chart."""
    if not runs.by_automation:
        return ""
    figures = [(month, runs.monthly_hours.get(month, 0.0)) for month in runs.months]
    return month_chart(
        figures, "Hours saved per month, measured, last 12 months", lambda v: f"{v:,.1f} h"
    )


def _policy(catalog: Catalog) -> str:
    """The checks' own docstrings (project code, not contributor text) as Markdown."""
    parts = [
        "# Policy\n",
        "Every pull request runs these checks (`autokit policy`). "
        "Each section is the check's own documentation.\n",
    ]
    for check_id, doc in catalog.checks:
        parts.append(f"## `{check_id}`\n\n{doc or '(not documented)'}\n")
    return "\n".join(parts)


class Offer(NamedTuple):
    """A public name of a library, as its page shows it."""

    name: str
    kind: str
    signature: str
    anchor: str  # the element id (never one of the theme's own, which start with "__")
    summary: str  # the docstring's first paragraph, on one line
    docstring: Markup | str  # the whole docstring, escaped for a <pre> ("": `summary` is all)


class User(NamedTuple):
    """An automation or library that declares the library, and which version it means."""

    name: str
    title: str
    version: str
    page: str | None  # its page's source path; None: it has none (left out)


def _library_pages(env: SandboxedEnvironment, catalog: Catalog, links: Links) -> dict[str, str]:
    """The Libraries index page and one page per valid library."""
    owner_pages = {owner_page(one_line(o)) for e in catalog.entries for o in e.automation.owners}
    pages = {LIBRARIES: _libraries_index(env, catalog, links)}
    for entry in catalog.libraries:
        src = library_page(entry.name)
        pages[src] = _library(env, entry, catalog, links, owner_pages)
    return pages


def _libraries_index(env: SandboxedEnvironment, catalog: Catalog, links: Links) -> str:
    counts = {e.name: len({u.name for u in e.automations}) for e in catalog.libraries}
    return _listing(
        env,
        "libraries.html",
        LIBRARIES,
        links,
        "Libraries",
        entries=catalog.libraries,
        counts=counts,
        notes=broken_library_notes(catalog.broken_libraries),
        library_page=library_page,
    )


def _library(
    env: SandboxedEnvironment,
    entry: LibraryEntry,
    catalog: Catalog,
    links: Links,
    owner_pages: set[str],
) -> str:
    library = entry.library
    versions = {e.name: e.library.version for e in catalog.libraries}
    titles = {e.name: e.automation.title for e in catalog.entries}
    automations = [
        User(
            u.name,
            one_line(titles.get(u.name, u.name)),
            used_version(u.pin, library.version),
            automation_page(u.name) if u.name in titles else None,
        )
        for u in entry.automations
    ]
    libraries = [
        User(u.name, u.name, used_version(u.pin, library.version), library_page(u.name))
        for u in entry.libraries
    ]
    source = None
    if catalog.repository_url:
        source = f"{catalog.repository_url}/tree/{catalog.default_branch}/libraries/{entry.name}"
    return _render(
        env,
        "library.html",
        library_page(entry.name),
        links,
        {"title": meta_text(library.title), "hide": ["toc"]},
        e=entry,
        lib=library,
        offers=_offers(entry.api),
        uses=library_uses(library.libraries, versions),
        automations=automations,
        libraries=libraries,
        owners=[(o, owner_page(one_line(o)) in owner_pages) for o in library.owners],
        source_url=source,
        github_url=github_url,
        owner_page=owner_page,
        library_page=library_page,
    )


def _offers(api: list[PublicName]) -> list[Offer]:
    offers: list[Offer] = []
    anchors: set[str] = set()
    for name in api:
        docstring = name.docstring.strip()
        first = docstring.split("\n\n", 1)[0]
        whole = docstring if docstring != first.strip() else ""
        anchor = base = "api-" + bounded_slug(name.name, "name")
        while anchor in anchors:  # "Greet" and "greet" share a slug
            anchor = f"{base}-{len(anchors) + 1}"
        anchors.add(anchor)
        summary = one_line(first)
        offers.append(Offer(name.name, name.kind, name.signature, anchor, summary, _pre(whole)))
    return offers


def _pre(text: str) -> Markup:
    """Text for a <pre>, escaped, its blank lines kept as `&#10;`: a page is one HTML block
    without blank lines (`_one_block`), which would otherwise close them up."""
    from markupsafe import Markup

    lines = [line.rstrip() for line in escape(text, quote=False).split("\n")]
    return Markup("\n".join(lines).replace("\n\n", "\n&#10;"))


class Schedule(TypedDict):
    cron: str
    english: str
    next: list[str]  # the next three runs, as "YYYY-MM-DD HH:MM UTC"


def _schedule(expression: str | None, now: datetime) -> Schedule | None:
    if not expression:
        return None
    parsed = cron.parse(expression)
    runs = cron.next_runs(parsed, now, 3)
    return {
        "cron": expression,
        "english": cron.describe(parsed),
        "next": [r.strftime("%Y-%m-%d %H:%M UTC") for r in runs],
    }


def _display_value(value: object) -> str:
    return "" if value is None else one_line(input_text(value))


def _source_url(site: Site, name: str) -> str | None:
    if not site.repository_url:
        return None
    return f"{site.repository_url}/tree/{site.default_branch}/automations/{name}"


def _run_url(site: Site, name: str) -> str | None:
    """The page of the automation's Run form on GitHub, where "Run workflow" is."""
    if not site.repository_url or name not in site.run_forms:
        return None
    return f"{site.repository_url}/actions/workflows/{form_path(name).rsplit('/', 1)[-1]}"


def _edit_url(site: Site, entry: Entry) -> str | None:
    if not site.repository_url:
        return None
    file = "README.md" if entry.readme_html is not None else "automation.yaml"
    return f"{site.repository_url}/edit/{site.default_branch}/automations/{entry.name}/{file}"


def _render(
    env: SandboxedEnvironment,
    template: str,
    src: str,
    links: Links,
    meta: Mapping[str, object],
    **context: object,
) -> str:
    link: Callable[[str], str] = lambda to: links.rel(src, to)  # noqa: E731
    body = env.get_template(template).render(link=link, **context)
    return _front(meta) + _one_block(body) + "\n"


def _listing(
    env: SandboxedEnvironment,
    template: str,
    src: str,
    links: Links,
    title: str,
    **context: object,
) -> str:
    """An overview page: left out of the search index, which has the automation pages."""
    meta = {"title": title, "search": {"exclude": True}}
    return _render(env, template, src, links, meta, **context)


def is_html(markdown: str) -> bool:
    """Whether a page body (front matter removed) is one raw HTML block, as `_render` writes."""
    return markdown.startswith("<") and "\n\n" not in markdown.rstrip()


def _one_block(html: str) -> str:
    """HTML without blank lines, so Markdown keeps it as one raw block it never parses."""
    return "\n".join(line for line in html.splitlines() if line.strip())


def meta_text(text: str) -> str:
    """Contributor text for front matter: one line, HTML-escaped, non-ASCII as references.

    Themes print the page title unescaped, so it is escaped here; ASCII keeps the JSON
    front matter within what every YAML reader accepts.
    """
    return escape(one_line(text)).encode("ascii", "xmlcharrefreplace").decode("ascii")


def _front(meta: Mapping[str, object]) -> str:
    return "---\n" + json.dumps(meta, ensure_ascii=False) + "\n---\n\n"


@lru_cache(maxsize=1)
def _environment() -> SandboxedEnvironment:
    # Compiled once per process; contributor text only ever arrives as data, which
    # autoescape escapes, and the sandbox keeps templates away from Python internals.
    env = sandboxed_environment(Path(__file__).parent / "templates", autoescape=True)
    env.filters["one_line"] = one_line
    env.filters["hours"] = lambda v: f"{v:,.1f}"
    env.filters["percent"] = lambda v: f"{v:.0%}"
    # A record's start (UTC ISO text) as the pages show moments.
    env.filters["moment"] = lambda v: f"{v[:10]} {v[11:16]} UTC"
    env.filters["note"] = _note_html
    # Readable JSON (tojson writes "<" as \\u003c); autoescape still escapes it.
    env.filters["json_text"] = lambda v: json.dumps(v, indent=2, ensure_ascii=False, default=str)
    return env


def _note_html(note: str) -> Markup:
    """A build note as HTML: escaped, its `code` spans shown as code."""
    from markupsafe import Markup

    return Markup(re.sub(r"`([^`]+)`", r"<code>\1</code>", escape(note)))
