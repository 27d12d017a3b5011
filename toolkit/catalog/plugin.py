"""The MkDocs plugin `autokit-catalog`: adds the generated pages as virtual files.

So plain `mkdocs build --strict` and `mkdocs serve` build the catalog, and generated pages
never live in the repository. Only the index pages belong in `nav`; automation,
department and owner pages are reached through them and through search, because
material renders the whole navigation into every page (quadratic in the page count).
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from mkdocs.config import config_options
from mkdocs.config.base import Config
from mkdocs.config.defaults import MkDocsConfig
from mkdocs.plugins import BasePlugin
from mkdocs.structure.files import File, Files, InclusionLevel
from mkdocs.structure.pages import Page

from toolkit.catalog import pages
from toolkit.catalog.build import collect_with_pages
from toolkit.catalog.data import catalog_json
from toolkit.catalog.model import Catalog, linked_docs, refuse_linked_docs_folders
from toolkit.files import LinkedFile

if TYPE_CHECKING:  # the live-reload server (and watchdog) load only for `serve`
    from mkdocs.livereload import LiveReloadServer

log = logging.getLogger("mkdocs.plugins.autokit-catalog")


class CatalogConfig(Config):  # type: ignore[no-untyped-call]
    # The autokit repository; default: the folder holding mkdocs.yml.
    repository = config_options.Optional(config_options.Dir(exists=True))


class CatalogPlugin(BasePlugin[CatalogConfig]):  # type: ignore[no-untyped-call]
    def __init__(self) -> None:
        self.catalog: Catalog | None = None
        self.prerendered: dict[str, str] = {}  # automation pages rendered while gathering
        self.links = pages.Links()
        self.placeholder = f"autokit-page-{secrets.token_hex(8)}"  # no page text can hold it
        self.generated: set[str] = set()  # source paths of the pages this plugin added
        self.bodies: dict[str, str] = {}  # page source path -> its HTML, until rendered

    def on_config(self, config: MkDocsConfig) -> MkDocsConfig:
        root = Path(self.config.repository or Path(config.config_file_path).parent)
        self.links = pages.Links(bool(config.use_directory_urls))
        refuse_linked_docs_folders(Path(config.docs_dir))  # before MkDocs walks into them
        built = collect_with_pages(root.resolve(), self.links)
        self.catalog, self.prerendered = built.catalog, built.pages
        for note in self.catalog.notes:
            log.info("catalog: %s", note)  # INFO: a shallow clone must not fail --strict
        for entry in self.catalog.entries:
            for note in entry.notes:
                log.info("catalog: %s: %s", entry.name, note)
        return config

    def on_files(self, files: Files, config: MkDocsConfig) -> Files:
        assert self.catalog is not None
        for src in linked_docs(Path(config.docs_dir), [f.src_uri for f in files if f.abs_src_path]):
            files.remove(files.src_uris[src])  # never published: see `linked_docs`
            log.info("catalog: %s; it is left out of the site", LinkedFile(f"docs/{src}"))
        generated = pages.generate(self.catalog, self.links, prerendered=self.prerendered)
        self.generated = set()
        if files.get_file_from_path(pages.HOME) is None:
            generated[pages.HOME] = "# Automation catalog\n\n" + pages.HOME_MARKER + "\n"
        for src, content in generated.items():
            if files.get_file_from_path(src) is not None:
                log.info("catalog: docs/%s is hand-written; not generating it", src)
                continue
            in_nav = src in pages.INDEX_PAGES or src == pages.HOME
            inclusion = InclusionLevel.UNDEFINED if in_nav else InclusionLevel.NOT_IN_NAV
            files.append(File.generated(config, src, content=content, inclusion=inclusion))
            self.generated.add(src)
        return files

    def on_page_markdown(
        self, markdown: str, page: Page, config: MkDocsConfig, files: Files
    ) -> str:
        if page.file.src_uri in self.generated and pages.is_html(markdown):
            # A page that is one raw HTML block: Markdown would only copy it, but first
            # parse all of it twice (MkDocs' anchor scan, Python-Markdown's block
            # finder), the largest share of the build. It gets a placeholder to convert,
            # and the HTML goes back in after Markdown.
            self.bodies[page.file.src_uri] = markdown
            return self.placeholder
        if page.file.src_uri == pages.HOME and pages.HOME_MARKER in markdown:
            assert self.catalog is not None
            block = pages.home_block(self.catalog, self.links)
            markdown = markdown.replace(pages.HOME_MARKER, block)
        return markdown

    def on_page_content(self, html: str, page: Page, config: MkDocsConfig, files: Files) -> str:
        body = self.bodies.pop(page.file.src_uri, None)
        return html if body is None else html.replace(f"<p>{self.placeholder}</p>", body.strip(), 1)

    def on_post_build(self, config: MkDocsConfig) -> None:
        assert self.catalog is not None
        text = catalog_json(self.catalog, lambda name: self.links.url(pages.automation_page(name)))
        Path(config.site_dir, "catalog.json").write_text(text, encoding="utf-8")

    def on_serve(
        self, server: LiveReloadServer, config: MkDocsConfig, builder: Callable[..., object]
    ) -> LiveReloadServer:
        root = Path(self.config.repository or Path(config.config_file_path).parent)
        for folder in (root / "automations", root / "toolkit" / "checks"):
            if folder.is_dir():
                server.watch(str(folder))
        return server
