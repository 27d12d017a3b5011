"""The catalog shows each automation's health from the run ledger (a banner when its newest
real runs all failed, last run and success rate in the All automations table) and links to
GitHub's issue forms filled with the automation and version. Real `mkdocs build --strict`
of the shared fixture repository, its ledger published as `autokit runs push` does."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from html.parser import HTMLParser
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from helpers import automation_files, build_tree, commit_all, git, ledger_record
from test_catalog_ledger import Built, _part, build_with_ledger, served

from toolkit.catalog import pages
from toolkit.catalog.build import collect
from toolkit.ledger.summary import summarize

NOW = datetime.now(UTC)
REPOSITORY = "https://github.com/example-shop/autokit"


def _ago(days: float) -> datetime:
    return NOW - timedelta(days=days)


def _moment(days: float) -> str:
    text = _ago(days).isoformat(timespec="milliseconds")
    return f"{text[:10]} {text[11:16]} UTC"


# (automation, days ago, status, kind). invoice-reminders: its newest three real runs
# failed, each in its own way; old-report: its third-newest real run succeeded, and a
# failed example after its real runs counts for nothing.
RUNS = [
    ("invoice-reminders", 12, "success", "real"),
    ("invoice-reminders", 10, "success", "real"),
    ("invoice-reminders", 3, "failed", "real"),
    ("invoice-reminders", 2, "timeout", "real"),
    ("invoice-reminders", 1, "lost", "real"),
    ("old-report", 3, "success", "real"),
    ("old-report", 2, "failed", "real"),
    ("old-report", 1, "failed", "real"),
    ("old-report", 0.5, "failed", "example"),
]


def _records() -> list[Any]:
    return [
        ledger_record(
            number,
            started=_ago(days),
            automation=name,
            status=status,
            kind=kind,
            exit_code=0 if status == "success" else 1,
            counts=status == "success" and kind == "real",
        )
        for number, (name, days, status, kind) in enumerate(RUNS, 1)
    ]


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Built:
    return build_with_ledger(tmp_path_factory.mktemp("health-catalog"), _records())


class _Links(HTMLParser):
    """The href of every link of a page, by its class."""

    def __init__(self) -> None:
        super().__init__()
        self.by_class: dict[str, list[str]] = {}

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if tag == "a" and values.get("href") is not None:
            for name in (values.get("class") or "").split():
                self.by_class.setdefault(name, []).append(values["href"] or "")


def _links(html: str) -> dict[str, list[str]]:
    parser = _Links()
    parser.feed(html)
    return parser.by_class


def test_summary_keeps_the_newest_three_real_runs_newest_first() -> None:
    shuffled = [RUNS[i] for i in (4, 0, 2, 1, 3, 8, 5, 7, 6)]
    records = [
        ledger_record(n, started=_ago(days), automation=name, status=status, kind=kind)
        for n, (name, days, status, kind) in enumerate(shuffled, 1)
    ]
    summary = summarize(records, ["invoice-reminders", "old-report"], NOW)
    invoice = summary.by_automation["invoice-reminders"]
    assert invoice.latest_statuses == ("lost", "timeout", "failed")
    assert invoice.failing
    assert invoice.last_run == invoice.latest[0]
    assert invoice.last_success == _ago(10).isoformat(timespec="milliseconds")
    report = summary.by_automation["old-report"]
    assert report.latest_statuses == ("failed", "failed", "success")  # the example is no run
    assert not report.failing
    assert report.failure_issue is None  # the ledger cannot tell; the issue tracker can


def test_fewer_than_three_runs_or_a_cancelled_one_is_not_failing() -> None:
    two = [ledger_record(n, started=_ago(n), status="failed") for n in (1, 2)]
    assert not summarize(two, ["hello"], NOW).by_automation["hello"].failing
    cancelled = [*two, ledger_record(3, started=_ago(0.5), status="cancelled")]
    figures = summarize(cancelled, ["hello"], NOW).by_automation["hello"]
    assert figures.latest_statuses == ("cancelled", "failed", "failed")
    assert not figures.failing and figures.last_success is None


@pytest.mark.slow
def test_a_banner_tops_the_page_when_the_last_three_real_runs_failed(built: Built) -> None:
    html = built.page("automations/invoice-reminders")
    banner = _part(html, '<div class="admonition failure ak-failing"', "</div>")
    assert (
        "Its last 3 real runs failed (lost, timeout, failed), since "
        f"{_moment(3)} at least; its last successful run started {_moment(10)}."
    ) in banner
    assert '<a href="#runs">See its runs</a>' in banner
    assert html.index("ak-failing") < html.index('<table class="ak-facts">')
    assert '<div id="runs" class="ak-runs-section">\n<h2>Runs</h2>' in html


@pytest.mark.slow
def test_no_banner_when_a_newer_real_run_succeeded_or_none_ran(built: Built) -> None:
    for name in ("old-report", "bare-minimum", "hostile-text"):
        html = built.page(f"automations/{name}")
        assert "ak-failing" not in html and "real runs failed" not in html, name


@pytest.mark.slow
def test_all_automations_shows_last_run_and_success_rate(built: Built) -> None:
    html = built.page("automations")
    assert "<th>Last run</th><th>Success rate (30 days)</th></tr></thead>" in html
    rows = {
        name: _part(html, f"<code>{name}</code>", "</tr>")
        for name in ("invoice-reminders", "old-report", "bare-minimum")
    }
    assert (
        '<td class="ak-last-run"><span class="ak-badge ak-run-lost">lost</span> '
        f'<span class="ak-nowrap">{_ago(1):%Y-%m-%d}</span></td>'
        '<td class="ak-success-rate">40% <span class="ak-nowrap">(2 of 5)</span></td>'
    ) in rows["invoice-reminders"]
    assert (
        '<span class="ak-badge ak-run-failed">failed</span> '
        f'<span class="ak-nowrap">{_ago(1):%Y-%m-%d}</span></td>'
        '<td class="ak-success-rate">33% <span class="ak-nowrap">(1 of 3)</span></td>'
    ) in rows["old-report"]
    assert (
        '<td class="ak-last-run">no runs yet</td><td class="ak-success-rate">no runs yet</td>'
    ) in rows["bare-minimum"]
    header = _part(html, "<thead>", "</thead>")
    assert header.count("<th>") == rows["invoice-reminders"].count("<td") + 1  # and the name's


@pytest.mark.slow
def test_feedback_links_open_the_issue_forms_filled_with_automation_and_version(
    built: Built,
) -> None:
    for name, version in (("invoice-reminders", "1.1.0"), ("bare-minimum", "1.0.0")):
        links = _links(built.page(f"automations/{name}"))
        expected = {
            "ak-report-problem": ("bug-report.yml", f"Bug: {name}"),
            "ak-suggest-improvement": ("automation-idea.yml", f"Improvement: {name}"),
        }
        for link, (form, title) in expected.items():
            [href] = links[link]
            url = urlsplit(href)
            assert f"{url.scheme}://{url.netloc}{url.path}" == f"{REPOSITORY}/issues/new"
            assert parse_qs(url.query, strict_parsing=True) == {
                "template": [form],
                "automation": [f"{name}@{version}"],
                "title": [title],
            }
            assert "@" not in url.query and " " not in url.query  # every value encoded


def test_issue_forms_have_the_automation_field_the_links_fill() -> None:
    import yaml

    forms = Path(__file__).resolve().parents[1] / ".github" / "ISSUE_TEMPLATE"
    for form, link in (
        ("bug-report.yml", "Report a problem"),
        ("automation-idea.yml", "Suggest an improvement"),
    ):
        body = yaml.safe_load((forms / form).read_text(encoding="utf-8"))["body"]
        [field] = [item for item in body if item.get("id") == "automation"]
        assert field["type"] == "input"
        assert f'"{link}" link' in field["attributes"]["description"], form
        assert form in {f for f, _ in pages.FEEDBACK_FORMS.values()}


def _plain_repo(root: Path) -> Path:
    build_tree(root, automation_files("hello"))
    git(root, "init", "-q", "-b", "main")
    commit_all(root, "hello")
    return root


def test_without_a_repository_url_there_are_no_feedback_links(tmp_path: Path) -> None:
    catalog = collect(_plain_repo(tmp_path / "repo"))
    assert catalog.repository_url is None
    page = pages.generate(catalog, pages.Links())[pages.automation_page("hello")]
    assert "ak-feedback" not in page and "issues/new" not in page
    assert pages.is_html(page.split("---\n", 2)[2].lstrip("\n"))
    assert pages.feedback_urls(None, "hello", "1.0.0") == {}


def test_a_known_open_failure_issue_shows_the_banner_with_an_https_link_only(
    tmp_path: Path,
) -> None:
    catalog = collect(_plain_repo(tmp_path / "repo"))
    [entry] = catalog.entries
    figures = summarize([ledger_record(1, started=_ago(1))], ["hello"], NOW).by_automation
    site = pages.Site(pages.Links(), None, "main", frozenset({"hello"}))
    entry.runs = figures["hello"]._replace(failure_issue="https://github.com/o/r/issues/7")
    banner = _part(pages.automation_markdown(entry, site), "ak-failing", "</div>")
    assert '<a href="https://github.com/o/r/issues/7">read it on GitHub</a>' in banner
    assert "real runs failed" not in banner  # its one run succeeded
    for hostile in ("javascript:alert(1)", 'https://x.example/"><script>alert(1)</script>'):
        entry.runs = figures["hello"]._replace(failure_issue=hostile)
        page = pages.automation_markdown(entry, site)
        assert "ak-failing" not in page and "alert(1)" not in page, hostile


@pytest.mark.slow
@pytest.mark.browser
def test_the_banner_shows_in_a_browser_within_the_policy(built: Built) -> None:
    from playwright.sync_api import sync_playwright
    from test_catalog_browser import CHROMIUM, CHROMIUM_ARGS, VIOLATIONS

    with served(built.site) as base, sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        context = browser.new_context()
        context.add_init_script(VIOLATIONS)
        tab = context.new_page()

        def visit(path: str) -> None:
            tab.goto(base + path)
            tab.wait_for_load_state("networkidle")
            assert tab.evaluate("window.__violations") == [], path

        visit("/automations/invoice-reminders/")
        banner = tab.locator(".ak-failing")
        assert banner.is_visible()
        assert "real runs failed" in banner.inner_text()
        colour = tab.evaluate(
            "getComputedStyle(document.querySelector('.ak-failing')).borderLeftColor"
        )
        assert colour not in ("", "rgb(0, 0, 0)")  # the theme's failure admonition
        banner.locator("a[href='#runs']").click()
        assert tab.evaluate("location.hash") == "#runs"
        assert tab.locator("#runs").is_visible()
        assert tab.locator(".ak-report-problem").is_visible()
        assert tab.evaluate("window.__violations") == []
        visit("/automations/old-report/")
        assert tab.locator(".ak-failing").count() == 0
        visit("/automations/")
        assert tab.locator("td.ak-last-run").first.is_visible()
        browser.close()
