"""The catalog's library pages: real `mkdocs build --strict` of a repository with libraries.

textkit (tagged 1.0.0, now 1.1.0) is used by shopkit, which two automations use: one as in
the same commit, one pinned. shopkit's summary, docstrings and README are hostile; one of its
modules is a link to a file outside the repository; brokenkit's library.yaml is invalid.
"""

from __future__ import annotations

import os
import re
import textwrap
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path

import pytest
import yaml
from catalog_repo import XSS, git_as, isolated_env, png_image, site_files
from helpers import automation_files, build_tree, library_files

from toolkit.catalog import pages
from toolkit.catalog.build import collect
from toolkit.cli import main

pytestmark = pytest.mark.slow

SECRET_DOCSTRING = "TOPSECRET outside the repository"
SHOPKIT_CODE = textwrap.dedent(
    f'''
    """Shop helpers."""

    from textkit import shout

    from .orders import Order, total
    from .leak import leaked

    __all__ = ["greet", "Order", "total", "leaked", "RATE", '{XSS}']

    RATE = 0.2


    def greet(who: str, *, loud: bool = False, mark: str = "<b>") -> str:
        """A greeting for `who` {XSS} [click](javascript:alert(30)).

        Loud greetings <a href="javascript:alert(31)">shout</a>.
        """
        return shout(who) if loud else f"hello {{who}}"
    '''
)
ORDERS_CODE = textwrap.dedent(
    '''
    from dataclasses import dataclass


    @dataclass
    class Order:
        """One order of the shop."""

        number: int
        lines: list
        note: str = ""


    def total(order, tax=0.2):
        """The order's total with tax."""
        return 0
    '''
)
SHOPKIT_README = (
    "# Shopkit\n\nHelpers every shop automation needs.\n\n"
    f"Readable text {XSS}\n\n[js](javascript:alert(32)) "
    '<a href="jaVasCript:alert(33)" onclick="alert(34)">raw link</a> '
    '<iframe src="javascript:alert(35)"></iframe>\n\nSee [the notes](NOTES.md).\n\n'
    "![The order screen](docs/orders.png)\n"
)
ORDERS_PNG = png_image(4, 3)


def _metadata(name: str, **fields: object) -> str:
    return yaml.safe_dump({"name": name, **fields}, sort_keys=False)


def build_repo(root: Path, env: dict[str, str], outside: Path) -> Path:
    root.mkdir(parents=True)
    site_files(root)
    git_as(root, env, "Alice", "init", "-q", "-b", "main")
    build_tree(
        root,
        library_files("textkit", "def shout(text):\n    return text.upper()\n", title="Text kit"),
    )
    git_as(root, env, "Alice", "add", "-A")
    git_as(root, env, "Alice", "commit", "-qm", "textkit", when="2026-01-05T10:00:00+00:00")
    git_as(root, env, "Alice", "tag", "textkit@1.0.0")
    files: dict[str, str | bytes] = library_files(
        "textkit",
        '"""Text."""\n\n\ndef shout(text):\n    """Upper case."""\n    return text.upper()\n',
        title="Text kit",
        version="1.1.0",
        summary="Text helpers.",
    )
    files["libraries/textkit/CHANGELOG.md"] = (
        "# Changelog\n\n## 1.1.0\n\n- Docstrings.\n\n## 1.0.0\n\n- First version.\n"
    )
    files |= library_files(
        "shopkit",
        SHOPKIT_CODE,
        title="Shop kit",
        summary=f"Shop helpers {XSS} [x](javascript:alert(36))",
        version="1.2.0",
        owners=["@bob", "@alice"],
        libraries=["textkit"],
        requirements=["openpyxl==3.1.5"],
    )
    files["libraries/shopkit/shopkit/orders.py"] = ORDERS_CODE
    files["libraries/shopkit/README.md"] = SHOPKIT_README
    files["libraries/shopkit/NOTES.md"] = "Notes.\n"
    files["libraries/shopkit/docs/orders.png"] = ORDERS_PNG
    files |= library_files("brokenkit", owners=None)  # owners is required
    files |= automation_files("greeter", libraries=["shopkit"], title="Greeter")
    files |= automation_files("pinned-greeter", libraries=["textkit@1.0.0"], owners=["@carol"])
    files |= automation_files("uses-broken", libraries=["brokenkit"])
    files |= automation_files("plain-job")
    build_tree(root, files)
    (outside / "secret.py").write_text(
        f'def leaked():\n    """{SECRET_DOCSTRING}"""\n', encoding="utf-8"
    )
    os.symlink(outside / "secret.py", root / "libraries/shopkit/shopkit/leak.py")
    git_as(root, env, "Bob", "add", "-A")
    git_as(root, env, "Bob", "commit", "-qm", "libraries", when="2026-02-01T10:00:00+00:00")
    git_as(root, env, "Bob", "tag", "textkit@1.1.0")
    return root


