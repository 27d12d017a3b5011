"""`autokit list`: every valid automation, optionally filtered, as a table or JSON.

Reads metadata through the inventory cache, so listing a large repository parses and
validates only the files that changed since the last run.
"""

from __future__ import annotations

import argparse
import json
import sys

from toolkit.commands.formats import add_format_argument
from toolkit.console import table
from toolkit.inventory import load_inventory, warn_about_invalid
from toolkit.metadata import STATUSES, Automation
from toolkit.repo import repository_from_args


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--tag", action="append", default=[], help="only automations with this tag (repeatable)"
    )
    parser.add_argument("--owner", help="only automations owned by this @user or @org/team")
    parser.add_argument("--department", help="only automations of this department")
    parser.add_argument("--status", choices=STATUSES, help="only automations with this status")
    add_format_argument(parser, "text", "json")


def run(args: argparse.Namespace) -> int:
    repo = repository_from_args(args)
    inventory = load_inventory(repo)
    warn_about_invalid(inventory)
    selected = [a for a in inventory.automations if matches(a, args)]
    if args.format == "json":
        print(json.dumps([summary_row(a, repo.relative(a.folder)) for a in selected], indent=2))
    else:
        print_table(selected, empty_repo=not inventory.automations)
    return 0


def matches(automation: Automation, args: argparse.Namespace) -> bool:
    """Whether the automation passes every filter given on the command line."""
    if any(tag.lower() not in automation.tags for tag in args.tag):
        return False
    if args.owner:
        wanted = "@" + args.owner.lower().lstrip("@")
        if wanted not in (owner.lower() for owner in automation.owners):
            return False
    if args.department and args.department.lower() != automation.department.lower():
        return False
    return not (args.status and args.status != automation.status)


def summary_row(automation: Automation, folder: str) -> dict[str, object]:
    return {
        "name": automation.name,
        "version": automation.version,
        "status": automation.status,
        "title": automation.title,
        "summary": automation.summary,
        "department": automation.department,
        "owners": list(automation.owners),
        "tags": list(automation.tags),
        "runtime": automation.runtime,
        "schedule": automation.schedule,
        "folder": folder,
    }


def print_table(automations: list[Automation], *, empty_repo: bool) -> None:
    if not automations:
        message = (
            "no automations yet; `autokit new NAME --runtime python` scaffolds one"
            if empty_repo
            else "no automation matches these filters"
        )
        print(message, file=sys.stderr)
        return
    headers = ["NAME", "VERSION", "STATUS", "DEPARTMENT", "OWNERS", "TITLE"]
    rows = [
        [a.name, a.version, a.status, a.department, ", ".join(a.owners), a.title]
        for a in sorted(automations, key=lambda a: a.name)
    ]
    print(table(headers, rows))
