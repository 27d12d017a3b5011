"""The failure issue of one automation on GitHub: opened, counted on, commented, closed.

Each method prints one line saying what it did and returns what the other channels (chat,
email) should hear of: the failures to tell of, or None when nothing is to be told.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from toolkit.notify import rules
from toolkit.notify.github import GitHubClient
from toolkit.notify.rules import Subject
from toolkit.notify.settings import NotifySettings

LABEL_COLOURS = ("d73a4a", "ededed")  # run-failure: GitHub's red; automation:<name>: grey


class FailureIssue:
    def __init__(
        self, client: GitHubClient, subject: Subject, settings: NotifySettings, now: dt.datetime
    ) -> None:
        self.client, self.subject, self.settings, self.now = client, subject, settings, now
        self.name = subject.record.automation
        self.labels = rules.labels_of(self.name)

    def failure(self, in_a_row: int) -> int | None:
        """Open the issue, or count this failure on the open one."""
        open_issues = self.client.open_issues(self.labels)
        if open_issues:
            return self._count(open_issues[0])
        if in_a_row < self.settings.after_failures:
            print(
                f"{self.name}: failure {in_a_row} of {self.settings.after_failures} in a row: "
                "no issue yet"
            )
            return None
        self._ensure_labels()
        issue = self.client.create_issue(
            rules.issue_title(self.subject), rules.issue_body(self.subject), self.labels
        )
        print(f"{self.name}: opened issue #{issue['number']}")
        return in_a_row

    def _count(self, issue: Mapping[str, Any]) -> int | None:
        """Count the failure in the issue's marker; comment when `every_hours` have passed."""
        number, record = int(issue["number"]), self.subject.record
        pending, last = rules.read_marker(issue.get("body"))
        if last == record.id:
            print(f"{self.name}: run {record.id} is already counted on issue #{number}")
            return None
        pending += 1
        comments = self.client.latest_comments(number, int(issue.get("comments") or 0))
        since = rules.last_notice(issue, comments)
        if self.now - since < dt.timedelta(hours=self.settings.every_hours):
            self.client.update_issue(
                number, body=rules.with_marker(issue.get("body"), pending, record.id)
            )
            print(
                f"{self.name}: failure counted on issue #{number} ({pending} since the last "
                f"update; a comment {self.settings.every_hours:g} h after it at the earliest)"
            )
            return None
        self.client.add_comment(number, rules.reminder(self.subject, pending))
        self.client.update_issue(number, body=rules.with_marker(issue.get("body"), 0, record.id))
        print(f"{self.name}: commented on issue #{number} ({pending} since the last update)")
        return pending

    def recovery(self) -> bool:
        """Close every open failure issue with a "recovered" comment; whether one was open."""
        open_issues = self.client.open_issues(self.labels)
        for issue in open_issues:
            number = int(issue["number"])
            self.client.add_comment(number, rules.recovered(self.subject))
            self.client.update_issue(number, state="closed", state_reason="completed")
            print(f"{self.name}: recovered; closed issue #{number}")
        if not open_issues:
            print(f"{self.name}: succeeded; no failure issue is open")
        return bool(open_issues)

    def _ensure_labels(self) -> None:
        descriptions = ("A run of an automation failed", f"Runs of {self.name}")
        for label, colour, description in zip(
            self.labels, LABEL_COLOURS, descriptions, strict=True
        ):
            self.client.ensure_label(label, colour, description)
