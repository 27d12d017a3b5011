"""Order intake: order-confirmation emails -> stock decremented -> customers told it ships.

The pipeline, each step able to stop the run before anything is changed:

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
"""

from __future__ import annotations

import contextlib
import datetime as dt
import mailbox
import os
import re
import shutil
import smtplib
import sys
import tempfile
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from email.message import EmailMessage, Message
from email.utils import formatdate, make_msgid, parseaddr
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

LEDGER_SHEET = "Processed"
LEDGER_HEADER = [
    "Message-ID",
    "Order",
    "Shop",
    "Customer",
    "Email",
    "Lines",
    "Processed at",
    "Notified",
]
SMTP_TIMEOUT = 15


class OrderIntakeError(Exception):
    """A problem with the run's input or environment; nothing was changed."""

    autokit_expected = True  # `autokit run` shows the message without a traceback


@dataclass(frozen=True)
class Line:
    sku: str
    quantity: int
    name: str = ""


@dataclass(frozen=True)
class Order:
    message_id: str
    source: str  # the message's file inside the Maildir, for messages to humans
    shop: str
    number: str
    customer: str
    email: str
    lines: tuple[Line, ...]

    def quantities(self) -> dict[str, int]:
        """Quantity per SKU; an order listing a SKU twice needs both."""
        totals: dict[str, int] = {}
        for line in self.lines:
            totals[line.sku] = totals.get(line.sku, 0) + line.quantity
        return totals


@dataclass(frozen=True)
class Rejection:
    source: str
    message_id: str
    reason: str

    def to_dict(self) -> dict[str, str]:
        return {"file": self.source, "message_id": self.message_id, "reason": self.reason}


# ---------------------------------------------------------------------------
# Reading messages


class _TableReader(HTMLParser):
    """Collects the text of an HTML document and the cells of its table rows."""

    def __init__(self) -> None:
        super().__init__()
        self.rows: list[list[str]] = []
        self.text: list[str] = []
        self._cell: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "tr":
            self.rows.append([])
        elif tag in ("td", "th"):
            self._cell = []
        elif tag in ("p", "br", "div", "h1", "h2", "li"):
            self.text.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in ("td", "th") and self._cell is not None and self.rows:
            self.rows[-1].append(" ".join("".join(self._cell).split()))
            self._cell = None
        if tag in ("p", "div", "tr", "h1", "h2", "li"):
            self.text.append("\n")

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._cell.append(data)
        self.text.append(data)


def _part(message: Message, subtype: str) -> str | None:
    """The decoded text of the first text/<subtype> part, or None."""
    for part in message.walk():
        attached = part.get_content_disposition() == "attachment"
        if part.get_content_type() == f"text/{subtype}" and not attached:
            payload = part.get_payload(decode=True)
            if isinstance(payload, bytes):
                charset = part.get_content_charset() or "utf-8"
                return payload.decode(charset, errors="replace")
    return None


def _html_reader(message: Message) -> _TableReader | None:
    html = _part(message, "html")
    if html is None:
        return None
    reader = _TableReader()
    reader.feed(html)
    return reader


def _text(message: Message) -> str:
    plain = _part(message, "plain")
    if plain is not None:
        return plain
    reader = _html_reader(message)
    return "".join(reader.text) if reader else ""


def _field(pattern: str, text: str, what: str) -> str:
    match = re.search(pattern, text, re.MULTILINE)
    if not match:
        raise ValueError(f"no {what} found")
    return match.group(1).strip()


def _quantity(value: str, sku: str) -> int:
    if not value.strip().isdigit() or int(value) < 1:
        raise ValueError(f"quantity {value!r} of SKU {sku} is not a positive whole number")
    return int(value)


def _parse_shopify(message: Message) -> tuple[str, str, str, list[Line]]:
    """Shopify-style: an HTML table with Product, SKU and Quantity columns."""
    reader = _html_reader(message)
    assert reader is not None  # detected by _is_shopify
    text = "".join(reader.text)
    number = _field(r"Order\s+#(\d+)", text, "order number")
    customer, email_address = parseaddr(_field(r"Customer:\s*(.+)$", text, "customer"))
    header = next(r for r in reader.rows if "SKU" in r)
    sku_at, qty_at = header.index("SKU"), header.index("Quantity")
    name_at = header.index("Product") if "Product" in header else sku_at
    lines = [
        Line(row[sku_at].upper(), _quantity(row[qty_at], row[sku_at]), row[name_at])
        for row in reader.rows[reader.rows.index(header) + 1 :]
        if len(row) > max(sku_at, qty_at) and row[sku_at]
    ]
    return number, customer, email_address, lines


