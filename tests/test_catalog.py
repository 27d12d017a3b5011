"""The catalog site: real `mkdocs build --strict` of real Git repositories."""

from __future__ import annotations

import base64
import dataclasses
import hashlib
import json
import os
import re
import shutil
import socket
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime
from html.parser import HTMLParser
from pathlib import Path

import pytest
from catalog_repo import (
    PROJECT,
    XSS,
    build_catalog_repo,
    build_catalog_site,
    git_as,
    isolated_env,
    site_files,
)
from helpers import automation_files, build_tree

from toolkit import changelog
from toolkit.catalog import csp, pages
from toolkit.catalog.build import collect
from toolkit.cli import main

pytestmark = pytest.mark.slow
SNAPSHOTS = Path(__file__).parent / "snapshots"


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """The fixture repository's catalog, built once with `autokit catalog build`."""
    base = tmp_path_factory.mktemp("catalog")
    yield build_catalog_site(base)


def page(site: Path, path: str) -> str:
    """The article of a built page (what the page itself contributes)."""
    html = (site / path / "index.html").read_text(encoding="utf-8")
    return html[html.index("<article") : html.index("</article>")]


def test_automation_page_shows_everything_the_metadata_and_history_say(site: Path) -> None:
    html = page(site, "automations/invoice-reminders")
    for expected in [
        "<h1 data-search-exclude>Invoice reminders</h1>",
        'class="ak-badge ak-status-stable"',
        "Emails customers whose invoices are overdue.",
        '<a href="https://github.com/alice">@alice</a>',
        '<a href="https://github.com/orgs/example-shop/teams/finance">@example-shop/finance</a>',
        '<a href="../../departments/finance/">Finance</a>',
        '<a href="../../tags/#tag:email">email</a>',
        "<td>confidential</td>",
        "<tr><th>Current version</th><td>1.1.0</td></tr>",
        '<tr><td>1.1.0</td><td class="ak-nowrap">2026-02-01</td>'
        "<td><ul>\n<li>Skips disputed invoices.</li>",
        '<tr><td>1.0.0</td><td class="ak-nowrap">2026-01-05</td>'
        "<td><ul>\n<li>First reminders.</li>",
        "<td><code>days</code></td><td>integer</td><td>no</td><td>7</td><td>Days overdue</td>",
        "<code>SMTP_PASSWORD</code>",
        "<code>0 8 * * 1-5</code>: at 08:00 on Monday through Friday (UTC).",
        "<code>openpyxl==3.1.5</code>",
        "<code>autokit run invoice-reminders --input days=7</code>",
        "<strong>A week overdue</strong>",
        "Sends a polite reminder for every overdue invoice.",
        "<tr><th>Made by</th><td>Alice</td></tr>",
        "<tr><th>Contributed</th><td>Bob (1 commit)</td></tr>",
        "https://github.com/example-shop/autokit/tree/main/automations/invoice-reminders",
        "https://github.com/example-shop/autokit/edit/main/automations/invoice-reminders/README.md",
        "<tr><th>Created</th><td>2026-01-05</td></tr>",
    ]:
        assert expected in html, expected
    assert "Password of the mail account" not in html  # secrets: names only
    assert len(re.findall(r"\d{4}-\d\d-\d\d (08):00 UTC", html)) == 3  # next three runs


def test_readme_links_point_to_the_repository_or_are_dropped_with_a_note(site: Path) -> None:
    html = page(site, "automations/invoice-reminders")
    blob = "https://github.com/example-shop/autokit/blob/main/automations/invoice-reminders"
    assert f'<a href="{blob}/template.txt" rel="noopener noreferrer">the template</a>' in html
    assert '<a rel="noopener noreferrer">the old notes</a>' in html
    assert "Links to files that do not exist in its folder were removed: notes/missing.md" in html


def test_no_readme_and_empty_changelog_build_and_say_so(site: Path) -> None:
    html = page(site, "automations/bare-minimum")
    assert "This automation has no README yet." in html
    assert "It has no README.md." in html
    assert "Its CHANGELOG.md has no <code>## &lt;version&gt;</code> sections." in html
    assert '<tr><td>1.0.0</td><td class="ak-nowrap">not tagged yet</td><td></td></tr>' in html


def test_deprecated_automation_links_its_replacement(site: Path) -> None:
    html = page(site, "automations/old-report")
    banner = html[html.index('class="admonition warning ak-deprecated"') :]
    banner = banner[: banner.index("</div>")]
    assert "Superseded by reminders." in banner
    assert '<a class="ak-replacement" href="../invoice-reminders/">invoice-reminders</a>' in banner


