"""`autokit catalog build|serve`: the catalog site, through MkDocs and the catalog plugin.

Both read the repository's `mkdocs.yml`; the `autokit-catalog` plugin named there
generates the automation pages, so `mkdocs build --strict` gives the same site.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from toolkit.errors import ToolkitError
from toolkit.repo import Repository, repository_from_args

if TYPE_CHECKING:
    from mkdocs.config.defaults import MkDocsConfig

EXIT_INTERRUPTED = 130  # the CLI's code for Ctrl-C (`toolkit.cli`)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    actions = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    build = actions.add_parser("build", help="build the site (strict: any warning fails)")
    build.add_argument(
        "--site-dir",
        metavar="DIR",
        help="where to write the site (default: site/ in the repository)",
    )
    build.add_argument(
        "--ideas",
        metavar="FILE",
        help="the ideas file (autokit ideas fetch) the Ideas page shows; a missing one is noted",
    )
    serve = actions.add_parser("serve", help="serve the site locally, rebuilding on changes")
    serve.add_argument(
        "--dev-addr",
        metavar="HOST:PORT",
        default="127.0.0.1:8000",
        help="address to serve on (default: 127.0.0.1:8000)",
    )


def run(args: argparse.Namespace) -> int:
    repo = repository_from_args(args)
    if args.action == "build":
        ideas = Path(args.ideas).resolve() if args.ideas else None
        site = build(repo, Path(args.site_dir).resolve() if args.site_dir else None, ideas)
        print(f"catalog built in {site}", file=sys.stderr)
        return 0
    return serve(repo, args.dev_addr)


def build(repo: Repository, site_dir: Path | None = None, ideas: Path | None = None) -> Path:
    """`mkdocs build --strict` of the repository's catalog; returns the site folder.
    `ideas`: the ideas file its Ideas page shows (else the one mkdocs.yml names, if any)."""
    from mkdocs.commands.build import build as mkdocs_build
    from mkdocs.exceptions import Abort, MkDocsException

    config = _load_config(repo, site_dir)
    if ideas is not None:
        _catalog_plugin(config).config["ideas"] = str(ideas)
    try:
        config.plugins.on_startup(command="build", dirty=False)
        try:
            mkdocs_build(config)
        finally:
            config.plugins.on_shutdown()
    except (Abort, MkDocsException) as error:
        raise ToolkitError(
            f"the catalog did not build: {error}",
            "fix the warnings printed above, then build again",
        ) from None
    except OSError as error:
        where = error.filename or config.site_dir
        raise ToolkitError(
            f"the catalog could not be written: {where}: {error.strerror}",
            "pass --site-dir a folder you can write to",
        ) from None
    return Path(config.site_dir)


def _catalog_plugin(config: MkDocsConfig) -> Any:
    plugin = config.plugins.get("autokit-catalog")
    if plugin is None:
        raise ToolkitError(
            "mkdocs.yml does not use the autokit-catalog plugin, which shows the ideas",
            "add `- autokit-catalog` under `plugins:` in mkdocs.yml",
        )
    return plugin


def serve(repo: Repository, dev_addr: str) -> int:
    """`mkdocs serve` of the repository's catalog, until interrupted (exit 130).

    MkDocs' own log lines say where it serves and when it rebuilds; they go to stderr.
    """
    from mkdocs.commands.serve import serve as mkdocs_serve
    from mkdocs.exceptions import MkDocsException

    _quiet_end_of_life_notice()
    _log_to_stderr()
    try:
        # MkDocs serves until Ctrl-C, which it catches itself to shut the server down:
        # its return means the user interrupted it.
        mkdocs_serve(config_file=str(_config_file(repo)), dev_addr=dev_addr)
    except MkDocsException as error:
        raise ToolkitError(f"the catalog could not be served: {error}") from None
    except OSError as error:  # typically the address is taken or not this machine's
        raise ToolkitError(
            f"the catalog could not be served on {dev_addr}: {error.strerror}",
            "pass --dev-addr a free local address, e.g. 127.0.0.1:8001",
        ) from None
    print("autokit: interrupted; the catalog is no longer served", file=sys.stderr)
    return EXIT_INTERRUPTED


def _load_config(repo: Repository, site_dir: Path | None) -> MkDocsConfig:
    """mkdocs.yml, strict (any warning fails the build), writing to `site_dir` if given."""
    from mkdocs.config import load_config
    from mkdocs.exceptions import Abort, ConfigurationError

    _quiet_end_of_life_notice()
    _log_to_stderr()
    try:
        return load_config(
            config_file=str(_config_file(repo)),
            strict=True,
            site_dir=str(site_dir) if site_dir is not None else None,  # None: mkdocs.yml's
        )
    except ConfigurationError as error:
        raise ToolkitError(f"mkdocs.yml: {error}", "fix the configuration") from None
    except Abort:  # MkDocs has logged each problem above
        raise ToolkitError(
            "mkdocs.yml is not a valid MkDocs configuration", "fix the errors printed above"
        ) from None


def _config_file(repo: Repository) -> Path:
    path = repo.root / "mkdocs.yml"
    if not path.is_file():
        raise ToolkitError(
            f"{path} does not exist",
            "the catalog is configured by mkdocs.yml at the repository root",
        )
    _within_yaml_limits(repo, path)
    return path


def _within_yaml_limits(repo: Repository, path: Path) -> None:
    """MkDocs reads mkdocs.yml with its own loader: it gets the file only once autokit's
    bounded reader has measured it (size, nesting, aliases), and never through a link."""
    from toolkit.files import read_contributor_file
    from toolkit.metadata.yamlfile import MAX_FILE_BYTES, YamlProblem, compose, decode

    try:
        raw = read_contributor_file(path, repo.root, MAX_FILE_BYTES + 1)
        compose(decode(raw))
    except YamlProblem as problem:
        where = ":".join(str(p) for p in ("mkdocs.yml", problem.line, problem.column) if p)
        raise ToolkitError(f"{where}: {problem.message}", problem.hint) from None
    except OSError as error:
        raise ToolkitError(f"mkdocs.yml cannot be read: {error}", "restore the file") from None


def _quiet_end_of_life_notice() -> None:
    # mkdocs-material prints a banner about its successor on every build; not actionable.
    os.environ.setdefault("NO_MKDOCS_2_WARNING", "1")


def _log_to_stderr() -> None:
    """MkDocs' log lines (INFO and up) on stderr, as its own CLI prints them."""

    class StderrHandler(logging.Handler):
        # Looks sys.stderr up on every record, so a replaced stream (tests) is honoured.
        def emit(self, record: logging.LogRecord) -> None:
            print(self.format(record), file=sys.stderr)

    logger = logging.getLogger("mkdocs")
    if not any(type(h).__name__ == "StderrHandler" for h in logger.handlers):
        handler = StderrHandler()
        handler.setFormatter(logging.Formatter("%(levelname)-7s -  %(message)s"))
        logger.addHandler(handler)
        logger.setLevel(logging.INFO)
