"""The MkDocs plugin `autokit-catalog`: adds the generated pages as virtual files.

So plain `mkdocs build --strict` and `mkdocs serve` build the catalog, and generated pages
never live in the repository. Only the index pages belong in `nav`; automation,
department and owner pages are reached through them and through search, because
material renders the whole navigation into every page (quadratic in the page count).
The images READMEs show from their folders (`images`) are added the same way, as the
bytes that were checked.

It also confines the site: hand-written pages under `docs/` are sanitized like READMEs
(their metadata and headings too, which the theme prints unescaped), a `docs/` file may
not replace a generated page or a theme file, and every page carries the
Content-Security-Policy of `csp` in the theme override (`theme/main.html`).
"""

from __future__ import annotations

import logging
import os
import secrets
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from mkdocs.config import config_options
from mkdocs.config.base import Config
from mkdocs.config.defaults import MkDocsConfig
from mkdocs.exceptions import PluginError
from mkdocs.plugins import BasePlugin
from mkdocs.structure.files import File, Files, InclusionLevel
from mkdocs.structure.pages import Page
from mkdocs.structure.toc import AnchorLink

from toolkit.catalog import csp, pages
from toolkit.catalog.build import collect_with_pages
from toolkit.catalog.data import catalog_json
from toolkit.catalog.ideas import ideas_for_catalog
from toolkit.catalog.model import Catalog, linked_docs, refuse_linked_docs_folders
from toolkit.catalog.safe import plain_text, sanitize_page
from toolkit.files import LinkedFile

if TYPE_CHECKING:  # the live-reload server (and watchdog) load only for `serve`
    from jinja2 import Environment
    from mkdocs.livereload import LiveReloadServer

THEME_OVERRIDE = Path(__file__).parent / "theme"
OWN_OUTPUTS = ("catalog.json",)  # files on_post_build writes into the site

log = logging.getLogger("mkdocs.plugins.autokit-catalog")


class CatalogConfig(Config):  # type: ignore[no-untyped-call]
    # The autokit repository; default: the folder holding mkdocs.yml.
    repository = config_options.Optional(config_options.Dir(exists=True))
    # The ideas file (`autokit ideas fetch`) the Ideas page shows; none: it says how to get one.
    ideas = config_options.Optional(config_options.Type(str))


