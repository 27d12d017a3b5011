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
from catalog_repo import REMOTE_IMAGE, XSS, build_catalog_site

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


# Records what the page's Content-Security-Policy refused; installed by the browser (not
# an inline script of the page, so the policy does not apply to it).
VIOLATIONS = """
window.__violations = [];
document.addEventListener("securitypolicyviolation", (event) => {
  window.__violations.push(event.effectiveDirective + " " + event.blockedURI);
});
"""
SMUGGLED_PAGE = "/automations/smuggled/"  # as deep as an automation page: same policy


def smuggle_script(site: Path) -> None:
    """A copy of an automation page with an inline script put into its content after the
    build, as if it had got past every sanitizer: the policy alone must stop it."""
    html = (site / "automations" / "invoice-reminders" / "index.html").read_text("utf-8")
    article = '<article class="md-content__inner md-typeset">'
    script = "<script>window.__smuggled = true; alert(31)</script>"
    assert article in html
    html = html.replace(article, article + script, 1)
    (site / "automations" / "smuggled").mkdir()
    (site / "automations" / "smuggled" / "index.html").write_text(html, encoding="utf-8")


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture(scope="module")
def base_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    base = tmp_path_factory.mktemp("catalog-browser")
    site = build_catalog_site(base)
    smuggle_script(site)
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
    context.add_init_script(VIOLATIONS)
    tab = context.new_page()
    tab.dialogs = []
    tab.on("dialog", lambda dialog: (tab.dialogs.append(dialog.message), dialog.dismiss()))
    tab.console_problems = []
    tab.on(
        "console",
        lambda message: (
            tab.console_problems.append(message.text)
            if message.type in ("error", "warning")
            else None
        ),
    )
    tab.remote_requests = []

    def only_loopback(route: Any) -> None:
        if route.request.url.startswith("http://127.0.0.1:"):
            route.continue_()
        else:  # nothing leaves the machine, and the test sees that it was asked for
            tab.remote_requests.append(route.request.url)
            route.abort()

    context.route("**/*", only_loopback)
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


PHONE = {"width": 390, "height": 844}  # a common phone screen, in CSS pixels
SHOWN_ROWS = "table.ak-filterable tbody tr:not([hidden])"


def shown_names(page: Any) -> list[str]:
    rows = page.locator(SHOWN_ROWS)
    return [rows.nth(i).locator("code").first.inner_text() for i in range(rows.count())]


@pytest.mark.parametrize(
    "path", ["/automations/", "/automations/invoice-reminders/", "/owners/alice/"]
)
def test_wide_tables_scroll_in_their_own_box_on_a_phone(
    page: Any, base_url: str, path: str
) -> None:
    page.set_viewport_size(PHONE)
    page.goto(base_url + path)
    page.wait_for_load_state("load")
    assert page.evaluate("document.scrollingElement.scrollWidth") <= PHONE["width"]
    # The tables are wider than the screen (so the test measures something): they scroll.
    widest = page.evaluate(
        "Math.max(...Array.from(document.querySelectorAll('.ak-scroll'), b => b.scrollWidth))"
    )
    assert widest > PHONE["width"]


def test_a_filter_that_matches_nothing_says_so_and_clears(page: Any, base_url: str) -> None:
    page.goto(base_url + "/automations/")
    empty = page.locator("[data-ak-empty]")
    assert not empty.is_visible()
    page.click("input[name=text]")
    page.keyboard.type("no automation is called this")
    page.select_option("select[name=status]", "stable")
    assert shown_names(page) == []
    assert empty.is_visible() and "No automation matches" in empty.inner_text()
    assert not page.is_visible("table.ak-filterable")
    empty.get_by_role("button", name="Clear filters").click()
    assert len(shown_names(page)) == 4 and not empty.is_visible()
    assert page.input_value("input[name=text]") == ""
    assert page.input_value("select[name=status]") == ""
    assert "?" not in page.url
    assert page.evaluate("document.activeElement.name") == "text"