_WOO_LINE = re.compile(r"^(?P<name>.+?) \(#(?P<sku>[A-Za-z0-9._-]+)\) [\u00d7x] (?P<qty>\S+)", re.M)


def _parse_woocommerce(message: Message) -> tuple[str, str, str, list[Line]]:
    """WooCommerce-style plain text: `Name (#SKU) \u00d7 3 = \u20ac9.90` lines, a billing block."""
    text = _text(message)
    number = _field(r"\[Order #(\d+)\]", text, "order number")
    customer = _field(r"following order from (.+?):", text, "customer")
    billing = text.split("Billing address", 1)[-1]
    email_address = _field(r"^\s*([^\s@]+@[^\s@]+\.[^\s@]+)\s*$", billing, "billing email")
    lines = [
        Line(m["sku"].upper(), _quantity(m["qty"], m["sku"]), m["name"].strip())
        for m in _WOO_LINE.finditer(text)
    ]
    return number, customer, email_address, lines


def _parse_marketplace(message: Message) -> tuple[str, str, str, list[Line]]:
    """Marketplace plain text: `Order ID:`, `Buyer:` and `SKU:`/`Quantity:` pairs."""
    text = _text(message)
    number = _field(r"^Order ID:\s*(\S+)", text, "order ID")
    customer = _field(r"^Buyer:\s*(.+)$", text, "buyer")
    email_address = _field(r"^Buyer email:\s*(\S+)", text, "buyer email")
    pairs = re.findall(r"^SKU:\s*(\S+)\s*\n\s*Quantity:\s*(\S+)", text, re.MULTILINE)
    lines = [Line(sku.upper(), _quantity(qty, sku)) for sku, qty in pairs]
    return number, customer, email_address, lines


def _is_shopify(message: Message) -> bool:
    reader = _html_reader(message)
    return reader is not None and any("SKU" in row and "Quantity" in row for row in reader.rows)


# The layouts this automation understands: (shop, detect, parse). Add a shop here.
LAYOUTS: list[tuple[str, Callable[[Message], bool], Callable[..., Any]]] = [
    ("shopify", _is_shopify, _parse_shopify),
    ("woocommerce", lambda m: "[Order #" in _text(m), _parse_woocommerce),
    ("marketplace", lambda m: "Order ID:" in _text(m), _parse_marketplace),
]


def parse_order(message: Message, source: str) -> Order:
    """Turn one message into an `Order`; ValueError says what is wrong with it."""
    message_id = str(message.get("Message-ID") or "").strip()
    if not message_id:
        raise ValueError("has no Message-ID header, so it could not be recognised on a rerun")
    for shop, detect, parse in LAYOUTS:
        if detect(message):
            number, customer, email_address, lines = parse(message)
            if not lines:
                raise ValueError(f"{shop} order {number} lists no items with a SKU")
            if "@" not in email_address:
                raise ValueError(
                    f"{shop} order {number}: customer email {email_address!r} "
                    "is not an email address"
                )
            return Order(message_id, source, shop, number, customer, email_address, tuple(lines))
    known = ", ".join(shop for shop, _, _ in LAYOUTS)
    raise ValueError(f"is not an order confirmation in a known layout ({known})")


def read_maildir(folder: Path) -> Iterator[tuple[str, Message]]:
    """(file inside the Maildir, message) for every message, oldest file name first."""
    if not (folder / "cur").is_dir() or not (folder / "new").is_dir():
        raise OrderIntakeError(
            f"{folder} is not a Maildir folder: it needs the subfolders cur/ and new/. "
            "Point `maildir` at the folder your mail client or fetchmail delivers to."
        )
    box = mailbox.Maildir(folder, create=False)
    for key in sorted(k for k in box.iterkeys() if not k.startswith(".")):
        message = box[key]  # a MaildirMessage: knows whether it sits in new/ or cur/
        yield f"{message.get_subdir()}/{key}", message


