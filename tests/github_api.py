"""A GitHub REST API on loopback with just the endpoints `autokit notify` and `autokit
ideas` use.

Issues, comments, labels and timelines live in memory. `fail_next` makes the next requests
answer with an error status (and headers, such as `Retry-After`); `garbage` holds raw
bodies the next successful answers are sent as instead; `slow` makes every answer wait.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import threading
import time
import urllib.parse
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

TOKEN = "test-token"
REPOSITORY = "example-shop/autokit"


class FakeGitHub:
    def __init__(self) -> None:
        self.issues: dict[int, dict[str, Any]] = {}
        self.comments: dict[int, list[dict[str, Any]]] = {}
        self.labels: set[str] = set()
        self.requests: list[tuple[str, str]] = []
        self.failures: list[tuple[int, dict[str, str], dict[str, Any]]] = []
        self.timelines: dict[int, list[dict[str, Any]]] = {}  # issue -> its timeline events
        self.garbage: list[bytes] = []  # raw bodies the next answers are (200, not JSON)
        self.slow = 0.0
        self.now = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)  # the time it stamps
        self.lock = threading.Lock()

    def fail_next(
        self, status: int, times: int = 1, headers: dict[str, str] | None = None, **body: Any
    ) -> None:
        answer = body or {"message": f"error {status}"}
        self.failures += [(status, headers or {}, answer)] * times

    def stamp(self) -> str:
        return self.now.isoformat().replace("+00:00", "Z")

    def open_issues(self) -> list[dict[str, Any]]:
        return [i for i in self.issues.values() if i["state"] == "open"]

    # What each endpoint does: (status, answer)

    def handle(self, method: str, path: str, query: dict[str, str], data: Any) -> tuple[int, Any]:
        base = f"/repos/{REPOSITORY}"
        if not path.startswith(base + "/"):
            return 404, {"message": "Not Found"}
        rest = path[len(base) :]
        if rest == "/issues" and method == "GET":
            wanted = set(filter(None, query.get("labels", "").split(",")))
            state = query.get("state", "open")
            found = [
                i
                for i in self.issues.values()
                if (state == "all" or i["state"] == state)
                and wanted <= {label["name"] for label in i["labels"]}
            ]
            if "page" in query:  # pages as GitHub serves them (per_page: 30 by default)
                page, size = int(query["page"]), int(query.get("per_page", 30))
                found = found[(page - 1) * size : page * size]
            return 200, found
        if rest == "/issues" and method == "POST":
            return self.create_issue(data)
        if rest == "/labels" and method == "POST":
            if data["name"] in self.labels:
                errors = [{"resource": "Label", "code": "already_exists", "field": "name"}]
                return 422, {"message": "Validation Failed", "errors": errors}
            self.labels.add(data["name"])
            return 201, {"name": data["name"]}
        if found := re.fullmatch(r"/issues/([0-9]+)", rest):
            issue = self.issues.get(int(found[1]))
            if issue is None:
                return 404, {"message": "Not Found"}
            if method == "PATCH":
                issue.update(data)
                issue["updated_at"] = self.stamp()
            return 200, issue
        if found := re.fullmatch(r"/issues/([0-9]+)/timeline", rest):
            if int(found[1]) not in self.issues:
                return 404, {"message": "Not Found"}
            return 200, self.timelines.get(int(found[1]), [])
        if found := re.fullmatch(r"/issues/([0-9]+)/comments", rest):
            number = int(found[1])
            if number not in self.issues:
                return 404, {"message": "Not Found"}
            if method == "GET":
                page, size = int(query.get("page", 1)), int(query.get("per_page", 30))
                return 200, self.comments[number][(page - 1) * size : page * size]
            comment = {"id": len(self.comments[number]) + 1, "body": data["body"]}
            comment["created_at"] = self.stamp()
            self.comments[number].append(comment)
            self.issues[number]["comments"] = len(self.comments[number])
            return 201, comment
        return 404, {"message": "Not Found"}

    def create_issue(self, data: dict[str, Any]) -> tuple[int, Any]:
        missing = [label for label in data.get("labels", []) if label not in self.labels]
        if missing:  # as a token without push access would see labels dropped: be strict
            return 422, {"message": "Validation Failed", "errors": [f"no label {missing[0]}"]}
        number = len(self.issues) + 1
        issue = {
            "number": number,
            "title": data["title"],
            "body": data.get("body", ""),
            "labels": [{"name": label} for label in data.get("labels", [])],
            "state": "open",
            "comments": 0,
            "created_at": self.stamp(),
            "updated_at": self.stamp(),
        }
        self.issues[number] = issue
        self.comments[number] = []
        return 201, issue


def _handler(fake: FakeGitHub) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:
            pass

        def answer(self, method: str) -> None:
            url = urllib.parse.urlsplit(self.path)
            query = dict(urllib.parse.parse_qsl(url.query))
            length = int(self.headers.get("Content-Length") or 0)
            data = json.loads(self.rfile.read(length)) if length else None
            time.sleep(fake.slow)
            with fake.lock:
                fake.requests.append((method, url.path))
                headers: dict[str, str] = {}
                if self.headers.get("Authorization") != f"Bearer {TOKEN}":
                    status, body = 401, {"message": "Bad credentials"}
                elif fake.failures:
                    status, headers, body = fake.failures.pop(0)
                else:
                    status, body = fake.handle(method, url.path, query, data)
                garbage = fake.garbage.pop(0) if fake.garbage and status < 400 else None
            raw = json.dumps(body).encode() if garbage is None else garbage
            try:
                self.send_response(status)
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(raw)))
                self.end_headers()
                self.wfile.write(raw)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the client gave up waiting

        def do_GET(self) -> None:
            self.answer("GET")

        def do_POST(self) -> None:
            self.answer("POST")

        def do_PATCH(self) -> None:
            self.answer("PATCH")

    return Handler


@contextmanager
def serving(fake: FakeGitHub) -> Iterator[str]:
    """Serve `fake` on a loopback port; yields the API's base URL."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(fake))
    server.daemon_threads = True
    thread = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
    )
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
