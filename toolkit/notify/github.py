"""A small client of GitHub's REST API: just what failure issues need, on urllib.

Requests time out; 5xx answers, network errors, time-outs and rate limits (403 or 429
with `Retry-After` or `x-ratelimit-reset`) are tried again a few times with capped waits.
Every other failure is a `ToolkitError` saying what to fix (the token, the job's
`issues: write` permission, the repository name, or what GitHub refused).
"""

from __future__ import annotations

import contextlib
import json
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Mapping
from typing import Any

from toolkit.errors import ToolkitError

DEFAULT_API = "https://api.github.com"
API_VERSION = "2022-11-28"
PAGE = 100  # items per page: the most GitHub gives


class GitHubClient:
    """Issues of one repository, through GitHub's REST API at `api`."""

    # What the errors call the command and the job, and the permission its token needs.
    command = "autokit notify"
    needs = "a token to open issues"
    job = "the notify job"
    permission = "issues: write"

    attempts = 4  # tries of one request in all
    timeout = 20.0  # seconds one request may take
    max_wait = 60.0  # seconds one pause before a new try may last, whatever GitHub asks

    def __init__(self, api: str, token: str, repository: str) -> None:
        self.api = api.rstrip("/")
        self.token = token
        self.repository = repository

    @classmethod
    def from_environment(cls, environ: Mapping[str, str]) -> GitHubClient:
        token = environ.get("GITHUB_TOKEN", "")
        repository = environ.get("GITHUB_REPOSITORY", "")
        if not token:
            raise ToolkitError(
                f"GITHUB_TOKEN is not set: {cls.command} needs {cls.needs}",
                "pass the job's token: `env: GITHUB_TOKEN: ${{ github.token }}`",
            )
        if repository.count("/") != 1 or not all(repository.split("/")):
            raise ToolkitError(
                f"GITHUB_REPOSITORY is {repository!r}, not OWNER/NAME",
                "GitHub Actions sets it; elsewhere set GITHUB_REPOSITORY=owner/name",
            )
        return cls(environ.get("GITHUB_API_URL") or DEFAULT_API, token, repository)

    # The endpoints

    def open_issues(self, labels: list[str]) -> list[dict[str, Any]]:
        query = urllib.parse.urlencode(
            {"labels": ",".join(labels), "state": "open", "per_page": PAGE}
        )
        found = self.request("GET", f"/repos/{self.repository}/issues?{query}")
        # The issues endpoint lists pull requests too; a failure issue is never one.
        issues = [i for i in found if isinstance(i, dict) and "pull_request" not in i]
        return sorted(issues, key=lambda issue: int(issue["number"]))

    def all_issues(self, label: str, max_pages: int = 100) -> tuple[list[Any], bool]:
        """Every issue (open and closed) carrying `label`, page by page, oldest first as
        GitHub lists them: the items as answered (pull requests left out), and whether
        more pages were left unread after `max_pages`."""
        items: list[Any] = []
        for page in range(1, max_pages + 1):
            query = urllib.parse.urlencode(
                {
                    "labels": label,
                    "state": "all",
                    "direction": "asc",
                    "per_page": PAGE,
                    "page": page,
                }
            )
            found = self.request("GET", f"/repos/{self.repository}/issues?{query}")
            if not isinstance(found, list):
                raise ToolkitError(
                    f"GitHub API GET /repos/{self.repository}/issues: the answer is not a list",
                    "try again later; the API answered something it never should",
                )
            items += [i for i in found if not (isinstance(i, dict) and "pull_request" in i)]
            if len(found) < PAGE:
                return items, False
        return items, True

    def issue(self, number: int) -> dict[str, Any] | None:
        """One issue (or pull request), or None when there is no such number."""
        found = self.request("GET", f"/repos/{self.repository}/issues/{number}", missing_ok=True)
        return found if isinstance(found, dict) else None

    def timeline(self, number: int) -> list[Any]:
        """The first page of an issue's timeline events (cross-references, closings)."""
        path = f"/repos/{self.repository}/issues/{number}/timeline?per_page={PAGE}"
        found = self.request("GET", path)
        return found if isinstance(found, list) else []

    def create_issue(self, title: str, body: str, labels: list[str]) -> dict[str, Any]:
        data = {"title": title, "body": body, "labels": labels}
        created: dict[str, Any] = self.request("POST", f"/repos/{self.repository}/issues", data)
        return created

    def update_issue(self, number: int, **fields: object) -> dict[str, Any]:
        path = f"/repos/{self.repository}/issues/{number}"
        updated: dict[str, Any] = self.request("PATCH", path, dict(fields))
        return updated

    def latest_comments(self, number: int, count: int) -> list[dict[str, Any]]:
        """The last page of the issue's comments (oldest first): `count` is the issue's
        `comments` figure, so the page holding the newest one is asked for."""
        page = max(1, -(-count // PAGE))
        path = f"/repos/{self.repository}/issues/{number}/comments?per_page={PAGE}&page={page}"
        found: list[dict[str, Any]] = self.request("GET", path)
        return found

    def add_comment(self, number: int, body: str) -> dict[str, Any]:
        path = f"/repos/{self.repository}/issues/{number}/comments"
        added: dict[str, Any] = self.request("POST", path, {"body": body})
        return added

    def ensure_label(self, name: str, color: str, description: str) -> None:
        """Create the label; one that already exists is fine."""
        data = {"name": name, "color": color, "description": description}
        with contextlib.suppress(LabelExists):
            self.request("POST", f"/repos/{self.repository}/labels", data)

    # The transport

    def request(
        self, method: str, path: str, data: object = None, *, missing_ok: bool = False
    ) -> Any:
        """The decoded JSON answer to one request, tried again where trying again can help
        (None for a 404 when `missing_ok`)."""
        for attempt in range(1, self.attempts + 1):
            last = attempt == self.attempts
            try:
                return self._send(method, path, data)
            except urllib.error.HTTPError as error:
                if missing_ok and error.code == 404:
                    return None
                wait = self._retry_wait(error, attempt)
                if wait is None or last:
                    raise self._error(method, path, error) from None
            except (urllib.error.URLError, TimeoutError, ConnectionError) as error:
                if last:
                    reason = getattr(error, "reason", error) or "timed out"
                    raise ToolkitError(
                        f"GitHub API {method} {path}: no answer after {self.attempts} tries "
                        f"({reason})",
                        f"check that {self.api} is reachable; the run's own result is unchanged",
                    ) from None
                wait = min(2.0 ** (attempt - 1), self.max_wait)
            time.sleep(wait)
        raise AssertionError("unreachable")  # pragma: no cover

    def _send(self, method: str, path: str, data: object) -> Any:
        body = None if data is None else json.dumps(data).encode("utf-8")
        request = urllib.request.Request(self.api + path, data=body, method=method)
        request.add_header("Authorization", f"Bearer {self.token}")
        request.add_header("Accept", "application/vnd.github+json")
        request.add_header("X-GitHub-Api-Version", API_VERSION)
        request.add_header("User-Agent", "autokit-notify")
        if body is not None:
            request.add_header("Content-Type", "application/json")
        with urllib.request.urlopen(request, timeout=self.timeout) as answer:
            raw = answer.read()
        try:
            return json.loads(raw) if raw else None
        except ValueError:  # UnicodeDecodeError too
            raise ToolkitError(
                f"GitHub API {method} {path}: the answer is not JSON",
                "try again later; https://www.githubstatus.com says whether GitHub has trouble",
            ) from None

    def _retry_wait(self, error: urllib.error.HTTPError, attempt: int) -> float | None:
        """Seconds to wait before trying again, or None when another try cannot help."""
        if error.code >= 500:
            return min(2.0 ** (attempt - 1), self.max_wait)
        if error.code not in (403, 429):
            return None
        headers = error.headers
        retry_after = headers.get("Retry-After")
        if retry_after is not None and retry_after.strip().isdigit():
            return min(float(retry_after), self.max_wait)
        reset = headers.get("x-ratelimit-reset")
        if headers.get("x-ratelimit-remaining") == "0" and reset and reset.strip().isdigit():
            return min(max(float(reset) - time.time(), 0.0), self.max_wait)
        return 60.0 if error.code == 429 else None

    def _error(self, method: str, path: str, error: urllib.error.HTTPError) -> ToolkitError:
        message = _github_message(error)
        where = f"GitHub API {method} {path}: {error.code}"
        if error.code == 401:
            return ToolkitError(
                f"{where}: the token was refused ({message})",
                "pass a valid token in GITHUB_TOKEN (in a workflow: ${{ github.token }})",
            )
        if error.code in (403, 429) and "rate limit" in message.lower():
            return ToolkitError(
                f"{where}: rate limited, and still after {self.attempts} tries ({message})",
                f"run {self.job} again later",
            )
        if error.code == 403:
            return ToolkitError(
                f"{where}: the token may not do this ({message})",
                f"give {self.job} `permissions: {self.permission}`",
            )
        if error.code == 404:
            return ToolkitError(
                f"{where}: repository {self.repository} not found, or the token cannot see it",
                "check GITHUB_REPOSITORY (owner/name) and that the token belongs to it",
            )
        if error.code == 422 and "already_exists" in message:
            return LabelExists(where)
        if error.code == 422:
            return ToolkitError(
                f"{where}: GitHub refused the request: {message}", "correct what GitHub names"
            )
        return ToolkitError(
            f"{where}: GitHub answered with an error ({message})",
            "try again later; https://www.githubstatus.com says whether GitHub has trouble",
        )


class LabelExists(ToolkitError):
    """GitHub's 422 for a label that is there already."""


def _github_message(error: urllib.error.HTTPError) -> str:
    """GitHub's own words from an error answer: its message and each error's code."""
    try:
        data = json.loads(error.read() or b"{}")
    except (ValueError, OSError):
        return error.reason or "no message"
    if not isinstance(data, dict):
        return "no message"
    words = [str(data.get("message") or error.reason or "no message")]
    for item in data.get("errors") or []:
        if isinstance(item, dict):
            words += [str(item[k]) for k in ("field", "code", "message") if item.get(k)]
        elif isinstance(item, str):
            words.append(item)
    return ": ".join(words)[:500]
