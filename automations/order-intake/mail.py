"""Mail: the shipping notifications, sent over SMTP or written to an outbox folder."""

from __future__ import annotations

import smtplib
from email.message import EmailMessage
from email.utils import formatdate, make_msgid, parseaddr
from pathlib import Path

import shopkit
from orders import Order, OrderIntakeError


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
    try:
        return shopkit.connect(host, port, security, user)
    except shopkit.ShopkitError as error:
        raise OrderIntakeError(
            f"{error}. Nothing was changed and no order was marked processed; check "
            "smtp_host, smtp_port, smtp_security and SMTP_PASSWORD, or run with dry_run"
        ) from None


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
    named = [(f"{order.shop}-{order.number}", message) for order, message in messages]
    return [str(path) for path in shopkit.write_outbox(named, outbox)]