def build_site(base: Path, root: Path, env: dict[str, str]) -> Path:
    with pytest.MonkeyPatch.context() as patch:
        for key in ("HOME", "GIT_CONFIG_GLOBAL", "AUTOKIT_CACHE_DIR", "AUTOKIT_HOME"):
            patch.setenv(key, env[key])
        code = main(["--repo", str(root), "catalog", "build", "--site-dir", str(base / "site")])
    assert code == 0
    return base / "site"


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    base = tmp_path_factory.mktemp("catalog-libraries")
    env = isolated_env(base)
    outside = base / "outside"
    outside.mkdir()
    root = build_repo(base / "repo", env, outside)
    yield build_site(base, root, env)


def page(site: Path, path: str) -> str:
    html = (site / path / "index.html").read_text(encoding="utf-8")
    return html[html.index("<article") : html.index("</article>")]


class _Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))


def _tags(html: str) -> list[tuple[str, dict[str, str | None]]]:
    parser = _Tags()
    parser.feed(html)
    return parser.tags


def test_library_page_shows_metadata_versions_and_users(site: Path) -> None:
    html = page(site, "libraries/textkit")
    for expected in [
        "<h1 data-search-exclude>Text kit</h1>",
        "Text helpers.",
        "<tr><th>Current version</th><td>1.1.0</td></tr>",
        '<a href="https://github.com/alice">@alice</a> (<a href="../../owners/alice/">'
        "automations</a>)",
        '<code>libraries: [textkit]\nlibraries: ["textkit@1.1.0"]</code>',
        '<tr><td>1.1.0</td><td class="ak-nowrap">2026-02-01</td><td><ul>\n<li>Docstrings.</li>',
        '<tr><td>1.0.0</td><td class="ak-nowrap">2026-01-05</td><td><ul>\n<li>First version.',
        '<a href="../../automations/pinned-greeter/">Pinned Greeter</a> '
        "<code>pinned-greeter</code></td><td>1.0.0</td>",
        '<a href="../shopkit/">shopkit</a> (library)</td><td>this commit (1.1.0)</td>',
        '<code class="ak-signature">shout(text)</code>',
        "<p>Upper case.</p>",
        "https://github.com/example-shop/autokit/tree/main/libraries/textkit",
    ]:
        assert expected in html, expected
    assert html.index("<td>1.1.0</td>") < html.index("<td>1.0.0</td>")  # newest first


def test_what_it_offers_lists_public_names_with_signatures_and_docstrings(site: Path) -> None:
    html = page(site, "libraries/shopkit")
    signatures = [
        "greet(who, *, loud=False, mark=&#39;&lt;b&gt;&#39;)",
        "Order(number, lines, note=...)",  # a dataclass: its fields
        "total(order, tax=0.2)",  # re-exported: found in orders.py
        "RATE",
    ]
    positions = [html.index(f'<code class="ak-signature">{s}</code>') for s in signatures]
    assert positions == sorted(positions)  # in the order of __all__
    assert "<p>One order of the shop.</p>" in html
    assert "<p>The order&#39;s total with tax.</p>" in html
    assert '<details class="ak-docstring">' in html  # greet's docstring has a second paragraph
    assert 'id="api-greet"' in html and 'id="api-order"' in html
    # A module behind a symbolic link is never read: its docstring stays off the site.
    assert SECRET_DOCSTRING not in html
    assert '<code class="ak-signature">leaked</code>' in html
    assert '<tr><th>Libraries</th><td class="ak-libraries-used"><a href="../textkit/">' in html
    assert "textkit</a>: this commit (1.1.0)</td></tr>" in html
    assert "<code>openpyxl==3.1.5</code>" in html
    assert (
        '<a href="../../automations/greeter/">Greeter</a> <code>greeter</code></td>'
        "<td>this commit (1.2.0)</td>"
    ) in html
    # @bob owns no automation, so has no owner page to link to.
    assert '<a href="https://github.com/bob">@bob</a>, <a href="https://github.com/alice">' in html


@pytest.mark.parametrize("path", ["libraries/shopkit", "libraries", "automations/greeter"])
def test_hostile_library_text_is_neutralized(site: Path, path: str) -> None:
    html = page(site, path)
    for tag, attrs in _tags(html):
        assert tag not in ("script", "iframe", "svg", "object", "embed"), (tag, attrs)
        assert not [a for a in attrs if a.startswith("on")], (tag, attrs)
        for name in ("href", "src"):
            value = (attrs.get(name) or "").strip().lower()
            assert not value.startswith(("javascript", "data")), (tag, attrs)
        assert not (attrs.get("id") or "").startswith("__"), (tag, attrs)
    escaped = "&lt;script&gt;alert(1)&lt;/script&gt;&lt;img src=x onerror=&#34;alert(2)&#34;&gt;"
    if path != "automations/greeter":
        assert f"Shop helpers {escaped} [x](javascript:alert(36))" in html  # as text
    if path == "libraries/shopkit":
        assert f"A greeting for <code>who</code> {escaped}" not in html  # not Markdown
        assert f"A greeting for `who` {escaped} [click](javascript:alert(30))." in html
        # The whole docstring, as text, its paragraphs apart (a blank line kept as &#10;).
        assert "(javascript:alert(30)).\n&#10;Loud greetings &lt;a href=" in html
        assert f'<code class="ak-signature">{escaped}</code>' in html  # a hostile __all__ name
        assert "Readable text" in html and "raw link" in html  # the README, sanitized
        blob = "https://github.com/example-shop/autokit/blob/main/libraries/shopkit"
        assert f'<a href="{blob}/NOTES.md" rel="noopener noreferrer">the notes</a>' in html


