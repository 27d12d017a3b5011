"""`autokit run NAME[@VERSION]`: run an automation with validated inputs, and record it."""

from __future__ import annotations

import argparse
import json
import shlex
import sys
from pathlib import Path

from toolkit.commands.formats import add_format_argument
from toolkit.console import StatusLine, printable, style
from toolkit.errors import ToolkitError
from toolkit.feedback import BUG_REPORT_FORM, issue_form_url, repository_url
from toolkit.inputs import parse_assignments
from toolkit.ledger.settings import DEFAULT_REMOTE, LedgerSettings, ledger_settings
from toolkit.metadata import Automation
from toolkit.repo import Repository, repository_from_args
from toolkit.run import Plan, RunResult, run_automation
from toolkit.run.target import Target

SHARE_PATIENCE = 20.0  # seconds `share_runs` waits for the ledger before queueing the record
FAILED = ("failed", "timeout")  # runs whose end tells whom to report it to


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "spec",
        metavar="NAME[@VERSION]",
        help="the automation; with @VERSION, the files of the Git tag NAME@VERSION",
    )
    parser.add_argument(
        "-i",
        "--input",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="an input value (repeatable); passed literally, never to a shell",
    )
    parser.add_argument(
        "--inputs-file",
        type=Path,
        metavar="FILE",
        help="a JSON or YAML mapping of inputs (--input values win)",
    )
    parser.add_argument(
        "--example",
        type=int,
        nargs="?",
        const=1,
        metavar="N",
        help="use the inputs of the automation's Nth example (default: the first)",
    )
    parser.add_argument(
        "--dry-run",
        action="store_true",
        help="validate and show what would run, without running it",
    )
    parser.add_argument(
        "--check-inputs",
        action="store_true",
        help="check the inputs and stop: nothing runs and no secret is read",
    )
    parser.add_argument(
        "--timeout",
        type=_positive_seconds,
        metavar="SECONDS",
        help="stop the run after this long (default: the automation's timeout)",
    )
    add_format_argument(
        parser,
        "text",
        "json",
        json="the run's record on stdout; the automation's own output then goes to stderr",
    )


def _positive_seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of seconds") from None
    if not value > 0:
        raise argparse.ArgumentTypeError("the timeout must be more than 0 seconds")
    return value


def run(args: argparse.Namespace) -> int:
    repo = repository_from_args(args)
    # A setting it cannot read is said before the run, not after it.
    settings = ledger_settings(repo.config, repo.root / "pyproject.toml")
    as_json = args.format == "json"
    about_to_run: list[Automation] = []

    def before_run(target: Target) -> None:
        about_to_run.append(target.automation)
        warning = deprecation_warning(target.automation)
        if warning:
            print(warning, file=sys.stderr)

    with StatusLine(sys.stderr) as progress:
        result = run_automation(
            repo,
            args.spec,
            parse_assignments(args.input),
            inputs_file=args.inputs_file,
            example=args.example,
            dry_run=args.dry_run,
            check_inputs=args.check_inputs,
            timeout=args.timeout,
            stdout=sys.stderr if as_json else sys.stdout,
            stderr=sys.stderr,
            progress=progress,
            before_run=before_run,
        )
    report = ""
    if result.status in FAILED and about_to_run:
        report = report_hint(about_to_run[0], result.version, repo.config)
    if as_json:
        print(json.dumps(result.to_dict(), indent=2, sort_keys=True))
        if report:
            print(report.lstrip(), file=sys.stderr)
    elif args.check_inputs:
        print(f"the inputs of {result.automation} {result.version} are valid")
    elif result.plan is not None:
        print(render_plan(result.automation, result.version, result.plan))
        if result.error:
            print(f"{style('error:', 'red', sys.stderr)} {result.error}", file=sys.stderr)
    else:
        _print_summary(result, report)
    if result.run_id and settings.share_runs:
        _share(repo, settings)
    return result.exit_code


def _share(repo: Repository, settings: LedgerSettings) -> None:
    """Send the run's record (and any queued before it) to the ledger; a failure only
    leaves them queued, and the run's last line says so."""
    from toolkit.ledger.sharing import push

    try:
        result = push(repo, DEFAULT_REMOTE, patience=SHARE_PATIENCE)
    except ToolkitError as error:
        print(
            f"{style('note:', 'yellow', sys.stderr)} the run's record is queued, not shared: "
            f"{error.message}; `autokit runs push` sends it",
            file=sys.stderr,
        )
        return
    sent = result.pushed.sent
    print(
        f"shared {sent} run record{'s' if sent != 1 else ''} with the ledger on "
        f"{DEFAULT_REMOTE} ({settings.branch})",
        file=sys.stderr,
    )


