from __future__ import annotations

import fcntl
import shutil
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from main import main
from openpyxl import Workbook, load_workbook
from orders import OrderIntakeError
from shopkit import ShopkitError
from shopkit.testing import SMTP_LOGIN

if TYPE_CHECKING:  # the fixtures come from shopkit.testing, through conftest.py
    from shopkit.testing import Mailbox

SAMPLE = Path(__file__).resolve().parent.parent / "sample"
SENDER = "Example Shop <shipping@example-shop.test>"
SAMPLE_STOCK = {
    "MUG-BLU": 12,
    "MUG-RED": 3,
    "TEA-EARL": 40,
    "GLOVE-M": 8,
    "CAN-5L": 2,
    "SEED-BASIL": 0,
}
# The three valid sample orders: Shopify #1001, WooCommerce #2045, marketplace 303-...
AFTER_SAMPLE = {**SAMPLE_STOCK, "MUG-BLU": 9, "TEA-EARL": 37, "GLOVE-M": 5, "CAN-5L": 1}


def run(shop: Path, port: int, **extra: Any) -> dict[str, Any]:
    inputs: dict[str, Any] = {
        "maildir": str(shop / "maildir"),
        "inventory": str(shop / "inventory.xlsx"),
        "sender": SENDER,
        "smtp_host": "127.0.0.1",
        "smtp_port": port,
        "smtp_security": "none",
    }
    return main(**{**inputs, **extra})


def stock(path: Path, sheet: str = "Inventory") -> dict[str, int]:
    rows = load_workbook(path)[sheet].iter_rows(min_row=2, values_only=True)
    return {row[0]: row[2] for row in rows}


def ledger(path: Path) -> list[tuple[Any, ...]]:
    return list(load_workbook(path)["Processed"].iter_rows(min_row=2, values_only=True))


def deliver(shop: Path, name: str, text: str) -> None:
    (shop / "maildir" / "new" / name).write_text(text, encoding="utf-8")


def marketplace_order(message_id: str, lines: str, order_id: str = "303-0000000-0000001") -> str:
    header = f"Message-ID: <{message_id}>\n" if message_id else ""
    return (
        f"{header}From: Marketplace <no-reply@marketplace.test>\nSubject: Sold\n\n"
        f"Order ID: {order_id}\nBuyer: Lea Wolf\nBuyer email: lea@example.org\n\n{lines}"
    )


def test_sends_one_notification_per_order_and_decrements_stock(
    shop: Path, smtp_server: tuple[Mailbox, int]
) -> None:
    server, port = smtp_server
    summary = run(shop, port)

    assert summary["orders_applied"] == 3
    assert summary["notifications_sent"] == 3
    mails = server.by_recipient()
    assert sorted(mails) == [
        "anna.berg@example.org",
        "jane.doe@example.com",
        "tom.becker@example.net",
    ]
    jane = mails["jane.doe@example.com"]
    assert jane["Subject"] == "Your order 1001 is on its way"
    assert jane["From"] == SENDER
    assert jane["Date"]
    body = jane.get_payload(decode=True).decode().replace("\r\n", "\n")
    assert body.startswith("Hello Jane Doe,\n\nGood news: your order 1001 has been packed")
    assert body.rstrip().endswith("Thank you for shopping with us!\n\nKind regards,\nExample Shop")
    assert "2 x Stoneware mug, blue (MUG-BLU)" in body
    assert "1 x Earl Grey tea, 100 g (TEA-EARL)" in body
    assert "3 x Garden gloves, size M (GLOVE-M)" in (
        mails["tom.becker@example.net"].get_payload(decode=True).decode()
    )
    assert stock(shop / "inventory.xlsx") == AFTER_SAMPLE
    assert {(row[1], row[2], row[7]) for row in ledger(shop / "inventory.xlsx")} == {
        ("1001", "shopify", "yes"),
        ("2045", "woocommerce", "yes"),
        ("303-1234567-7654321", "marketplace", "yes"),
    }


