"""Email: sent over SMTP, or written to an outbox folder on a dry run."""

from __future__ import annotations

import os
import re
import smtplib
from collections.abc import Iterable
from email.message import EmailMessage
from email.utils import parseaddr
from pathlib import Path

from shopkit.errors import ShopkitError
from shopkit.files import write_atomically

SMTP_TIMEOUT = 15  # seconds to wait for the SMTP server before giving up
SECURITY = ("starttls", "ssl", "none")
_ADDRESS = re.compile(r"[^@\s<>]+@[^@\s<>]+\.[^@\s<>]+")


def check_sender(sender: str) -> None:
    """Stop before anything happens when `sender` is not an address mail can come from."""
    if not _ADDRESS.fullmatch(parseaddr(sender)[1]):
        raise ShopkitError(
            f"sender {sender!r} is not an email address; write it as "
            "'Example Shop <shop@example-shop.com>' or 'shop@example-shop.com'"
        )


def connect(
    host: str, port: int, security: str, user: str, *, password_variable: str = "SMTP_PASSWORD"
) -> smtplib.SMTP:
    """An SMTP connection, logged in as `user` when the environment variable
    `password_variable` holds a password (declare it among the automation's secrets).

    `security` is "starttls" (the usual port 587), "ssl" (port 465) or "none". A server
    that cannot be reached, refuses TLS or the login raises ShopkitError; the password is
    never part of the message.
    """
    if security not in SECURITY:
        raise ShopkitError(f"smtp_security {security!r} is not one of {', '.join(SECURITY)}")
    password = os.environ.get(password_variable)
    client: smtplib.SMTP | None = None
    try:
        if security == "ssl":
            client = smtplib.SMTP_SSL(host, port, timeout=SMTP_TIMEOUT)
        else:
            client = smtplib.SMTP(host, port, timeout=SMTP_TIMEOUT)
        if security == "starttls":
            client.starttls()
        if password:
            client.login(user, password)
    except (OSError, smtplib.SMTPException) as error:
        if client is not None:
            client.close()  # a refused login or STARTTLS leaves the connection open
        raise ShopkitError(f"cannot use the SMTP server {host}:{port} ({error})") from None
    return client


def send_one(client: smtplib.SMTP, message: EmailMessage) -> str:
    """Send one message: "sent", or why the server refused it. The other messages can still
    go out after a refusal; a lost connection raises (OSError or SMTPServerDisconnected)."""
    try:
        client.send_message(message)
    except smtplib.SMTPRecipientsRefused as error:
        code, reason = next(iter(error.recipients.values()))
        return f"refused by the server: {code} {reason.decode(errors='replace')}"
    except (smtplib.SMTPDataError, smtplib.SMTPSenderRefused) as error:
        reason = error.smtp_error.decode(errors="replace")
        return f"refused by the server: {error.smtp_code} {reason}"
    return "sent"


def write_outbox(messages: Iterable[tuple[str, EmailMessage]], outbox: Path) -> list[Path]:
    """The dry run's delivery: each (name, message) to `outbox/<name>.eml`, written whole.

    Characters other than letters, digits, `.`, `_` and `-` in a name become `_`, so a
    name taken from an input (an order number, an address) stays one file in `outbox`.
    Returns the paths written.
    """
    written = []
    for name, message in messages:
        safe = re.sub(r"[^A-Za-z0-9._-]", "_", name).lstrip(".") or "message"
        target = outbox / f"{safe}.eml"
        write_atomically(target, message.as_bytes())
        written.append(target)
    return written