def read_orders(folder: Path) -> tuple[list[Order], list[Rejection]]:
    orders: list[Order] = []
    rejected: list[Rejection] = []
    for source, message in read_maildir(folder):
        try:
            orders.append(parse_order(message, source))
        except (ValueError, StopIteration, LookupError) as error:
            reason = str(error) or "does not look like a complete order confirmation"
            message_id = str(message.get("Message-ID") or "").strip()
            rejected.append(Rejection(source, message_id, reason))
    return orders, rejected


# ---------------------------------------------------------------------------
# The inventory workbook


@dataclass
class Inventory:
    path: Path
    workbook: Any
    sheet: Any
    stock: dict[str, int]
    rows: dict[str, int]  # SKU -> worksheet row
    stock_column: int
    names: dict[str, str] = field(default_factory=dict)


def _where(path: Path, sheet: str, row: int) -> str:
    return f"{path.name}, sheet {sheet!r}, row {row}"


def load_inventory(path: Path, sheet_name: str) -> Inventory:
    """Read the inventory sheet: a header row with SKU and Stock (and optionally Name)."""
    from openpyxl import load_workbook
    from openpyxl.utils.exceptions import InvalidFileException

    if not path.is_file():
        raise OrderIntakeError(f"inventory workbook {path} does not exist")
    try:
        workbook = load_workbook(path)
    except InvalidFileException:
        raise OrderIntakeError(
            f"{path.name} is not an Excel workbook (.xlsx); open it in your spreadsheet "
            "app and save it as an Excel workbook (.xlsx)"
        ) from None
    except (zipfile.BadZipFile, KeyError, OSError, ValueError) as error:
        raise OrderIntakeError(
            f"{path.name} is not a readable Excel workbook (.xlsx): {error or 'empty file'}"
        ) from None
    if sheet_name not in workbook.sheetnames:
        raise OrderIntakeError(
            f"{path.name} has no sheet {sheet_name!r} (it has: {', '.join(workbook.sheetnames)}). "
            "Rename the sheet or pass --input sheet=NAME."
        )
    sheet = workbook[sheet_name]
    header = [str(c.value).strip().lower() if c.value is not None else "" for c in sheet[1]]
    for required in ("sku", "stock"):
        if required not in header:
            raise OrderIntakeError(
                f"{_where(path, sheet_name, 1)}: no {required.upper()!r} column in the header "
                f"(found: {', '.join(h for h in header if h) or 'nothing'})"
            )
    inventory = Inventory(path, workbook, sheet, {}, {}, header.index("stock") + 1)
    _read_rows(inventory, header)
    return inventory


def _read_rows(inventory: Inventory, header: list[str]) -> None:
    sku_at = header.index("sku")
    name_at = header.index("name") if "name" in header else None
    title = inventory.sheet.title
    for number, row in enumerate(inventory.sheet.iter_rows(min_row=2, values_only=True), 2):
        sku = str(row[sku_at]).strip().upper() if row[sku_at] is not None else ""
        if not sku:
            continue
        stock = row[inventory.stock_column - 1]
        if isinstance(stock, bool) or not isinstance(stock, int | float) or stock != int(stock):
            raise OrderIntakeError(
                f"{_where(inventory.path, title, number)}: stock {stock!r} of {sku} is not a "
                "whole number; fix the cell"
            )
        if sku in inventory.stock:
            raise OrderIntakeError(
                f"{_where(inventory.path, title, number)}: SKU {sku} is listed twice "
                f"(first in row {inventory.rows[sku]}); merge the rows"
            )
        inventory.stock[sku], inventory.rows[sku] = int(stock), number
        if name_at is not None and row[name_at]:
            inventory.names[sku] = str(row[name_at])


def ledger(inventory: Inventory) -> dict[str, str]:
    """Message-ID -> Notified ("yes", "no") for every order already applied."""
    if LEDGER_SHEET not in inventory.workbook.sheetnames:
        return {}
    rows = inventory.workbook[LEDGER_SHEET].iter_rows(min_row=2, values_only=True)
    return {str(row[0]): str(row[7] or "no") for row in rows if row and row[0]}


