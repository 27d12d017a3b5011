"""Low-stock alert: items under their reorder level -> one message in the team chat.

The recipe is `main()` below. It reads the inventory workbook (the same one order-intake
keeps up to date), lists every item whose stock is below its reorder level, most urgent
first, and posts one Slack-compatible message (`text` plus `blocks`) to the incoming
webhook in the secret `WEBHOOK_URL`. Microsoft Teams, Mattermost, Rocket.Chat and
Discord's Slack-compatible endpoint accept the same JSON. Nothing is posted when nothing
is low.

The webhook URL is a secret (anyone holding it can post): messages name only its host.
With `dry_run`, the message is printed on stderr (stdout carries the run's result, as
`autokit run` prints it) and written to the output folder, not posted.
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
import urllib.error
import urllib.request
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

COLUMNS = {  # what the alert needs -> header names accepted for it
    "sku": ("sku",),
    "stock": ("stock", "on hand", "quantity"),
    "reorder": ("reorder level", "reorder_level", "reorder point", "min stock"),
}
OPTIONAL = {  # used when present
    "name": ("name", "product", "description"),
    "supplier": ("supplier", "vendor"),
}
POST_TIMEOUT = 15  # seconds to wait for the chat app before giving up


def main(inventory: str, sheet: str = "Inventory", dry_run: bool = False) -> dict[str, Any]:
    """Post (or, on a dry run, print) the low-stock message; return what was found."""
    source = Path(inventory)
    url = webhook_url(dry_run)
    items = low(read_items(source, sheet))
    summary: dict[str, Any] = {
        "low_items": [i.sku for i in items],
        "posted": False,
        "message": None,
    }
    if not items:
        return summary
    message = payload(items, source.name)
    summary["message"] = str(save_message(message, output_dir(source)))
    if dry_run:
        print(json.dumps(message, indent=2, ensure_ascii=False), file=sys.stderr)
        return summary
    post(url, message)
    summary["posted"] = True
    return summary


class LowStockError(Exception):
    """A problem with the workbook, the webhook or the inputs."""

    autokit_expected = True  # `autokit run` shows the message without a traceback


@dataclass(frozen=True)
class Item:
    """One row of the inventory sheet."""

    sku: str
    name: str
    stock: float
    reorder: float
    supplier: str

    @property
    def urgency(self) -> float:
        """0 when out of stock, approaching 1 as stock nears the reorder level."""
        return self.stock / self.reorder if self.reorder else 0


def webhook_url(dry_run: bool) -> str:
    """The secret WEBHOOK_URL; checked first, so that a missing secret stops the run early."""
    url = os.environ.get("WEBHOOK_URL", "").strip()
    if not dry_run and not url:
        raise LowStockError(
            "the secret WEBHOOK_URL is not set; set it to the chat's "
            "incoming-webhook URL, or run with dry_run"
        )
    return url


# ---------------------------------------------------------------------------
# Reading the workbook


def read_items(path: Path, sheet_name: str) -> list[Item]:
    """Every item on the sheet; LowStockError names the file, sheet and row of a bad cell."""
    from openpyxl import load_workbook
    from openpyxl.utils.exceptions import InvalidFileException

    if not path.is_file():
        raise LowStockError(f"inventory workbook {path} does not exist")
    try:
        workbook = load_workbook(path, read_only=True, data_only=True)
    except InvalidFileException:
        raise LowStockError(
            f"{path.name} is not an Excel workbook (.xlsx); open it in your spreadsheet "
            "app and save it as an Excel workbook (.xlsx)"
        ) from None
    except (zipfile.BadZipFile, KeyError, OSError, ValueError) as error:
        raise LowStockError(
            f"{path.name} is not a readable Excel workbook (.xlsx): {error or 'empty file'}"
        ) from None
    try:
        if sheet_name not in workbook.sheetnames:
            raise LowStockError(
                f"{path.name} has no sheet {sheet_name!r} (it has: "
                f"{', '.join(workbook.sheetnames)}). Rename the sheet or pass --input sheet=NAME."
            )
        rows = list(workbook[sheet_name].iter_rows(values_only=True))
    finally:
        workbook.close()
    where = f"{path.name}, sheet {sheet_name!r}"
    if not rows:
        raise LowStockError(
            f"{where} is empty: expected a header row with SKU, Stock and Reorder level"
        )
    columns = _columns(rows[0], where)
    return [
        item
        for number, row in enumerate(rows[1:], 2)
        if (item := _item(row, columns, f"{where}, row {number}"))
    ]


def _columns(header: tuple[Any, ...], where: str) -> dict[str, int]:
    """Where each column is: "sku", "stock", "reorder" (and "name", "supplier") -> index."""
    names = [str(cell).strip().lower() if cell is not None else "" for cell in header]
    found = {}
    for need, accepted in (COLUMNS | OPTIONAL).items():
        at = next((names.index(a) for a in accepted if a in names), None)
        if at is not None:
            found[need] = at
    missing = [COLUMNS[need][0] for need in COLUMNS if need not in found]
    if missing:
        raise LowStockError(
            f"{where}, row 1: missing column(s) {', '.join(missing)} "
            f"(found: {', '.join(n for n in names if n) or 'nothing'})"
        )
    return found


def _item(row: tuple[Any, ...], columns: dict[str, int], where: str) -> Item | None:
    """The item in this row, or None for a row without a SKU."""

    def cell(need: str) -> Any:
        at = columns.get(need)
        return row[at] if at is not None and at < len(row) else None

    sku = str(cell("sku") or "").strip()
    if not sku:
        return None  # blank and note rows
    stock, reorder = (
        _number(cell("stock"), "stock", where),
        _number(cell("reorder"), "reorder level", where),
    )
    return Item(
        sku, str(cell("name") or "").strip(), stock, reorder, str(cell("supplier") or "").strip()
    )


def _number(value: Any, what: str, where: str) -> float:
    if isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    try:
        return float(str(value).strip())
    except ValueError:
        raise LowStockError(f"{where}: {what} {value!r} is not a number; fix the cell") from None


# ---------------------------------------------------------------------------
# The message


def low(items: list[Item]) -> list[Item]:
    """Items strictly below their reorder level, out-of-stock first."""
    return sorted((i for i in items if i.stock < i.reorder), key=lambda i: (i.urgency, i.sku))


def payload(items: list[Item], workbook_name: str) -> dict[str, Any]:
    """A Slack-compatible message: `text` for notifications, `blocks` for the layout."""
    title = f"Low stock: {len(items)} item{'s' if len(items) != 1 else ''} below reorder level"
    lines = [_line(item) for item in items]
    sections = ["\n".join(lines[i : i + 20]) for i in range(0, len(lines), 20)]  # 3000-char cap
    return {
        "text": f"{title} ({', '.join(item.sku for item in items)})",
        "blocks": [
            {"type": "header", "text": {"type": "plain_text", "text": title}},
            *({"type": "section", "text": {"type": "mrkdwn", "text": s}} for s in sections),
            {
                "type": "context",
                "elements": [{"type": "mrkdwn", "text": f"From {_escape(workbook_name)}"}],
            },
        ],
    }


def _line(item: Item) -> str:
    name = f" {_escape(item.name)}" if item.name else ""
    state = "*out of stock*" if item.stock <= 0 else f"{item.stock:g} left"
    supplier = f" (supplier: {_escape(item.supplier)})" if item.supplier else ""
    return f"• `{_escape(item.sku)}`{name}: {state}, reorder at {item.reorder:g}{supplier}"


def _escape(text: str) -> str:
    """Slack's mrkdwn treats &, < and > as control characters."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def post(url: str, message: dict[str, Any]) -> int:
    """POST the message; the HTTP status, or LowStockError naming only the webhook's host."""
    parts = urlsplit(url)
    if parts.scheme not in ("https", "http") or not parts.hostname:
        raise LowStockError(
            "WEBHOOK_URL is not an http(s) URL; copy the full incoming-webhook "
            "URL from the chat app"
        )
    request = urllib.request.Request(
        url,
        data=json.dumps(message).encode("utf-8"),
        method="POST",
        headers={"Content-Type": "application/json; charset=utf-8"},
    )
    host = f"{parts.scheme}://{parts.hostname}{f':{parts.port}' if parts.port else ''}"
    try:
        with urllib.request.urlopen(request, timeout=POST_TIMEOUT) as response:
            return int(response.status)
    except urllib.error.HTTPError as error:
        detail = error.read(200).decode("utf-8", "replace").strip()
        raise LowStockError(
            f"the webhook at {host} answered {error.code} {error.reason}: "
            f"{detail or 'no details'}; check that WEBHOOK_URL is current"
        ) from None
    except (urllib.error.URLError, OSError) as error:
        reason = getattr(error, "reason", error)
        raise LowStockError(
            f"cannot reach the webhook at {host} ({reason}); nothing was posted"
        ) from None


# ---------------------------------------------------------------------------
# Files in the output folder


def save_message(message: dict[str, Any], out: Path) -> Path:
    """Keep the message as JSON in the output folder: the run's record of what was said."""
    target = out / "low-stock-message.json"
    write_atomically(target, json.dumps(message, indent=2, ensure_ascii=False).encode("utf-8"))
    return target


def output_dir(near: Path) -> Path:
    """$AUTOKIT_OUTPUT_DIR when set, else an `output/` folder beside the inputs."""
    configured = os.environ.get("AUTOKIT_OUTPUT_DIR")
    return Path(configured) if configured else near.parent / "output"


def write_atomically(target: Path, data: bytes) -> None:
    """Temp file beside `target`, then rename: a crash never leaves half a file."""
    target.parent.mkdir(parents=True, exist_ok=True)
    handle, temp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}-")
    try:
        with os.fdopen(handle, "wb") as file:
            file.write(data)
        os.replace(temp, target)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise
