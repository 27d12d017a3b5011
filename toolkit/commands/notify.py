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
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from toolkit.errors import ToolkitError
from toolkit.repo import Repository, repository_from_args

NOW_VARIABLE = "AUTOKIT_NOW"  # the current time, ISO; for tests only


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--record",
        metavar="FILE",
        required=True,
        help="the run's ledger record (JSON, as `autokit runs export RUN_ID` writes it)",
    )


def run(args: argparse.Namespace) -> int:
    from toolkit.notify.github import GitHubClient

    record = read_record_file(Path(args.record))
    repo = repository_from_args(args)
    subject, settings = _subject(repo, record)
    if not (_is_failure(record) or _is_recovery(record)):
        print(
            f"{record.automation}: a {record.kind} run that ended {record.status}: nothing to tell"
        )
        return 0
    client = GitHubClient.from_environment(os.environ)
    notice = Notifier(client, subject, settings, _now())
    if _is_failure(record):
        told = notice.failure(_consecutive_failures(repo, record))
    else:
        told = notice.recovery()
    problems = [] if told is None else _tell_channels(repo, subject, settings, told)
    for problem in problems:
        print(f"error: {problem}", file=sys.stderr)
    return 1 if problems else 0


def read_record_file(path: Path) -> Any:
    """The run record in `path`, checked as untrusted data."""
    from toolkit.ledger.record import RECORD_BYTES, NotARecord, parse_record

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
    except (ValueError, NotARecord) as error:
        reason = "not JSON (truncated?)" if isinstance(error, json.JSONDecodeError) else error
        raise ToolkitError(
            f"{path}: not a run record: {reason}",
            "pass the file `autokit runs export RUN_ID > FILE` wrote, whole",
        ) from None


def _is_failure(record: Any) -> bool:
    from toolkit.notify.rules import is_failure

    return is_failure(record)


def _is_recovery(record: Any) -> bool:
    from toolkit.notify.rules import is_recovery

    return is_recovery(record)


def _subject(repo: Repository, record: Any) -> tuple[Any, Any]:
    """What the metadata says of the run's automation: title, owners, secrets to mask."""
    from toolkit.metadata import load_automation
    from toolkit.notify.rules import Subject
    from toolkit.notify.settings import settings_for, shop_defaults
    from toolkit.secrets import Masker

    defaults = shop_defaults(repo.config, repo.root / "pyproject.toml")
    folder = repo.automations_dir / record.automation
    try:
        automation = load_automation(folder, repo.root)
    except ToolkitError as error:
        print(
            f"warning: {record.automation}: no valid metadata at this commit, so no owners "
            f"to mention: {error.message}",
            file=sys.stderr,
        )
        return Subject(record, record.automation, (), Masker([])), defaults
    values = [os.environ.get(s.name, "") for s in automation.secrets]
    subject = Subject(record, automation.title, automation.owners, Masker(values))
    return subject, settings_for(automation.notify, defaults)


def _consecutive_failures(repo: Repository, record: Any) -> int:
    from toolkit.ledger.branch import read_ledger
    from toolkit.ledger.sharing import settings_of
    from toolkit.notify.rules import consecutive_failures

    ledger = read_ledger(repo.root, settings_of(repo))
    return consecutive_failures(record, ledger.records) if ledger.found else 1


def _now() -> dt.datetime:
    given = os.environ.get(NOW_VARIABLE)
    if not given:
        return dt.datetime.now(dt.UTC)
    try:
        moment = dt.datetime.fromisoformat(given.replace("Z", "+00:00"))
    except ValueError:
        raise ToolkitError(f"{NOW_VARIABLE}={given!r} is not an ISO time", "unset it") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)


class Notifier:
    """The failure issue of one automation on GitHub; each method says what it told."""

    def __init__(self, client: Any, subject: Any, settings: Any, now: dt.datetime) -> None:
        self.client, self.subject, self.settings, self.now = client, subject, settings, now
        self.name = subject.record.automation

    def failure(self, in_a_row: int) -> int | None:
        """Open or update the issue; the failures to tell the channels of, or None."""
        from toolkit.notify import rules

        labels = rules.labels_of(self.name)
        open_issues = self.client.open_issues(labels)
        if not open_issues:
            if in_a_row < self.settings.after_failures:
                print(
                    f"{self.name}: failure {in_a_row} of {self.settings.after_failures} "
                    "in a row: no issue yet"
                )
                return None
            self._ensure_labels(labels)
            issue = self.client.create_issue(
                rules.issue_title(self.subject), rules.issue_body(self.subject), labels
            )
            print(f"{self.name}: opened issue #{issue['number']}")
            return in_a_row
        return self._remind(open_issues[0])

    def _remind(self, issue: Mapping[str, Any]) -> int | None:
        from toolkit.notify import rules

        number, record = int(issue["number"]), self.subject.record
        pending, last = rules.read_marker(issue.get("body"))
        if last == record.id:
            print(f"{self.name}: run {record.id} is already counted on issue #{number}")
            return None
        pending += 1
        comments = self.client.latest_comments(number, int(issue.get("comments") or 0))
        since = rules.last_notice(issue, comments)
        if self.now - since < dt.timedelta(hours=self.settings.every_hours):
            body = rules.with_marker(issue.get("body"), pending, record.id)
            self.client.update_issue(number, body=body)
            print(
                f"{self.name}: failure counted on issue #{number} ({pending} since the last "
                f"update; next comment {self.settings.every_hours:g} h after it)"
            )
            return None
        self.client.add_comment(number, rules.reminder(self.subject, pending))
        self.client.update_issue(number, body=rules.with_marker(issue.get("body"), 0, record.id))
        print(
            f"{self.name}: commented on issue #{number} ({pending} failures since the last update)"
        )
        return pending

    def recovery(self) -> int | None:
        """Close every open failure issue with a "recovered" comment; 0 if any, else None."""
        from toolkit.notify import rules

        open_issues = self.client.open_issues(rules.labels_of(self.name))
        for issue in open_issues:
            number = int(issue["number"])
            self.client.add_comment(number, rules.recovered(self.subject))
            self.client.update_issue(number, state="closed", state_reason="completed")
            print(f"{self.name}: recovered; closed issue #{number}")
        if not open_issues:
            print(f"{self.name}: succeeded; no failure issue is open")
        return 0 if open_issues else None

    def _ensure_labels(self, labels: list[str]) -> None:
        self.client.ensure_label(labels[0], "d73a4a", "A run of an automation failed")
        self.client.ensure_label(labels[1], "ededed", f"Runs of {self.name}")


def _tell_channels(repo: Repository, subject: Any, settings: Any, failures: int) -> list[str]:
    """Tell the webhook and email of a failure (`failures` > 0) or recovery (0)."""
    from toolkit.notify import channels, rules

    problems: list[str] = []
    recovered = failures == 0
    text = rules.chat_recovery(subject) if recovered else rules.chat_failure(subject, failures)
    if settings.webhook_secret:
        url = os.environ.get(settings.webhook_secret)
        problem = (
            channels.post_webhook(url, text)
            if url
            else f"{settings.webhook_secret} is not set, so the chat webhook was not told"
        )
        problems += [problem] if problem else []
    if settings.email is not None:
        secret = settings.email.password_secret
        password = os.environ.get(secret) if secret else None
        if secret and not password:
            problems.append(f"{secret} is not set, so no email was sent")
        else:
            title = (
                rules.issue_title(subject).replace("is failing", "recovered")
                if recovered
                else rules.issue_title(subject)
            )
            problem = channels.send_email(settings.email, password, title, text)
            problems += [problem] if problem else []
    return problems
