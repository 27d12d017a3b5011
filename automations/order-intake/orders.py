"""Orders: what an order is, and reading them from the order-confirmation emails.

`read_orders(maildir)` is the one function main.py needs: it reads every message in the
Maildir and turns each into an `Order`, or into a `Rejection` saying why it could not.

Each shop system writes its confirmation emails differently; `LAYOUTS` lists the ones
this automation understands. To add a shop system, write a `_parse_<shop>(message)`
function and add it to `LAYOUTS` (see README.md, "Adding a shop system").
"""

from __future__ import annotations

import mailbox
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from email.message import Message
from email.utils import parseaddr
from html.parser import HTMLParser
from pathlib import Path

import shopkit


class OrderIntakeError(shopkit.ShopkitError):
    """A problem with the run's input or environment; nothing was changed.

    It lives here, in the module every other one imports, so that all of them raise the
    same error.
    """


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
    """A message or an order that was skipped, and why."""

    source: str
    message_id: str
    reason: str

    def to_dict(self) -> dict[str, str]:
        return {"file": self.source, "message_id": self.message_id, "reason": self.reason}


def read_orders(folder: Path) -> tuple[list[Order], list[Rejection]]:
    """The orders in the Maildir, and the messages that are not (complete) orders."""
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


def parse_order(message: Message, source: str) -> Order:
    """Turn one message into an `Order`; ValueError says what is wrong with it."""
    message_id = str(message.get("Message-ID") or "").strip()
    if not message_id:
        # The Message-ID is how a rerun recognises an order it has already applied.
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


# ---------------------------------------------------------------------------
# The shop systems' layouts. Each parser returns (order number, customer, email, lines).

Parsed = tuple[str, str, str, list[Line]]


def _is_shopify(message: Message) -> bool:
    reader = _html_reader(message)
    return reader is not None and any("SKU" in row and "Quantity" in row for row in reader.rows)


def _parse_shopify(message: Message) -> Parsed:
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


def _parse_woocommerce(message: Message) -> Parsed:
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


def _parse_marketplace(message: Message) -> Parsed:
    """Marketplace plain text: `Order ID:`, `Buyer:` and `SKU:`/`Quantity:` pairs."""
    text = _text(message)
    number = _field(r"^Order ID:\s*(\S+)", text, "order ID")
    customer = _field(r"^Buyer:\s*(.+)$", text, "buyer")
    email_address = _field(r"^Buyer email:\s*(\S+)", text, "buyer email")
    pairs = re.findall(r"^SKU:\s*(\S+)\s*\n\s*Quantity:\s*(\S+)", text, re.MULTILINE)
    lines = [Line(sku.upper(), _quantity(qty, sku)) for sku, qty in pairs]
    return number, customer, email_address, lines


# The layouts this automation understands: (shop, detect, parse), tried in this order.
# Add a shop here.
LAYOUTS: list[tuple[str, Callable[[Message], bool], Callable[[Message], Parsed]]] = [
    ("shopify", _is_shopify, _parse_shopify),
    ("woocommerce", lambda m: "[Order #" in _text(m), _parse_woocommerce),
    ("marketplace", lambda m: "Order ID:" in _text(m), _parse_marketplace),
]


def _field(pattern: str, text: str, what: str) -> str:
    match = re.search(pattern, text, re.MULTILINE)
    if not match:
        raise ValueError(f"no {what} found")
    return match.group(1).strip()


def _quantity(value: str, sku: str) -> int:
    if not value.strip().isdigit() or int(value) < 1:
        raise ValueError(f"quantity {value!r} of SKU {sku} is not a positive whole number")
    return int(value)


# ---------------------------------------------------------------------------
# The text of a message: its plain-text part, or the text of its HTML part


def _text(message: Message) -> str:
    plain = _part(message, "plain")
    if plain is not None:
        return plain
    reader = _html_reader(message)
    return "".join(reader.text) if reader else ""


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
