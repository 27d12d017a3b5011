"""Sending this machine's runs to the shared ledger, and reading everyone's.

`push` sends every run of the local history that the ledger does not hold yet (the
history remembers which runs reached it, and the ledger recognises a record it already
holds, so sending twice changes nothing). Each run is sent from the clone it was started
in (the history keeps the clone's folder): runs of other repositories on the same machine
never reach this one's ledger.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import NamedTuple

from toolkit import git
from toolkit.history import History, RunRecord, now_iso, open_history
from toolkit.ledger.branch import PATIENCE, Ledger, Pushed, append, read_ledger
from toolkit.ledger.record import LedgerRecord, from_history
from toolkit.ledger.settings import LedgerSettings, ledger_settings
from toolkit.repo import Repository


def settings_of(repo: Repository) -> LedgerSettings:
    return ledger_settings(repo.config, repo.root / "pyproject.toml")


def who_started(
    root: Path, settings: LedgerSettings, trigger: str, environ: Mapping[str, str] = os.environ
) -> str | None:
    """Who the ledger says started a run: the Git identity's name (on GitHub, the person
    who started the workflow; nobody for a schedule), or nobody with `ledger_who = "none"`."""
    if settings.who == "none" or trigger == "schedule":
        return None
    if environ.get("GITHUB_ACTIONS") == "true":
        return environ.get("GITHUB_TRIGGERING_ACTOR") or environ.get("GITHUB_ACTOR") or None
    return git.user_name(root)


def ledger_record(repo: Repository, settings: LedgerSettings, run: RunRecord) -> LedgerRecord:
    return from_history(run, who_started(repo.root, settings, run.run_trigger or "manual"))


def _ours(repo: Repository, runs: Sequence[RunRecord]) -> list[RunRecord]:
    """The runs started in a clone of this repository on this machine."""
    root = str(repo.root)
    return [run for run in runs if run.repository == root]


class PushResult(NamedTuple):
    pushed: Pushed
    queued: int  # local runs that were waiting to be sent


def push(
    repo: Repository, remote: str, history: History | None = None, patience: float = PATIENCE
) -> PushResult:
    """Send every local run of this repository not yet in the ledger on `remote`."""
    settings = settings_of(repo)
    own = history is None
    history = history or open_history()
    try:
        waiting = _ours(repo, history.not_shared())
        records = [ledger_record(repo, settings, run) for run in waiting]
        pushed = append(repo.root, settings, remote, records, patience)
        if waiting:
            history.mark_shared([run.id for run in waiting], now_iso())
    finally:
        if own:
            history.close()
    return PushResult(pushed, len(waiting))


def waiting_records(repo: Repository, settings: LedgerSettings) -> list[LedgerRecord]:
    """The local runs of this repository that the ledger does not hold yet."""
    with open_history() as history:
        return [ledger_record(repo, settings, run) for run in _ours(repo, history.not_shared())]


class Everyone(NamedTuple):
    """The ledger as this clone has it, plus this machine's runs not sent yet."""

    ledger: Ledger
    local: list[LedgerRecord]
    records: list[LedgerRecord]  # both, each run once


def everyones_runs(repo: Repository) -> Everyone:
    settings = settings_of(repo)
    ledger = read_ledger(repo.root, settings) if git.is_git_repository(repo.root) else None
    ledger = ledger or Ledger([], [], ())
    local = waiting_records(repo, settings)
    known = {record.id for record in ledger.records}
    return Everyone(ledger, local, ledger.records + [r for r in local if r.id not in known])
