"""Real parts for the order-intake tests: an SMTP server on loopback, a copy of the samples."""

from __future__ import annotations

import shutil
import socket
from collections.abc import Iterator
from email import message_from_bytes
from email.message import Message
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller


def free_port() -> int:
    """A loopback port nobody listens on (right now)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class Mailbox:
    """An aiosmtpd handler that keeps what it receives and can refuse chosen recipients."""

    def __init__(self) -> None:
        self.received: list[tuple[list[str], Message]] = []
        self.refuse: set[str] = set()
        self.logins: list[str] = []

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, rcpt_options: list[str]
    ) -> str:
        if address in self.refuse:
            return "550 5.1.1 mailbox unavailable"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.received.append((list(envelope.rcpt_tos), message_from_bytes(envelope.content)))
        return "250 Message accepted for delivery"

    def by_recipient(self) -> dict[str, Message]:
        return {rcpts[0]: message for rcpts, message in self.received}


@pytest.fixture
def smtp_server() -> Iterator[tuple[Mailbox, int]]:
    mailbox = Mailbox()
    port = free_port()
    controller = Controller(mailbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield mailbox, port
    finally:
        controller.stop()


@pytest.fixture
def closed() -> int:
    """A loopback port with no server: connecting to it is refused."""
    return free_port()


@pytest.fixture(autouse=True)
def isolated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AUTOKIT_OUTPUT_DIR", str(tmp_path / "output"))
    monkeypatch.delenv("SMTP_PASSWORD", raising=False)


@pytest.fixture
def shop(tmp_path: Path) -> Path:
    """A writable copy of the sample Maildir and inventory workbook."""
    target = tmp_path / "shop"
    sample = Path(__file__).resolve().parent.parent / "sample"
    shutil.copytree(sample, target, ignore=shutil.ignore_patterns("output"))
    for sub in ("cur", "new", "tmp"):
        (target / "maildir" / sub).mkdir(exist_ok=True)
    return target


SMTP_LOGIN = ("shipping@example-shop.test", "correct horse battery")


@pytest.fixture
def smtp_login_server() -> Iterator[tuple[Mailbox, int]]:
    """A server offering AUTH, accepting only SMTP_LOGIN; `mailbox.logins` lists who got in.

    Plain text on loopback: TLS is not what these tests are about.
    """
    from aiosmtpd.smtp import AuthResult, LoginPassword

    mailbox = Mailbox()

    def check(server: Any, session: Any, envelope: Any, mechanism: str, data: Any) -> Any:
        ok = isinstance(data, LoginPassword) and (data.login, data.password) == tuple(
            part.encode() for part in SMTP_LOGIN
        )
        if ok:
            mailbox.logins.append(data.login.decode())
        return AuthResult(success=ok, handled=False)

    port = free_port()
    controller = Controller(
        mailbox, hostname="127.0.0.1", port=port, authenticator=check, auth_require_tls=False
    )
    controller.start()
    try:
        yield mailbox, port
    finally:
        controller.stop()
