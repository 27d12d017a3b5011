"""`autokit validate`: check metadata files against the contract, reporting every problem."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from toolkit.commands.formats import add_format_argument
from toolkit.errors import ToolkitError
from toolkit.findings import ERROR, Finding, has_errors, sorted_findings
from toolkit.metadata import Automation
from toolkit.repo import AUTOMATIONS_DIR, Repository, repository_from_args
from toolkit.reporters import render_github, render_json


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "paths",
        nargs="*",
        metavar="PATH",
        help="automation or library folders, or files inside them (default: every automation "
        "and library)",
    )
    add_format_argument(parser, "text", "json", "github")


def run(args: argparse.Namespace) -> int:
    repo = repository_from_args(args)
    return validate(repo, [Path(p) for p in args.paths], args.format)


def validate(repo: Repository, paths: list[Path], output_format: str = "text") -> int:
    from toolkit.inventory import load_inventory
    from toolkit.metadata.signature import signature_findings

    library_paths = [p for p in paths if _library_names(repo, p) is not None]
    named_libraries = [name for p in library_paths for name in _library_names(repo, p) or ()]
    automation_paths = [p for p in paths if p not in library_paths]
    chosen = automation_folders(repo, automation_paths) if automation_paths else None
    if chosen is None and library_paths:
        chosen = []  # only libraries were named
    # None: every automation, and the links under automations/ reported as such
    inventory = load_inventory(repo, chosen) if chosen != [] else None
    automations = inventory.automations if inventory else []
    findings = inventory.findings if inventory else []
    findings += signature_findings(repo.root, automations, every=chosen is None)
    findings += library_findings_of(repo, automations, every=chosen is None, named=named_libraries)
    folders = repo.automation_dirs() if chosen is None else chosen
    if output_format == "json":
        print(render_json(findings, checked=len(folders)))
    elif output_format == "github":
        if findings:
            print(render_github(findings))
    elif findings:
        print(_text(findings))
    if output_format == "text":
        checked = f"{len(folders)} automation(s)"
        library_count = len(set(named_libraries)) if chosen is not None else _library_count(repo)
        if library_count:
            libraries = f"{library_count} {'library' if library_count == 1 else 'libraries'}"
            checked = f"{checked} and {libraries}" if folders else libraries
        summary = f"{checked} checked, {len(findings)} problem(s)"
        print(summary if findings else f"{summary}: all valid", file=sys.stderr)
    return 1 if has_errors(findings) else 0


def library_findings_of(
    repo: Repository, automations: list[Automation], *, every: bool, named: Sequence[str] = ()
) -> list[Finding]:
    """The libraries' own findings (all of them, or those `automations` use and those
    `named`) and the rules between automations and libraries."""
    from toolkit import git
    from toolkit.libraries import closure, library_of, load_libraries
    from toolkit.libraries.rules import library_findings

    if not every and not named and not any(a.libraries for a in automations):
        return []
    libraries = load_libraries(repo.root)
    findings = libraries.findings
    if not every:
        references = [r for a in automations for r in a.libraries] + list(named)
        used = set(closure(references, libraries.by_name()))
        findings = [f for f in findings if library_of(f.path) in used]
    tags = None
    if libraries.folders and git.is_git_repository(repo.root):
        every_tag = git.version_tags(repo.root)
        tags = {name: [t.version for t in every_tag.get(name, [])] for name in libraries.folders}
    return findings + library_findings(repo.root, automations, libraries, tags)


def _text(findings: list[Finding]) -> str:
    """One line per finding; warnings (which do not fail the run) say so."""
    return "\n".join(
        f.as_line() if f.severity == ERROR else f"{f.severity}: {f.as_line()}"
        for f in sorted_findings(findings)
    )


def _library_count(repo: Repository) -> int:
    from toolkit.libraries import library_dirs

    return len(library_dirs(repo.root))


def _library_names(repo: Repository, path: Path) -> list[str] | None:
    """The libraries a path names (`libraries/` all of them, `libraries/<name>` or a file
    inside it one), or None for a path outside `libraries/`."""
    from toolkit.libraries import LIBRARIES_DIR, library_dirs

    absolute = Path(os.path.abspath(path))
    try:
        parts = absolute.relative_to(repo.root.resolve() / LIBRARIES_DIR).parts
    except ValueError:
        return None
    if not parts:
        return [folder.name for folder in library_dirs(repo.root)]
    if not (repo.root / LIBRARIES_DIR / parts[0]).is_dir():
        raise ToolkitError(f"{path}: no such library folder", "check the path")
    if not os.path.lexists(absolute):
        raise ToolkitError(f"{path}: no such file or folder", "check the path")
    return [parts[0]]


def automation_folders(repo: Repository, paths: list[Path]) -> list[Path] | None:
    """The automation folder of each path (a folder or a file inside one), deduplicated.

    None means every automation (`automations/` or the repository itself was given).
    """
    folders: dict[Path, None] = {}
    base = repo.automations_dir.resolve()
    for path in paths:
        # abspath, not resolve: a symlink inside a folder belongs to that folder, wherever
        # it points (the entrypoint check reports links that leave the repository).
        absolute = Path(os.path.abspath(path))
        if absolute in (base, repo.root.resolve()):
            return None
        try:
            parts = absolute.relative_to(base).parts
        except ValueError:
            parts = ()
        if not parts:
            raise ToolkitError(
                f"{path} is not inside {AUTOMATIONS_DIR}/<name>/",
                "pass automation folders or files inside them",
            )
        folder = base / parts[0]
        if not folder.is_dir():
            raise ToolkitError(f"{path}: no such automation folder", "check the path")
        if not os.path.lexists(absolute):
            raise ToolkitError(f"{path}: no such file or folder", "check the path")
        folders[folder] = None
    return list(folders)
