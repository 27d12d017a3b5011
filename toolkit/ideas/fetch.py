"""Reading the ideas from GitHub: every issue labelled `idea`, open and closed.

One listing (100 issues a page) and, for each idea closed as completed, the first page of
its timeline, where the pull request that closed it shows as a cross-reference. The token
only reads (`issues: read`). What GitHub answers is checked item by item: an issue that
cannot be read as an idea is skipped and counted, and a listing with nothing readable is a
failure, so it never replaces a good file.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from toolkit.errors import ToolkitError
from toolkit.ideas.form import LABEL
from toolkit.ideas.model import (
    IdeasFile,
    Malformed,
    idea_of_issue,
    read_ideas,
    with_built,
    write_ideas,
)
from toolkit.notify.github import GitHubClient


class IdeasClient(GitHubClient):
    """The issues client, with the errors worded for the ideas fetch."""

    command = "autokit ideas fetch"
    needs = "a token that may read the repository's issues"
    job = "the job that fetches the ideas"
    permission = "issues: read"


@dataclass
class Fetched:
    ideas: IdeasFile
    skipped: list[str] = field(default_factory=list)  # why each skipped issue was skipped
    truncated: bool = False  # more pages than were read


def fetch(client: GitHubClient, built: Mapping[int, str], now: datetime) -> Fetched:
    """Every idea the repository's issues hold; `built` maps idea numbers to the
    automations whose metadata records them."""
    items, truncated = client.all_issues(LABEL)
    ideas, skipped = [], []
    for item in items:
        try:
            ideas.append(idea_of_issue(item, _closing_pull_request(client, item)))
        except Malformed as why:
            skipped.append(str(why))
    if items and not ideas:
        raise ToolkitError(
            f"GitHub listed {len(items)} issue(s) labelled `{LABEL}` and none could be read "
            f"as an idea ({'; '.join(skipped[:3])})",
            "try again later; if it persists, the API at GITHUB_API_URL is not GitHub's",
        )
    stamp = now.isoformat(timespec="seconds").replace("+00:00", "Z")
    found = IdeasFile(stamp, client.repository, with_built(ideas, built), len(skipped))
    return Fetched(found, skipped, truncated)


def _closing_pull_request(client: GitHubClient, issue: Any) -> str | None:
    """The merged pull request that closed an idea closed as completed, from its timeline."""
    if not isinstance(issue, dict) or issue.get("state") != "closed":
        return None
    if issue.get("state_reason") not in (None, "completed"):
        return None
    number = issue.get("number")
    if not isinstance(number, int) or isinstance(number, bool):
        return None
    for event in client.timeline(number):
        source = event.get("source") if isinstance(event, dict) else None
        other = source.get("issue") if isinstance(source, dict) else None
        pull = other.get("pull_request") if isinstance(other, dict) else None
        if event.get("event") == "cross-referenced" and isinstance(pull, dict):
            assert isinstance(other, dict)
            url = pull.get("html_url") or other.get("html_url")
            if pull.get("merged_at") and isinstance(url, str):
                return url
    return None


def fetch_into(
    path: Path, client: GitHubClient, built: Mapping[int, str], now: datetime
) -> Fetched:
    """Fetch and write `path` whole; on any failure the file stays as it was, and the
    error says what is kept."""
    try:
        fetched = fetch(client, built, now)
    except ToolkitError as error:
        raise ToolkitError(f"{error.message}; {kept(path)}", error.hint) from None
    write_ideas(path, fetched.ideas)
    return fetched


def kept(path: Path) -> str:
    """What a failed fetch leaves in place, in words."""
    if not path.exists():
        return f"{path} was not written (there was none before)"
    try:
        before = read_ideas(path)
    except ToolkitError:
        return f"{path} was left as it was"
    return f"kept the last good {path} ({len(before.ideas)} ideas, fetched {before.fetched})"
