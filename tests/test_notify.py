"""`autokit notify`: failure issues on a GitHub API on loopback, a real webhook receiver
and a real SMTP server (aiosmtpd), the rules of when to open, comment and close, every bad
input of the issue, and run text made safe."""

from __future__ import annotations

import datetime as dt
import json
import socket
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
import yaml
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult
from github_api import REPOSITORY, TOKEN, FakeGitHub, serving
from helpers import (
    automation_files,
    bare_origin,
    commit_all,
    git,
    ledger_record,
    publish_ledger,
)

from toolkit.metadata.model import EmailNotice, Notify, contract_fields
from toolkit.metadata.schema import EMAIL_SCHEMA, NOTIFY_SCHEMA
from toolkit.notify import channels
from toolkit.notify.github import GitHubClient
from toolkit.notify.text import safe_text
from toolkit.secrets import Masker

T0 = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)
RUN_URL = f"https://github.com/{REPOSITORY}/actions/runs/"
SECRET = "sk-live-4f9a8b7c6d5e"
PASSWORD = "smtp-pass-word-1"
METADATA = "automations/hello/automation.yaml"


# Real parts: the GitHub API, a webhook receiver, an SMTP server


@pytest.fixture
def github(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeGitHub]:
    fake = FakeGitHub()
    with serving(fake) as url:
        monkeypatch.setenv("GITHUB_API_URL", url)
        monkeypatch.setenv("GITHUB_TOKEN", TOKEN)
        monkeypatch.setenv("GITHUB_REPOSITORY", REPOSITORY)
        monkeypatch.setattr(GitHubClient, "max_wait", 0.2)
        monkeypatch.setattr(GitHubClient, "timeout", 3.0)
        yield fake


class Webhook:
    def __init__(self) -> None:
        self.texts: list[str] = []
        self.status = 200
        self.slow = 0.0


@pytest.fixture
def webhook(monkeypatch: pytest.MonkeyPatch) -> Iterator[Webhook]:
    hook = Webhook()

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:
            pass

        def do_POST(self) -> None:
            data = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            time.sleep(hook.slow)
            hook.texts.append(data["text"])
            try:
                self.send_response(hook.status)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok")
            except (BrokenPipeError, ConnectionResetError):
                pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
    ).start()
    monkeypatch.setenv("HELLO_WEBHOOK", f"http://127.0.0.1:{server.server_address[1]}/hook")
    try:
        yield hook
    finally:
        server.shutdown()
        server.server_close()


class Mailbox:
    def __init__(self) -> None:
        self.messages: list[tuple[list[str], str]] = []
        self.logins: list[tuple[bytes, bool]] = []
        self.password = PASSWORD.encode()

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.messages.append((list(envelope.rcpt_tos), envelope.content.decode()))
        return "250 Message accepted for delivery"

    def authenticate(
        self, server: Any, session: Any, envelope: Any, mechanism: str, data: Any
    ) -> AuthResult:
        accepted = data.password == self.password
        self.logins.append((data.login, accepted))
        return AuthResult(success=accepted, handled=False)  # False: the server answers 535


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def mailbox(monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[Mailbox, int]]:
    box = Mailbox()
    port = free_port()
    controller = Controller(
        box,
        hostname="127.0.0.1",
        port=port,
        authenticator=box.authenticate,
        auth_require_tls=False,
    )
    controller.start()
    monkeypatch.setenv("SMTP_PASSWORD", PASSWORD)
    try:
        yield box, port
    finally:
        controller.stop()


# The repository and the run records


def notify_config(port: int = 2525, **overrides: Any) -> dict[str, Any]:
    config: dict[str, Any] = {
        "webhook_secret": "HELLO_WEBHOOK",
        "email": {
            "to": ["owners@example.com"],
            "smtp_host": "127.0.0.1",
            "smtp_port": port,
            "username": "autokit",
            "password_secret": "SMTP_PASSWORD",
        },
    }
    config.update(overrides)
    return {key: value for key, value in config.items() if value is not None}


SECRETS = [
    {"name": "API_KEY", "description": "The shop's API key"},
    {"name": "HELLO_WEBHOOK", "description": "The chat webhook's URL"},
    {"name": "SMTP_PASSWORD", "description": "The mail account's password"},
]


