"""`autokit upgrade [NAME ...] [--all]`: merge a template's improvements into the
automations made from it.

Each automation's `template:` record (written by `autokit new`) says which template, at
which version and with which answers it was made. Upgrading renders the template at that
version (read from Git) and at its current version (the working tree), both with the
recorded answers, and merges the difference into the automation's files three-way, as
`git merge-file` does (`toolkit.upgrade`). Clean merges are written; conflicts are written
with markers and listed file by file (exit 1), and the record moves on only when every
file merged cleanly, or after `--resolved`. Nothing is written when any automation asked
for cannot be upgraded (an unknown name, a bad record, uncommitted changes).

    --check             list the automations behind their template (exit 0; renders nothing)
    --resolved          after fixing the markers: move the record on
    --baseline T@V      write the record of an automation made before templates had versions
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections.abc import Sequence
from pathlib import Path

from toolkit import git
from toolkit.commands.formats import add_format_argument
from toolkit.errors import ToolkitError
from toolkit.files import read_contributor_file
from toolkit.findings import NOTICE, WARNING, Finding
from toolkit.gallery import LIST_COMMAND, Template, gallery
from toolkit.inventory import Inventory, load_inventory, warn_about_invalid
from toolkit.metadata import Automation
from toolkit.repo import Repository, repository_from_args
from toolkit.reporters import github_annotation
from toolkit.suggest import did_you_mean
from toolkit.upgrade.history import Histories, template_history
from toolkit.upgrade.merge import (
    CONFLICT,
    KEPT_CHANGED,
    KEPT_DELETED,
    FileChange,
    markers_left,
)
from toolkit.upgrade.plan import (
    Behind,
    Upgrade,
    behind,
    current_template,
    no_record_error,
    plan_upgrade,
    write_upgrade,
)
from toolkit.upgrade.record import baseline_answers, record_of, with_record, with_version

CHECK_ID = "template-upgrade"
EXIT_USAGE = 2
BASELINE = re.compile(r"(?P<template>[a-z][a-z0-9-]{1,62})@(?P<version>[1-9][0-9]{0,8})")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("names", metavar="NAME", nargs="*", help="the automations to upgrade")
    parser.add_argument(
        "--all", action="store_true", help="every automation with a template record"
    )
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument(
        "--check",
        action="store_true",
        help="list the automations behind their template, change nothing (exit 0)",
    )
    mode.add_argument(
        "--resolved",
        action="store_true",
        help="after fixing the conflict markers: record the template's current version",
    )
    mode.add_argument(
        "--baseline",
        metavar="TEMPLATE@VERSION",
        help="record the template and version an automation was made from (no other file "
        "changes), for automations made before templates had versions",
    )
    add_format_argument(parser, "text", "json", "github")


def run(args: argparse.Namespace) -> int:
    repo = repository_from_args(args)
    usage = _usage_problem(args)
    if usage:
        print(f"autokit upgrade: error: {usage}", file=sys.stderr)
        return EXIT_USAGE
    inventory = load_inventory(repo)
    automations = _selected(inventory, args.names)
    templates = gallery(repo)
    if args.check:
        return check(repo, automations, templates, args.format)
    if args.baseline:
        return adopt_baseline(repo, automations, templates, args.baseline)
    if args.resolved:
        return resolved(repo, automations, templates)
    return upgrade(repo, automations, templates, args.format, everything=args.all)


def _usage_problem(args: argparse.Namespace) -> str | None:
    if args.all and args.names:
        return "name automations or pass --all, not both"
    if (args.baseline or args.resolved) and not args.names:
        flag = "--baseline" if args.baseline else "--resolved"
        return f"{flag} needs the automations' names (autokit upgrade NAME {flag} ...)"
    if not (args.names or args.all or args.check):
        return "name the automations to upgrade, or pass --all (--check lists those behind)"
    return None


def _selected(inventory: Inventory, names: Sequence[str]) -> list[Automation]:
    """The automations named (every valid one when none are), every unknown name at once."""
    if not names:
        warn_about_invalid(inventory)
        return inventory.automations
    found, problems = [], []
    for name in dict.fromkeys(names):
        try:
            found.append(inventory.get(name))
        except ToolkitError as error:
            problems.append(error)
    _raise_all(problems)
    return found


def _raise_all(problems: Sequence[ToolkitError]) -> None:
    """Raise the one problem as it is, or several as one error listing each with its hint."""
    if len(problems) == 1:
        raise problems[0]
    if problems:
        lines = [f"{p.message}" + (f"\n  hint: {p.hint}" if p.hint else "") for p in problems]
        raise ToolkitError(
            f"{len(problems)} automations cannot be upgraded (nothing was changed):\n"
            + "\n".join(lines)
        )


# --check ------------------------------------------------------------------------------


def check(
    repo: Repository, automations: list[Automation], templates: dict[str, Template], form: str
) -> int:
    """List the automations behind their template; exit 0 even when some are."""
    found, current, problems = behind(repo, automations, templates)
    if form == "json":
        print(json.dumps(_check_json(found, current, problems), indent=2))
    elif form == "github":
        lines = [github_annotation(_notice(repo, item)) for item in found]
        lines += [github_annotation(_warning(repo, *problem)) for problem in problems]
        print("\n".join(lines))
    else:
        print(_check_text(found, current, problems))
    return 0


def behind_line(item: Behind) -> str:
    name = item.automation.name
    return (
        f"{name}: made from {item.record.template} v{item.record.version}, current "
        f"v{item.current}: run `autokit upgrade {name}`"
    )


Problems = list[tuple[Automation, ToolkitError]]


def _check_text(found: list[Behind], current: int, problems: Problems) -> str:
    lines = [behind_line(item) for item in found]
    lines += [f"warning: {p.message}" + (f" ({p.hint})" if p.hint else "") for _, p in problems]
    lines.append(
        f"{len(found)} automation(s) behind their template, {current} up to date"
        + (f", {len(problems)} record(s) that cannot be read" if problems else "")
    )
    return "\n".join(lines)


def _check_json(found: list[Behind], current: int, problems: Problems) -> object:
    return {
        "behind": [
            {
                "name": item.automation.name,
                "template": item.record.template,
                "version": item.record.version,
                "current": item.current,
            }
            for item in found
        ],
        "up_to_date": current,
        "problems": [{"name": a.name, "message": p.message, "hint": p.hint} for a, p in problems],
    }


def _notice(repo: Repository, item: Behind) -> Finding:
    path = item.automation.metadata_path
    return Finding(
        repo.relative(path), _record_line(path), None, CHECK_ID, NOTICE, behind_line(item), None
    )


def _warning(repo: Repository, automation: Automation, problem: ToolkitError) -> Finding:
    path = repo.relative(automation.metadata_path)
    message = problem.message.removeprefix(f"{path}: ")
    return Finding(path, None, None, CHECK_ID, WARNING, message, problem.hint)


def _record_line(path: Path) -> int | None:
    """The line of the record's `version` (only for annotations: nothing else parses)."""
    from toolkit.metadata.yamlfile import LineIndex

    try:
        text = read_contributor_file(path, path.parent).decode("utf-8", "replace")
    except OSError:
        return None
    return LineIndex(text).locate(("template", "version")).line


