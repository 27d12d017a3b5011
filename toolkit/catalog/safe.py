"""Contributor text made safe for the catalog.

Metadata is escaped (the templates autoescape). README and CHANGELOG Markdown is rendered
to HTML here, then sanitized with nh3 (ammonia): a Rust allowlist sanitizer that parses
HTML the way browsers do, which a hand-written regex filter never matches. Only http,
https, mailto and relative links survive; relative links are pointed at the file in the
repository, or dropped (and reported) when the file does not exist.
"""

from __future__ import annotations

import posixpath
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

if TYPE_CHECKING:
    from markdown import Markdown

# Markdown features contributors may use in README and CHANGELOG files.
MARKDOWN_EXTENSIONS = ["tables", "fenced_code", "sane_lists", "def_list"]
URL_SCHEMES = {"http", "https", "mailto"}
_BLOCKED_TAGS = {"area", "map", "nav", "header", "footer", "center", "hgroup", "article", "aside"}
_HEADING = re.compile(r"<(/?)h([1-5])>")

_markdown: Markdown | None = None


@dataclass
class LinkPolicy:
    """Where relative links of one automation's Markdown may point.

    `folder` is the automation folder on disk, `repo_path` the same folder relative to the
    repository root, `blob_url` the repository's web URL for files (None: no links).
    """

    folder: Path
    repo_path: str
    blob_url: str | None
    dropped: list[str] = field(default_factory=list)

    def rewrite(self, target: str, raw: bool = False) -> str | None:
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
        return f"{self.blob_url}/{resolved}" + ("?raw=true" if raw else "")


def render_markdown(text: str, links: LinkPolicy | None = None) -> str:
    """Contributor Markdown as sanitized HTML, headings demoted one level below the page's."""
    html = _converter().reset().convert(text)
    return sanitize(html, links)


def sanitize(html: str, links: LinkPolicy | None = None) -> str:
    import nh3

    def attribute_filter(tag: str, attribute: str, value: str) -> str | None:
        if attribute not in ("href", "src"):
            return value
        return _safe_url(value, links, raw=attribute == "src")

    cleaned = nh3.clean(
        html,
        tags=set(nh3.ALLOWED_TAGS) - _BLOCKED_TAGS,
        attribute_filter=attribute_filter,
        url_schemes=URL_SCHEMES,
    )
    return _HEADING.sub(lambda m: f"<{m[1]}h{int(m[2]) + 1}>", cleaned)


def _safe_url(value: str, links: LinkPolicy | None, raw: bool) -> str | None:
    parts = urlsplit(value.strip())
    if parts.scheme or value.strip().startswith("//"):
        scheme = parts.scheme.lower()
        allowed = scheme == "mailto" or (scheme in URL_SCHEMES and bool(parts.netloc))
        return value if allowed else None
    if value.startswith("/") or links is None:
        if links is not None:
            links.dropped.append(value)
        return None
    return links.rewrite(value, raw)


def _converter() -> Markdown:
    global _markdown
    if _markdown is None:
        import markdown

        _markdown = markdown.Markdown(extensions=MARKDOWN_EXTENSIONS, output_format="html")
    return _markdown


def one_line(text: object) -> str:
    """Metadata shown inline: whitespace (newlines too) collapsed to single spaces."""
    return " ".join(str(text).split())