class _Tags(HTMLParser):
    """Every start tag and attribute of a page."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))


def _parsed(html: str) -> list[tuple[str, dict[str, str | None]]]:
    parser = _Tags()
    parser.feed(html)
    return parser.tags


@pytest.mark.parametrize(
    "path", ["automations/hostile-text", "automations", "", "departments", "owners/alice", "impact"]
)
def test_hostile_text_is_shown_as_text_never_as_markup(site: Path, path: str) -> None:
    html = page(site, path)
    tags = _parsed(html)
    assert not [
        t
        for t, _ in tags
        if t in ("script", "iframe", "svg", "object", "embed") and path != "impact"
    ]
    for tag, attrs in tags:
        assert not [a for a in attrs if a.startswith("on")], (tag, attrs)
        for name in ("href", "src"):
            assert not (attrs.get(name) or "").strip().lower().startswith(("javascript", "data")), (
                tag,
                attrs,
            )
    if path == "automations/hostile-text":
        escaped = (
            "&lt;script&gt;alert(1)&lt;/script&gt;&lt;img src=x onerror=&#34;alert(2)&#34;&gt;"
        )
        assert f"Hostile {escaped} &amp;amp; title" in html  # readable, literally
        assert f"Target {escaped}" in html
        assert "Readable text" in html and "raw link" in html


def test_search_index_holds_searchable_text_only_and_no_markup(site: Path) -> None:
    index = json.loads((site / "search" / "search_index.json").read_text(encoding="utf-8"))
    docs = {d["location"]: d for d in index["docs"]}
    entry = docs["automations/invoice-reminders/"]
    assert entry["title"] == "Invoice reminders"
    assert entry["tags"] == ["finance", "email"]
    assert "overdue" in entry["text"] and "Sends a polite reminder" in entry["text"]
    assert "SMTP_PASSWORD" not in entry["text"] and "openpyxl" not in entry["text"]
    # One entry per automation page: tables and facts are excluded.
    assert [loc for loc in docs if loc.startswith("automations/invoice-reminders")] == [
        "automations/invoice-reminders/"
    ]
    assert not [loc for loc in docs if loc.startswith(("departments", "owners", "impact"))]
    allowed = {"p", "code", "pre", "li", "ol", "ul", "sub", "sup"}
    for doc in index["docs"]:
        for field in ("title", "text"):
            tags = {tag for tag, _ in _parsed(doc[field])}
            assert tags <= allowed, (doc["location"], field, tags)


def test_catalog_json_lists_every_automation_with_versions(site: Path) -> None:
    data = json.loads((site / "catalog.json").read_text(encoding="utf-8"))
    by_name = {a["name"]: a for a in data["automations"]}
    assert sorted(by_name) == ["bare-minimum", "hostile-text", "invoice-reminders", "old-report"]
    reminders = by_name["invoice-reminders"]
    assert reminders["url"] == "automations/invoice-reminders/"
    assert reminders["owners"] == ["@alice", "@example-shop/finance"]
    assert reminders["secrets"][0]["name"] == "SMTP_PASSWORD"
    assert [(v["version"], v["date"], v["tag"]) for v in reminders["versions"]] == [
        ("1.1.0", "2026-02-01", "invoice-reminders@1.1.0"),
        ("1.0.0", "2026-01-05", "invoice-reminders@1.0.0"),
    ]
    # About 21.75 weekdays a month, 30 minutes each.
    assert reminders["hours_saved_per_month"] == pytest.approx(21.75 * 30 / 60, abs=0.02)
    assert by_name["bare-minimum"]["versions"] == [
        {"version": "1.0.0", "date": None, "commit": None, "tag": None}
    ]
    assert by_name["hostile-text"]["title"].startswith("Hostile <script>")  # data, unescaped


def test_index_pages(site: Path) -> None:
    rows = page(site, "automations").count("<tr data-department=")
    assert rows == 4
    assert 'data-department="finance" data-tag=" finance email " data-status="stable"' in page(
        site, "automations"
    )
    assert "<strong>4</strong> automations in the catalog" in page(site, "")
    assert "Invoice reminders</a>: 10.9 h a month" in page(site, "")
    finance = page(site, "departments/finance")
    assert "Invoice reminders</a>" in finance and "Old report" not in finance
    team = page(site, "owners/example-shop--finance")
    assert "https://github.com/orgs/example-shop/teams/finance" in team
    impact = page(site, "impact")
    assert "<svg" in impact and "10.9 h</text>" in impact and "10.9 hours a month" in impact
    leaders = page(site, "contributors")
    # rank, person, badges, authored, maintained, versions shipped (no ledger: no hours)
    row = r"<td>{}</td><td[^>]*>{}</td><td[^>]*>.*?</td><td>{}</td><td>{}</td><td>{}</td>"
    assert re.search(row.format(1, "Bob", 1, 0, 2), leaders)
    assert re.search(row.format(3, "Carol", 2, 0, 0), leaders)
    policy = page(site, "policy")
    assert "metadata-schema" in policy and "follows the metadata contract" in policy
    tags = page(site, "tags")
    email = tags[tags.index('id="tag:email"') :]
    assert "Invoice reminders" in email[: email.index("</ul>")]


def test_every_generated_page_holds_its_html_not_the_markdown_placeholder(site: Path) -> None:
    pages = list(site.rglob("*.html"))
    assert len(pages) > 10
    assert not [p for p in pages if "autokit-page-" in p.read_text(encoding="utf-8")]
    assert '<table class="ak-inputs">' in page(site, "automations/invoice-reminders")


def test_only_index_pages_are_in_the_navigation(site: Path) -> None:
    html = (site / "404.html").read_text(encoding="utf-8")
    navigation = re.findall(
        r'class="md-nav__link[^"]*"[^>]*href="([^"]+)"|href="([^"]+)"'
        r'[^>]*class="md-nav__link',
        html,
    )
    targets = {a or b for a, b in navigation}
    assert any(t.endswith("automations/") for t in targets)
    assert not [t for t in targets if re.search(r"automations/[a-z-]+/$", t)]


def _build(root: Path, cli_args: list[str] | None = None) -> tuple[int, Path]:
    site_dir = root.parent / f"{root.name}-site"
    code = main(
        ["--repo", str(root), "catalog", "build", "--site-dir", str(site_dir), *(cli_args or [])]
    )
    return code, site_dir


def _small_repo(root: Path, *, tags: bool) -> Path:
    root.mkdir(parents=True)
    site_files(root)
    build_tree(root, automation_files("first-one"))
    env = isolated_env(root.parent)
    git_as(root, env, "Dana", "init", "-q", "-b", "main")
    git_as(root, env, "Dana", "add", "-A")
    git_as(root, env, "Dana", "commit", "-qm", "one")
    build_tree(root, automation_files("second-one"))
    git_as(root, env, "Dana", "add", "-A")
    git_as(root, env, "Dana", "commit", "-qm", "two")
    if tags:
        git_as(root, env, "Dana", "tag", "first-one@1.0.0")
    return root


def test_readme_that_only_repeats_title_and_summary_is_named_not_shown(tmp_path: Path) -> None:
    root = _small_repo(tmp_path / "repo", tags=False)
    readme = root / "automations" / "first-one" / "README.md"
    readme.write_text("# First One\n\nDoes the first-one job.\n", encoding="utf-8")
    entry = next(e for e in collect(root).entries if e.name == "first-one")
    assert entry.readme_html is None
    assert "Its README.md only repeats the title and summary." in entry.notes


def test_repository_without_tags_builds_and_says_versions_are_undated(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, site = _build(_small_repo(tmp_path / "repo", tags=False))
    assert code == 0, capsys.readouterr().err
    assert "No version tags" in capsys.readouterr().err
    assert "No version tags (<code>&lt;name&gt;@&lt;version&gt;</code>) found" in page(site, "")


CHANGELOG_AHEAD_OF_TAGS = """# Changelog