# --baseline ---------------------------------------------------------------------------


def adopt_baseline(
    repo: Repository, automations: list[Automation], templates: dict[str, Template], spec: str
) -> int:
    """Write the record (answers from the metadata) into each automation.yaml, nothing else."""
    match = BASELINE.fullmatch(spec)
    if match is None:
        raise ToolkitError(
            f"--baseline {spec}: not TEMPLATE@VERSION", "e.g. --baseline csv-report@1"
        )
    name, version = match["template"], int(match["version"])
    template = templates.get(name)
    if template is None:
        hint = did_you_mean(name, templates, f"`{LIST_COMMAND}` lists them")
        raise ToolkitError(f"--baseline {spec}: there is no template '{name}'", hint)
    known = set(template_history(template.folder).versions) | {template.version}
    if version not in known:
        listed = ", ".join(f"{name}@{v}" for v in sorted(v for v in known if v is not None))
        raise ToolkitError(
            f"--baseline {spec}: {name} has no version {version} in Git's history",
            f"the versions there are: {listed or 'none (is its template.yaml committed?)'}",
        )
    for automation in automations:
        path = automation.metadata_path
        text = read_contributor_file(path, automation.folder).decode("utf-8")
        answers = baseline_answers(automation)
        path.write_text(with_record(text, name, version, answers), encoding="utf-8")
        print(
            f"{repo.relative(path)}: recorded {spec} as the template it was made from "
            "(answers from its metadata; no other file changed)"
        )
    names = " ".join(a.name for a in automations)
    print(f"next: commit it, then `autokit upgrade {names}` merges the template's later versions")
    return 0