@pytest.fixture
def hello_repo(make_repo, monkeypatch: pytest.MonkeyPatch):
    """A repository with `hello`, owned by @alice and @shop/ops; `make(**metadata)`."""

    def make(**overrides: Any) -> Path:
        overrides.setdefault("owners", ["@alice", "@shop/ops"])
        overrides.setdefault("secrets", SECRETS)
        files = automation_files("hello", title="Hello Report", **overrides)
        root = make_repo(files)
        monkeypatch.chdir(root)
        monkeypatch.setenv("API_KEY", SECRET)
        return root

    return make


def record_file(tmp_path: Path, number: int, status: str, **overrides: Any) -> str:
    overrides.setdefault("started", T0 + dt.timedelta(seconds=number))
    overrides.setdefault("where", f"{RUN_URL}{1000 + number}")
    overrides.setdefault("trigger", "schedule")
    failed = status != "success"
    overrides.setdefault("error", "ValueError: the sheet has no rows" if failed else None)
    record = ledger_record(
        number,
        automation="hello",
        version="1.0.0",
        status=status,
        exit_code=1 if failed else 0,
        counts=not failed,
        minutes_saved=0.0 if failed else 10.0,
        **overrides,
    )
    path = tmp_path / f"record-{number}.json"
    path.write_text(record.to_json(), encoding="utf-8")
    return str(path)


def at(moment: dt.datetime, github: FakeGitHub, monkeypatch: pytest.MonkeyPatch) -> None:
    """Make it `moment`, for the command and for the fake GitHub's timestamps."""
    github.now = moment
    monkeypatch.setenv("AUTOKIT_NOW", moment.isoformat())


# The sequence the issue asks for


def test_fail_remind_and_recover(hello_repo, cli, github, webhook, mailbox, tmp_path, monkeypatch):
    box, port = mailbox
    hello_repo(notify=notify_config(port))

    at(T0, github, monkeypatch)
    result = cli("notify", "--record", record_file(tmp_path, 1, "failed"))
    assert result.code == 0, result
    (issue,) = github.issues.values()
    assert issue["title"] == "Hello Report is failing"
    assert {label["name"] for label in issue["labels"]} == {"run-failure", "automation:hello"}
    assert "Owners: @alice @shop/ops" in issue["body"]
    assert f"{RUN_URL}1001" in issue["body"]
    assert "Version: 1.0.0" in issue["body"]
    assert "Trigger: schedule" in issue["body"]
    assert "the sheet has no rows" in issue["body"]
    assert len(webhook.texts) == 1 and "Hello Report is failing" in webhook.texts[0]
    assert len(box.messages) == 1 and box.logins == [(b"autokit", True)]
    assert box.messages[0][0] == ["owners@example.com"]
    assert "Subject: Hello Report is failing" in box.messages[0][1]

    at(T0 + dt.timedelta(minutes=30), github, monkeypatch)
    result = cli("notify", "--record", record_file(tmp_path, 2, "timeout"))
    assert result.code == 0, result
    assert len(github.issues) == 1 and github.comments[1] == []
    assert (len(webhook.texts), len(box.messages)) == (1, 1)
    assert "failures=1" in github.issues[1]["body"]

    at(T0 + dt.timedelta(days=1), github, monkeypatch)
    result = cli("notify", "--record", record_file(tmp_path, 3, "lost"))
    assert result.code == 0, result
    assert len(github.issues) == 1
    (comment,) = github.comments[1]
    assert "2 failures since the last update" in comment["body"]
    assert "Owners: @alice @shop/ops" in comment["body"]
    assert len(webhook.texts) == 2 and "2 failures since the last update" in webhook.texts[1]
    assert len(box.messages) == 2

    at(T0 + dt.timedelta(days=1, hours=1), github, monkeypatch)
    result = cli("notify", "--record", record_file(tmp_path, 4, "success"))
    assert result.code == 0, result
    assert github.issues[1]["state"] == "closed"
    recovered = github.comments[1][-1]["body"]
    assert recovered.startswith("Recovered") and f"{RUN_URL}1004" in recovered
    assert "version 1.0.0 succeeded" in recovered
    assert len(webhook.texts) == 3 and "recovered" in webhook.texts[2]
    assert len(box.messages) == 3 and "Subject: Hello Report recovered" in box.messages[2][1]