## 1.3.0

- Written ahead of the version in automation.yaml: not a version yet.

## 1.2.0 - 2026-11-26

- Dated in its heading.

## 1.1.0

- Not dated.

## 01.0.0

- Not a version.

## 1.0.0

- First version.
"""


def _version_rows(site: Path, name: str) -> list[tuple[str, str]]:
    html = page(site, f"automations/{name}")
    table = html[html.index('<table class="ak-versions">') :]
    table = table[: table.index("</table>")]
    return re.findall(r'<tr><td>([^<]+)</td><td class="ak-nowrap">([^<]*)</td>', table)


def test_without_tags_the_versions_come_from_the_changelog(tmp_path: Path) -> None:
    root = _small_repo(tmp_path / "repo", tags=False)
    folder = root / "automations" / "first-one"
    metadata = folder / "automation.yaml"
    metadata.write_text(metadata.read_text().replace("version: 1.0.0", "version: 1.2.0"))
    (folder / "CHANGELOG.md").write_text(CHANGELOG_AHEAD_OF_TAGS, encoding="utf-8")
    code, site = _build(root)
    assert code == 0
    assert _version_rows(site, "first-one") == [
        ("1.2.0", "2026-11-26, not tagged yet"),
        ("1.1.0", "not tagged"),
        ("1.0.0", "not tagged"),
    ]
    assert "<li>Not dated.</li>" in page(site, "automations/first-one")
    data = json.loads((site / "catalog.json").read_text(encoding="utf-8"))
    first = next(a for a in data["automations"] if a["name"] == "first-one")
    assert [(v["version"], v["date"], v["tag"]) for v in first["versions"]] == [
        ("1.2.0", "2026-11-26", None),
        ("1.1.0", None, None),
        ("1.0.0", None, None),
    ]


def test_the_changelog_fills_in_versions_that_have_no_tag(tmp_path: Path) -> None:
    root = _small_repo(tmp_path / "repo", tags=True)  # first-one@1.0.0
    folder = root / "automations" / "first-one"
    metadata = folder / "automation.yaml"
    metadata.write_text(metadata.read_text().replace("version: 1.0.0", "version: 1.1.0"))
    changelog = "## 1.1.0\n\n- Next.\n\n## 1.0.0\n\n- First.\n\n## 0.9.0\n\n- Before tags.\n"
    (folder / "CHANGELOG.md").write_text(changelog, encoding="utf-8")
    code, site = _build(root)
    assert code == 0
    rows = _version_rows(site, "first-one")
    assert [version for version, _ in rows] == ["1.1.0", "1.0.0", "0.9.0"]
    assert rows[0][1] == "not tagged yet" and rows[2][1] == "not tagged"
    assert re.fullmatch(r"\d{4}-\d\d-\d\d", rows[1][1])  # the tag's date


def test_shallow_clone_builds_and_says_history_is_partial(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    origin = _small_repo(tmp_path / "origin", tags=True)
    clone = tmp_path / "clone"
    subprocess.run(
        ["git", "clone", "-q", "--depth", "1", f"file://{origin}", str(clone)], check=True
    )
    code, site = _build(clone)
    assert code == 0, capsys.readouterr().err
    assert "shallow clone" in capsys.readouterr().err
    assert "This is a shallow clone" in page(site, "")
    assert "Created</th><td>" in page(site, "automations/first-one")


def test_folder_without_git_builds_and_says_what_it_could_not_compute(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    origin = _small_repo(tmp_path / "origin", tags=True)
    plain = tmp_path / "plain"
    shutil.copytree(origin, plain, ignore=shutil.ignore_patterns(".git"))
    code, site = _build(plain)
    assert code == 0, capsys.readouterr().err
    assert "Not a Git repository" in page(site, "")
    assert "unknown (no Git history)" in page(site, "automations/first-one")


def test_missing_mkdocs_config_is_a_clear_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = _small_repo(tmp_path / "repo", tags=False)
    (root / "mkdocs.yml").unlink()
    code, _ = _build(root)
    err = capsys.readouterr().err
    assert code == 1
    assert "mkdocs.yml does not exist" in err and "Traceback" not in err


def test_site_dir_that_cannot_be_written_is_a_clear_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = _small_repo(tmp_path / "repo", tags=False)
    (tmp_path / "a-file").write_text("not a folder\n")
    site = tmp_path / "a-file" / "site"
    code = main(["--repo", str(root), "catalog", "build", "--site-dir", str(site)])
    err = capsys.readouterr().err
    assert code == 1, err
    assert f"the catalog could not be written: {site}" in err and "Traceback" not in err
    assert "pass --site-dir a folder you can write to" in err


def test_invalid_mkdocs_config_is_a_clear_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = _small_repo(tmp_path / "repo", tags=False)
    (root / "mkdocs.yml").write_text("site_name: x\nnav: 3\nplugins: [autokit-catalog]\n")
    code, _ = _build(root)
    err = capsys.readouterr().err
    assert code == 1, err
    assert "Config value 'nav'" in err and "mkdocs.yml is not a valid MkDocs configuration" in err
    assert "Traceback" not in err


def test_serve_on_a_taken_address_is_a_clear_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = _small_repo(tmp_path / "repo", tags=False)
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        address = f"127.0.0.1:{taken.getsockname()[1]}"
        code = main(["--repo", str(root), "catalog", "serve", "--dev-addr", address])
    err = capsys.readouterr().err
    assert code == 1, err
    assert f"the catalog could not be served on {address}" in err and "Traceback" not in err
    assert "--dev-addr" in err


def test_replacement_left_out_for_invalid_metadata_is_not_linked(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = _small_repo(tmp_path / "repo", tags=False)
    deprecation = {"reason": "Use the new one.", "replaced_by": "second-one"}
    build_tree(root, automation_files("old-one", status="deprecated", deprecation=deprecation))
    metadata = root / "automations" / "second-one" / "automation.yaml"
    metadata.write_text(metadata.read_text().replace("version: 1.0.0", "version: one"))
    code, site = _build(root)
    assert code == 0, capsys.readouterr().err
    assert not (site / "automations" / "second-one").exists()
    banner = page(site, "automations/old-one")
    assert '<a class="ak-replacement" href="../">second-one</a>' in banner  # All automations


def test_plain_mkdocs_build_strict_uses_the_plugin(tmp_path: Path) -> None:
    root = _small_repo(tmp_path / "repo", tags=True)
    env = isolated_env(tmp_path)
    result = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "-q"],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr
    assert (root / "site" / "automations" / "second-one" / "index.html").is_file()
    assert (
        json.loads((root / "site" / "catalog.json").read_text())["automations"][0]["name"]
        == "first-one"
    )


def test_shipped_automations_build_strict(tmp_path: Path) -> None:
    """The repository's own catalog, with every automation it ships."""
    if not (PROJECT / "automations").is_dir():
        pytest.skip("this checkout has no automations/ folder yet")
    names = sorted(p.parent.name for p in (PROJECT / "automations").glob("*/automation.yaml"))
    code = main(["--repo", str(PROJECT), "catalog", "build", "--site-dir", str(tmp_path / "site")])
    assert code == 0
    data = json.loads((tmp_path / "site" / "catalog.json").read_text(encoding="utf-8"))
    assert sorted(a["name"] for a in data["automations"]) == names
    for name in names:
        assert (tmp_path / "site" / "automations" / name / "index.html").is_file()
    # Untagged (as shipped), each still shows every version its CHANGELOG names.
    for automation in data["automations"]:
        changelog_file = PROJECT / "automations" / automation["name"] / "CHANGELOG.md"
        written = set(changelog.sections(changelog_file.read_text(encoding="utf-8")))
        shown = {v["version"] for v in automation["versions"]}
        assert written <= shown, automation["name"]
    assert any(len(a["versions"]) > 1 for a in data["automations"])
    # Their READMEs start with their title, which the page shows above them already.
    for automation in data["automations"]:
        found = _search_text(tmp_path / "site", automation["name"])
        assert found.count(automation["title"]) == 1, found[:400]


