"""The catalog's building blocks: schedules in plain English, sanitizing, links."""

from __future__ import annotations

import html
from datetime import UTC, datetime
from pathlib import Path

import pytest

from toolkit import changelog, cron
from toolkit.catalog import pages
from toolkit.catalog.model import without_title_and_summary
from toolkit.catalog.pages import SLUG_LIMIT, Links, bounded_slug
from toolkit.catalog.safe import LinkPolicy, plain_text, render_markdown, sanitize, sanitize_page
from toolkit.commandline import run_command
from toolkit.metadata import Example


@pytest.mark.parametrize(
    ("expression", "english"),
    [
        ("0 8 * * 1-5", "at 08:00 on Monday through Friday (UTC)"),
        ("*/15 * * * *", "every 15 minutes (UTC)"),
        ("30 6 1 * *", "at 06:30 on day 1 of the month (UTC)"),
        ("0 9,17 * * mon,wed", "at 09:00 and 17:00 on Monday and Wednesday (UTC)"),
        ("5 * * * *", "every hour at minute 5 (UTC)"),
        ("0 0 1 1 *", "at 00:00 on day 1 of the month in January (UTC)"),
        ("* * * * *", "every minute (UTC)"),
    ],
)
def test_schedule_in_plain_english(expression: str, english: str) -> None:
    assert cron.describe(cron.parse(expression)) == english


def test_next_runs_are_the_next_matching_minutes_in_utc() -> None:
    after = datetime(2026, 11, 27, 9, 0, tzinfo=UTC)  # a Friday, after 08:00
    runs = cron.next_runs(cron.parse("0 8 * * 1-5"), after, 3)
    assert [r.isoformat() for r in runs] == [
        "2026-11-30T08:00:00+00:00",
        "2026-12-01T08:00:00+00:00",
        "2026-12-02T08:00:00+00:00",
    ]


def test_day_of_month_and_weekday_are_ored_when_both_are_set() -> None:
    runs = cron.next_runs(cron.parse("0 12 13 * 5"), datetime(2026, 11, 1, tzinfo=UTC), 3)
    assert [r.day for r in runs] == [6, 13, 20]  # Fridays, and the 13th (a Friday too)


def test_runs_per_month() -> None:
    assert cron.runs_per_month(cron.parse("30 6 1 * *")) == 1
    # 24 runs a day over the Gregorian year's 365.2425 days, a twelfth of it a month
    assert cron.runs_per_month(cron.parse("0 * * * *")) == pytest.approx(24 * 365.2425 / 12)
    assert cron.runs_per_month(cron.parse("0 8 * * 1-5")) == pytest.approx(21.75, abs=0.05)


@pytest.mark.parametrize(
    "hostile",
    [
        "<script>alert(1)</script>",
        '<img src=x onerror="alert(1)">',
        "[x](javascript:alert(1))",
        '<a href="JaVaScRiPt:alert(1)">x</a>',
        '<a href="&#106;avascript:alert(1)">x</a>',
        "[x](data:text/html;base64,PHNjcmlwdD4=)",
        '<svg onload="alert(1)"></svg>',
        '<iframe src="https://example.com"></iframe>',
        '<div style="background:url(javascript:alert(1))" onclick="x">t</div>',
        '<form action="https://evil.example"><input name="q"></form>',
    ],
)
def test_sanitized_markdown_keeps_no_script_handler_or_unsafe_link(hostile: str) -> None:
    html = render_markdown(f"text {hostile} more").lower()
    for bad in (
        "<script",
        "onerror",
        "onload",
        "onclick",
        "javascript:",
        "data:",
        "<iframe",
        "<svg",
        "style=",
        "<form",
        "<input",
    ):
        assert bad not in html
    assert "text" in html and "more" in html


def test_safe_links_survive() -> None:
    html = render_markdown(
        "[a](https://example.com/x) [b](mailto:ops@example.com) [c](http://x.org)"
    )
    assert '<a href="https://example.com/x"' in html
    assert '<a href="mailto:ops@example.com"' in html
    assert '<a href="http://x.org"' in html


