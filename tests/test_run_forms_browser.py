"""The catalog's "Run on GitHub" button, in a real chromium, on a real mkdocs build."""

from __future__ import annotations

import functools
import http.server
import threading
from collections.abc import Iterator
from typing import Any

import pytest
from catalog_repo import site_files
from helpers import automation_files, commit_all

pytestmark = [pytest.mark.browser, pytest.mark.slow]

CHROMIUM = "/usr/bin/chromium"
FORM_URL = "https://github.com/example-shop/autokit/actions/workflows/run-steady.yml"
VIOLATIONS = """
window.__violations = [];
document.addEventListener("securitypolicyviolation", (event) => {
  window.__violations.push(event.effectiveDirective + " " + event.blockedURI);
});
"""


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def site(make_repo, cli) -> Iterator[str]:
    root = make_repo({**automation_files("steady"), **automation_files("fresh")}, commit=False)
    site_files(root)
    pyproject = root / "pyproject.toml"
    pyproject.write_text(pyproject.read_text() + 'run_forms = "stable"\n')
    metadata = root / "automations/fresh/automation.yaml"
    metadata.write_text(metadata.read_text().replace("status: stable", "status: experimental"))
    assert cli("schedule", "render", "--repo", str(root)).code == 0
    commit_all(root, "two automations, one with a Run form")
    built = cli("--repo", str(root), "catalog", "build", "--site-dir", str(root / "site"))
    assert built.code == 0, built
    handler = functools.partial(_QuietHandler, directory=str(root / "site"))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


@pytest.fixture
def page() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"]
        )
        context = browser.new_context()
        context.add_init_script(VIOLATIONS)
        tab = context.new_page()
        tab.remote_requests = []

        def only_loopback(route: Any) -> None:
            if route.request.url.startswith("http://127.0.0.1:"):
                route.continue_()
            else:  # GitHub is not reached; the test sees where the button went
                tab.remote_requests.append(route.request.url)
                route.abort()

        context.route("**/*", only_loopback)
        yield tab
        browser.close()


def test_the_button_opens_the_automations_form_and_only_where_one_exists(
    page: Any, site: str
) -> None:
    page.goto(site + "/automations/steady/")
    button = page.get_by_role("link", name="Run on GitHub")
    assert button.is_visible()
    assert button.get_attribute("href") == FORM_URL
    button.click()
    page.wait_for_timeout(500)
    assert FORM_URL in page.remote_requests
    page.goto(site + "/automations/fresh/")
    assert page.get_by_role("link", name="Run on GitHub").count() == 0
    assert page.evaluate("window.__violations") == []