def test_order_that_would_make_stock_negative_is_reported_and_skipped(
    shop: Path, smtp_server: tuple[Mailbox, int]
) -> None:
    summary = run(shop, smtp_server[1])

    [rejected] = summary["rejected"]
    assert rejected["file"] == "new/1764151200.M4P2101.shopmail.eml"
    assert rejected["message_id"] == "<wc-2046-1764151200@example-shop.test>"
    assert "not enough stock of SEED-BASIL (have 0, order needs 5)" in rejected["reason"]
    assert "mia.hoffmann@example.com" not in smtp_server[0].by_recipient()


def test_a_second_run_counts_nothing_twice(shop: Path, smtp_server: tuple[Mailbox, int]) -> None:
    server, port = smtp_server
    run(shop, port)
    workbook = (shop / "inventory.xlsx").read_bytes()

    again = run(shop, port)

    assert again["orders_applied"] == 0
    assert again["already_processed"] == 3
    assert len(server.received) == 3
    assert (shop / "inventory.xlsx").read_bytes() == workbook
    assert stock(shop / "inventory.xlsx") == AFTER_SAMPLE


def test_the_same_email_delivered_twice_is_counted_once(
    shop: Path, smtp_server: tuple[Mailbox, int]
) -> None:
    original = shop / "maildir" / "cur" / "1764140400.M1P2101.shopmail.eml"
    deliver(shop, "1764199999.M8.shopmail.eml", original.read_text(encoding="utf-8"))

    summary = run(shop, smtp_server[1])

    assert summary["orders_applied"] == 3 and summary["already_processed"] == 1
    assert stock(shop / "inventory.xlsx") == AFTER_SAMPLE
    recipients = [rcpts for rcpts, _ in smtp_server[0].received]
    assert recipients.count(["jane.doe@example.com"]) == 1


def test_a_new_order_after_a_run_is_the_only_one_applied(
    shop: Path, smtp_server: tuple[Mailbox, int]
) -> None:
    server, port = smtp_server
    run(shop, port)
    deliver(
        shop,
        "1764200000.M9.shopmail.eml",
        marketplace_order("late@marketplace.test", "SKU: mug-red\nQuantity: 2\n"),
    )

    summary = run(shop, port)

    assert summary["orders_applied"] == 1
    assert summary["stock_changes"] == {"MUG-RED": -2}
    assert stock(shop / "inventory.xlsx") == {**AFTER_SAMPLE, "MUG-RED": 1}
    assert [rcpts for rcpts, _ in server.received[3:]] == [["lea@example.org"]]


def test_unreachable_smtp_server_changes_nothing_and_marks_nothing_processed(
    shop: Path, smtp_server: tuple[Mailbox, int], closed: int
) -> None:
    workbook = (shop / "inventory.xlsx").read_bytes()

    with pytest.raises(OrderIntakeError, match=rf"SMTP server 127.0.0.1:{closed}.*Nothing was"):
        run(shop, closed)

    assert (shop / "inventory.xlsx").read_bytes() == workbook
    assert run(shop, smtp_server[1])["orders_applied"] == 3


def test_failed_notification_is_retried_without_decrementing_stock_again(
    shop: Path, smtp_server: tuple[Mailbox, int]
) -> None:
    server, port = smtp_server
    server.refuse.add("tom.becker@example.net")

    with pytest.raises(OrderIntakeError, match=r"order 2045 to tom\.becker@example\.net"):
        run(shop, port)
    assert stock(shop / "inventory.xlsx") == AFTER_SAMPLE
    notified = {row[1]: row[7] for row in ledger(shop / "inventory.xlsx")}
    assert notified["2045"] == "no"

    server.refuse.clear()
    summary = run(shop, port)

    assert summary["orders_applied"] == 0
    assert summary["notifications_sent"] == 1
    assert server.received[-1][0] == ["tom.becker@example.net"]
    assert stock(shop / "inventory.xlsx") == AFTER_SAMPLE
    assert {row[7] for row in ledger(shop / "inventory.xlsx")} == {"yes"}


