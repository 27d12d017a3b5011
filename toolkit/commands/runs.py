"""`autokit runs`: list past runs newest first (this machine's, or `--everyone`'s from the
shared ledger too), `autokit runs show RUN_ID` with its log, `autokit runs repair` (a
damaged history moved aside and rebuilt from what still reads), and the ledger's
`push`, `pull`, `compact` and `export` (`toolkit.commands.sharing`)."""

from __future__ import annotations

import argparse
import json
import re
import sys
from dataclasses import asdict
from pathlib import Path

from toolkit.commands.formats import add_format_argument
from toolkit.console import table
from toolkit.errors import ToolkitError
from toolkit.history import STATUSES, RunRecord, open_history
from toolkit.history.repair import Repair, repair_history
from toolkit.paths import state_home
from toolkit.repo import repository_from_args
from toolkit.savings import saved_label

LEDGER_COMMANDS = ("push", "pull", "compact", "export")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.description = (
        "List past runs, newest first (`autokit runs [NAME]`), or show one run with its log "
        "(`autokit runs show RUN_ID`), or repair a damaged history (`autokit runs repair`). "
        "The shared ledger: `autokit runs push` sends this machine's runs, `pull` fetches "
        "everyone's, `compact` folds old months, `export RUN_ID` prints one run's record."
    )
    parser.add_argument(
        "name",
        nargs="?",
        metavar="NAME | show | repair | push | pull | compact | export",
        help="only runs of this automation; or `show`/`export` followed by a run id; or a "
        "command of the run history or the shared ledger",
    )
    parser.add_argument("run_id", nargs="?", metavar="RUN_ID", help=argparse.SUPPRESS)
    parser.add_argument("--status", choices=STATUSES, help="only runs with this status")
    parser.add_argument(
        "--everyone",
        action="store_true",
        help="everyone's runs from the shared ledger (as `autokit runs pull` last fetched "
        "it) beside this machine's",
    )
    parser.add_argument(
        "--remote", default="origin", metavar="NAME", help="the Git remote of the ledger (origin)"
    )
    parser.add_argument(
        "--records",
        type=Path,
        metavar="DIR",
        help="push: send the run records (.json) in DIR instead of this machine's runs",
    )
    parser.add_argument(
        "--before",
        type=_month,
        metavar="YYYY-MM",
        help="compact: the months before this one (default: the current month)",
    )
    parser.add_argument(
        "--limit", type=_positive_int, default=20, metavar="N", help="at most N runs (default 20)"
    )
    add_format_argument(
        parser,
        "text",
        "json",
        json='{"runs": [...]}, or for `show` the run\'s record with its log as log_text',
    )


_MOST_RUNS = 2**62  # more than any history holds, and less than SQLite's largest LIMIT


def _positive_int(text: str) -> int:
    if not (text.isascii() and text.isdigit()) or int(text) < 1:
        raise argparse.ArgumentTypeError(f"{text!r} is not a positive whole number")
    return min(int(text), _MOST_RUNS)


def _month(text: str) -> str:
    if not re.fullmatch(r"[0-9]{4}-(0[1-9]|1[0-2])", text):
        raise argparse.ArgumentTypeError(f"{text!r} is not a month written YYYY-MM, e.g. 2026-01")
    return text


def run(args: argparse.Namespace) -> int:
    if args.name == "repair" and not args.run_id:
        return repair(args.format)
    if args.name in LEDGER_COMMANDS and (args.run_id is None) == (args.name != "export"):
        return ledger_command(args)
    if args.name in ("show", "export") and not args.run_id:
        raise ToolkitError(
            f"`autokit runs {args.name}` needs a run id", "`autokit runs` lists runs with their ids"
        )
    if args.name == "show":
        if args.everyone:
            from toolkit.commands.everyone import show_anyones

            return show_anyones(repository_from_args(args), args.run_id, args.format)
        with open_history() as history:
            record = history.get(args.run_id)
        return show(record, args.format)
    if args.run_id:
        raise ToolkitError(
            f"unexpected argument '{args.run_id}'",
            "use `autokit runs [NAME]` or `autokit runs show RUN_ID`",
        )
    if args.everyone:
        from toolkit.commands.everyone import list_everyones

        return list_everyones(repository_from_args(args), args)
    with open_history() as history:
        records = history.find(args.name, args.status, args.limit)
    if args.format == "json":
        print(json.dumps({"runs": [r.to_dict() for r in records]}, indent=2))
    else:
        print(render_table(records) if records else _nothing_found(args))
    return 0


def ledger_command(args: argparse.Namespace) -> int:
    from toolkit.commands import sharing

    repo = repository_from_args(args)
    if args.name == "push":
        return sharing.push_command(repo, args.remote, args.records)
    if args.name == "pull":
        return sharing.pull_command(repo, args.remote)
    if args.name == "compact":
        return sharing.compact_command(repo, args.remote, args.before)
    return sharing.export_command(repo, args.run_id)


def _nothing_found(args: argparse.Namespace) -> str:
    if not (args.name or args.status):
        return "no runs recorded yet"
    which = " ".join(filter(None, [args.status, "runs", args.name and f"of {args.name}"]))
    return f"no {which} recorded"


def render_table(records: list[RunRecord]) -> str:
    rows = [
        [
            r.id,
            r.automation,
            r.version + ("" if not r.dirty else "+dirty"),
            r.status,
            "" if r.exit_code is None else str(r.exit_code),
            r.started_at[:19].replace("T", " "),
            "" if r.duration is None else f"{r.duration:.2f}s",
            saved_label(r.kind, r.counts, r.minutes_saved),
            r.user,
        ]
        for r in records
    ]
    headers = [
        "RUN", "AUTOMATION", "VERSION", "STATUS", "EXIT", "STARTED (UTC)", "TIME", "SAVED", "USER"
    ]  # fmt: skip
    return table(headers, rows)


def show(record: RunRecord, output_format: str) -> int:
    log = _read_log(record)
    if output_format == "json":
        print(json.dumps({**record.to_dict(), "log_text": log}, indent=2))
        return 0
    fields = record.to_dict()
    width = max(len(k) for k in fields)
    for key, value in fields.items():
        shown = json.dumps(value) if isinstance(value, dict | list) else value
        print(f"{key.ljust(width)}  {'' if shown is None else shown}")
    print(f"\n--- log ({record.log_path}) ---")
    sys.stdout.write(log if log.endswith("\n") or not log else log + "\n")
    return 0


def _read_log(record: RunRecord) -> str:
    try:
        return record.log_path.read_text(encoding="utf-8", errors="replace")
    except FileNotFoundError:
        return ""


def repair(output_format: str) -> int:
    """Repair the history; exit 0 whether it was damaged or not."""
    outcome = repair_history(state_home())
    if output_format == "json":
        print(json.dumps(asdict(outcome), indent=2))
    else:
        print(describe_repair(outcome))
    return 0


def describe_repair(outcome: Repair) -> str:
    if outcome.problem is None:
        return f"the run history {outcome.path} is not damaged ({outcome.kept} runs): nothing to do"
    lines = [
        f"the run history {outcome.path} was damaged: {outcome.problem}",
        f"moved it aside to {outcome.moved_to}",
        f"kept {outcome.kept} run(s) in a new history at {outcome.path}",
    ]
    if outcome.lost:
        lines.append(f"lost {outcome.lost} run(s) whose rows could not be read")
    lines += [f"kept without what could not be read: {note}" for note in outcome.emptied]
    return "\n".join(lines)
