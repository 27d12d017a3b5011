"""Real parts for tests of automations that send email: an SMTP server on loopback.

Import the fixtures into a `tests/conftest.py`:

    from shopkit.testing import closed, smtp_login_server, smtp_server  # noqa: F401

and list `aiosmtpd` in `tests/requirements.txt`. `smtp_server` yields `(mailbox, port)`:
the mailbox keeps what it receives and can refuse chosen recipients (`refuse`), reject a
message (`reject_data`) or hang up (`hang_up`). `closed` is a port nobody listens on.
"""

from __future__ import annotations

import socket
from collections.abc import Iterator
from email import message_from_bytes
from email.message import Message
from typing import Any

import pytest

SMTP_LOGIN = ("shipping@example-shop.test", "correct horse battery")


def free_port() -> int:
    """A loopback port nobody listens on (right now)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class Mailbox:
    """An aiosmtpd handler that keeps what it receives and misbehaves where told to."""

    def __init__(self) -> None:
        self.received: list[tuple[list[str], Message]] = []
        self.refuse: set[str] = set()  # recipients refused at RCPT
        self.reject_data: set[str] = set()  # recipients whose message is refused
        self.hang_up: set[str] = set()  # recipients at whose message the server hangs up
        self.logins: list[str] = []  # who logged in (smtp_login_server)

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, rcpt_options: list[str]
    ) -> str:
        if address in self.refuse:
            return "550 5.1.1 mailbox unavailable"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        if set(envelope.rcpt_tos) & self.reject_data:
            return "554 5.7.1 message rejected as spam"
        if set(envelope.rcpt_tos) & self.hang_up:
            server.transport.close()  # the connection drops mid-conversation
            return "421 closing"
        self.received.append((list(envelope.rcpt_tos), message_from_bytes(envelope.content)))
        return "250 Message accepted for delivery"

    def by_recipient(self) -> dict[str, Message]:
        return {rcpts[0]: message for rcpts, message in self.received}


def _serve(mailbox: Mailbox, **options: Any) -> Iterator[tuple[Mailbox, int]]:
    from aiosmtpd.controller import Controller

    port = free_port()
    controller = Controller(mailbox, hostname="127.0.0.1", port=port, **options)
    controller.start()
    try:
        yield mailbox, port
    finally:
        controller.stop()


@pytest.fixture
def smtp_server() -> Iterator[tuple[Mailbox, int]]:
    """A plain SMTP server on loopback, without login."""
    yield from _serve(Mailbox())


@pytest.fixture
def smtp_login_server() -> Iterator[tuple[Mailbox, int]]:
    """A server offering AUTH that accepts only SMTP_LOGIN; `mailbox.logins` lists who got
    in. Plain text on loopback: TLS is not what these tests are about."""
    from aiosmtpd.smtp import AuthResult, LoginPassword

    mailbox = Mailbox()

    def check(server: Any, session: Any, envelope: Any, mechanism: str, data: Any) -> Any:
        expected = tuple(part.encode() for part in SMTP_LOGIN)
        ok = isinstance(data, LoginPassword) and (data.login, data.password) == expected
        if ok:
            mailbox.logins.append(data.login.decode())
        return AuthResult(success=ok, handled=False)

    yield from _serve(mailbox, authenticator=check, auth_require_tls=False)


@pytest.fixture
def closed() -> int:
    """A loopback port with no server: connecting to it is refused."""
    return free_port()