class CatalogPlugin(BasePlugin[CatalogConfig]):  # type: ignore[no-untyped-call]
    def __init__(self) -> None:
        self.catalog: Catalog | None = None
        self.prerendered: dict[str, str] = {}  # automation pages rendered while gathering
        self.links = pages.Links()
        self.placeholder = f"autokit-page-{secrets.token_hex(8)}"  # no page text can hold it
        self.generated: set[str] = set()  # source paths of the pages this plugin added
        self.bodies: dict[str, str] = {}  # page source path -> its HTML, until rendered
        self.csp_marker = f"autokit-csp-{secrets.token_hex(8)}"  # filled in after rendering
        self.env: Environment | None = None
        self.policies: dict[tuple[str, str], str] = {}  # (template, base URL) -> policy

    def on_config(self, config: MkDocsConfig) -> MkDocsConfig:
        # The override comes first, before any custom_dir: the policy is not optional.
        config.theme.dirs.insert(0, str(THEME_OVERRIDE))
        if config.theme.get("font") is not False:
            log.info("catalog: theme.font is turned off: the site loads nothing remote")
            config.theme["font"] = False
        self.policies = {}
        root = Path(self.config.repository or Path(config.config_file_path).parent)
        self.links = pages.Links(bool(config.use_directory_urls))
        refuse_linked_docs_folders(Path(config.docs_dir))  # before MkDocs walks into them
        ideas = self.config.ideas
        where = Path(config.config_file_path).parent / ideas if ideas else None
        ideas_notes: list[str] = []
        ideas_file = ideas_for_catalog(where, ideas_notes)
        built = collect_with_pages(root.resolve(), self.links, ideas=ideas_file)
        self.catalog, self.prerendered = built.catalog, built.pages
        self.catalog.notes += ideas_notes
        for note in self.catalog.notes:
            log.info("catalog: %s", note)  # INFO: a shallow clone must not fail --strict
        for entry in self.catalog.entries:
            for note in entry.notes:
                log.info("catalog: %s: %s", entry.name, note)
        for library in self.catalog.libraries:
            for note in library.notes:
                log.info("catalog: library %s: %s", library.name, note)
        if self.catalog.libraries or self.catalog.broken_libraries:
            _add_libraries_to_nav(config)
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
        added = [File.generated(config, src, content=content) for src, content in generated.items()]
        images = _image_files(self.catalog, config)
        _refuse_replacements(files, added + images, config)
        for file in added:
            src = file.src_uri
            in_nav = src in pages.INDEX_PAGES or src in (pages.HOME, pages.LIBRARIES)
            file.inclusion = InclusionLevel.UNDEFINED if in_nav else InclusionLevel.NOT_IN_NAV
            files.append(file)
            self.generated.add(src)
        for file in images:
            files.append(file)
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
        if page.file.src_uri not in self.generated:
            page.meta = _plain_meta(page.meta)  # the theme prints title, description... raw
        if page.file.src_uri == pages.HOME and pages.HOME_MARKER in markdown:
            # The generated block goes in after the hand-written page is sanitized.
            assert self.catalog is not None
            self.bodies[pages.HOME] = pages.home_block(self.catalog, self.links)
            markdown = markdown.replace(pages.HOME_MARKER, f"\n\n{self.placeholder}\n\n", 1)
        return markdown

    def on_page_content(self, html: str, page: Page, config: MkDocsConfig, files: Files) -> str:
        if page.file.src_uri not in self.generated:
            html = sanitize_page(html)
            _plain_toc(page.toc)
            title = page.title  # from the first heading: the theme prints it raw
            if title is not None and plain_text(title) != title:
                page.meta["title"] = plain_text(title)
        body = self.bodies.pop(page.file.src_uri, None)
        return html if body is None else html.replace(f"<p>{self.placeholder}</p>", body.strip(), 1)

    def on_env(self, env: Environment, config: MkDocsConfig, files: Files) -> Environment:
        env.globals["autokit_csp"] = self.csp_marker
        self.env = env
        return env

    def on_post_page(self, output: str, page: Page, config: MkDocsConfig) -> str:
        template = str(page.meta.get("template", "main.html"))
        base_url = _relative_url(".", page.url)
        key = (template, base_url)
        if key not in self.policies:
            self.policies[key] = csp.policy(
                csp.inline_scripts(self._empty_page(page, template, config))
            )
        return self._with_policy(output, self.policies[key], f"page {page.file.src_uri}")

    def on_post_template(
        self, output_content: str, template_name: str, config: MkDocsConfig
    ) -> str:
        if not template_name.endswith(".html"):
            return output_content  # sitemap.xml
        from mkdocs.commands.build import get_context
        from mkdocs.structure.nav import Navigation

        assert self.env is not None
        # As MkDocs renders the error page: absolute URLs from the site's root path.
        base_url = urlsplit(config.site_url or "/").path
        context = get_context(Navigation([], []), [], config, base_url=base_url)
        empty = self.env.get_template(template_name).render(context)
        policy = csp.policy(csp.inline_scripts(empty))
        return self._with_policy(output_content, policy, f"template {template_name}")

    def _empty_page(self, page: Page, template: str, config: MkDocsConfig) -> str:
        """The theme around `page` with no content, metadata or navigation: every inline
        script in it is the theme's own."""
        from mkdocs.commands.build import get_context
        from mkdocs.structure.nav import Navigation
        from mkdocs.structure.toc import get_toc

        assert self.env is not None
        empty = Page(None, File.generated(config, page.file.src_uri, content=""), config)
        empty.markdown, empty.content, empty.meta, empty.toc = "", "", {}, get_toc([])
        context = get_context(Navigation([], []), [], config, empty)
        return self.env.get_template(template).render(context)

    def _with_policy(self, output: str, policy: str, what: str) -> str:
        if self.csp_marker not in output:
            raise PluginError(
                f"catalog: the {what} has no Content-Security-Policy: its template does not "
                "extend the theme's main.html; use the theme's templates"
            )
        return output.replace(self.csp_marker, policy, 1)

    def on_post_build(self, config: MkDocsConfig) -> None:
        assert self.catalog is not None
        text = catalog_json(self.catalog, lambda name: self.links.url(pages.automation_page(name)))
        Path(config.site_dir, "catalog.json").write_text(text, encoding="utf-8")

    def on_serve(
        self, server: LiveReloadServer, config: MkDocsConfig, builder: Callable[..., object]
    ) -> LiveReloadServer:
        root = Path(self.config.repository or Path(config.config_file_path).parent)
        for folder in (root / "automations", root / "libraries", root / "toolkit" / "checks"):
            if folder.is_dir():
                server.watch(str(folder))
        # The preview keeps the published site's policy, which refuses the inline script
        # the live-reload server adds to every page (it differs on each request).
        log.info("catalog: pages keep their Content-Security-Policy: reload them by hand")
        return server