def notify_of(cli, tmp_path: Path, *runs: tuple[int, str]) -> Any:
    """Run `autokit notify` for each (number, status); the last result."""
    results = [cli("notify", "--record", record_file(tmp_path, n, status)) for n, status in runs]
    return results[-1]


def test_a_failure_after_recovery_opens_a_new_issue(hello_repo, cli, github, tmp_path):
    hello_repo()
    result = notify_of(cli, tmp_path, (1, "failed"), (2, "success"), (3, "failed"))
    assert result.code == 0, result
    assert [i["state"] for i in github.issues.values()] == ["closed", "open"]


def test_the_same_record_twice_is_counted_once(hello_repo, cli, github, tmp_path, monkeypatch):
    hello_repo()
    at(T0, github, monkeypatch)
    result = notify_of(cli, tmp_path, (1, "failed"), (2, "failed"), (2, "failed"))
    assert result.code == 0, result
    assert "failures=1" in github.issues[1]["body"]
    assert "already counted" in result.out


def test_a_success_with_no_issue_open_changes_nothing(hello_repo, cli, github, tmp_path):
    hello_repo()
    result = cli("notify", "--record", record_file(tmp_path, 1, "success"))
    assert result.code == 0, result
    assert github.issues == {}
    assert "no failure issue is open" in result.out


@pytest.mark.parametrize(
    ("status", "kind"),
    [("cancelled", "real"), ("failed", "example"), ("failed", "test"), ("failed", "rehearsal")],
)
def test_other_runs_tell_nobody(hello_repo, cli, github, tmp_path, status, kind):
    hello_repo()
    result = cli("notify", "--record", record_file(tmp_path, 1, status, kind=kind))
    assert result.code == 0, result
    assert github.requests == []
    assert "nothing to tell" in result.out


# After how many failures


def test_after_failures_counts_the_ledgers_failures_in_a_row(
    hello_repo, cli, github, tmp_path, monkeypatch
):
    root = hello_repo(notify={"after_failures": 2})
    at(T0, github, monkeypatch)
    result = cli("notify", "--record", record_file(tmp_path, 2, "failed"))
    assert result.code == 0, result
    assert github.issues == {} and "failure 1 of 2 in a row" in result.out

    bare_origin(root)
    earlier = dict(automation="hello", status="failed", counts=False, exit_code=1)
    publish_ledger(root, [ledger_record(1, started=T0, **earlier)])
    result = cli("notify", "--record", record_file(tmp_path, 2, "failed"))
    assert result.code == 0, result
    assert len(github.issues) == 1


def test_a_success_in_between_restarts_the_count(hello_repo, cli, github, tmp_path, monkeypatch):
    root = hello_repo(notify={"after_failures": 2})
    bare_origin(root)
    failed = dict(automation="hello", status="failed", counts=False, exit_code=1)
    publish_ledger(
        root,
        [
            ledger_record(1, started=T0, **failed),
            ledger_record(2, started=T0 + dt.timedelta(seconds=2), automation="hello"),
        ],
    )
    result = cli("notify", "--record", record_file(tmp_path, 3, "failed"))
    assert result.code == 0, result
    assert github.issues == {}


def test_the_shops_defaults_apply(hello_repo, cli, github, tmp_path, monkeypatch):
    root = hello_repo()
    pyproject = root / "pyproject.toml"
    pyproject.write_text("[tool.autokit]\nnotify_every_hours = 0.5\n", encoding="utf-8")
    at(T0, github, monkeypatch)
    cli("notify", "--record", record_file(tmp_path, 1, "failed"))
    at(T0 + dt.timedelta(minutes=40), github, monkeypatch)
    result = cli("notify", "--record", record_file(tmp_path, 2, "failed"))
    assert result.code == 0, result
    assert "1 failure since the last update" in github.comments[1][0]["body"]