def test_relative_links_go_to_the_repository_or_are_dropped(tmp_path: Path) -> None:
    (tmp_path / "sample.csv").write_text("a,b\n")
    links = LinkPolicy(tmp_path, "automations/x", "https://github.com/o/r/blob/main")
    html = render_markdown(
        "[s](sample.csv) [gone](gone.md) [up](../../pyproject.toml) ![img](sample.csv) [abs](/etc)",
        links,
    )
    assert 'href="https://github.com/o/r/blob/main/automations/x/sample.csv"' in html
    assert "src=" not in html  # images are published with the site, or left out
    assert links.refused == {"sample.csv": "only PNG, JPEG, GIF and WebP images are published"}
    assert html.count("href=") == 1
    assert links.dropped == ["gone.md", "../../pyproject.toml", "/etc"]


def test_image_left_out_becomes_its_alt_text_escaped() -> None:
    html = render_markdown('<img alt="a &lt;script&gt; &quot;b&quot;" src="data:x"> text')
    assert html == '<p>a &lt;script&gt; "b" text</p>'


def test_readme_headings_sit_below_the_page_title() -> None:
    assert sanitize("<h1>A</h1><h2>B</h2>") == "<h2>A</h2><h3>B</h3>"


@pytest.mark.parametrize("directory_urls", [True, False])
def test_links_between_pages(directory_urls: bool) -> None:
    links = Links(directory_urls)
    if directory_urls:
        assert links.rel("automations/a/index.md", "automations/b/index.md") == "../b/"
        assert links.rel("index.md", "tags.md") == "tags/"
        assert links.rel("automations/a/index.md", "index.md") == "../../"
    else:
        assert links.rel("automations/a/index.md", "automations/b/index.md") == "../b/index.html"
        assert links.rel("impact.md", "automations/a/index.md") == "automations/a/index.html"


def test_run_command_quotes_example_values_for_the_shell() -> None:
    class Automation:
        name = "send-report"
        examples = (Example("x", {"to": "a b; rm -rf /", "dry": True, "n": 3}),)

    assert run_command(Automation()) == (
        "autokit run send-report --input 'to=a b; rm -rf /' --input dry=true --input n=3"
    )


def test_example_values_and_notes_read_as_escaped_text() -> None:
    from toolkit.catalog.pages import _environment

    env = _environment()
    shown = env.from_string("{{ v|json_text }}").render(v={"sender": "Shop <a@b.test>"})
    assert "&lt;a@b.test&gt;" in shown and "u003c" not in shown  # tojson writes \u003c
    assert html.unescape(shown) == '{\n  "sender": "Shop <a@b.test>"\n}'
    note = env.from_string("{{ n|note }}").render(n="run `autokit release` <b>now</b>")
    assert note == "run <code>autokit release</code> &lt;b&gt;now&lt;/b&gt;"


def test_templates_are_sandboxed() -> None:
    from jinja2.exceptions import SecurityError

    from toolkit.catalog.pages import _environment

    with pytest.raises(SecurityError):
        _environment().from_string("{{ f.__globals__ }}").render(f=test_templates_are_sandboxed)


def test_long_values_make_bounded_stable_and_distinct_page_names() -> None:
    long_a, long_b = "Operations " * 30 + "north", "Operations " * 30 + "south"
    slug_a, slug_b = pages.department_slug(long_a), pages.department_slug(long_b)
    assert len(slug_a) == len(slug_b) == SLUG_LIMIT
    assert slug_a != slug_b  # same first 60 characters, different hash
    assert slug_a == pages.department_slug(long_a)  # stable from build to build
    assert pages.department_slug(long_a.upper()) == slug_a  # spellings still share a page
    assert pages.department_slug("Finance & Legal") == "finance-legal"  # short: unchanged
    assert pages.owner_slug("@example-shop/finance") == "example-shop--finance"
    team = pages.owner_slug("@shop/" + "t" * 300)
    assert len(team) == SLUG_LIMIT and team.startswith("shop--ttt")


