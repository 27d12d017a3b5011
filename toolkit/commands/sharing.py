"""`autokit runs push | pull | compact | export`: this machine's runs and the shared ledger.

autokit runs push [--remote NAME]          send every run not yet in the ledger
autokit runs push --records DIR            send the run records in DIR (a GitHub job)
autokit runs pull [--remote NAME]          fetch the ledger, to read everyone's runs
autokit runs compact [--before YYYY-MM]    fold old months into one file each
autokit runs export RUN_ID                 one run as the ledger would keep it (JSON)
"""

from __future__ import annotations

import datetime as dt
import json
import os
import stat
import sys
from pathlib import Path

from toolkit import git
from toolkit.console import printable
from toolkit.errors import ToolkitError
from toolkit.history import open_history
from toolkit.ledger.branch import Pushed, append, compact, read_ledger, require_remote
from toolkit.ledger.record import RECORD_BYTES, LedgerRecord, NotARecord, parse_record
from toolkit.ledger.sharing import ledger_record, push, settings_of
from toolkit.repo import Repository


def push_command(repo: Repository, remote: str, records_dir: Path | None) -> int:
    settings = settings_of(repo)
    if records_dir is not None:
        records, refused = records_in(records_dir)
        pushed = append(repo.root, settings, remote, records)
        print(_pushed_text(pushed, remote, settings.branch))
        for problem in refused:
            print(f"warning: {printable(problem)}", file=sys.stderr)
        return 1 if refused else 0
    require_remote(repo.root, remote)
    try:
        result = push(repo, remote)
    except ToolkitError as error:
        raise ToolkitError(
            f"{error.message}; this machine's runs stay queued for the next push", error.hint
        ) from None
    if not result.queued:
        print(f"nothing to send: the ledger on {remote} has every run of this machine")
        return 0
    print(_pushed_text(result.pushed, remote, settings.branch))
    return 0


def _pushed_text(pushed: Pushed, remote: str, branch: str) -> str:
    sent = f"sent {pushed.sent} run record{'s' if pushed.sent != 1 else ''} to {remote} ({branch})"
    if pushed.already:
        sent += f"; {pushed.already} {'was' if pushed.already == 1 else 'were'} there already"
    if pushed.attempts > 1:
        sent += f" (after {pushed.attempts} tries: others pushed at the same time)"
    return sent


def records_in(folder: Path) -> tuple[list[LedgerRecord], list[str]]:
    """The run records in the `.json` files under `folder` (written by jobs that ran
    automations, so read as untrusted: regular files only, never through a link, small)."""
    if not folder.is_dir():
        raise ToolkitError(f"--records {folder}: no such folder", "give the folder of the records")
    records, refused = [], []
    for path in sorted(folder.rglob("*.json")):
        shown = path.relative_to(folder).as_posix()
        try:
            records.append(parse_record(json.loads(_small_regular_file(path))))
        except (NotARecord, ValueError, OSError) as why:
            refused.append(f"{shown}: skipped, not a run record: {why}")
    return records, refused


def _small_regular_file(path: Path) -> bytes:
    descriptor = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    with os.fdopen(descriptor, "rb") as file:
        if not stat.S_ISREG(os.fstat(file.fileno()).st_mode):
            raise NotARecord("it is not a regular file")
        data = file.read(RECORD_BYTES + 1)
    if len(data) > RECORD_BYTES:
        raise NotARecord(f"it is larger than {RECORD_BYTES // 1024} KiB")
    return data


def pull_command(repo: Repository, remote: str) -> int:
    settings = settings_of(repo)
    require_remote(repo.root, remote)
    tip = git.fetch_branch(repo.root, remote, settings.branch)
    if tip is None:
        print(
            f"{remote} has no ledger yet (no branch {settings.branch}): "
            "the first `autokit runs push` creates it"
        )
        return 0
    git.set_ref(repo.root, f"refs/remotes/{remote}/{settings.branch}", tip)
    ledger = read_ledger(repo.root, settings)
    for problem in ledger.problems:
        print(f"warning: {printable(problem)}", file=sys.stderr)
    print(
        f"fetched the ledger from {remote} ({settings.branch}): {len(ledger.records)} run "
        "records; `autokit runs --everyone` lists them"
    )
    return 0


def compact_command(repo: Repository, remote: str, before: str | None) -> int:
    settings = settings_of(repo)
    month = before or dt.datetime.now(dt.UTC).strftime("%Y-%m")
    pushed = compact(repo.root, settings, remote, month)
    if not pushed.sent:
        print(f"nothing to compact: no month before {month} has record files of its own")
    else:
        print(f"folded {pushed.sent} run records of the months before {month} into one file each")
    return 0


def export_command(repo: Repository, run_id: str) -> int:
    with open_history() as history:
        run = history.get(run_id)
    if run.counts is None:
        raise ToolkitError(
            f"run {run.id} is {run.status}: it has no ledger record yet"
            if run.status == "running"
            else f"run {run.id} was recorded before autokit measured runs",
            "export a run that has ended",
        )
    print(ledger_record(repo, settings_of(repo), run).to_json())
    return 0