def deprecation_warning(automation: Automation) -> str:
    """What a run of a deprecated automation says first ("": it is not deprecated)."""
    deprecation = automation.deprecation
    if automation.status != "deprecated" or deprecation is None:
        return ""
    text = f"warning: {automation.name} is deprecated: {printable(deprecation.reason)}"
    if deprecation.replaced_by:
        replacement = shlex.quote(deprecation.replaced_by)
        text += (
            f"\n  use {deprecation.replaced_by} instead: autokit run {replacement}"
            f" (`autokit show {replacement}` lists its inputs)"
        )
    return style(text, "yellow", sys.stderr)


def report_hint(automation: Automation, version: str, config: dict[str, object]) -> str:
    """Who owns a failed run's automation, and where to report the failure."""
    owners = ", ".join(automation.owners)
    url = repository_url(config)
    if url:
        where = issue_form_url(url, BUG_REPORT_FORM, automation.name, version)
    else:
        where = f"tell an owner; `autokit show {automation.name}` shows who owns it"
    return f"\n  owners:     {owners}\n  report it:  {where}"


def _print_summary(result: RunResult, report: str = "") -> None:
    assert result.record is not None and result.duration is not None, "a run has a record"
    colour = "green" if result.status == "success" else "red"
    version = result.version + ("+dirty" if result.record["dirty"] else "")  # as `runs` shows
    line = f"{result.automation} {version}: {style(result.status, colour, sys.stderr)}"
    line += f" in {result.duration:.2f}s (run {result.run_id})"
    if result.error:
        line += f"\n  {result.error}"
    line += f"\n  {_saving(result)}"
    line += f"\n  {_where_it_is(result.run_dir)}"
    line += report
    leaks = result.record.get("leaks")
    for leak in leaks if isinstance(leaks, list | tuple) else []:
        line += f"\n  warning: output/{leak} holds a secret (as is or encoded); do not share it"
    print(line, file=sys.stderr)
    if result.result is not None:
        print(json.dumps(result.result, indent=2, ensure_ascii=False))


def _saving(result: RunResult) -> str:
    """Whether the run counts as a saving, and why not (`toolkit.savings`)."""
    record = result.record or {}
    if result.not_counted:
        return f"saved:      nothing counted ({result.not_counted})"
    units, unit = record.get("units"), record.get("unit")
    done = ""
    if isinstance(units, float) and unit:
        done = f" for {units:g} {unit}{'' if units == 1 else 's'}"
    return f"saved:      {record.get('minutes_saved') or 0:g} minutes{done}"


def _where_it_is(run_dir: str | None) -> str:
    """The run's folder, and the files the automation wrote (they are in its `output/`)."""
    output = Path(run_dir or ".") / "output"
    try:
        written = sum(1 for path in output.rglob("*") if path.is_file())
    except OSError:
        written = 0
    files = "no files" if not written else "1 file" if written == 1 else f"{written} files"
    return f"run folder: {run_dir} (log.txt, result.json)\n  output:     {output}/ ({files})"


def _secret_state(plan: Plan, name: str) -> str:
    if plan["secrets"][name]:
        return f"{name} (present)"
    return (
        f"{name} (MISSING)" if name in plan["required_secrets"] else f"{name} (not set, optional)"
    )


def render_plan(name: str, version: str, plan: Plan) -> str:
    """The text of a dry run: what would run, where, with which inputs and secrets."""
    source = "tagged version" if plan["pinned"] else "working tree"
    if not plan["pinned"] and plan["dirty"]:
        source += " with uncommitted changes"
    commit = (plan["commit"] or "no commit")[:12]
    environment = plan["environment"]
    env_text = environment["path"] or "the system shell"
    if environment["path"]:
        env_text += " (exists)" if environment["exists"] else " (would be created)"
    secrets = ", ".join(_secret_state(plan, name) for name in plan["secrets"]) or "none"
    inputs = "\n".join(f"    {k} = {v!r}" for k, v in plan["inputs"].items()) or "    (none)"
    return "\n".join(
        [
            f"dry run: would run {name} {version} from the {source} ({commit}); "
            "nothing was executed",
            f"  folder:       {plan['folder']}",
            f"  command:      {plan['command']}",
            f"  environment:  {env_text}",
            f"  sandbox:      {plan['sandbox']}",
            f"  requirements: {', '.join(environment['requirements']) or 'none'}",
            f"  secrets:      {secrets}",
            f"  timeout:      {plan['timeout']:g} s",
            f"  variables:    {', '.join(plan['variables'])}",
            "  inputs:",
            inputs,
        ]
    )
