"""Contributor text made safe for the catalog.

Metadata is escaped (the templates autoescape). README and CHANGELOG Markdown is rendered
to HTML here, then sanitized with nh3 (ammonia): a Rust allowlist sanitizer that parses
HTML the way browsers do, which a hand-written regex filter never matches. Only http,
https, mailto and relative links survive; relative links are pointed at the file in the
repository, or dropped (and reported) when the file does not exist. An image from the
automation's own folder is published with the site (`images`), since the site's policy
loads images from nowhere else; one that cannot be is shown as its alt text, and reported.

The hand-written pages under `docs/` are contributor text too: `sanitize_page` passes
their HTML through the same sanitizer, keeping the ids, classes and links the site's
Markdown extensions write (headings, permalinks, admonitions, tables, code) and links
between pages of the site.
"""

from __future__ import annotations

import posixpath
import re
from dataclasses import dataclass, field
from html import escape, unescape
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import unquote, urlsplit

if TYPE_CHECKING:
    from markdown import Markdown

    from toolkit.catalog.images import SiteImage

# Markdown features contributors may use in README and CHANGELOG files.
MARKDOWN_EXTENSIONS = ["tables", "fenced_code", "sane_lists", "def_list"]
URL_SCHEMES = {"http", "https", "mailto"}
_BLOCKED_TAGS = {"area", "map", "nav", "header", "footer", "center", "hgroup", "article", "aside"}
_HEADING = re.compile(r"<(/?)h([1-5])>")
# What the Markdown extensions of mkdocs.yml write (toc ids and permalinks, admonition and
# code classes, table cells), and nothing that runs or restyles: no style, no on*, no data-*.
_PAGE_ATTRIBUTES = {
    "*": {"id", "class", "title", "lang", "dir"},
    "a": {"href", "hreflang"},
    "img": {"src", "alt", "width", "height"},
    "th": {"colspan", "rowspan", "align"},
    "td": {"colspan", "rowspan", "align"},
    "ol": {"start", "type"},
    "li": {"value"},
}
# The theme finds its own parts by these ids (`__config`, `__search`, `__drawer`...): a page
# element holding one would come first in the document and stand in for the theme's.
_THEME_ID_PREFIX = "__"
# An <img> as nh3 writes it (attribute values always double-quoted, '"' escaped inside).
_IMG = re.compile(r'<img((?:\s+[\w-]+(?:="[^"]*")?)*)\s*/?>')
_ATTRIBUTE = re.compile(r'\s+([\w-]+)(?:="([^"]*)")?')

_markdown: Markdown | None = None


@dataclass
class LinkPolicy:
    """Where relative links of one automation's Markdown may point.

    `folder` is the automation folder on disk, `repo_path` the same folder relative to the
    repository root, `blob_url` the repository's web URL for files (None: no links).
    Images to publish collect in `images` (by site path), refused ones in `refused`
    (target -> why).
    """

    folder: Path
    repo_path: str
    blob_url: str | None
    dropped: list[str] = field(default_factory=list)
    images: dict[str, SiteImage] = field(default_factory=dict)
    refused: dict[str, str] = field(default_factory=dict)
    _image_urls: dict[str, str | None] = field(default_factory=dict)

    def image(self, target: str) -> str | None:
        """The page URL of the image a README shows from `target`, or None (refused and
        remembered). Each file is read once, however often it is shown."""
        if target not in self._image_urls:
            self._image_urls[target] = self._publish(target)
        return self._image_urls[target]

    def _publish(self, target: str) -> str | None:
        from toolkit.catalog.images import (
            MAX_IMAGES,
            RefusedImage,
            page_url,
            site_image,
        )

        try:
            # The automation's page is <repo_path>/index.md: its images go beside it.
            image = site_image(_file_path(target), self.folder, self.repo_path)
            if image.dest not in self.images and len(self.images) >= MAX_IMAGES:
                raise RefusedImage(f"a page shows at most {MAX_IMAGES} images of its folder")
        except RefusedImage as refusal:
            self.refused[target] = str(refusal)
            return None
        self.images[image.dest] = image
        return page_url(image)

    def rewrite(self, target: str) -> str | None:
        """The URL a relative link becomes, or None (dropped and remembered)."""
        path = target.partition("#")[0]
        if not path:
            return None  # in-page anchors: the sanitized README keeps no ids to point at
        resolved = posixpath.normpath(posixpath.join(self.repo_path, path.split("?")[0]))
        inside = resolved.startswith(self.repo_path + "/") or resolved == self.repo_path
        exists = inside and (self.folder / posixpath.relpath(resolved, self.repo_path)).exists()
        if not exists or self.blob_url is None:
            self.dropped.append(target)
            return None
        return f"{self.blob_url}/{resolved}"