def _ledger_sheet(workbook: Any) -> Any:
    if LEDGER_SHEET in workbook.sheetnames:
        return workbook[LEDGER_SHEET]
    sheet = workbook.create_sheet(LEDGER_SHEET)
    sheet.append(LEDGER_HEADER)
    return sheet


def record(inventory: Inventory, orders: list[Order], now: dt.datetime) -> None:
    """Decrement stock and add each order to the ledger, in memory."""
    ledger_sheet = _ledger_sheet(inventory.workbook)
    for order in orders:
        for sku, quantity in order.quantities().items():
            inventory.stock[sku] -= quantity
            cell = inventory.sheet.cell(inventory.rows[sku], inventory.stock_column)
            cell.value = inventory.stock[sku]
        lines = ", ".join(f"{q} x {s}" for s, q in order.quantities().items())
        ledger_sheet.append(
            [
                order.message_id,
                order.number,
                order.shop,
                order.customer,
                order.email,
                lines,
                now.isoformat(timespec="seconds"),
                "no",
            ]
        )


def mark_notified(inventory: Inventory, message_ids: set[str], value: str = "yes") -> None:
    for row in _ledger_sheet(inventory.workbook).iter_rows(min_row=2):
        if row[0].value in message_ids:
            row[7].value = value


def save_atomically(workbook: Any, target: Path, like: Path | None = None) -> None:
    """Write to a temp file beside `target`, then rename: readers never see half a file."""
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        handle, temp = tempfile.mkstemp(
            dir=target.parent, prefix=f".{target.stem}-", suffix=".xlsx"
        )
    except OSError as error:
        raise OrderIntakeError(f"cannot write beside {target}: {error}") from None
    os.close(handle)
    try:
        workbook.save(temp)
        if like is not None and like.exists():
            shutil.copymode(like, temp)
        os.replace(temp, target)
    except OSError as error:
        Path(temp).unlink(missing_ok=True)
        raise OrderIntakeError(
            f"cannot save {target.name} ({error}); it is unchanged. Close it if it is open "
            "in a spreadsheet app and run again"
        ) from None
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise


# ---------------------------------------------------------------------------
# Planning


def plan(
    orders: list[Order], stock: dict[str, int], done: dict[str, str]
) -> tuple[list[Order], list[Order], list[Rejection], int]:
    """(orders to apply, applied orders still to notify, rejections, already done count)."""
    remaining = dict(stock)
    apply: list[Order] = []
    renotify: list[Order] = []
    rejected: list[Rejection] = []
    already = 0
    seen: set[str] = set()
    for order in orders:
        if order.message_id in done or order.message_id in seen:
            already += 1
            if done.get(order.message_id) == "no" and order.message_id not in seen:
                renotify.append(order)
            seen.add(order.message_id)
            continue
        seen.add(order.message_id)
        reason = _shortfall(order, remaining)
        if reason:
            rejected.append(
                Rejection(
                    order.source,
                    order.message_id,
                    f"{order.shop} order {order.number}: {reason}",
                )
            )
            continue
        for sku, quantity in order.quantities().items():
            remaining[sku] -= quantity
        apply.append(order)
    return apply, renotify, rejected, already


def _shortfall(order: Order, stock: dict[str, int]) -> str | None:
    for sku, quantity in order.quantities().items():
        if sku not in stock:
            return f"unknown SKU {sku!r} (not in the inventory sheet)"
        if stock[sku] < quantity:
            return f"not enough stock of {sku} (have {stock[sku]}, order needs {quantity})"
    return None


# ---------------------------------------------------------------------------
# Notifications


def notification(order: Order, sender: str, names: dict[str, str]) -> EmailMessage:
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


def check_sender(sender: str) -> None:
    """Stop before anything happens when the From address could not be delivered from."""
    if not re.fullmatch(r"[^@\s<>]+@[^@\s<>]+\.[^@\s<>]+", parseaddr(sender)[1]):
        raise OrderIntakeError(
            f"sender {sender!r} is not an email address; write it as "
            "'Example Shop <shop@example-shop.com>' or 'shop@example-shop.com'"
        )


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