def test_the_metadatas_every_hours_wins_over_the_shops(
    hello_repo, cli, github, tmp_path, monkeypatch
):
    root = hello_repo(notify={"every_hours": 2})
    (root / "pyproject.toml").write_text("[tool.autokit]\nnotify_every_hours = 0.5\n")
    at(T0, github, monkeypatch)
    cli("notify", "--record", record_file(tmp_path, 1, "failed"))
    at(T0 + dt.timedelta(hours=1), github, monkeypatch)
    cli("notify", "--record", record_file(tmp_path, 2, "failed"))
    assert github.comments[1] == []
    at(T0 + dt.timedelta(hours=2), github, monkeypatch)
    cli("notify", "--record", record_file(tmp_path, 3, "failed"))
    assert "2 failures since the last update" in github.comments[1][0]["body"]


@pytest.mark.parametrize(
    ("setting", "words"),
    [
        ("notify_every_hours = 0", "notify_every_hours: 0 is not a number of hours"),
        ('notify_every_hours = "daily"', "notify_every_hours: 'daily' is not a number"),
        ("notify_after_failures = 0", "notify_after_failures: 0 is not a whole number"),
        ("notify_after_failures = 1.5", "notify_after_failures: 1.5 is not a whole number"),
    ],
)
def test_bad_shop_defaults_name_their_line(hello_repo, cli, github, tmp_path, setting, words):
    root = hello_repo()
    text = f'[tool.autokit]\nrepository_url = "https://example.com"\n{setting}\n'
    (root / "pyproject.toml").write_text(text, encoding="utf-8")
    result = cli("notify", "--record", record_file(tmp_path, 1, "failed"))
    assert result.code == 1, result
    assert f"pyproject.toml:3: [tool.autokit] {words}" in result.err
    assert github.requests == []


# The metadata's `notify:`


def test_the_model_declares_notifys_fields_in_the_schemas_order():
    assert [f.name for f in contract_fields(Notify)] == list(NOTIFY_SCHEMA)
    assert [f.name for f in contract_fields(EmailNotice)] == list(EMAIL_SCHEMA)


@pytest.mark.parametrize(
    ("notify", "field", "words"),
    [
        ({"after_failures": 0}, "notify.after_failures", "must be at least 1"),
        ({"every_hours": 0}, "notify.every_hours", "must be greater than 0"),
        ({"every_hours": "daily"}, "notify.every_hours", "must be a number"),
        ({"webhook_secret": "CHAT_URL"}, "notify.webhook_secret", "'CHAT_URL' is not a declared"),
        (
            {
                "email": {
                    "to": ["a@example.com"],
                    "smtp_host": "mail",
                    "username": "u",
                    "password_secret": "SMTP_PASWORD",
                }
            },
            "notify.email.password_secret",
            "did you mean 'SMTP_PASSWORD'?",
        ),
        (
            {
                "email": {
                    "to": ["a@example.com"],
                    "smtp_host": "mail",
                    "password_secret": "SMTP_PASSWORD",
                }
            },
            "notify.email.password_secret",
            "needs the `username`",
        ),
        ({"email": {"to": ["not an address"], "smtp_host": "mail"}}, "notify.email.to[0]", ""),
        ({"email": {"to": [], "smtp_host": "mail"}}, "notify.email.to", "empty"),
        ({"email": {"to": ["a@example.com"]}}, "notify.email.smtp_host", "required"),
        ({"pager": True}, "notify.pager", "is not a known field"),
    ],
)
def test_bad_notify_metadata_is_reported_at_its_line(hello_repo, cli, notify, field, words):
    root = hello_repo(notify=notify)
    lines = (root / METADATA).read_text().splitlines()
    result = cli("validate", "--repo", str(root))
    assert result.code == 1, result
    found = [x for x in result.out.splitlines() if f": {field}: " in x]
    assert found, result.out
    assert words in found[0]
    line = int(found[0].split(":")[1])
    assert lines.index("notify:") < line - 1 < len(lines), found[0]  # inside `notify:`
    key = field.split(".")[-1].split("[")[0]
    # A missing field is reported at the mapping that misses it.
    shown = key in lines[line - 1] or field.endswith("]") or words == "required"
    assert shown, (lines[line - 1], found[0])


def test_good_notify_metadata_is_valid(hello_repo, cli):
    root = hello_repo(notify=notify_config(every_hours=0.5, after_failures=3))
    result = cli("validate", "--repo", str(root))
    assert result.code == 0, result


