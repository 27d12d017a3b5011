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
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import shopkit

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
    summary["message"] = str(save_message(message, shopkit.output_dir(source)))
    if dry_run:
        print(json.dumps(message, indent=2, ensure_ascii=False), file=sys.stderr)
        return summary
    post(url, message)
    summary["posted"] = True
    return summary


class LowStockError(shopkit.ShopkitError):
    """A problem with the workbook, the webhook or the inputs."""


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
    """Every item on the sheet; the errors name the file, sheet and row of a bad cell."""
    rows = shopkit.workbook_rows(path, sheet_name, "inventory workbook")
    where = f"{path.name}, sheet {sheet_name!r}"
    if not rows:
        raise LowStockError(
            f"{where} is empty: expected a header row with SKU, Stock and Reorder level"
        )
    columns = shopkit.find_columns(rows[0][1], COLUMNS, where, optional=OPTIONAL)
    return [
        item for number, row in rows[1:] if (item := _item(row, columns, f"{where}, row {number}"))
    ]


def _item(row: list[Any], columns: dict[str, int], where: str) -> Item | None:
    """The item in this row, or None for a row without a SKU."""

    def cell(need: str) -> Any:
        at = columns.get(need)
        return row[at] if at is not None and at < len(row) else None

    sku = str(cell("sku") or "").strip()
    if not sku:
        return None  # blank and note rows
    stock, reorder = (
        shopkit.number(cell("stock"), "stock", where),
        shopkit.number(cell("reorder"), "reorder level", where),
    )
    return Item(
        sku, str(cell("name") or "").strip(), stock, reorder, str(cell("supplier") or "").strip()
    )


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
        with error:  # the answer holds the connection open until closed
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
    shopkit.write_atomically(
        target, json.dumps(message, indent=2, ensure_ascii=False).encode("utf-8")
    )
    return target
