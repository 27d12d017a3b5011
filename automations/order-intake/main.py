"""Order intake: order-confirmation emails -> stock decremented -> customers told it ships.

The recipe is `main()` below. Each step can stop the run before anything is changed:

1. read the Maildir and recognise each message's layout (Shopify, WooCommerce, a
   marketplace), turning it into an `Order`;
2. read the inventory workbook and its "Processed" sheet, the ledger of Message-IDs that
   already decremented stock;
3. plan: apply new orders one by one to a copy of the stock; an order with an unknown SKU,
   or one that would make stock negative, is rejected as a whole;
4. connect to the SMTP server (before changing anything, so an unreachable server
   changes nothing);
5. write the workbook once, stock and ledger together, atomically (temp file + rename):
   there is no moment at which stock is decremented but the order is not recorded;
6. send the notifications, then record them as sent. An order whose notification failed
   keeps "Notified: no" and is retried (without touching stock again) on the next run.

With `dry_run`, nothing outside the output folder changes: notifications are written to
`outbox/` as .eml files and the updated workbook is written to the output folder.

The helpers sit in modules beside this file, one per idea:

- `orders.py`: what an order is, and reading orders from the emails (steps 1);
- `workbook.py`: the inventory workbook and its "Processed" sheet (steps 2 and 5);
- `planning.py`: which orders to apply (step 3);
- `mail.py`: the notifications, sent over SMTP or written to an outbox (steps 4 and 6).

They can be imported here because autokit puts this folder first on `sys.path` (and so
does `autokit test`); give such modules names that no installed package uses.
"""

from __future__ import annotations

import datetime as dt
import sys
from email.message import EmailMessage
from email.utils import parseaddr
from pathlib import Path
from typing import Any

import shopkit
from mail import connect, notification, send_all, write_outbox
from orders import Order, OrderIntakeError, Rejection, read_orders
from planning import make_plan, stock_changes
from workbook import (
    LEDGER_SHEET,
    Inventory,
    load_inventory,
    mark_notified,
    one_run_at_a_time,
    read_ledger,
    record,
)


def main(
    maildir: str,
    inventory: str,
    sender: str,
    sheet: str = "Inventory",
    smtp_host: str = "localhost",
    smtp_port: int = 587,
    smtp_security: str = "starttls",
    smtp_user: str = "",
    dry_run: bool = False,
) -> dict[str, Any]:
    """Process new order emails; return counts, rejections and the files written."""
    shopkit.check_sender(sender)
    workbook_path = Path(inventory)
    with one_run_at_a_time(workbook_path, dry_run):
        orders, rejected = read_orders(Path(maildir))
        book = load_inventory(workbook_path, sheet)
        plan = make_plan(orders, book.stock, read_ledger(book))
        rejected += plan.rejected
        report_skipped(rejected)
        to_notify = plan.apply + plan.renotify
        messages = [(order, notification(order, sender, book.names)) for order in to_notify]
        summary: dict[str, Any] = {
            "orders_applied": len(plan.apply),
            "already_processed": plan.already_processed,
            "rejected": [rejection.to_dict() for rejection in rejected],
            "stock_changes": stock_changes(plan.apply),
            "notifications_sent": 0,
            "outbox": [],
            "workbook": None,
        }
        if dry_run:
            return preview(book, plan.apply, messages, workbook_path, summary)
        if not messages:
            return summary
        user = smtp_user or parseaddr(sender)[1]
        with connect(smtp_host, smtp_port, smtp_security, user) as client:
            if plan.apply:
                record(book, plan.apply, dt.datetime.now(dt.UTC))
                shopkit.save_workbook(book.workbook, workbook_path, like=workbook_path)
                summary["workbook"] = str(workbook_path)
            sent, failures = send_all(client, messages)
        return record_notifications(book, workbook_path, sent, failures, summary)


def report_skipped(rejected: list[Rejection]) -> None:
    """One line on stderr per skipped message, so that the run's log says why."""
    for rejection in rejected:
        print(f"skipped {rejection.source}: {rejection.reason}", file=sys.stderr)


def preview(
    book: Inventory,
    orders: list[Order],
    messages: list[tuple[Order, EmailMessage]],
    workbook_path: Path,
    summary: dict[str, Any],
) -> dict[str, Any]:
    """The dry run: notifications to outbox/, the updated workbook to the output folder."""
    out = shopkit.output_dir(workbook_path)
    summary["outbox"] = write_outbox(messages, out / "outbox")
    if orders:
        record(book, orders, dt.datetime.now(dt.UTC))
        mark_notified(book, {order.message_id for order in orders}, "outbox")
        preview_path = out / workbook_path.name
        shopkit.save_workbook(book.workbook, preview_path)
        summary["workbook"] = str(preview_path)
    return summary


def record_notifications(
    book: Inventory,
    workbook_path: Path,
    sent: set[str],
    failures: list[str],
    summary: dict[str, Any],
) -> dict[str, Any]:
    """Mark the notified orders in the workbook; stop with an error naming what failed."""
    if sent:
        mark_notified(book, sent)
        shopkit.save_workbook(book.workbook, workbook_path, like=workbook_path)
        summary["workbook"] = str(workbook_path)
    summary["notifications_sent"] = len(sent)
    if failures:
        raise OrderIntakeError(
            f"stock was updated, but {len(failures)} shipping notification(s) failed: "
            f"{'; '.join(failures)}. "
            f"{len(sent)} sent; the rest stay 'Notified: no' in the {LEDGER_SHEET!r} sheet "
            "and are retried on the next run (stock is not decremented again)"
        )
    return summary