# --resolved ---------------------------------------------------------------------------


def resolved(
    repo: Repository, automations: list[Automation], templates: dict[str, Template]
) -> int:
    """Move each record on to its template's current version once no markers are left."""
    problems, moves = [], []
    for automation in automations:
        record = record_of(automation)
        if record is None:
            problems.append(no_record_error(automation))
            continue
        try:
            template = current_template(repo, automation, record, templates)
        except ToolkitError as error:
            problems.append(error)
            continue
        left = _markers_in(repo, automation)
        folder = f"{repo.relative(automation.folder)}/"
        if record.version < (template.version or 0) and not git.uncommitted(repo.root, [folder]):
            problems.append(
                ToolkitError(
                    f"{automation.name}: nothing in {folder} was changed since the last "
                    "commit, so no upgrade is waiting to be resolved",
                    f"run `autokit upgrade {automation.name}` first; --resolved records the "
                    "new version once you fixed the conflicts it marked",
                )
            )
        elif left:
            problems.append(
                ToolkitError(
                    f"{automation.name}: conflict markers remain:\n"
                    + "\n".join(f"  {where}" for where in left),
                    "keep what you want between <<<<<<< and >>>>>>>, delete the marker "
                    f"lines, then run `autokit upgrade {automation.name} --resolved` again",
                )
            )
        else:
            moves.append((automation, record.version, template.version))
    _raise_all(problems)
    for automation, old, new in moves:
        where = repo.relative(automation.metadata_path)
        if new is None or old >= new:
            print(f"{automation.name}: already at its template's current version (v{old})")
            continue
        text = read_contributor_file(automation.metadata_path, automation.folder).decode()
        automation.metadata_path.write_text(with_version(text, new, where), encoding="utf-8")
        print(f"{automation.name}: resolved; {where} now records v{new}")
    return 0


def _markers_in(repo: Repository, automation: Automation) -> list[str]:
    """`file:line` of every conflict marker left in the automation's tracked and new files."""
    folder = automation.folder
    left = []
    for path in sorted(p for p in folder.rglob("*") if p.is_file() and not p.is_symlink()):
        if "__pycache__" in path.parts:
            continue
        try:
            data = read_contributor_file(path, folder)
        except OSError:
            continue
        left += [f"{repo.relative(path)}:{line}" for line in markers_left(data)]
    return left


# upgrading ----------------------------------------------------------------------------


def upgrade(
    repo: Repository,
    automations: list[Automation],
    templates: dict[str, Template],
    form: str,
    *,
    everything: bool,
) -> int:
    """Plan every upgrade first; write them only when none of them is refused."""
    plans, problems, without = [], [], 0
    histories = Histories()
    for automation in automations:
        if everything and record_of(automation) is None:
            without += 1
            continue
        try:
            plan = plan_upgrade(repo, automation, templates, histories)
        except ToolkitError as error:
            problems.append(error)
            continue
        if plan is not None:
            plans.append(plan)
    problems += _uncommitted(repo, plans)
    _raise_all(problems)
    for plan in plans:
        write_upgrade(plan)
    up_to_date = len(automations) - without - len(plans)
    if form == "json":
        print(json.dumps(_upgrade_json(plans, up_to_date), indent=2))
    elif form == "github":
        print("\n".join(github_annotation(f) for plan in plans for f in _annotations(repo, plan)))
    else:
        print(_upgrade_text(plans, up_to_date))
    return 0 if all(plan.clean for plan in plans) else 1


