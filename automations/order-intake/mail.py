"""Mail: the shipping notifications, sent over SMTP or written to an outbox folder."""

from __future__ import annotations

import os
import re
import smtplib
from email.message import EmailMessage
from email.utils import formatdate, make_msgid, parseaddr
from pathlib import Path

from orders import Order, OrderIntakeError

SMTP_TIMEOUT = 15  # seconds to wait for the SMTP server before giving up


def check_sender(sender: str) -> None:
    """Stop before anything happens when the From address could not be delivered from."""
    if not re.fullmatch(r"[^@\s<>]+@[^@\s<>]+\.[^@\s<>]+", parseaddr(sender)[1]):
        raise OrderIntakeError(
            f"sender {sender!r} is not an email address; write it as "
            "'Example Shop <shop@example-shop.com>' or 'shop@example-shop.com'"
        )


def notification(order: Order, sender: str, names: dict[str, str]) -> EmailMessage:
    """The "your order is on its way" email; `names` are the product names per SKU."""
    message = EmailMessage()
    message["From"] = sender
    message["To"] = f"{order.customer} <{order.email}>" if order.customer else order.email
    message["Subject"] = f"Your order {order.number} is on its way"
    message["Date"] = formatdate(localtime=True)
    shop_name, address = parseaddr(sender)
    message["Message-ID"] = make_msgid(domain=address.rpartition("@")[2] or None)
    items = "\n".join(
        f"  {quantity} x {names.get(sku) or sku} ({sku})"
        for sku, quantity in order.quantities().items()
    )
    greeting = f"Hello {order.customer}," if order.customer else "Hello,"
    sign_off = f"Kind regards,\n{shop_name}\n" if shop_name else ""
    message.set_content(
        f"{greeting}\n\nGood news: your order {order.number} has been packed and is on its "
        f"way.\n\n{items}\n\nThank you for shopping with us!\n\n{sign_off}"
    )
    return message


def connect(host: str, port: int, security: str, user: str) -> smtplib.SMTP:
    """An authenticated SMTP connection, or OrderIntakeError saying why there is none."""
    password = os.environ.get("SMTP_PASSWORD")
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
        raise OrderIntakeError(
            f"cannot use the SMTP server {host}:{port} ({error}). Nothing was changed and no "
            "order was marked processed; check smtp_host, smtp_port, smtp_security and "
            "SMTP_PASSWORD, or run with dry_run"
        ) from None
    return client


def send_all(
    client: smtplib.SMTP, messages: list[tuple[Order, EmailMessage]]
) -> tuple[set[str], list[str]]:
    """Send each message; (Message-IDs of the orders notified, what failed and why)."""
    sent: set[str] = set()
    failures: list[str] = []
    for order, message in messages:
        try:
            client.send_message(message)
        except (OSError, smtplib.SMTPException) as error:
            failures.append(f"order {order.number} to {order.email}: {error}")
        else:
            sent.add(order.message_id)
    return sent, failures


def write_outbox(messages: list[tuple[Order, EmailMessage]], outbox: Path) -> list[str]:
    """Write each message to `outbox/<shop>-<order>.eml` (for a dry run); the paths."""
    outbox.mkdir(parents=True, exist_ok=True)
    written = []
    for order, message in messages:
        target = outbox / f"{order.shop}-{re.sub(r'[^A-Za-z0-9-]', '_', order.number)}.eml"
        temp = target.with_suffix(".eml.tmp")
        temp.write_bytes(message.as_bytes())
        os.replace(temp, target)  # a half-written .eml never sits in the outbox
        written.append(str(target))
    return written
