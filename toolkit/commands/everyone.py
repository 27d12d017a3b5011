"""`autokit runs --everyone`: the runs of the shared ledger beside this machine's own.

The ledger is read as this clone last fetched it (`autokit runs pull`, or the last push);
this machine's runs that have not been sent yet are shown too, marked `queued`.
"""

from __future__ import annotations

import argparse
import json
import sys

from toolkit.console import printable, table
from toolkit.errors import ToolkitError
from toolkit.ledger.record import LedgerRecord
from toolkit.ledger.sharing import Everyone, everyones_runs
from toolkit.repo import Repository
from toolkit.savings import saved_label


def _read(repo: Repository) -> Everyone:
    everyone = everyones_runs(repo)
    for problem in everyone.ledger.problems:
        print(f"warning: {printable(problem)}", file=sys.stderr)
    if not everyone.ledger.found:
        print(
            "note: this clone has no copy of the shared ledger; `autokit runs pull` fetches it "
            "(only this machine's runs not sent yet are shown)",
            file=sys.stderr,
        )
    return everyone


def list_everyones(repo: Repository, args: argparse.Namespace) -> int:
    everyone = _read(repo)
    queued = {record.id for record in everyone.local}
    records = [
        r
        for r in everyone.records
        if (not args.name or r.automation == args.name)
        and (not args.status or r.status == args.status)
    ]
    records.sort(key=lambda r: (r.started_at, r.id), reverse=True)
    records = records[: args.limit]
    if args.format == "json":
        runs = [{**r._asdict(), "queued": r.id in queued} for r in records]
        print(json.dumps({"runs": runs}, indent=2))
        return 0
    if not records:
        print(
            "no runs in the ledger or on this machine" + (f" of {args.name}" if args.name else "")
        )
        return 0
    print(render_everyone(records, queued))
    return 0


def render_everyone(records: list[LedgerRecord], queued: set[str]) -> str:
    rows = [
        [
            r.id,
            r.automation,
            r.version + ("+dirty" if r.dirty else ""),
            r.status,
            r.started_at[:19].replace("T", " "),
            "" if r.duration is None else f"{r.duration:.2f}s",
            saved_label(r.kind, r.counts, r.minutes_saved),
            printable(r.who or ""),
            printable(r.where) + (" (queued)" if r.id in queued else ""),
        ]
        for r in records
    ]
    headers = [
        "RUN",
        "AUTOMATION",
        "VERSION",
        "STATUS",
        "STARTED (UTC)",
        "TIME",
        "SAVED",
        "WHO",
        "WHERE",
    ]
    return table(headers, rows)


def show_anyones(repo: Repository, run_id: str, output_format: str) -> int:
    """One run of the ledger (or of this machine, not sent yet) by its id or part of it."""
    wanted = run_id.strip()
    records = _read(repo).records
    matching = [r for r in records if r.id == wanted] or [
        r for r in records if wanted and (r.id.startswith(wanted) or r.id.endswith(wanted))
    ]
    if not matching:
        raise ToolkitError(
            f"no run with id '{wanted}' in the ledger", "`autokit runs --everyone` lists them"
        )
    if len(matching) > 1:
        shown = "\n".join(f"  {r.id}  {r.automation}  {r.status}" for r in matching[:5])
        raise ToolkitError(
            f"'{wanted}' matches {len(matching)} runs:\n{shown}", "give more of the run id"
        )
    record = matching[0]
    if output_format == "json":
        print(json.dumps(record._asdict(), indent=2))
        return 0
    fields = record._asdict()
    width = max(len(k) for k in fields)
    for key, value in fields.items():
        print(f"{key.ljust(width)}  {'' if value is None else printable(str(value))}")
    return 0