# Who is mentioned


def test_an_automation_with_no_owners_still_notifies(hello_repo, cli, github, tmp_path):
    root = hello_repo()
    data = yaml.safe_load((root / METADATA).read_text())
    del data["owners"]
    (root / METADATA).write_text(yaml.safe_dump(data), encoding="utf-8")
    result = cli("notify", "--record", record_file(tmp_path, 1, "failed"))
    assert result.code == 0, result
    (issue,) = github.issues.values()
    assert issue["title"] == "hello is failing"
    assert "No owners are named in the metadata of `hello` at this commit" in issue["body"]
    assert "@" not in issue["body"].replace("@\u200d", "")
    assert "no owners to mention" in result.err


def test_an_unknown_automation_still_notifies(hello_repo, cli, github, tmp_path):
    hello_repo()
    path = tmp_path / "gone.json"
    path.write_text(ledger_record(1, automation="gone", status="failed", counts=False).to_json())
    result = cli("notify", "--record", str(path))
    assert result.code == 0, result
    (issue,) = github.issues.values()
    assert "automation:gone" in {label["name"] for label in issue["labels"]}
    assert "No owners are named" in issue["body"]


# Bad record files


@pytest.mark.parametrize(
    ("content", "words"),
    [
        (None, "cannot read the run record"),
        ('{"id": "20260302-090001-000001", "automation": "hel', "not JSON"),
        ('{"hello": "world"}', "not a run record"),
        ("[1, 2, 3]", "not a run record"),
        ("x" * 20_000, "not a run record"),
    ],
    ids=["missing", "truncated", "other-json", "a-list", "too-large"],
)
def test_a_bad_record_file_is_named(hello_repo, cli, github, tmp_path, content, words):
    hello_repo()
    path = tmp_path / "record.json"
    if content is not None:
        path.write_text(content, encoding="utf-8")
    result = cli("notify", "--record", str(path))
    assert result.code == 1, result
    assert str(path) in result.err and words in result.err
    assert "Traceback" not in result.err
    assert github.requests == []


# GitHub's errors


VALIDATION_ERRORS = [{"resource": "Issue", "field": "title", "code": "missing_field"}]
GITHUB_REFUSALS = {
    "401": (
        {"GITHUB_TOKEN": "wrong"},
        None,
        ["401: the token was refused (Bad credentials)", "pass a valid token in GITHUB_TOKEN"],
    ),
    "no-token": ({"GITHUB_TOKEN": ""}, None, ["GITHUB_TOKEN is not set"]),
    "no-repository": ({"GITHUB_REPOSITORY": "shop"}, None, ["GITHUB_REPOSITORY is 'shop'"]),
    "403": (
        {},
        (403, {"message": "Resource not accessible by integration"}),
        [
            "403: the token may not do this (Resource not accessible by integration)",
            "permissions: issues: write",
        ],
    ),
    "404": (
        {"GITHUB_REPOSITORY": "example-shop/elsewhere"},
        None,
        ["404: repository example-shop/elsewhere not found"],
    ),
    "422": (
        {},
        (422, {"message": "Validation Failed", "errors": VALIDATION_ERRORS}),
        ["GitHub refused the request: Validation Failed: title: missing_field"],
    ),
}


@pytest.mark.parametrize(
    ("environ", "failure", "words"), GITHUB_REFUSALS.values(), ids=GITHUB_REFUSALS.keys()
)
def test_what_github_refuses_is_named_and_not_tried_again(
    hello_repo, cli, github, tmp_path, monkeypatch, environ, failure, words
):
    hello_repo()
    for name, value in environ.items():
        monkeypatch.setenv(name, value)
    if failure is not None:
        github.fail_next(failure[0], **failure[1])
    result = cli("notify", "--record", record_file(tmp_path, 1, "failed"))
    assert result.code == 1, result
    assert all(word in result.err for word in words), result.err
    assert "Traceback" not in result.err
    assert len(github.requests) <= 1  # never tried again
    assert github.issues == {}


