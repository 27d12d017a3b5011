"""`autokit show NAME[@VERSION]`: everything about one automation and a command line to run it.

`NAME@VERSION` shows the files of the Git tag `NAME@VERSION`, as `autokit run NAME@VERSION`
runs them: a pinned version's inputs may differ from the current ones.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from toolkit import git
from toolkit.commandline import input_text, run_command
from toolkit.commands.formats import add_format_argument
from toolkit.console import table
from toolkit.errors import ToolkitError
from toolkit.inventory import load_inventory
from toolkit.metadata import Automation, InputSpec
from toolkit.repo import Repository, repository_from_args


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "name",
        metavar="NAME[@VERSION]",
        help="the automation's name, with @VERSION for a tagged version (e.g. late-fees@1.0.0)",
    )
    add_format_argument(parser, "text", "json")


def run(args: argparse.Namespace) -> int:
    repo = repository_from_args(args)
    pinned: str | None = None  # the version of a NAME@VERSION
    if "@" in args.name:
        pinned, automation = pinned_automation(repo, args.name)
    else:
        automation = find_automation(repo, args.name)
    versions = tagged_versions(repo.root, automation.name)
    if args.format == "json":
        print(json.dumps(as_json(repo, automation, versions, pinned=pinned), indent=2))
    else:
        print(render_text(repo, automation, versions, pinned=pinned))
    return 0


def pinned_automation(repo: Repository, spec: str) -> tuple[str, Automation]:
    """The version and the automation as the tag `NAME@VERSION` holds it (what
    `autokit run NAME@VERSION` runs)."""
    from toolkit.run.target import parse_spec, pinned_target  # only for a pinned version

    name, version = parse_spec(spec)
    if version is None:  # "name@" with nothing after it
        raise ToolkitError(f"'{spec}' names no version", f"write {name}@MAJOR.MINOR.PATCH")
    return version, pinned_target(repo, name, version).automation


def find_automation(repo: Repository, name: str) -> Automation:
    """The automation called `name`; reads only its folder when the folder exists."""
    folder = repo.automations_dir / name
    if name and "/" not in name and folder.is_dir():
        inventory = load_inventory(repo, [folder])
        if inventory.automations:
            return inventory.automations[0]
    return load_inventory(repo).get(name)


def tagged_versions(root: Path, name: str) -> list[dict[str, str]] | None:
    """The `NAME@x.y.z` tags, oldest first; None when the folder is not in a Git repository."""
    if not git.is_git_repository(root):
        return None
    return [
        {"version": t.version, "tag": t.tag, "commit": t.commit, "date": t.date}
        for t in git.version_tags(root, name).get(name, [])
    ]


def as_json(
    repo: Repository,
    automation: Automation,
    versions: list[dict[str, str]] | None,
    *,
    pinned: str | None = None,
) -> dict[str, object]:
    return {
        **automation.to_dict(),
        "folder": _folder(repo, automation, pinned),
        "pinned": pinned is not None,
        "versions": versions,
        "run_command": run_command(automation, version=pinned),
    }


def render_text(
    repo: Repository,
    automation: Automation,
    versions: list[dict[str, str]] | None,
    *,
    pinned: str | None = None,
) -> str:
    sections = [
        _heading(automation),
        _facts(repo, automation, pinned),
        _inputs(automation),
        _examples(automation),
        _versions(automation, versions, pinned),
        f"Run it:\n  {run_command(automation, version=pinned)}",
    ]
    return "\n\n".join(section for section in sections if section)


def _heading(automation: Automation) -> str:
    lines = [f"{automation.name} {automation.version}: {automation.title}", automation.summary]
    if automation.deprecation:
        replaced = automation.deprecation.replaced_by
        lines.append(
            f"DEPRECATED: {automation.deprecation.reason}"
            + (f" (use {replaced} instead)" if replaced else "")
        )
    return "\n".join(lines)


def _folder(repo: Repository, automation: Automation, pinned: str | None) -> str:
    """Where the files are, as the repository names them (a pinned copy lives in the cache)."""
    if pinned is not None:
        return f"{repo.relative(repo.automations_dir)}/{automation.name}"
    return repo.relative(automation.folder)


def _facts(repo: Repository, automation: Automation, pinned: str | None) -> str:
    facts = [
        ("status", automation.status),
        ("owners", ", ".join(automation.owners)),
        ("department", automation.department),
        ("tags", ", ".join(automation.tags) or "-"),
        ("classification", automation.classification),
        ("runtime", f"{automation.runtime} ({automation.entrypoint})"),
        ("requirements", ", ".join(automation.requirements) or "-"),
        ("secrets", ", ".join(s.name for s in automation.secrets) or "-"),
        ("schedule", f"{automation.schedule} (UTC)" if automation.schedule else "-"),
        ("timeout", f"{automation.timeout} s"),
        ("time saved", f"{automation.time_saved_minutes:g} min per run"),
        (
            "folder",
            _folder(repo, automation, pinned)
            + "/"
            + (f" at tag {automation.name}@{pinned}" if pinned else ""),
        ),
    ]
    return table(["FIELD", "VALUE"], [[k, v] for k, v in facts]).split("\n", 2)[2]


def _inputs(automation: Automation) -> str:
    if not automation.inputs:
        return "Inputs: none"
    rows = [_input_row(spec) for spec in automation.inputs.values()]
    return "Inputs:\n" + table(["NAME", "TYPE", "REQUIRED", "DEFAULT", "DESCRIPTION"], rows)


def _input_row(spec: InputSpec) -> list[str]:
    kind = spec.type
    if spec.choices:
        kind += f" ({' | '.join(map(str, spec.choices))})"
    if spec.min is not None or spec.max is not None:
        kind += f" [{'' if spec.min is None else spec.min}..{'' if spec.max is None else spec.max}]"
    default = "-" if spec.default is None else input_text(spec.default)
    return [spec.name, kind, "yes" if spec.required else "no", default, spec.description]


def _examples(automation: Automation) -> str:
    lines = []
    for example in automation.examples:
        given = ", ".join(f"{k}={input_text(v)}" for k, v in example.inputs.items())
        lines.append(f"  - {example.title}" + (f": {given}" if given else ""))
    return "Examples:\n" + "\n".join(lines) if lines else ""


def _versions(
    automation: Automation, versions: list[dict[str, str]] | None, pinned: str | None
) -> str:
    if versions is None:
        return "Versions: unknown (the repository is not a Git repository)"
    lines = [f"  {v['tag']}  {v['date'][:10]}  {v['commit'][:10]}" for v in versions]
    if pinned is not None:
        lines = [
            line + ("  (shown)" if v["version"] == pinned else "")
            for line, v in zip(lines, versions, strict=True)
        ]
    elif automation.version not in {v["version"] for v in versions}:
        lines.append(f"  {automation.version} (current, not tagged yet)")
    return "Versions (Git tags):\n" + "\n".join(lines)
