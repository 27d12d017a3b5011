"""`autokit doctor`: which of a run's protections work on this machine, and what not having
one means.

It probes afresh (remembering a working sandbox for the runs that follow), changes nothing
else (besides making this process a subreaper and non-dumpable, which is what an
unsandboxed run does first) and always exits 0: a missing protection is information, not
an error.

With `--owners` it reports what has gone stale instead (`toolkit.hygiene`): automations
with no counted run in 90 days, deprecated automations that still run, owners with no
commit in 180 days. That too is a report, and exits 0.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from dataclasses import asdict, dataclass

from toolkit.commands.formats import add_format_argument
from toolkit.console import style
from toolkit.environments import find_uv
from toolkit.errors import ToolkitError
from toolkit.repo import repository_from_args
from toolkit.run.sandbox import ENVIRONMENT_VARIABLE, INSTALL_HINT, Mode, fresh_probe, sandbox_mode
from toolkit.run.tree import protect_supervisor


@dataclass(frozen=True)
class Protection:
    name: str
    active: bool
    detail: str
    missing_means: str  # what a run lacks without it, in plain words
    how_to_enable: str


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--owners",
        action="store_true",
        help="instead: automations with no counted run in 90 days, deprecated ones that "
        "still run, and owners with no commit in 180 days",
    )
    add_format_argument(
        parser,
        "text",
        "json",
        json="the sandbox mode and each protection (with --owners: each finding)",
    )


def run(args: argparse.Namespace) -> int:
    if args.owners:
        from toolkit.commands.stale import report

        return report(repository_from_args(args), args.format)
    mode, where = _mode(args)
    protections = [_sandbox(mode), *_supervisor(), _uv()]
    if args.format == "json":
        document: dict[str, object] = {"sandbox_mode": mode, "mode_from": where}
        document["protections"] = [asdict(p) for p in protections]
        print(json.dumps(document, indent=2))
        return 0
    print(f"sandbox mode: {mode} ({where})")
    for protection in protections:
        print(_text(protection))
    return 0


def _mode(args: argparse.Namespace) -> tuple[Mode, str]:
    try:
        config = repository_from_args(args).config
    except ToolkitError:
        config = {}  # outside a repository: the environment variable, else the default
    if os.environ.get(ENVIRONMENT_VARIABLE):
        where = ENVIRONMENT_VARIABLE
    elif "sandbox" in config:
        where = "[tool.autokit] sandbox"
    else:
        where = "the default"
    try:
        return sandbox_mode(config), where
    except ToolkitError as error:
        print(f"warning: {error.message}", file=sys.stderr)
        return "auto", "the default (the configured value is not a mode)"


def _sandbox(mode: Mode) -> Protection:
    found = fresh_probe()
    active = found.works and mode != "off"
    detail = found.reason if mode != "off" else f"switched off ({found.reason})"
    return Protection(
        "sandbox (bubblewrap)",
        active,
        detail,
        "a run can read what your user can read (your HOME, ~/.ssh, other automations, "
        "autokit's history and caches), write where you can write, and reach the network "
        "even with `network: false`",
        INSTALL_HINT
        if not found.works
        else 'set AUTOKIT_SANDBOX=auto (or required), or [tool.autokit] sandbox = "auto"',
    )


def _supervisor() -> list[Protection]:
    held = protect_supervisor()
    return [
        Protection(
            "subreaper",
            held.subreaper,
            "processes that leave the run's group are still found and ended"
            if held.subreaper
            else "prctl(PR_SET_CHILD_SUBREAPER) is not available",
            "without the sandbox, a process the automation starts in a session of its own "
            "(or by double-forking) can outlive the run",
            "it needs Linux; the sandbox ends every process of a run on its own",
        ),
        Protection(
            "non-dumpable supervisor",
            held.non_dumpable,
            "a run running as your user cannot read autokit's environment in /proc"
            if held.non_dumpable
            else "prctl(PR_SET_DUMPABLE) is not available",
            "without the sandbox, an automation can read /proc/<autokit's pid>/environ: every "
            "variable of your shell, undeclared secrets included",
            "it needs Linux; the sandbox hides autokit's process on its own",
        ),
    ]


def _uv() -> Protection:
    uv = find_uv()
    return Protection(
        "uv",
        uv is not None,
        uv or "not found (AUTOKIT_NO_UV, or not installed)",
        "environments are built with venv and pip: the first run of an automation takes "
        "seconds longer",
        "`pip install uv` into autokit's environment (it is one of autokit's dependencies)",
    )


def _text(protection: Protection) -> str:
    if protection.active:
        mark = style(f"{'ok':<7}", "green", sys.stdout)
    else:
        mark = style(f"{'missing':<7}", "yellow", sys.stdout)
    lines = [f"  {protection.name:<25} {mark}  {protection.detail}"]
    if not protection.active:
        lines.append(f"      without it: {protection.missing_means}")
        lines.append(f"      to turn it on: {protection.how_to_enable}")
    return "\n".join(lines)