def _search_text(site: Path, name: str) -> str:
    """What the search index holds for an automation's page: titles and text."""
    index = json.loads((site / "search" / "search_index.json").read_text(encoding="utf-8"))
    docs = [d for d in index["docs"] if d["location"].startswith(f"automations/{name}/")]
    return " ".join(f"{doc['title']} {doc['text']}" for doc in docs)


def test_scaffold_readme_and_search_show_the_title_and_summary_once(tmp_path: Path) -> None:
    root = _small_repo(tmp_path / "repo", tags=False)
    summary = "Adds late fees to invoices overdue by a month."
    options = ["--runtime", "python", "--title", "Late fees", "--summary", summary]
    options += ["--owner", "@shop/finance", "--department", "finance"]
    assert main(["--repo", str(root), "new", "late-fees", *options]) == 0
    readme = (root / "automations" / "late-fees" / "README.md").read_text(encoding="utf-8")
    assert "Late fees" not in readme and summary not in readme  # automation.yaml holds them
    code, site = _build(root)
    assert code == 0
    found = _search_text(site, "late-fees")
    assert found.count("Late fees") == 1 and found.count(summary) == 1, found
    assert "What it does" in found  # the README itself is searched


def test_catalog_command_does_not_import_mkdocs_until_it_runs() -> None:
    code = (
        "import sys, toolkit.commands.catalog, toolkit.cli; "
        "assert not [m for m in sys.modules if m.split('.')[0] in "
        "('mkdocs', 'material', 'nh3', 'markdown', 'git')], sorted(sys.modules)"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_xss_fixture_is_really_hostile() -> None:
    """Guards the hostile fixture itself: if it stopped carrying markup, the tests above
    would pass for the wrong reason."""
    assert "<script>" in XSS and "onerror=" in XSS


def test_worker_processes_give_the_same_catalog_as_one_process(tmp_path: Path) -> None:
    root = _small_repo(tmp_path / "repo", tags=True)
    build_tree(root, automation_files("broken-one", owners=[]))
    serial, parallel = collect(root, workers=1), collect(root, workers=2)
    assert [e.name for e in parallel.entries] == ["first-one", "second-one"]
    assert parallel.entries == serial.entries
    assert parallel.notes == serial.notes
    assert "1 automation(s) left out because their metadata is invalid" in serial.notes[0]


def test_automation_page_matches_snapshot(tmp_path: Path) -> None:
    """The whole generated page of the fixture's fullest automation, at a fixed time.

    After a deliberate change to the page, rewrite the snapshot with
    AUTOKIT_UPDATE_SNAPSHOTS=1 and review its diff.
    """
    root = build_catalog_repo(tmp_path / "repo", isolated_env(tmp_path))
    now = datetime(2026, 11, 27, 9, 0, tzinfo=UTC)
    generated = pages.generate(collect(root), pages.Links(), now=now)
    actual = generated[pages.automation_page("invoice-reminders")]
    snapshot = SNAPSHOTS / "catalog-invoice-reminders.md"
    if os.environ.get("AUTOKIT_UPDATE_SNAPSHOTS"):
        snapshot.write_text(actual, encoding="utf-8")
    assert actual == snapshot.read_text(encoding="utf-8")


def test_serve_says_where_it_serves_rebuilds_on_a_change_and_exits_130_on_ctrl_c(
    tmp_path: Path,
) -> None:
    import signal
    import threading
    import time
    import urllib.request

    root = _small_repo(tmp_path / "repo", tags=True)
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    command = ["--repo", str(root), "catalog", "serve", "--dev-addr", f"127.0.0.1:{port}"]
    server = subprocess.Popen(
        [sys.executable, "-m", "toolkit", *command],
        env=isolated_env(tmp_path),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        # Ctrl-C as on a terminal, even when the test runner itself ignores SIGINT.
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    lines: list[str] = []
    assert server.stderr is not None
    reader = threading.Thread(target=lambda: lines.extend(server.stderr or []), daemon=True)
    reader.start()

    def wait_for(text: str, after: int = 0) -> int:
        """The index of the first line from `after` on holding `text`."""
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            for index, line in enumerate(lines[after:], after):
                if text in line:
                    return index
            assert server.poll() is None, "".join(lines)
            time.sleep(0.2)
        raise AssertionError(f"no line with {text!r} in:\n" + "".join(lines))

    try:
        served = wait_for(f"Serving on http://127.0.0.1:{port}/")
        url = f"http://127.0.0.1:{port}/automations/second-one/"
        with urllib.request.urlopen(url, timeout=10) as response:
            assert "Second One" in response.read().decode()
        readme = root / "automations" / "second-one" / "README.md"
        readme.write_text("# Second One\n\nNow with a changed README.\n", encoding="utf-8")
        rebuilt = wait_for("Building documentation", wait_for("Detected file changes", served))
        wait_for("Documentation built", rebuilt)
        server.send_signal(signal.SIGINT)
        assert server.wait(timeout=30) == 130, "".join(lines)
        reader.join(timeout=10)
        assert "interrupted" in lines[-1] and "Traceback" not in "".join(lines)
    finally:
        if server.poll() is None:
            server.terminate()
            server.wait(timeout=30)
        server.stderr.close()


def test_departments_spelled_differently_share_one_page(tmp_path: Path) -> None:
    root = _small_repo(tmp_path / "repo", tags=False)
    build_tree(root, automation_files("third-one", department="Operations"))
    code, site = _build(root)
    assert code == 0
    html = page(site, "departments/operations")
    assert html.count("<tr><td><a href=") == 3
    assert page(site, "departments").count("<tr><td><a href=") == 1


# The confinement: hand-written pages sanitized, generated pages never replaced, a
# Content-Security-Policy on every page, bounded page names.

_POLICY = re.compile(r'<meta http-equiv="Content-Security-Policy" content="([^"]*)">')


def _policy(html: str) -> dict[str, list[str]]:
    (policy,) = _POLICY.findall(html)
    return {d.split()[0]: d.split()[1:] for d in policy.split("; ")}


def _hash(script: str) -> str:
    digest = base64.b64encode(hashlib.sha256(script.encode()).digest()).decode()
    return f"'sha256-{digest}'"


def test_every_page_allows_exactly_its_theme_scripts_and_nothing_remote(site: Path) -> None:
    built = list(site.rglob("*.html"))
    assert len(built) > 15
    for path in built:
        html = path.read_text(encoding="utf-8")
        policy = _policy(html)
        # Before the first script, so it governs every one.
        assert html.index('http-equiv="Content-Security-Policy"') < html.index("<script"), path
        assert policy["default-src"] == policy["style-src"] == ["'self'"], path
        assert policy["img-src"] == policy["font-src"] == ["'self'", "data:"]
        assert policy["object-src"] == ["'none'"] and policy["base-uri"] == ["'self'"]
        assert policy["form-action"] == policy["worker-src"] == ["'self'"]
        scripts = csp.inline_scripts(html)
        assert len(scripts) == 3, path  # the theme's: storage helpers, palette, tabs
        assert sorted(policy["script-src"]) == sorted(["'self'", *map(_hash, scripts)]), path
        assert "fonts.googleapis" not in html and "fonts.gstatic" not in html
        assert not re.search(r'<(?:link|script)[^>]+(?:href|src)="(?:https?:)?//', html), path


def test_policy_is_the_same_whatever_the_page_holds(site: Path) -> None:
    """Pages at the same depth get one policy: it comes from the theme, not the page."""
    hostile = (site / "hostile-page" / "index.html").read_text(encoding="utf-8")
    plain = (site / "contributing" / "index.html").read_text(encoding="utf-8")
    assert _POLICY.findall(hostile) == _POLICY.findall(plain)


def test_scripts_that_get_past_the_sanitizers_are_not_in_the_policy(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With the docs sanitizing switched off, the scripts of a hostile page reach the
    HTML (the theme prints the front matter title raw), and the policy still leaves them
    out: it is the theme's scripts that are hashed, never the page's."""
    from toolkit.catalog import plugin

    monkeypatch.setattr(plugin, "sanitize_page", lambda html: html)
    monkeypatch.setattr(plugin, "_plain_meta", dict)
    monkeypatch.setattr(plugin, "plain_text", lambda text: text)
    root = build_catalog_repo(tmp_path / "repo", isolated_env(tmp_path))
    code, site = _build(root)
    assert code == 0
    html = (site / "hostile-page" / "index.html").read_text(encoding="utf-8")
    smuggled = [s for s in csp.inline_scripts(html) if "alert" in s]
    assert {"alert(11)", "alert(14)"} <= set(smuggled)  # title and body
    allowed = _policy(html)["script-src"]
    assert not [s for s in smuggled if _hash(s) in allowed]
    assert len(allowed) == 1 + len(csp.inline_scripts(html)) - len(smuggled)


def test_hand_written_docs_page_is_sanitized_and_keeps_its_markdown(site: Path) -> None:
    whole = (site / "hostile-page" / "index.html").read_text(encoding="utf-8")
    html = page(site, "hostile-page")
    tags = _parsed(html)
    assert not [t for t, _ in tags if t in ("script", "iframe", "svg", "object", "embed")]
    for tag, attrs in tags:
        assert not [a for a in attrs if a.startswith(("on", "style", "data-"))], (tag, attrs)
        assert attrs.get("id") != "__config"
        for name in ("href", "src"):
            assert not (attrs.get(name) or "").lower().startswith("javascript"), (tag, attrs)
    for kept in (
        '<h2 id="second-section">Second section<a class="headerlink" href="#second-section"',
        '<div class="admonition note">\n<p class="admonition-title">A note</p>',
        "<th>left</th>",
        '<pre><code class="language-yaml">key: value',
        '<a href="../contributing/" rel="noopener noreferrer">Contributing</a>',
        '<a href="#second-section" rel="noopener noreferrer">the section</a>',
        '<a href="https://example.org/" rel="noopener noreferrer">a site</a>',
        "<b>bold</b>",
    ):
        assert kept in html, kept
    # Front matter and headings the theme prints unescaped are plain text.
    assert "<title>Hostile page  - Automation catalog</title>" in whole
    assert '<meta name="description" content="&quot;&gt;">' in whole
    assert "alert(" not in whole


def test_shipped_docs_pages_render_with_their_markdown_features(site: Path) -> None:
    admin = page(site, "administrators")
    assert "<table>" in admin and "<td><code>ci.yml</code></td>" in admin
    assert '<pre><code class="language-yaml">' in admin
    assert re.search(r'<h2 id="[a-z-]+">[^<]+<a class="headerlink" href="#[a-z-]+"', admin)
    home = page(site, "")
    assert "<strong>4</strong> automations in the catalog" in home  # the generated block
    assert "<h1" in home and 'href="contributing/"' in home


@pytest.mark.parametrize(
    ("docs_file", "replaced"),
    [
        ("automations/first-one/index.md", "the generated page automations/first-one/index.md"),
        ("automations/first-one.md", "the generated page automations/first-one/index.md"),
        ("owners/dana/index.html", None),
        ("departments/index.md", "the generated page departments/index.md"),
        ("catalog.json", "the generated page catalog.json"),
        ("assets/images/favicon.png", "the theme's file assets/images/favicon.png"),
    ],
)
def test_docs_file_in_the_place_of_a_generated_page_is_an_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], docs_file: str, replaced: str | None
) -> None:
    root = _small_repo(tmp_path / "repo", tags=False)
    build_tree(root, {f"docs/{docs_file}": "# Mine\n\n<script>alert(1)</script>\n"})
    code, site = _build(root)
    err = capsys.readouterr().err
    if replaced is None:  # no such owner page: an ordinary page
        assert code == 0, err
        return
    assert code == 1
    assert f"docs/{docs_file} would replace {replaced}" in err
    assert "rename or remove the docs/ file" in err and "Traceback" not in err
    assert not (site / "automations" / "first-one" / "index.html").exists()


def test_long_department_and_owner_names_build_with_bounded_page_names(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Valid values up to their limits, and far longer ones given to the pages directly
    (as if validate had been skipped), all make names the file system accepts."""
    root = _small_repo(tmp_path / "repo", tags=False)
    department, team = "Operations " * 8 + "north", "@example-shop/" + "platform-" * 9 + "x"
    assert len(department) <= 100 and len(team) <= 100
    build_tree(root, automation_files("long-names", department=department, owners=[team]))
    build_tree(root, automation_files("too-long", department="Ops " * 80))  # left out
    code, site = _build(root)
    assert code == 0, capsys.readouterr().err
    names = [p.name for p in site.rglob("*")]
    assert max(len(n) for n in names) <= pages.SLUG_LIMIT
    assert (site / pages.department_page(department).replace(".md", ".html")).exists()
    assert (site / pages.owner_page(team).replace(".md", ".html")).exists()
    assert not (site / "automations" / "too-long").exists()

    catalog = collect(root)
    entry = catalog.entries[0]
    huge = dataclasses.replace(
        entry.automation, department="D" * 300, owners=["@org/" + "t" * 300, "@x/" + "t" * 300]
    )
    catalog.entries.append(dataclasses.replace(entry, automation=huge))
    out = tmp_path / "pages"
    for src, text in pages.generate(catalog, pages.Links()).items():
        assert max(len(part) for part in src.split("/")) <= pages.SLUG_LIMIT, src
        (out / src).parent.mkdir(parents=True, exist_ok=True)
        (out / src).write_text(text, encoding="utf-8")  # no "File name too long"


def test_title_from_a_hostile_heading_is_plain_text_wherever_the_theme_prints_it(
    tmp_path: Path,
) -> None:
    """MkDocs strips only complete tags from the heading it takes as the title, and the
    theme prints that title raw in the header and the navigation."""
    root = _small_repo(tmp_path / "repo", tags=False)
    build_tree(root, {"docs/guide.md": "# Guide <img src=x onerror=alert(1)//\n\nText.\n"})
    code, site = _build(root)
    assert code == 0
    html = (site / "guide" / "index.html").read_text(encoding="utf-8")
    # In <title> the text is never markup (the theme's striptags unescapes it there).
    (title,) = re.findall(r"<title>(.*?)</title>", html)
    assert title.startswith("Guide ")
    elsewhere = _parsed(html.replace(title, ""))
    assert not [(t, a) for t, a in elsewhere if any(name.startswith("on") for name in a)]
    assert "Guide &lt;img src=x onerror=alert(1)//" in page(site, "guide")  # shown as text