def test_server_errors_are_tried_again_a_few_times(hello_repo, cli, github, tmp_path):
    hello_repo()
    github.fail_next(500, times=2)
    result = cli("notify", "--record", record_file(tmp_path, 1, "failed"))
    assert result.code == 0, result
    assert len(github.issues) == 1
    github.fail_next(502, times=10)
    result = cli("notify", "--record", record_file(tmp_path, 2, "success"))
    assert result.code == 1, result
    assert "502: GitHub answered with an error" in result.err
    assert github.issues[1]["state"] == "open"
    assert len(github.failures) == 10 - GitHubClient.attempts


@pytest.mark.parametrize(
    ("status", "headers"),
    [
        (429, {"Retry-After": "30"}),
        (403, {"x-ratelimit-remaining": "0", "x-ratelimit-reset": "in 30 seconds"}),
    ],
    ids=["retry-after", "ratelimit-reset"],
)
def test_a_rate_limit_waits_a_capped_time(hello_repo, cli, github, tmp_path, status, headers):
    hello_repo()
    if "x-ratelimit-reset" in headers:  # an epoch second, worked out as the test runs
        headers = {**headers, "x-ratelimit-reset": str(int(time.time()) + 30)}
    github.fail_next(status, headers=headers, message="API rate limit exceeded")
    started = time.monotonic()
    result = cli("notify", "--record", record_file(tmp_path, 1, "failed"))
    waited = time.monotonic() - started
    assert result.code == 0, result
    assert len(github.issues) == 1
    assert GitHubClient.max_wait <= waited < 10


def test_a_rate_limit_that_lasts_is_named(hello_repo, cli, github, tmp_path):
    hello_repo()
    github.fail_next(429, times=10, headers={"Retry-After": "1"}, message="API rate limit exceeded")
    result = cli("notify", "--record", record_file(tmp_path, 1, "failed"))
    assert result.code == 1, result
    assert "rate limited, and still after 4 tries" in result.err


def test_a_network_timeout_is_tried_again_then_named(
    hello_repo, cli, github, tmp_path, monkeypatch
):
    hello_repo()
    monkeypatch.setattr(GitHubClient, "timeout", 0.2)
    github.slow = 0.6
    result = cli("notify", "--record", record_file(tmp_path, 1, "failed"))
    assert result.code == 1, result
    assert "no answer after 4 tries" in result.err
    assert "the run's own result is unchanged" in result.err
    assert "Traceback" not in result.err


# The webhook and the SMTP server failing


def test_a_webhook_answering_500_is_reported_and_the_issue_still_opens(
    hello_repo, cli, github, webhook, tmp_path
):
    hello_repo(notify=notify_config(email=None))
    webhook.status = 500
    result = cli("notify", "--record", record_file(tmp_path, 1, "failed"))
    assert result.code == 1, result
    assert "the chat webhook answered 500" in result.err
    assert len(github.issues) == 1 and len(webhook.texts) == 1


def test_a_webhook_that_never_answers_is_reported(
    hello_repo, cli, github, webhook, tmp_path, monkeypatch
):
    hello_repo(notify=notify_config(email=None))
    monkeypatch.setattr(channels, "TIMEOUT", 0.3)
    webhook.slow = 1.5
    result = cli("notify", "--record", record_file(tmp_path, 1, "failed"))
    assert result.code == 1, result
    assert "the chat webhook did not answer" in result.err
    assert len(github.issues) == 1


def test_an_smtp_server_refusing_the_login_is_reported(
    hello_repo, cli, github, webhook, mailbox, tmp_path, monkeypatch
):
    box, port = mailbox
    hello_repo(notify=notify_config(port))
    monkeypatch.setenv("SMTP_PASSWORD", "wrong")
    result = cli("notify", "--record", record_file(tmp_path, 1, "failed"))
    assert result.code == 1, result
    assert "refused the login of autokit (535)" in result.err
    assert "wrong" not in result.err
    assert box.messages == [] and box.logins  # smtplib tries each mechanism offered
    assert all(login == (b"autokit", False) for login in box.logins)
    assert len(github.issues) == 1 and len(webhook.texts) == 1


