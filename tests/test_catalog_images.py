"""Images a README or CHANGELOG shows from its automation's folder: published with the site,
or left out as alt text with a note naming the file and why."""

from __future__ import annotations

import logging
import os
import re
from html import escape
from pathlib import Path
from urllib.parse import urljoin

import pytest
from catalog_repo import git_as, isolated_env, png_image, site_files
from helpers import automation_files, build_tree

from toolkit.catalog.images import MAX_IMAGE_BYTES
from toolkit.cli import main

pytestmark = pytest.mark.slow

NAME = "shows-pictures"
FOLDER = f"automations/{NAME}"
SCREENSHOT = png_image(4, 3)
DIAGRAM = png_image(1, 1)
OVERSIZED = png_image(1, 1) + b"\0" * MAX_IMAGE_BYTES  # a real PNG header, over the limit
README = """# Pictures

![The screenshot](docs/screenshot.png) and again ![same](./docs/screenshot.png)

<img src="diagram.png" alt="The diagram">

![Linked](linked.png) ![Escaping](../../../etc/passwd) ![Text](notes.png)
![Huge](huge.png) ![Vector](drawing.svg) ![Gone](missing.png)
"""
CHANGELOG = "## 1.0.0\n\n- Shows the ![new form](docs/form.gif) on the page.\n"
GIF = b"GIF89a\x01\x00\x01\x00\x80\x00\x00\xff\xff\xff\x00\x00\x00!\xf9\x04\x00\x00\x00\x00\x00,"
GIF += b"\x00\x00\x00\x00\x01\x00\x01\x00\x00\x02\x02D\x01\x00;"


def _repo(root: Path) -> Path:
    root.mkdir(parents=True)
    site_files(root)
    files: dict[str, str | bytes] = {}
    files |= automation_files(NAME)
    files |= {
        f"{FOLDER}/README.md": README,
        f"{FOLDER}/CHANGELOG.md": CHANGELOG,
        f"{FOLDER}/docs/screenshot.png": SCREENSHOT,
        f"{FOLDER}/docs/form.gif": GIF,
        f"{FOLDER}/diagram.png": DIAGRAM,
        f"{FOLDER}/notes.png": "not a picture at all\n",
        f"{FOLDER}/huge.png": OVERSIZED,
        f"{FOLDER}/drawing.svg": '<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>',
        "secret.png": SCREENSHOT[:8] + b"outside the folder",
    }
    build_tree(root, files)
    os.symlink(root / "secret.png", root / FOLDER / "linked.png")
    env = isolated_env(root.parent)
    git_as(root, env, "Dana", "init", "-q", "-b", "main")
    git_as(root, env, "Dana", "add", "-A")
    git_as(root, env, "Dana", "commit", "-qm", "pictures")
    return root


def _build(root: Path, directory_urls: bool) -> Path:
    if not directory_urls:
        with (root / "mkdocs.yml").open("a", encoding="utf-8") as config:
            config.write("use_directory_urls: false\n")
    site = root.parent / "site"
    assert main(["--repo", str(root), "catalog", "build", "--site-dir", str(site)]) == 0
    return site


def _page(site: Path, directory_urls: bool) -> tuple[str, str]:
    """The automation page's HTML and its URL relative to the site."""
    url = f"{FOLDER}/" if directory_urls else f"{FOLDER}/index.html"
    return (site / FOLDER / "index.html").read_text(encoding="utf-8"), url


def _published(site: Path, page_url: str, src: str) -> bytes:
    """The bytes of the site file an <img src> of the page at `page_url` loads."""
    resolved = urljoin("https://site.example/" + page_url, src)
    assert resolved.startswith("https://site.example/"), src
    return (site / resolved.removeprefix("https://site.example/")).read_bytes()


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str, str]:
    """The site (directory URLs, the default), the build's log and the page's HTML."""
    base = tmp_path_factory.mktemp("images")
    root = _repo(base / "repo")
    with pytest.MonkeyPatch.context() as patch:
        env = isolated_env(base)
        for key in ("HOME", "GIT_CONFIG_GLOBAL", "AUTOKIT_CACHE_DIR", "AUTOKIT_HOME"):
            patch.setenv(key, env[key])
        recorder = _Recorder()
        logger = logging.getLogger("mkdocs.plugins.autokit-catalog")
        logger.addHandler(recorder)
        try:
            site = _build(root, directory_urls=True)
        finally:
            logger.removeHandler(recorder)
    html, _ = _page(site, True)
    return site, "\n".join(recorder.messages), html


class _Recorder(logging.Handler):
    """The plugin's log messages (the module-scoped build cannot use capsys)."""

    def __init__(self) -> None:
        super().__init__()
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())


def _images(html: str) -> dict[str, str]:
    """alt -> src of every <img> of the README and version table."""
    return {
        alt: src
        for src, alt in re.findall(r'<img(?= [^>]*src="([^"]*)")(?= [^>]*alt="([^"]*)")', html)
    }


def test_folder_images_are_published_with_the_same_bytes(built: tuple[Path, str, str]) -> None:
    site, _, html = built
    shown = _images(html)
    assert _published(site, f"{FOLDER}/", shown["The screenshot"]) == SCREENSHOT
    assert shown["same"] == shown["The screenshot"]  # one file, however often it is shown
    assert _published(site, f"{FOLDER}/", shown["The diagram"]) == DIAGRAM
    assert _published(site, f"{FOLDER}/", shown["new form"]) == GIF  # from the CHANGELOG
    assert sorted(p.name for p in (site / FOLDER / "images").iterdir()) == sorted(
        Path(shown[alt]).name for alt in ("The screenshot", "The diagram", "new form")
    )


@pytest.mark.parametrize(
    ("target", "alt", "why"),
    [
        ("linked.png", "Linked", "it is a symbolic link, which autokit never follows"),
        ("../../../etc/passwd", "Escaping", "it is outside the automation's folder"),
        ("notes.png", "Text", "its content is not a PNG image"),
        ("huge.png", "Huge", "it is over the 1 MB limit"),
        ("drawing.svg", "Vector", "SVG is not published"),
        ("missing.png", "Gone", "no such file in the automation's folder"),
    ],
)
def test_refused_image_is_alt_text_and_the_build_says_which_and_why(
    built: tuple[Path, str, str], target: str, alt: str, why: str
) -> None:
    _, log, html = built
    assert alt not in _images(html)
    readme = html[html.index('<div class="ak-readme">') :]
    readme_text = re.sub(r"<[^>]*>", "", readme[: readme.index("</div>")])
    assert alt in readme_text.split()  # shown as text
    assert re.search(rf"{NAME}: Images left out .*`{re.escape(target)}`: {why}", log)
    assert f"<code>{target}</code>: {escape(why)}" in html  # and on the page


def test_nothing_refused_reaches_the_site(built: tuple[Path, str, str]) -> None:
    site, _, _ = built
    refused = [b"outside the folder", b"not a picture", b"<script>", b"\0" * 1000]
    for path in site.rglob("*"):
        if path.is_file() and path.suffix in (".png", ".gif", ".svg"):
            content = path.read_bytes()
            assert not any(part in content for part in refused), path


def test_images_work_without_directory_urls(tmp_path: Path) -> None:
    site = _build(_repo(tmp_path / "repo"), directory_urls=False)
    html, url = _page(site, False)
    assert url.endswith("index.html")
    assert _published(site, url, _images(html)["The screenshot"]) == SCREENSHOT