def _uncommitted(repo: Repository, plans: list[Upgrade]) -> list[ToolkitError]:
    """One refusal per automation to upgrade whose folder has uncommitted changes."""
    folders = [f"{repo.relative(plan.automation.folder)}/" for plan in plans]
    changed = git.uncommitted(repo.root, folders)
    problems = []
    for plan, folder in zip(plans, folders, strict=True):
        mine = [path for path in changed if path.startswith(folder)]
        if mine:
            shown = ", ".join(mine[:5]) + (f" and {len(mine) - 5} more" if len(mine) > 5 else "")
            problems.append(
                ToolkitError(
                    f"{plan.automation.name}: uncommitted changes in {folder} ({shown}); "
                    "upgrading merges into committed files only",
                    "commit or stash them first (`git stash`), then upgrade again",
                )
            )
    return problems


_VERBS = {KEPT_DELETED: "kept deleted", KEPT_CHANGED: "kept"}
_WHY = {
    KEPT_DELETED: "you deleted it; the template changed it",
    KEPT_CHANGED: "the template dropped it; you changed it",
    CONFLICT: "both you and the template changed the same lines",
}


def _change_line(change: FileChange) -> str:
    where = change.path
    if change.action == CONFLICT and change.lines:
        where += ":" + ",".join(str(line) for line in change.lines)
    why = _WHY.get(change.action)
    if change.action == CONFLICT and change.content is None:
        why = "a binary file both changed: yours is kept, the template's is not merged"
    return f"  {_VERBS.get(change.action, change.action):<12}  {where}" + (
        f"   ({why})" if why else ""
    )


def _upgrade_text(plans: list[Upgrade], up_to_date: int) -> str:
    lines = []
    for plan in plans:
        name, record = plan.automation.name, plan.record
        step = f"{record.template} v{record.version} -> v{plan.target}"
        if plan.clean:
            lines.append(f"upgraded {name}: {step}; the record now says v{plan.target}")
        else:
            lines.append(
                f"conflicts in {name}: {step}; the record stays at v{record.version} "
                f"({len(plan.conflicts)} file(s) to fix)"
            )
        lines += [_change_line(change) for change in plan.changes]
        if not plan.clean:
            lines.append(
                "  next: keep what you want between <<<<<<< yours and >>>>>>> template "
                f"v{plan.target}, delete the marker lines, then run `autokit upgrade {name} "
                "--resolved`"
            )
    if plans:
        lines.append(
            "next: review with `git diff`, raise each upgraded automation's `version` and "
            "add a CHANGELOG.md section, then commit"
        )
    lines.append(f"{len(plans)} automation(s) upgraded, {up_to_date} already up to date")
    return "\n".join(lines)


def _upgrade_json(plans: list[Upgrade], up_to_date: int) -> object:
    return {
        "upgraded": [
            {
                "name": plan.automation.name,
                "template": plan.record.template,
                "from": plan.record.version,
                "to": plan.target,
                "clean": plan.clean,
                "files": [
                    {"path": c.path, "action": c.action, "conflict_lines": list(c.lines)}
                    for c in plan.changes
                ],
            }
            for plan in plans
        ],
        "up_to_date": up_to_date,
    }


def _annotations(repo: Repository, plan: Upgrade) -> list[Finding]:
    folder = repo.relative(plan.automation.folder)
    found = []
    for change in plan.changes:
        severity = WARNING if change.action == CONFLICT else NOTICE
        line = change.lines[0] if change.lines else None
        message = f"{plan.automation.name}: {change.action} ({plan.record.template} "
        message += f"v{plan.record.version} -> v{plan.target})"
        found.append(
            Finding(f"{folder}/{change.path}", line, None, CHECK_ID, severity, message, None)
        )
    return found
