"""The inventory workbook: stock per SKU, and the "Processed" sheet of applied orders.

The "Processed" sheet is the ledger: one row per order that already decremented stock,
found again by its Message-ID, so that a rerun never counts an order twice. Its
"Notified" column says whether the customer has been told ("yes", "no", or "outbox"
on a dry run).

The workbook is only ever written whole, through `shopkit.save_workbook`, and only one run at
a time may work on it (`one_run_at_a_time`).
"""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import shopkit
from orders import Order, OrderIntakeError

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


@dataclass
class Inventory:
    """The workbook as read, and where each SKU's stock sits in it."""

    path: Path
    workbook: Any  # an openpyxl Workbook
    sheet: Any  # its inventory worksheet
    stock: dict[str, int]
    rows: dict[str, int]  # SKU -> worksheet row
    stock_column: int
    names: dict[str, str] = field(default_factory=dict)  # SKU -> product name


@contextlib.contextmanager
def one_run_at_a_time(workbook: Path, dry_run: bool) -> Iterator[None]:
    """Hold a lock on the workbook for the whole run (not for a dry run, which writes elsewhere).

    Two runs at once would read the same "Processed" sheet and notify every customer twice.
    The lock is an OS lock (flock): the system releases it when the process ends, so a
    crashed run never leaves it behind.
    """
    if dry_run:
        yield
        return
    import fcntl  # Unix only: imported here so that a dry run works everywhere

    # The workbook itself is locked (that works in autokit's sandbox too, where only the
    # workbook is writable), and the hidden file beside it where the folder allows it
    # (what 1.0.3 and earlier locked, so a run of them and of this version exclude each other).
    with contextlib.ExitStack() as locks:
        for path in (workbook, workbook.with_name(f".{workbook.name}.lock")):
            try:
                handle = locks.enter_context(open(path, "rb" if path == workbook else "a"))
            except OSError:
                continue  # a missing workbook is reported when it is read
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                raise OrderIntakeError(
                    f"another order-intake run is processing {workbook.name} right now; nothing "
                    "was changed. Run again when it has finished"
                ) from None
        yield


# ---------------------------------------------------------------------------
# Reading


def load_inventory(path: Path, sheet_name: str) -> Inventory:
    """Read the inventory sheet: a header row with SKU and Stock (and optionally Name)."""
    workbook = shopkit.open_workbook(path, read_only=False, what="inventory workbook")
    sheet = shopkit.sheet_of(workbook, path, sheet_name)
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


def _where(path: Path, sheet: str, row: int) -> str:
    return f"{path.name}, sheet {sheet!r}, row {row}"


def read_ledger(inventory: Inventory) -> dict[str, str]:
    """Message-ID -> Notified ("yes", "no") for every order already applied."""
    if LEDGER_SHEET not in inventory.workbook.sheetnames:
        return {}
    rows = inventory.workbook[LEDGER_SHEET].iter_rows(min_row=2, values_only=True)
    return {str(row[0]): str(row[7] or "no") for row in rows if row and row[0]}


# ---------------------------------------------------------------------------
# Changing (in memory) and saving


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
    """Set the "Notified" column of these orders, in memory."""
    for row in _ledger_sheet(inventory.workbook).iter_rows(min_row=2):
        if row[0].value in message_ids:
            row[7].value = value


def _ledger_sheet(workbook: Any) -> Any:
    """The "Processed" sheet, created with its header row on the first run."""
    if LEDGER_SHEET in workbook.sheetnames:
        return workbook[LEDGER_SHEET]
    sheet = workbook.create_sheet(LEDGER_SHEET)
    sheet.append(LEDGER_HEADER)
    return sheet