def test_a_filtered_view_is_in_its_url_and_reopens_the_same(
    page: Any, base_url: str, browser: Any
) -> None:
    page.goto(base_url + "/automations/")
    page.select_option("select[name=tag]", "email")
    page.click("input[name=text]")
    page.keyboard.type("Report")
    assert shown_names(page) == ["old-report"]
    url = page.url
    assert "tag=email" in url and "text=Report" in url
    other = browser.new_context().new_page()
    try:
        other.goto(url)
        other.wait_for_load_state("load")
        assert shown_names(other) == ["old-report"]
        assert other.input_value("input[name=text]") == "Report"
        assert other.input_value("select[name=tag]") == "email"
        assert other.inner_text("[data-ak-count]") == "1"
        assert page.evaluate("window.__violations") == [] and page.console_problems == []
    finally:
        other.context.close()


def test_a_hostile_filter_in_the_url_is_only_text(page: Any, base_url: str) -> None:
    page.goto(base_url + "/automations/?text=%3Cimg%20src%3Dx%20onerror%3Dalert(41)%3E&tag=%22%3E")
    page.wait_for_load_state("load")
    assert page.input_value("input[name=text]") == "<img src=x onerror=alert(41)>"
    assert shown_names(page) == [] and page.is_visible("[data-ak-empty]")
    assert page.evaluate(INJECTED) == [] and page.dialogs == []


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


@pytest.mark.parametrize("path", ["/", "/automations/invoice-reminders/", "/contributing/"])
def test_normal_pages_run_the_theme_with_no_policy_violation(
    page: Any, base_url: str, path: str
) -> None:
    page.goto(base_url + path)
    page.wait_for_load_state("networkidle")
    assert page.evaluate("typeof __md_get") == "function"  # the theme's inline script ran
    assert page.evaluate("typeof document$") == "object"  # and its bundle
    page.click("input.md-search__input")  # search runs in a web worker: allowed too
    page.keyboard.type("overdue")
    page.locator(".md-search-result__item").first.wait_for(timeout=10_000)
    assert page.evaluate("window.__violations") == []
    assert page.console_problems == []
    assert page.remote_requests == []


def test_remote_image_in_a_readme_does_not_load(page: Any, base_url: str) -> None:
    page.goto(base_url + "/automations/hostile-text/")
    page.wait_for_load_state("networkidle")
    image = page.locator(f".ak-readme img[src='{REMOTE_IMAGE}']")
    assert image.count() == 1  # the sanitizer keeps https images; the policy stops them
    assert page.evaluate("(img) => img.naturalWidth", image.element_handle()) == 0
    assert page.remote_requests == []  # the browser never even asked
    assert f"img-src {REMOTE_IMAGE}" in page.evaluate("window.__violations")


def test_image_from_the_automation_folder_loads_under_the_policy(page: Any, base_url: str) -> None:
    page.goto(base_url + "/automations/invoice-reminders/")
    page.wait_for_load_state("networkidle")
    image = page.locator(".ak-readme img[alt='A reminder as customers see it']")
    assert image.count() == 1
    assert image.get_attribute("src").startswith("images/")  # a copy in the site
    assert page.evaluate(
        "(img) => [img.naturalWidth, img.naturalHeight]", image.element_handle()
    ) == [3, 2]
    assert page.evaluate("window.__violations") == []
    assert page.remote_requests == []


def test_inline_script_smuggled_into_a_page_does_not_run(page: Any, base_url: str) -> None:
    page.goto(base_url + SMUGGLED_PAGE)
    page.wait_for_load_state("networkidle")
    # The violation event is queued as a task of its own: wait for it rather than race it.
    page.wait_for_function("() => (window.__violations || []).length > 0", timeout=10_000)
    assert page.evaluate("window.__smuggled") is None
    assert page.dialogs == []
    assert page.evaluate("window.__violations") == ["script-src-elem inline"]
    assert page.evaluate("typeof __md_get") == "function"  # the theme's scripts still run
    results = search(page, base_url, "overdue")  # and so does search
    assert any("Invoice reminders" in text for text in results.all_inner_texts())


def test_hostile_docs_page_runs_nothing(page: Any, base_url: str) -> None:
    page.goto(base_url + "/hostile-page/")
    page.wait_for_load_state("networkidle")
    assert page.dialogs == []
    assert page.evaluate("window.__violations") == []  # nothing was even there to refuse
    assert page.inner_text(".md-content .admonition-title") == "A note"
