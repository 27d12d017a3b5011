"""What a run's end means for its automation's failure issue, and the words of each notice.

A failed, timed-out or lost real run opens the issue (after `after_failures` consecutive
failures); another failure while it is open is counted in a hidden marker of the issue's
body, and a comment with that count is added only when `every_hours` have passed since the
issue was opened or last commented on; a success closes the issue with a "recovered"
comment. Any other run (cancelled, an example, a test, a rehearsal) changes nothing.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, NamedTuple

from toolkit.ledger.record import LedgerRecord
from toolkit.notify.text import safe_text
from toolkit.secrets import Masker

FAILED = ("failed", "timeout", "lost")
FAILURE_LABEL = "run-failure"
MARKER = re.compile(r"<!-- autokit-notify: failures=([0-9]{1,9}) last=([0-9a-f-]{1,64}) -->")
# A GitHub Actions run's address, the only `where` shown as a link.
_RUN_URL = re.compile(
    r"^https://[A-Za-z0-9.-]+(:[0-9]+)?/[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+"
    r"/actions/runs/[0-9]+(/attempts/[0-9]+)?$"
)


class Subject(NamedTuple):
    """The run and what the automation's metadata says about it."""

    record: LedgerRecord
    title: str  # trusted: validated metadata, else the automation's name
    owners: tuple[str, ...]  # trusted: validated handles
    masker: Masker


def labels_of(name: str) -> list[str]:
    return [FAILURE_LABEL, f"automation:{name}"]


def issue_title(subject: Subject) -> str:
    return f"{subject.title} is failing"


def recovery_title(subject: Subject) -> str:
    return f"{subject.title} recovered"


def is_failure(record: LedgerRecord) -> bool:
    return record.is_real and record.status in FAILED


def is_recovery(record: LedgerRecord) -> bool:
    return record.is_real and record.status == "success"


def consecutive_failures(record: LedgerRecord, others: Iterable[LedgerRecord]) -> int:
    """How many real runs of the automation failed in a row, up to and with `record`."""
    runs = {r.id: r for r in others if r.automation == record.automation and r.is_real}
    runs[record.id] = record
    ended = sorted(
        (r for r in runs.values() if r.started_at <= record.started_at),
        key=lambda r: (_moment(r.started_at), r.id),
    )
    count = 0
    for run in reversed(ended):
        if run.status in FAILED:
            count += 1
        elif run.status == "success":
            break
    return max(count, 1)


def marker(failures: int, last: str) -> str:
    return f"<!-- autokit-notify: failures={failures} last={last} -->"


def read_marker(body: str | None) -> tuple[int, str | None]:
    """The failures not yet told of, and the last run counted, from an issue's body."""
    found = MARKER.search(body or "")
    return (int(found[1]), found[2]) if found else (0, None)


def with_marker(body: str | None, failures: int, last: str) -> str:
    text = MARKER.sub("", body or "").rstrip()
    return f"{text}\n\n{marker(failures, last)}\n"


def last_notice(issue: Mapping[str, Any], comments: Sequence[Mapping[str, Any]]) -> dt.datetime:
    """When the issue was opened or last commented on."""
    times = [str(issue.get("created_at") or "")]
    times += [str(c.get("created_at") or "") for c in comments]
    return (
        max(_moment(t) for t in times if t)
        if any(times)
        else dt.datetime.min.replace(tzinfo=dt.UTC)
    )


def _moment(text: str) -> dt.datetime:
    moment = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)


# The words


def mentions(subject: Subject) -> str:
    if subject.owners:
        return "Owners: " + " ".join(subject.owners)
    return (
        f"No owners are named in the metadata of `{subject.record.automation}` at this "
        f"commit: add `owners:` to automations/{subject.record.automation}/automation.yaml."
    )


def run_place(record: LedgerRecord) -> str:
    """The run's address as a link when it is a GitHub Actions run, else where it ran."""
    if _RUN_URL.match(record.where):
        return f"Run: {record.where}"
    return f"Ran on: {safe_text(record.where, Masker([]))}"


def run_facts(subject: Subject) -> list[str]:
    record = subject.record
    code = "" if record.exit_code is None else f", exit code {record.exit_code}"
    facts = [
        f"- Version: {safe_text(record.version, subject.masker)}",
        f"- Status: {record.status}{code}",
        f"- Trigger: {record.trigger}",
        f"- Started: {record.started_at}",
        f"- {run_place(record)}",
    ]
    if record.error:
        facts.append(f"- Error: {safe_text(record.error, subject.masker)}")
    return facts


def issue_body(subject: Subject) -> str:
    record = subject.record
    lines = [
        f"A run of **{subject.title}** (`{record.automation}`) ended {record.status}.",
        "",
        *run_facts(subject),
        "",
        mentions(subject),
        "",
        "autokit comments here while it keeps failing, and closes this issue when a run "
        "succeeds again.",
    ]
    return with_marker("\n".join(lines), 0, subject.record.id)


def reminder(subject: Subject, failures: int) -> str:
    runs = "1 failure" if failures == 1 else f"{failures} failures"
    lines = [f"Still failing: {runs} since the last update. The latest:", "", *run_facts(subject)]
    return "\n".join([*lines, "", mentions(subject)])


def recovered(subject: Subject) -> str:
    record = subject.record
    return (
        f"Recovered: version {safe_text(record.version, subject.masker)} succeeded "
        f"({run_place(record)}, started {record.started_at}). Closing."
    )


def chat_failure(subject: Subject, failures: int) -> str:
    record = subject.record
    error = safe_text(record.error, subject.masker) or "no error line"
    runs = "" if failures <= 1 else f" ({failures} failures since the last update)"
    return (
        f"{subject.title} is failing{runs}: version {safe_text(record.version, subject.masker)}, "
        f"{record.status}, {run_place(record)}. Error: {error}"
    )


def chat_recovery(subject: Subject) -> str:
    record = subject.record
    version = safe_text(record.version, subject.masker)
    return f"{subject.title} recovered: version {version} succeeded, {run_place(record)}."