def test_a_library_readme_shows_images_from_its_folder(site: Path) -> None:
    html = page(site, "libraries/shopkit")
    [source] = re.findall(r'<img alt="The order screen" src="(images/[0-9a-f]+\.png)"', html)
    assert (site / "libraries" / "shopkit" / source).read_bytes() == ORDERS_PNG


def test_libraries_index_and_nav(site: Path) -> None:
    html = page(site, "libraries")
    assert "<h1>Libraries</h1>" in html
    rows = [
        '<a href="shopkit/">Shop kit</a><br><code>shopkit</code></td>',
        "<td>1.2.0</td><td>1 automation</td>",
        '<a href="textkit/">Text kit</a><br><code>textkit</code></td><td>Text helpers.</td>'
        "<td>1.1.0</td><td>1 automation, 1 library</td>",
    ]
    for row in rows:
        assert row in html, row
    assert "brokenkit" in html and "library.yaml is invalid" in html
    home = (site / "index.html").read_text(encoding="utf-8")
    nav = home[home.index('<nav class="md-nav md-nav--primary"') :]
    assert nav.index('href="automations/"') < nav.index('href="libraries/"')
    assert nav.index('href="libraries/"') < nav.index('href="tags/"')


def test_automation_pages_list_their_libraries_with_versions(site: Path) -> None:
    row = '<tr><th>Libraries</th><td class="ak-libraries-used">'
    greeter = page(site, "automations/greeter")
    assert f'{row}<a href="../../libraries/shopkit/">shopkit</a>: this commit (1.2.0)</td>' in (
        greeter
    )
    pinned = page(site, "automations/pinned-greeter")
    assert f'{row}<a href="../../libraries/textkit/">textkit</a>: 1.0.0</td>' in pinned
    assert row not in page(site, "automations/plain-job")  # no libraries, no row


def test_a_broken_library_is_left_out_and_the_rest_builds(site: Path) -> None:
    assert not (site / "libraries" / "brokenkit").exists()
    home = page(site, "")
    assert "1 library(ies) left out because their library.yaml is invalid" in home
    assert "libraries/brokenkit" in home
    uses = page(site, "automations/uses-broken")
    assert '<td class="ak-libraries-used"><code>brokenkit</code>: this commit</td>' in uses
    assert (site / "libraries" / "shopkit" / "index.html").is_file()


def test_library_pages_are_searchable(site: Path) -> None:
    import json

    index = json.loads((site / "search" / "search_index.json").read_text(encoding="utf-8"))
    docs = {d["location"]: d for d in index["docs"]}
    shopkit = docs["libraries/shopkit/"]
    assert "Helpers every shop automation needs" in shopkit["text"]
    assert "One order of the shop" in shopkit["text"]
    assert "libraries/" not in docs  # the index, like the other index pages


def test_a_repository_without_libraries_has_no_library_pages(tmp_path: Path) -> None:
    env = isolated_env(tmp_path)
    root = tmp_path / "repo"
    root.mkdir()
    site_files(root)
    build_tree(root, automation_files("plain-job"))
    git_as(root, env, "Alice", "init", "-q", "-b", "main")
    git_as(root, env, "Alice", "add", "-A")
    git_as(root, env, "Alice", "commit", "-qm", "one")
    catalog = collect(root)
    assert catalog.libraries == [] and catalog.broken_libraries == []
    generated = pages.generate(catalog, pages.Links())
    assert not [src for src in generated if src.startswith("libraries/")]
    site = build_site(tmp_path, root, env)
    assert not (site / "libraries").exists()
    assert 'href="libraries/"' not in (site / "index.html").read_text(encoding="utf-8")
    assert "Libraries" not in page(site, "automations/plain-job")


@pytest.mark.parametrize(
    ("nav", "expected"),
    [
        (None, None),  # no nav: MkDocs lists every page itself
        (
            [{"Home": "index.md"}, {"All automations": "automations/index.md"}, "tags.md"],
            [
                {"Home": "index.md"},
                {"All automations": "automations/index.md"},
                {"Libraries": "libraries/index.md"},
                "tags.md",
            ],
        ),
        (["index.md"], ["index.md", {"Libraries": "libraries/index.md"}]),
        (  # mkdocs.yml places it itself
            [{"Shared": [{"Code": "libraries/index.md"}]}],
            [{"Shared": [{"Code": "libraries/index.md"}]}],
        ),
    ],
)
def test_the_libraries_page_joins_the_nav_once(nav: object, expected: object) -> None:
    from types import SimpleNamespace

    from toolkit.catalog.plugin import _add_libraries_to_nav

    config = SimpleNamespace(nav=nav)
    _add_libraries_to_nav(config)  # type: ignore[arg-type]
    assert config.nav == expected
