"""The catalog in a real browser: Debian's chromium driven by playwright.

One site is built and served (loopback HTTP, as search needs) for the whole module.
"""

from __future__ import annotations

import functools
import http.server
import re
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from catalog_repo import XSS, build_catalog_site

pytestmark = [pytest.mark.browser, pytest.mark.slow]

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

# Walks the page for anything hostile text could have injected.
INJECTED = """() => {
  const found = [];
  for (const el of document.querySelectorAll('.md-content *, .md-search-result *')) {
    for (const attr of el.attributes) {
      const value = attr.value.trim().toLowerCase();
      if (attr.name.startsWith('on')) found.push(el.tagName + ' ' + attr.name);
      if (['href', 'src', 'action'].includes(attr.name) && value.startsWith('javascript'))
        found.push(el.tagName + ' ' + attr.name + '=' + value);
    }
    if (['SCRIPT', 'IFRAME', 'OBJECT', 'EMBED', 'FORM'].includes(el.tagName)
        && !el.closest('.ak-filters')) found.push(el.tagName);
    if (el.tagName === 'IMG' && el.getAttribute('src') === 'x') found.push('img src=x');
  }
  return found;
}"""


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture(scope="module")
def base_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    base = tmp_path_factory.mktemp("catalog-browser")
    build_catalog_site(base)
    handler = functools.partial(_QuietHandler, directory=str(base / "site"))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: apt-get install chromium")
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    context = browser.new_context()
    tab = context.new_page()
    tab.dialogs = []
    tab.on("dialog", lambda dialog: (tab.dialogs.append(dialog.message), dialog.dismiss()))
    yield tab
    context.close()


def search(page: Any, base_url: str, words: str) -> Any:
    page.goto(base_url + "/")
    page.click("input.md-search__input")
    page.keyboard.type(words)
    results = page.locator(".md-search-result__item")
    results.first.wait_for(timeout=10_000)
    return results


def test_search_finds_an_automation_by_a_word_of_its_summary(page: Any, base_url: str) -> None:
    results = search(page, base_url, "overdue")
    assert "Invoice reminders" in results.first.inner_text()
    results.first.locator("a").first.click()
    page.wait_for_url(re.compile(r".*/automations/invoice-reminders/(\?h=overdue)?$"))


def test_filters_narrow_the_all_automations_table(page: Any, base_url: str) -> None:
    page.goto(base_url + "/automations/")
    rows = page.locator("table.ak-filterable tbody tr:not([hidden])")
    assert rows.count() == 4
    page.select_option("select[name=department]", "finance")
    assert rows.count() == 1 and "Invoice reminders" in rows.first.inner_text()
    assert page.inner_text("[data-ak-count]") == "1"
    page.select_option("select[name=department]", "")
    page.select_option("select[name=tag]", "email")
    assert sorted(rows.nth(i).locator("a").first.inner_text() for i in range(rows.count())) == [
        "Invoice reminders",
        "Old report",
    ]
    page.select_option("select[name=status]", "deprecated")
    assert rows.count() == 1
    page.goto(base_url + "/automations/?owner=@example-shop/finance")
    assert rows.count() == 1


def test_a_tag_page_lists_its_automations(page: Any, base_url: str) -> None:
    page.goto(base_url + "/automations/invoice-reminders/")
    page.click(".md-tags a.md-tag:has-text('email')")
    page.wait_for_url("**/tags/#tag:email")
    listing = page.locator("[id='tag:email'] + ul").inner_text()
    assert "Invoice reminders" in listing and "Old report" in listing
    assert "Hostile" not in listing


def test_deprecation_banner_shows_and_links_the_replacement(page: Any, base_url: str) -> None:
    page.goto(base_url + "/automations/old-report/")
    banner = page.locator(".ak-deprecated")
    assert banner.is_visible()
    assert "Superseded by reminders." in banner.inner_text()
    banner.locator("a.ak-replacement").click()
    page.wait_for_url("**/automations/invoice-reminders/")


@pytest.mark.parametrize(
    "path",
    [
        "/automations/hostile-text/",
        "/",
        "/automations/",
        "/departments/",
        "/owners/alice/",
        "/impact/",
        "/tags/",
    ],
)
def test_hostile_text_runs_nothing_and_stays_readable(page: Any, base_url: str, path: str) -> None:
    page.goto(base_url + path)
    page.wait_for_load_state("load")
    assert page.evaluate(INJECTED) == []
    if path == "/automations/hostile-text/":
        heading = page.inner_text(".md-content h1")
        assert heading == f"Hostile {XSS} &amp; title"
        assert "Readable text" in page.inner_text(".ak-readme")
        assert page.title().startswith("Hostile <script>")
    assert page.dialogs == []


def test_hostile_text_in_search_results_runs_nothing(page: Any, base_url: str) -> None:
    results = search(page, base_url, "Zanzibar")
    assert "<script>alert(1)</script>" in results.first.inner_text()
    assert page.evaluate(INJECTED) == []
    assert page.dialogs == []