def _image_files(catalog: Catalog, config: MkDocsConfig) -> list[File]:
    """The images READMEs and CHANGELOGs show from their folders, as the bytes that were
    checked when they were read (never read again: nothing can swap them in between)."""
    shown = [image for entry in catalog.entries for image in entry.images]
    shown += [image for library in catalog.libraries for image in library.images]
    return [File.generated(config, image.dest, content=image.content) for image in shown]


def _add_libraries_to_nav(config: MkDocsConfig) -> None:
    """The Libraries page in `nav`, after All automations (a repository with libraries
    only: without them there is no such page, and mkdocs.yml need not name it)."""
    nav = config.nav
    if nav is None or _names(nav, pages.LIBRARIES):
        return  # no nav: MkDocs lists every page; or mkdocs.yml places it itself
    after = next(
        (i for i, item in enumerate(nav) if isinstance(item, dict) and pages.ALL in item.values()),
        len(nav) - 1,
    )
    nav.insert(after + 1, {"Libraries": pages.LIBRARIES})


def _refuse_replacements(files: Files, generated: list[File], config: MkDocsConfig) -> None:
    """A `docs/` file may not take the place of a generated page, of a file the plugin
    writes, or of a theme file (a script there would run as the site's own)."""
    docs_dir = os.path.normpath(config.docs_dir)
    by_dest = {file.dest_uri: file.src_uri for file in generated}
    by_dest.update((name, name) for name in OWN_OUTPUTS)
    clashes = []
    for file in files:
        if not file.src_dir or os.path.normpath(file.src_dir) != docs_dir:
            continue  # a theme file
        if file.dest_uri in by_dest:
            clashes.append(
                f"docs/{file.src_uri} would replace the generated page {by_dest[file.dest_uri]}"
                f" (both are written to {file.dest_uri})"
            )
        elif any(Path(folder, file.src_uri).is_file() for folder in config.theme.dirs):
            clashes.append(f"docs/{file.src_uri} would replace the theme's file {file.src_uri}")
    if clashes:
        raise PluginError(
            "catalog: " + "; ".join(clashes) + ". The catalog writes these itself: "
            "rename or remove the docs/ file."
        )


def _names(nav: object, src: str) -> bool:
    """Whether a `nav` (lists, one-key mappings and paths, nested) names the page `src`."""
    if isinstance(nav, str):
        return nav == src
    if isinstance(nav, dict):
        return any(_names(item, src) for item in nav.values())
    return isinstance(nav, list) and any(_names(item, src) for item in nav)


def _plain_meta(meta: Mapping[str, Any]) -> dict[str, Any]:
    """A hand-written page's front matter with every text value as plain text."""

    def plain(value: object) -> object:
        if isinstance(value, str):
            return plain_text(value)
        if isinstance(value, list):
            return [plain(item) for item in value]
        if isinstance(value, dict):
            return {key: plain(item) for key, item in value.items()}
        return value

    return {key: plain(value) for key, value in meta.items()}


def _plain_toc(items: Iterable[AnchorLink]) -> None:
    for item in items:
        item.title = plain_text(item.title)
        _plain_toc(item.children)


def _relative_url(url: str, other: str) -> str:
    from mkdocs.utils import get_relative_url

    return get_relative_url(url, other)
