"""`autokit notify --record FILE`: tell an automation's owners that it fails or recovered.

Run by a small job after each automation job on GitHub Actions, with `issues: write` only.
FILE is the run's ledger record (what `autokit runs export RUN_ID` prints). A failed,
timed-out or lost real run opens the issue "<title> is failing" (labels `run-failure` and
`automation:<name>`) mentioning the owners, or counts itself on the open one and comments
when `every_hours` have passed; a success closes it with a "recovered" comment. The chat
webhook and email the metadata's `notify:` names hear of the same failures and recovery.
Rules: `toolkit.notify.rules`; settings: `toolkit.notify.settings`.

GitHub: `GITHUB_API_URL` (default https://api.github.com), `GITHUB_TOKEN`,
`GITHUB_REPOSITORY`. A channel that fails is reported and the others still run; the
command then exits 1, so the notify job fails visibly beside the run's own result.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from toolkit.errors import ToolkitError
from toolkit.ledger.record import RECORD_BYTES, LedgerRecord, NotARecord, parse_record
from toolkit.notify import rules
from toolkit.notify.channels import tell_channels
from toolkit.notify.github import GitHubClient
from toolkit.notify.issues import FailureIssue
from toolkit.notify.rules import Subject
from toolkit.notify.settings import NotifySettings, settings_for, shop_defaults
from toolkit.repo import Repository, repository_from_args
from toolkit.secrets import Masker

if TYPE_CHECKING:
    from toolkit.metadata import Automation

NOW_VARIABLE = "AUTOKIT_NOW"  # the current time, ISO; for tests only


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--record",
        metavar="FILE",
        required=True,
        help="the run's ledger record (JSON, as `autokit runs export RUN_ID` writes it)",
    )


def run(args: argparse.Namespace) -> int:
    record = read_record_file(Path(args.record))
    repo = repository_from_args(args)
    subject, settings = _subject(repo, record)
    failed, recovered = rules.is_failure(record), rules.is_recovery(record)
    if not (failed or recovered):
        kind = f"{record.kind} run" if record.kind != "real" else "run"
        print(f"{record.automation}: a {kind} that ended {record.status}: nothing to tell")
        return 0
    issue = FailureIssue(GitHubClient.from_environment(os.environ), subject, settings, _now())
    if failed:
        told = issue.failure(_consecutive_failures(repo, record))
    else:
        told = 0 if issue.recovery() else None
    problems = [] if told is None else tell_channels(subject, settings, told, os.environ)
    for problem in problems:
        print(f"error: {problem}", file=sys.stderr)
    return 1 if problems else 0


def read_record_file(path: Path) -> LedgerRecord:
    """The run record in `path`, checked as untrusted data."""
    try:
        with path.open("rb") as file:
            raw = file.read(RECORD_BYTES + 1)
    except OSError as error:
        raise ToolkitError(
            f"{path}: cannot read the run record ({error.strerror or error})",
            "pass the file `autokit runs export RUN_ID > FILE` wrote",
        ) from None
    try:
        if len(raw) > RECORD_BYTES:
            raise NotARecord(f"larger than {RECORD_BYTES} bytes")
        return parse_record(json.loads(raw.decode("utf-8")))
    except (ValueError, NotARecord) as error:  # JSON's and UTF-8's errors are ValueErrors
        reason = "not JSON (truncated?)" if isinstance(error, json.JSONDecodeError) else error
        raise ToolkitError(
            f"{path}: not a run record: {reason}",
            "pass the file `autokit runs export RUN_ID > FILE` wrote, whole",
        ) from None


def _subject(repo: Repository, record: LedgerRecord) -> tuple[Subject, NotifySettings]:
    """What the metadata says of the run's automation: title, owners, secrets to mask."""
    from toolkit.metadata import load_automation  # the YAML reader and validator

    defaults = shop_defaults(repo.config, repo.root / "pyproject.toml")
    try:
        automation = _automation_at_run(repo, record) or load_automation(
            repo.automations_dir / record.automation, repo.root
        )
    except ToolkitError as error:
        print(
            f"warning: {record.automation}: no valid metadata at this commit, so no owners "
            f"to mention: {error.message}",
            file=sys.stderr,
        )
        return Subject(record, record.automation, (), Masker([])), defaults
    values = [os.environ.get(secret.name, "") for secret in automation.secrets]
    subject = Subject(record, automation.title, automation.owners, Masker(values))
    return subject, settings_for(automation.notify, defaults)


def _automation_at_run(repo: Repository, record: LedgerRecord) -> Automation | None:
    """The automation's metadata as it was at the run's commit; None when this clone lacks
    that commit or the file there (then the checkout's metadata is used)."""
    from toolkit import git
    from toolkit.metadata import METADATA_FILE, check_file

    if not record.commit:
        return None
    relative = f"automations/{record.automation}/{METADATA_FILE}"
    try:
        raw = git.files_at(repo.root, record.commit, [relative]).get(relative)
    except ToolkitError:
        return None  # not in this clone (a shallow checkout)
    if raw is None:
        return None
    findings, automation = check_file(repo.root / relative, repo.root, raw=raw)
    if automation is None:
        problems = "; ".join(f.message for f in findings[:3])
        raise ToolkitError(f"its metadata at {record.commit[:12]} is not valid: {problems}")
    return automation


def _consecutive_failures(repo: Repository, record: LedgerRecord) -> int:
    """Failures in a row with this one, from the ledger if the clone has it, else 1."""
    from toolkit.ledger.branch import read_ledger  # Git
    from toolkit.ledger.sharing import settings_of

    ledger = read_ledger(repo.root, settings_of(repo))
    return rules.consecutive_failures(record, ledger.records) if ledger.found else 1


def _now() -> dt.datetime:
    given = os.environ.get(NOW_VARIABLE)
    if not given:
        return dt.datetime.now(dt.UTC)
    try:
        moment = dt.datetime.fromisoformat(given.replace("Z", "+00:00"))
    except ValueError:
        raise ToolkitError(f"{NOW_VARIABLE}={given!r} is not an ISO time", "unset it") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)