def test_an_unset_webhook_secret_is_reported(hello_repo, cli, github, tmp_path, monkeypatch):
    hello_repo(notify=notify_config(email=None))
    monkeypatch.delenv("HELLO_WEBHOOK", raising=False)
    result = cli("notify", "--record", record_file(tmp_path, 1, "failed"))
    assert result.code == 1, result
    assert "HELLO_WEBHOOK is not set" in result.err
    assert len(github.issues) == 1


# Untrusted text

HOSTILE = (
    f"boom @everyone and @shop/admins see [click](https://evil.example) "
    f"<img src=x onerror=alert(1)> token={SECRET} ![x](https://evil.example/p.png) **bold**"
)


def test_hostile_error_text_reaches_issue_and_chat_harmless(
    hello_repo, cli, github, webhook, tmp_path
):
    hello_repo(notify=notify_config(email=None))
    result = cli("notify", "--record", record_file(tmp_path, 1, "failed", error=HOSTILE))
    assert result.code == 0, result
    body = github.issues[1]["body"]
    for text in (body, webhook.texts[0]):
        assert SECRET not in text
        assert "@everyone" not in text and "@shop/admins" not in text
        assert "<img" not in text and "](" not in text and "**bold**" not in text
        assert "&lt;img src=x onerror=alert\\(1\\)&gt;" in text
        assert "@\u200deveryone" in text and "\\*\\*\\*" in text  # the mask, escaped
    assert "Owners: @alice @shop/ops" in body  # the owners' mentions stay real


def test_hostile_where_is_not_a_link(hello_repo, cli, github, tmp_path):
    hello_repo()
    where = "https://evil.example/@everyone/actions/runs/1 [x](y)"
    cli("notify", "--record", record_file(tmp_path, 1, "failed", where=where))
    body = github.issues[1]["body"]
    assert "Ran on: https://evil.example/@\u200deveryone" in body and "[x](y)" not in body


def test_safe_text_caps_the_length_after_masking():
    masker = Masker([SECRET])
    text = "a" * 299 + SECRET
    safe = safe_text(text, masker, limit=300)
    assert SECRET[:5] not in safe and safe.endswith("…")
    assert safe_text("line one\nline two", masker) == "line one line two"
    assert safe_text(None, masker) == ""
    assert len(safe_text("x" * 5000, masker)) == 300


def test_the_last_comment_is_found_past_the_first_page(
    hello_repo, cli, github, tmp_path, monkeypatch
):
    hello_repo()
    at(T0, github, monkeypatch)
    cli("notify", "--record", record_file(tmp_path, 1, "failed"))
    old, recent = github.stamp(), (T0 + dt.timedelta(hours=23)).isoformat()
    github.comments[1] = [{"id": n, "body": "me too", "created_at": old} for n in range(149)]
    github.comments[1].append({"id": 149, "body": "looking into it", "created_at": recent})
    github.issues[1]["comments"] = 150
    at(T0 + dt.timedelta(days=1), github, monkeypatch)
    result = cli("notify", "--record", record_file(tmp_path, 2, "failed"))
    assert result.code == 0, result
    assert len(github.comments[1]) == 150 and "failures=1" in github.issues[1]["body"]
    at(T0 + dt.timedelta(days=2), github, monkeypatch)
    result = cli("notify", "--record", record_file(tmp_path, 3, "failed"))
    assert "2 failures since the last update" in github.comments[1][-1]["body"]


def test_the_owners_mentioned_are_those_at_the_runs_commit(hello_repo, cli, github, tmp_path):
    root = hello_repo(owners=["@carol"])
    ran_at = git(root, "rev-parse", "HEAD").strip()
    data = yaml.safe_load((root / METADATA).read_text())
    data["owners"] = ["@dave"]  # a later change of owners
    (root / METADATA).write_text(yaml.safe_dump(data), encoding="utf-8")
    commit_all(root, "new owner")
    assert cli("notify", "--record", record_file(tmp_path, 1, "failed", commit=ran_at)).code == 0
    (issue,) = github.issues.values()
    assert "@carol" in issue["body"] and "@dave" not in issue["body"]
    # A commit the clone does not have (a shallow checkout): the checkout's owners.
    absent = "0123456789abcdef" * 2 + "01234567"
    record = record_file(tmp_path, 2, "success", commit=absent)
    assert cli("notify", "--record", record).code == 0