def write_outbox(messages: list[tuple[Order, EmailMessage]], outbox: Path) -> list[str]:
    outbox.mkdir(parents=True, exist_ok=True)
    written = []
    for order, message in messages:
        target = outbox / f"{order.shop}-{re.sub(r'[^A-Za-z0-9-]', '_', order.number)}.eml"
        temp = target.with_suffix(".eml.tmp")
        temp.write_bytes(message.as_bytes())
        os.replace(temp, target)
        written.append(str(target))
    return written


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


# ---------------------------------------------------------------------------
# The entrypoint


def output_dir(near: Path) -> Path:
    """$AUTOKIT_OUTPUT_DIR when set, else an `output/` folder beside the inputs."""
    configured = os.environ.get("AUTOKIT_OUTPUT_DIR")
    return Path(configured) if configured else near.parent / "output"


@contextlib.contextmanager
def one_run_at_a_time(workbook: Path, dry_run: bool) -> Iterator[None]:
    """Hold a lock on the workbook for the whole run (not for a dry run, which writes elsewhere).

    Two runs at once would read the same "Processed" sheet and notify every customer twice.
    The lock is an OS lock (flock) on a hidden file beside the workbook: the system releases
    it when the process ends, so a crashed run never leaves it behind.
    """
    if dry_run:
        yield
        return
    import fcntl

    lock_path = workbook.with_name(f".{workbook.name}.lock")
    try:
        handle = open(lock_path, "a")  # noqa: SIM115 - closed below, after the run
    except OSError as error:
        raise OrderIntakeError(f"cannot write beside {workbook}: {error}") from None
    with handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise OrderIntakeError(
                f"another order-intake run is processing {workbook.name} right now; nothing "
                "was changed. Run again when it has finished"
            ) from None
        yield


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
    check_sender(sender)
    workbook_path = Path(inventory)
    with one_run_at_a_time(workbook_path, dry_run):
        orders, rejected = read_orders(Path(maildir))
        stock = load_inventory(workbook_path, sheet)
        apply, renotify, skipped, already = plan(orders, stock.stock, ledger(stock))
        rejected += skipped
        for rejection in rejected:
            print(f"skipped {rejection.source}: {rejection.reason}", file=sys.stderr)
        messages = [(o, notification(o, sender, stock.names)) for o in apply + renotify]
        summary: dict[str, Any] = {
            "orders_applied": len(apply),
            "already_processed": already,
            "rejected": [r.to_dict() for r in rejected],
            "stock_changes": _changes(apply),
            "notifications_sent": 0,
            "outbox": [],
            "workbook": None,
        }
        if dry_run:
            return _dry_run(stock, apply, messages, workbook_path, summary)
        if not messages:
            return summary
        user = smtp_user or parseaddr(sender)[1]
        client = connect(smtp_host, smtp_port, smtp_security, user)
        with client:
            if apply:
                record(stock, apply, dt.datetime.now(dt.UTC))
                save_atomically(stock.workbook, workbook_path, like=workbook_path)
                summary["workbook"] = str(workbook_path)
            sent, failures = send_all(client, messages)
        return _finish_notifications(stock, workbook_path, sent, failures, summary)


def _changes(orders: list[Order]) -> dict[str, int]:
    changes: dict[str, int] = {}
    for order in orders:
        for sku, quantity in order.quantities().items():
            changes[sku] = changes.get(sku, 0) - quantity
    return changes


def _dry_run(
    stock: Inventory,
    apply: list[Order],
    messages: list[tuple[Order, EmailMessage]],
    workbook_path: Path,
    summary: dict[str, Any],
) -> dict[str, Any]:
    out = output_dir(workbook_path)
    summary["outbox"] = write_outbox(messages, out / "outbox")
    if apply:
        record(stock, apply, dt.datetime.now(dt.UTC))
        mark_notified(stock, {o.message_id for o in apply}, "outbox")
        preview = out / workbook_path.name
        save_atomically(stock.workbook, preview)
        summary["workbook"] = str(preview)
    return summary


def _finish_notifications(
    stock: Inventory,
    workbook_path: Path,
    sent: set[str],
    failures: list[str],
    summary: dict[str, Any],
) -> dict[str, Any]:
    if sent:
        mark_notified(stock, sent)
        save_atomically(stock.workbook, workbook_path, like=workbook_path)
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
