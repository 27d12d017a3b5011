"""`autokit runs`: list past runs newest first, `autokit runs show RUN_ID` with its log, or
`autokit runs repair`: a damaged history moved aside and rebuilt from what still reads."""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import asdict

from toolkit.commands.formats import add_format_argument
from toolkit.console import table
from toolkit.errors import ToolkitError
from toolkit.history import STATUSES, RunRecord, open_history
from toolkit.history.repair import Repair, repair_history
from toolkit.paths import state_home


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.description = (
        "List past runs, newest first (`autokit runs [NAME]`), or show one run with its log "
        "(`autokit runs show RUN_ID`), or repair a damaged history (`autokit runs repair`)."
    )
    parser.add_argument(
        "name",
        nargs="?",
        metavar="NAME | show | repair",
        help="only runs of this automation; or `show` followed by a run id; or `repair`",
    )
    parser.add_argument("run_id", nargs="?", metavar="RUN_ID", help=argparse.SUPPRESS)
    parser.add_argument("--status", choices=STATUSES, help="only runs with this status")
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


def run(args: argparse.Namespace) -> int:
    if args.name == "repair" and not args.run_id:
        return repair(args.format)
    if args.name == "show":
        if not args.run_id:
            raise ToolkitError(
                "`autokit runs show` needs a run id", "`autokit runs` lists runs with their ids"
            )
        with open_history() as history:
            record = history.get(args.run_id)
        return show(record, args.format)
    if args.run_id:
        raise ToolkitError(
            f"unexpected argument '{args.run_id}'",
            "use `autokit runs [NAME]` or `autokit runs show RUN_ID`",
        )
    with open_history() as history:
        records = history.find(args.name, args.status, args.limit)
    if args.format == "json":
        print(json.dumps({"runs": [r.to_dict() for r in records]}, indent=2))
    else:
        print(render_table(records) if records else _nothing_found(args))
    return 0


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
            r.user,
        ]
        for r in records
    ]
    headers = ["RUN", "AUTOMATION", "VERSION", "STATUS", "EXIT", "STARTED (UTC)", "TIME", "USER"]
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
