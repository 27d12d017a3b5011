"""The inventory workbook: stock per SKU, and the "Processed" sheet of applied orders.

The "Processed" sheet is the ledger: one row per order that already decremented stock,
found again by its Message-ID, so that a rerun never counts an order twice. Its
"Notified" column says whether the customer has been told ("yes", "no", or "outbox"
on a dry run).

The workbook is only ever written whole, through `save_atomically`, and only one run at
a time may work on it (`one_run_at_a_time`).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import errno
import os
import shutil
import tempfile
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

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


def save_atomically(workbook: Any, target: Path, like: Path | None = None) -> None:
    """Write to a temp file beside `target`, then rename: readers never see half a file.

    `like` is the file whose permissions the new one keeps (the workbook it replaces).
    Where only `target` itself may be written (autokit's sandbox with `access: write`),
    the workbook is saved elsewhere first and then copied over `target` in place.
    """
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        handle, temp = tempfile.mkstemp(
            dir=target.parent, prefix=f".{target.stem}-", suffix=".xlsx"
        )
    except OSError as error:
        if not target.is_file():
            raise OrderIntakeError(f"cannot write beside {target}: {error}") from None
        handle, temp = tempfile.mkstemp(prefix=f".{target.stem}-", suffix=".xlsx")
    os.close(handle)
    try:
        workbook.save(temp)
        if like is not None and like.exists():
            shutil.copymode(like, temp)
        _replace(Path(temp), target)
    except OSError as error:
        raise OrderIntakeError(
            f"cannot save {target.name} ({error}); it is unchanged. Close it if it is open "
            "in a spreadsheet app and run again"
        ) from None
    finally:
        Path(temp).unlink(missing_ok=True)


def _replace(saved: Path, target: Path) -> None:
    """Rename `saved` over `target`; where that is not possible (another file system, or
    `target` the one writable file of a sandbox), copy its bytes into `target` instead."""
    try:
        os.replace(saved, target)
    except OSError as error:
        if error.errno not in (errno.EXDEV, errno.EBUSY, errno.EROFS, errno.EACCES, errno.EPERM):
            raise
        with open(saved, "rb") as source, open(target, "r+b") as destination:
            shutil.copyfileobj(source, destination)
            destination.truncate()
            destination.flush()
            os.fsync(destination.fileno())