def test_order_with_an_unknown_sku_is_not_applied_partly(
    shop: Path, smtp_server: tuple[Mailbox, int]
) -> None:
    deliver(
        shop,
        "1764200000.M9.shopmail.eml",
        marketplace_order(
            "mixed@marketplace.test", "SKU: MUG-RED\nQuantity: 1\n\nSKU: LAMP-01\nQuantity: 1\n"
        ),
    )

    summary = run(shop, smtp_server[1])

    reasons = {r["message_id"]: r["reason"] for r in summary["rejected"]}
    assert "unknown SKU 'LAMP-01'" in reasons["<mixed@marketplace.test>"]
    assert stock(shop / "inventory.xlsx")["MUG-RED"] == 3
    assert "lea@example.org" not in smtp_server[0].by_recipient()


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("Subject: lunch?\nMessage-ID: <lunch@x>\n\nPizza at noon?\n", "not an order confirmation"),
        ("", "has no Message-ID"),
        (marketplace_order("", "SKU: MUG-RED\nQuantity: 1\n"), "has no Message-ID"),
        (
            marketplace_order("q@x", "SKU: MUG-RED\nQuantity: two\n"),
            "quantity 'two' of SKU MUG-RED is not a positive whole number",
        ),
        (marketplace_order("none@x", "no items\n"), "lists no items"),
    ],
    ids=["not-an-order", "empty-file", "no-message-id", "bad-quantity", "no-items"],
)
def test_malformed_email_is_reported_by_file_and_skipped(
    shop: Path, smtp_server: tuple[Mailbox, int], text: str, reason: str
) -> None:
    deliver(shop, "1764200000.M9.shopmail.eml", text)

    summary = run(shop, smtp_server[1])

    bad = [r for r in summary["rejected"] if r["file"] == "new/1764200000.M9.shopmail.eml"]
    assert len(bad) == 1 and reason in bad[0]["reason"]
    assert summary["orders_applied"] == 3
    assert stock(shop / "inventory.xlsx")["MUG-RED"] == 3


def test_dry_run_writes_outbox_and_preview_and_changes_no_input(
    tmp_path: Path, closed: int
) -> None:
    before = {p: p.read_bytes() for p in SAMPLE.rglob("*") if p.is_file()}

    summary = main(
        maildir=str(SAMPLE / "maildir"),
        inventory=str(SAMPLE / "inventory.xlsx"),
        sender=SENDER,
        smtp_port=closed,
        dry_run=True,
    )

    assert {p: p.read_bytes() for p in SAMPLE.rglob("*") if p.is_file()} == before
    outbox = tmp_path / "output" / "outbox"
    assert sorted(p.name for p in outbox.iterdir()) == [
        "marketplace-303-1234567-7654321.eml",
        "shopify-1001.eml",
        "woocommerce-2045.eml",
    ]
    assert (
        "To: Anna Berg <anna.berg@example.org>"
        in (outbox / "marketplace-303-1234567-7654321.eml").read_text()
    )
    preview = Path(summary["workbook"])
    assert preview == tmp_path / "output" / "inventory.xlsx"
    assert stock(preview) == AFTER_SAMPLE


def write_workbook(path: Path, title: str, rows: list[tuple[Any, ...]]) -> bytes:
    book = Workbook()
    book.active.title = title
    for row in rows:
        book.active.append(row)
    book.save(path)
    return path.read_bytes()