@pytest.mark.parametrize("value", ["..", "../../etc", "a/../../b", "\n", "@/", "x" * 5000])
def test_no_value_makes_a_name_outside_its_folder(value: str) -> None:
    for slug in (bounded_slug(value, "fallback"), pages.owner_slug(value)):
        assert 0 < len(slug) <= SLUG_LIMIT
        assert "/" not in slug and not slug.startswith(".") and slug not in (".", "..")
    assert pages.department_page(value).count("/") == 2
    assert pages.owner_page(value).count("/") == 2


def test_hand_written_page_html_keeps_site_features_and_loses_anything_active() -> None:
    html = (
        '<h2 id="usage">Usage<a class="headerlink" href="#usage" title="Permanent link">'
        '</a></h2><div class="admonition note"><p class="admonition-title">Note</p></div>'
        '<table><tr><th align="left">a</th></tr></table><pre><code class="language-yaml">'
        'k: v</code></pre><a href="../contributing/">c</a><a href="mailto:x@example.org">m</a>'
        '<p id="__config" style="color:red" onclick="alert(1)" data-md-component="search">'
        '<a href="javascript:alert(2)">j</a><a href="//evil.example/">e</a></p>'
        "<script>alert(3)</script><iframe src=x></iframe>"
    )
    clean = sanitize_page(html)
    for kept in (
        '<h2 id="usage">',
        'class="headerlink" href="#usage"',
        '<div class="admonition note"><p class="admonition-title">',
        '<th align="left">',
        '<code class="language-yaml">',
        'href="../contributing/"',
        'href="mailto:x@example.org"',
    ):
        assert kept in clean, kept
    for gone in (
        "__config",
        "style",
        "onclick",
        "data-md",
        "javascript",
        "evil",
        "script",
        "iframe",
    ):
        assert gone not in clean, gone


def test_plain_text_is_safe_in_text_and_in_attribute_values() -> None:
    assert plain_text('Tom &amp; Jerry"><script>alert(1)</script>') == "Tom &amp; Jerry&quot;&gt;"
    assert plain_text("a <img src=x onerror=alert(1)// b") == "a "
    assert plain_text("1 < 2") == "1 &lt; 2"


TITLE, SUMMARY = "Late fees", "Adds late fees to overdue invoices."


@pytest.mark.parametrize(
    ("readme", "left"),
    [
        ("# Late fees\n\nAdds late fees to overdue invoices.\n\n## Use\n", "\n## Use\n"),
        ("\n# late  FEES #\nAdds late fees\nto overdue invoices\n\nMore.\n", "\nMore.\n"),
        ("# Late fees\n\nSomething else.\n", "\nSomething else.\n"),
        ("Adds late fees to overdue invoices.\n", ""),
        ("\ufeff# Late fees\n\nMore.\n", "\nMore.\n"),
        ("# Late fees, the old way\n\nAdds late fees to overdue invoices.\n", None),
        ("## Late fees\n", None),  # a section, not the page's title
        ("    # Late fees\n", None),  # a code block
        ("Intro.\n\n# Late fees\n", None),  # not where the README opens
    ],
)
def test_readme_loses_only_an_opening_repeat_of_title_and_summary(
    readme: str, left: str | None
) -> None:
    assert without_title_and_summary(readme, TITLE, SUMMARY) == (readme if left is None else left)


def test_changelog_headings_give_dates_where_they_hold_a_real_one() -> None:
    text = (
        "# Changelog\n\n## 1.4.0 - 2026-11-26\n\n- x\n\n## [1.3.0] 2026-13-45\n\n"
        "## 1.2.0\n\n## v1.1.0 (2025-02-03)\n\n## 1.0.0 - 12026-01-01\n\n"
        "## 1.4.0 - 2020-01-01\n"
    )
    assert changelog.heading_dates(text) == {"1.4.0": "2026-11-26", "1.1.0": "2025-02-03"}


def test_a_crafted_readme_opening_costs_linear_time() -> None:
    import time

    started = time.perf_counter()
    for readme in ["# " + " \t" * 200_000 + "x #", "#" + " " * 400_000 + "#" * 1000]:
        assert without_title_and_summary(readme, TITLE, SUMMARY) == readme
    assert time.perf_counter() - started < 1.0