def render_markdown(text: str, links: LinkPolicy | None = None) -> str:
    """Contributor Markdown as sanitized HTML, headings demoted one level below the page's."""
    html = _converter().reset().convert(text)
    return sanitize(html, links)


def sanitize(html: str, links: LinkPolicy | None = None) -> str:
    import nh3

    def attribute_filter(tag: str, attribute: str, value: str) -> str | None:
        if attribute not in ("href", "src"):
            return value
        if tag == "img" and links is not None and _is_relative(value):
            return links.image(value)
        return _safe_url(value, links)

    cleaned = nh3.clean(
        html,
        tags=set(nh3.ALLOWED_TAGS) - _BLOCKED_TAGS,
        attribute_filter=attribute_filter,
        url_schemes=URL_SCHEMES,
    )
    cleaned = _IMG.sub(_alt_text_unless_shown, cleaned)
    return _HEADING.sub(lambda m: f"<{m[1]}h{int(m[2]) + 1}>", cleaned)


def _alt_text_unless_shown(match: re.Match[str]) -> str:
    """An image left without a source becomes its alt text, so the reader sees what it
    was about instead of an empty box."""
    attributes = dict(_ATTRIBUTE.findall(match[1]))
    if "src" in attributes:
        return match[0]
    return escape(unescape(attributes.get("alt", "")), quote=False)


def _is_relative(value: str) -> bool:
    """A link to a file of the repository: no scheme, no host (`//x`)."""
    stripped = value.strip()
    return not urlsplit(stripped).scheme and not stripped.startswith("//")


def _file_path(target: str) -> str:
    """The file a relative URL names: no query or fragment, %-escapes decoded."""
    return unquote(target.strip().partition("#")[0].partition("?")[0])


def sanitize_page(html: str) -> str:
    """A hand-written site page's HTML (after Markdown), as safe as a README's.

    Links to other pages of the site and in-page anchors stay; headings keep their level.
    """
    import nh3

    def attribute_filter(tag: str, attribute: str, value: str) -> str | None:
        if attribute in ("href", "src"):
            return _site_url(value)
        if attribute == "id" and value.startswith(_THEME_ID_PREFIX):
            return None
        return value

    return nh3.clean(
        html,
        tags=set(nh3.ALLOWED_TAGS) - _BLOCKED_TAGS,
        attributes=_PAGE_ATTRIBUTES,
        attribute_filter=attribute_filter,
        url_schemes=URL_SCHEMES,
    )


def plain_text(text: str) -> str:
    """Text shown where the theme prints it unescaped (titles, attribute values, the table
    of contents): every tag removed, the rest escaped, quotes too; entities already in it
    are kept."""
    import nh3

    return nh3.clean(text, tags=set()).replace('"', "&quot;").replace("'", "&#39;")


def _site_url(value: str) -> str | None:
    """A link of a site page: to another page or file of the site, or an allowed URL."""
    parts = urlsplit(value.strip())
    if parts.scheme or value.strip().startswith("//"):
        scheme = parts.scheme.lower()
        allowed = scheme == "mailto" or (scheme in URL_SCHEMES and bool(parts.netloc))
        return value if allowed else None
    return value


def _safe_url(value: str, links: LinkPolicy | None) -> str | None:
    parts = urlsplit(value.strip())
    if parts.scheme or value.strip().startswith("//"):
        return _site_url(value)
    if value.startswith("/") or links is None:
        if links is not None:
            links.dropped.append(value)
        return None
    return links.rewrite(value)


def _converter() -> Markdown:
    global _markdown
    if _markdown is None:
        import markdown

        _markdown = markdown.Markdown(extensions=MARKDOWN_EXTENSIONS, output_format="html")
    return _markdown


def one_line(text: object) -> str:
    """Metadata shown inline: whitespace (newlines too) collapsed to single spaces."""
    return " ".join(str(text).split())