@pytest.mark.parametrize(
    ("title", "rows", "message"),
    [
        (
            "Sheet1",
            [("SKU", "Stock"), ("MUG-RED", 3)],
            r"inventory.xlsx has no sheet 'Inventory' \(it has: Sheet1\)",
        ),
        (
            "Inventory",
            [("Article", "Stock"), ("MUG-RED", 3)],
            r"inventory.xlsx, sheet 'Inventory', row 1: no 'SKU' column",
        ),
        (
            "Inventory",
            [("SKU", "Stock"), ("MUG-RED", 3), ("MUG-BLU", "lots")],
            r"inventory.xlsx, sheet 'Inventory', row 3: stock 'lots' of MUG-BLU is not a whole",
        ),
        (
            "Inventory",
            [("SKU", "Stock"), ("MUG-RED", 3), ("mug-red", 1)],
            r"row 3: SKU MUG-RED is listed twice \(first in row 2\)",
        ),
    ],
    ids=["wrong-sheet", "missing-column", "bad-stock", "duplicate-sku"],
)
def test_bad_workbook_is_named_and_left_untouched(
    shop: Path,
    smtp_server: tuple[Mailbox, int],
    title: str,
    rows: list[tuple[Any, ...]],
    message: str,
) -> None:
    original = write_workbook(shop / "inventory.xlsx", title, rows)

    with pytest.raises(ShopkitError, match=message):
        run(shop, smtp_server[1])

    assert (shop / "inventory.xlsx").read_bytes() == original
    assert smtp_server[0].received == []


def test_folder_that_is_not_a_maildir_is_a_clear_error(shop: Path, tmp_path: Path) -> None:
    with pytest.raises(OrderIntakeError, match=r"is not a Maildir folder.*cur/ and new/"):
        main(maildir=str(tmp_path), inventory=str(shop / "inventory.xlsx"), sender=SENDER)


def test_empty_maildir_changes_nothing(shop: Path, smtp_server: tuple[Mailbox, int]) -> None:
    for sub in ("cur", "new"):
        shutil.rmtree(shop / "maildir" / sub)
        (shop / "maildir" / sub).mkdir()
    workbook = (shop / "inventory.xlsx").read_bytes()

    summary = run(shop, smtp_server[1])

    assert summary["orders_applied"] == 0 and summary["rejected"] == []
    assert (shop / "inventory.xlsx").read_bytes() == workbook


def test_sender_that_is_not_an_address_stops_before_anything_changes(
    shop: Path, smtp_server: tuple[Mailbox, int]
) -> None:
    workbook = (shop / "inventory.xlsx").read_bytes()

    with pytest.raises(ShopkitError, match=r"sender 'Example Shop' is not an email address"):
        run(shop, smtp_server[1], sender="Example Shop")

    assert (shop / "inventory.xlsx").read_bytes() == workbook
    assert smtp_server[0].received == []


def test_smtp_password_logs_in_as_the_sender(
    shop: Path, smtp_login_server: tuple[Mailbox, int], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SMTP_PASSWORD", SMTP_LOGIN[1])

    summary = run(shop, smtp_login_server[1])

    assert summary["notifications_sent"] == 3
    assert len(smtp_login_server[0].received) == 3
    assert smtp_login_server[0].logins == ["shipping@example-shop.test"]


def test_wrong_smtp_password_changes_nothing_and_is_not_shown(
    shop: Path, smtp_login_server: tuple[Mailbox, int], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SMTP_PASSWORD", "wrong password")
    workbook = (shop / "inventory.xlsx").read_bytes()

    with pytest.raises(OrderIntakeError, match=r"cannot use the SMTP server.*535") as error:
        run(shop, smtp_login_server[1])

    assert "wrong password" not in str(error.value)
    assert (shop / "inventory.xlsx").read_bytes() == workbook
    assert smtp_login_server[0].received == [] and smtp_login_server[0].logins == []


def test_a_second_run_while_one_is_working_changes_and_sends_nothing(
    shop: Path, smtp_server: tuple[Mailbox, int]
) -> None:
    workbook = (shop / "inventory.xlsx").read_bytes()
    with open(shop / ".inventory.xlsx.lock", "a") as other_run:
        fcntl.flock(other_run, fcntl.LOCK_EX | fcntl.LOCK_NB)

        with pytest.raises(OrderIntakeError, match=r"another order-intake run is processing"):
            run(shop, smtp_server[1])

    assert (shop / "inventory.xlsx").read_bytes() == workbook
    assert smtp_server[0].received == []
    assert run(shop, smtp_server[1])["orders_applied"] == 3  # the lock went with that run
