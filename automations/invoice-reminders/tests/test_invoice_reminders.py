from __future__ import annotations

import csv
import fcntl
import json
import os
import shutil
from email import message_from_bytes, policy
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from main import InvoiceReminderError, main
from shopkit import ShopkitError

if TYPE_CHECKING:  # the fixtures come from shopkit.testing, through conftest.py
    from shopkit.testing import Mailbox

SAMPLE = Path(__file__).resolve().parent.parent / "sample"

SENDER = "Example Shop Accounts <accounts@example-shop.test>"
TODAY = "2026-11-26"
HEADER = "Invoice,Customer,Email,Due date,Amount,Status\n"


@pytest.fixture
def export(tmp_path: Path) -> Path:
    """The sample export and an empty ledger beside it (a real run needs one that exists)."""
    target = tmp_path / "invoices.csv"
    shutil.copy(SAMPLE / "invoices.csv", target)
    target.with_suffix(".reminded.json").write_text("{}\n", encoding="utf-8")
    return target


def new_export(folder: Path, content: str) -> Path:
    """An export with `content` and an empty ledger beside it."""
    export = folder / "invoices.csv"
    export.write_text(content, encoding="utf-8")
    export.with_suffix(".reminded.json").write_text("{}\n", encoding="utf-8")
    return export


def run(invoices: Path, port: int, **extra: Any) -> dict[str, Any]:
    inputs: dict[str, Any] = {
        "invoices": str(invoices),
        "sender": SENDER,
        "today": TODAY,
        "smtp_host": "127.0.0.1",
        "smtp_port": port,
        "smtp_security": "none",
    }
    return main(**{**inputs, **extra})


def body(message: Any) -> str:
    return str(message.get_payload(decode=True).decode()).replace("\r\n", "\n")


def summary_rows(path: str) -> list[dict[str, str]]:
    with open(path, newline="", encoding="utf-8") as file:
        return list(csv.DictReader(file))


def test_one_reminder_per_customer_lists_all_their_overdue_invoices(
    export: Path, smtp_server: tuple[Mailbox, int]
) -> None:
    server, port = smtp_server
    result = run(export, port)

    mails = server.by_recipient()
    # Paid (Tom) and due only 2 days ago (Anna) are not reminded; Jane's two rows, one with
    # her address in other case and spacing, make one email.
    assert sorted(mails) == [
        "buchhaltung@kraus-garten.example",
        "jane.doe@example.com",
        "office@morgenrot.example",
    ]
    jane = mails["jane.doe@example.com"]
    assert jane["Subject"] == "Payment reminder: 2 overdue invoices"
    assert jane["To"] == "Jane Doe <jane.doe@example.com>"
    assert jane["Date"]
    text = body(jane)
    assert text.startswith("Dear Jane Doe,")
    assert text.rstrip().endswith("Kind regards,\nExample Shop accounts")
    assert "Invoice INV-2026-101: 54.50 EUR, due 2026-10-04 (53 days ago)" in text
    assert "Invoice INV-2026-107: 19.90 EUR" in text
    assert "Total open: 74.40 EUR" in text
    assert mails["office@morgenrot.example"]["Subject"] == "Payment reminder: invoice INV-2026-125"
    assert result["customers_reminded"] == 3 and result["overdue_invoices"] == 4
    rows = summary_rows(result["summary"])
    assert {(r["email"], r["invoices"], r["result"]) for r in rows} == {
        ("jane.doe@example.com", "INV-2026-101 INV-2026-107", "sent"),
        ("buchhaltung@kraus-garten.example", "INV-2026-118", "sent"),
        ("office@morgenrot.example", "INV-2026-125", "sent"),
    }


def test_overdue_days_sets_the_threshold(export: Path, smtp_server: tuple[Mailbox, int]) -> None:
    run(export, smtp_server[1], overdue_days=30)

    assert sorted(smtp_server[0].by_recipient()) == ["jane.doe@example.com"]


def test_a_second_run_the_same_day_sends_nothing(
    export: Path, smtp_server: tuple[Mailbox, int]
) -> None:
    server, port = smtp_server
    run(export, port)
    ledger = export.with_suffix(".reminded.json").read_bytes()

    again = run(export, port)

    assert again["customers_reminded"] == 0
    assert len(server.received) == 3
    assert export.with_suffix(".reminded.json").read_bytes() == ledger
    too_soon = run(export, port, today="2026-12-02")
    assert too_soon["customers_reminded"] == 0
    two_weeks_later = run(export, port, today="2026-12-08")
    # The three are reminded again after repeat_after_days, Anna's invoice is now 14 days late.
    assert two_weeks_later["customers_reminded"] == 4


def test_unreachable_smtp_server_sends_and_records_nothing(export: Path, closed: int) -> None:
    ledger = export.with_suffix(".reminded.json")
    ledger.write_text('{"INV-2026-090": "2026-11-02"}\n', encoding="utf-8")
    before = ledger.read_bytes()

    with pytest.raises(InvoiceReminderError, match=rf"SMTP server 127.0.0.1:{closed}.*No remind"):
        run(export, closed)

    assert ledger.read_bytes() == before
    assert not (export.parent / "output").exists()


@pytest.mark.parametrize(
    ("content", "total"),
    [
        (HEADER + 'INV-1,Jo,jo@example.com,2026-01-01,"1,240.50",open\n', "1240.50 EUR"),
        (
            HEADER.replace(",", ";") + "INV-1;Jo;jo@example.com;01.01.2026;1.240,50;open\n",
            "1240.50 EUR",
        ),
        (HEADER.replace(",", ";") + "INV-1;Jo;jo@example.com;01.01.2026;54,5;open\n", "54.50 EUR"),
    ],
    ids=["thousands-comma", "semicolons-and-decimal-comma", "decimal-comma"],
)
def test_amounts_are_read_as_the_spreadsheet_wrote_them(
    tmp_path: Path, smtp_server: tuple[Mailbox, int], content: str, total: str
) -> None:
    export = new_export(tmp_path, content)

    run(export, smtp_server[1])

    assert f"Total open: {total}" in body(smtp_server[0].by_recipient()["jo@example.com"])


def test_refused_recipient_is_reported_and_retried_next_run(
    export: Path, smtp_server: tuple[Mailbox, int]
) -> None:
    server, port = smtp_server
    server.refuse.add("office@morgenrot.example")

    result = run(export, port)

    results = {r["email"]: r["result"] for r in summary_rows(result["summary"])}
    assert results["office@morgenrot.example"].startswith("refused by the server: 550")
    assert result["customers_reminded"] == 2
    server.refuse.clear()
    assert run(export, port)["customers_reminded"] == 1
    assert server.received[-1][0] == ["office@morgenrot.example"]


def test_message_rejected_after_data_is_reported_and_the_rest_still_sent(
    export: Path, smtp_server: tuple[Mailbox, int]
) -> None:
    server, port = smtp_server
    server.reject_data.add("jane.doe@example.com")

    result = run(export, port)

    results = {r["email"]: r["result"] for r in summary_rows(result["summary"])}
    assert (
        results["jane.doe@example.com"]
        == "refused by the server: 554 5.7.1 message rejected as spam"
    )
    assert sorted(server.by_recipient()) == [
        "buchhaltung@kraus-garten.example",
        "office@morgenrot.example",
    ]


def test_connection_lost_midway_records_what_was_sent_and_names_the_recipient(
    export: Path, smtp_server: tuple[Mailbox, int]
) -> None:
    server, port = smtp_server
    server.hang_up.add("jane.doe@example.com")  # the second of three, sorted by address

    with pytest.raises(
        InvoiceReminderError,
        match=r"dropped the connection while sending to "
        r"jane\.doe@example\.com.*1 reminder\(s\) sent before were recorded",
    ):
        run(export, port)

    ledger = json.loads(export.with_suffix(".reminded.json").read_text(encoding="utf-8"))
    assert ledger == {"INV-2026-118": TODAY}
    server.hang_up.clear()
    assert run(export, port)["customers_reminded"] == 2


def test_dry_run_writes_the_outbox_and_leaves_the_ledger_alone(tmp_path: Path, closed: int) -> None:
    before = (SAMPLE / "invoices.csv").read_bytes()

    result = main(
        invoices=str(SAMPLE / "invoices.csv"),
        sender=SENDER,
        today=TODAY,
        smtp_port=closed,
        dry_run=True,
    )

    outbox = tmp_path / "output" / "outbox"
    assert sorted(p.name for p in outbox.iterdir()) == [
        "buchhaltung_at_kraus-garten.example.eml",
        "jane.doe_at_example.com.eml",
        "office_at_morgenrot.example.eml",
    ]
    cafe = message_from_bytes(
        (outbox / "office_at_morgenrot.example.eml").read_bytes(), policy=policy.default
    )
    assert cafe["To"] == "Café Morgenrot <office@morgenrot.example>"
    assert "Dear Café Morgenrot," in body(cafe)
    assert result["reminders_written"] == 3
    assert not (SAMPLE / "invoices.reminded.json").exists()
    assert (SAMPLE / "invoices.csv").read_bytes() == before


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("", r"invoices.csv is empty: expected a header row"),
        (
            "Invoice,Customer,Email,Amount\nINV-1,Jo,jo@example.com,10\n",
            r"invoices.csv, row 1: missing column\(s\) due_date",
        ),
        (
            HEADER + "INV-1,Jo,jo@example.com,2026-01-01,10,open\n"
            "INV-2,Jo,jo@example.com,31/02/2026,10,open\n",
            r"invoices.csv, row 3: due_date '31/02/2026' is not a date",
        ),
        (
            HEADER + "INV-1,Jo,jo@example.com,2026-01-01,ten,open\n",
            r"invoices.csv, row 2: amount 'ten' is not a number",
        ),
        (HEADER + "INV-1,Jo,,2026-01-01,10,open\n", r"invoices.csv, row 2: email is empty"),
        (
            HEADER + "INV-1,Jo,jo-at-example.com,2026-01-01,10,open\n",
            r"row 2: email 'jo-at-example.com' is not an address",
        ),
    ],
    ids=["empty-file", "missing-column", "bad-date", "bad-amount", "empty-email", "bad-email"],
)
def test_bad_export_is_named_by_file_and_row_and_nothing_is_sent(
    tmp_path: Path, smtp_server: tuple[Mailbox, int], content: str, message: str
) -> None:
    export = new_export(tmp_path, content)

    with pytest.raises(InvoiceReminderError, match=message):
        run(export, smtp_server[1])

    assert smtp_server[0].received == []
    assert export.read_text(encoding="utf-8") == content
    assert not (tmp_path / "output").exists()


def test_broken_ledger_is_a_clear_error_and_left_as_is(
    export: Path, smtp_server: tuple[Mailbox, int]
) -> None:
    ledger = export.with_suffix(".reminded.json")
    ledger.write_text("{not json", encoding="utf-8")

    with pytest.raises(InvoiceReminderError, match=r"invoices.reminded.json \(the reminder ledger"):
        run(export, smtp_server[1])

    assert ledger.read_text(encoding="utf-8") == "{not json"
    assert smtp_server[0].received == []


def test_template_error_names_the_template_and_line(
    export: Path, tmp_path: Path, smtp_server: tuple[Mailbox, int]
) -> None:
    template = tmp_path / "custom.txt.j2"
    template.write_text("Dear {{ customer }},\n{{ no_such_value }}\n", encoding="utf-8")

    with pytest.raises(InvoiceReminderError, match=r"custom.txt.j2.*'no_such_value' is undefined"):
        run(export, smtp_server[1], template=str(template))

    assert smtp_server[0].received == []


def test_template_syntax_error_names_the_template_and_line(
    export: Path, tmp_path: Path, smtp_server: tuple[Mailbox, int]
) -> None:
    template = tmp_path / "custom.txt.j2"
    template.write_text("Dear {{ customer }},\n\n{% for invoice in invoices %}\n", encoding="utf-8")

    with pytest.raises(InvoiceReminderError, match=r"custom.txt.j2, line 3: Unexpected end"):
        run(export, smtp_server[1], template=str(template))

    assert smtp_server[0].received == []


def test_sender_that_is_not_an_address_stops_before_anything_is_sent(
    export: Path, smtp_server: tuple[Mailbox, int]
) -> None:
    with pytest.raises(ShopkitError, match=r"sender 'accounts' is not an email address"):
        run(export, smtp_server[1], sender="accounts")

    assert smtp_server[0].received == []
    assert export.with_suffix(".reminded.json").read_text(encoding="utf-8") == "{}\n"


def test_server_without_starttls_is_a_clear_error_and_nothing_is_recorded(
    export: Path, smtp_server: tuple[Mailbox, int]
) -> None:
    with pytest.raises(InvoiceReminderError, match=r"STARTTLS.*check smtp_host"):
        run(export, smtp_server[1], smtp_security="starttls")

    assert smtp_server[0].received == []
    assert export.with_suffix(".reminded.json").read_text(encoding="utf-8") == "{}\n"


def test_a_second_run_while_one_is_sending_sends_nothing(
    export: Path, smtp_server: tuple[Mailbox, int]
) -> None:
    ledger = export.with_suffix(".reminded.json")
    with open(ledger, "rb") as other_run:  # the lock is on the ledger itself
        fcntl.flock(other_run, fcntl.LOCK_EX | fcntl.LOCK_NB)

        with pytest.raises(InvoiceReminderError, match=r"another invoice-reminders run is using"):
            run(export, smtp_server[1])

    assert smtp_server[0].received == []
    assert ledger.read_text(encoding="utf-8") == "{}\n"
    assert run(export, smtp_server[1])["customers_reminded"] == 3


def test_the_ledger_is_updated_in_place_after_a_backup_and_nothing_is_written_beside_it(
    export: Path, tmp_path: Path, smtp_server: tuple[Mailbox, int]
) -> None:
    ledger = export.with_suffix(".reminded.json")
    ledger.write_text('{"INV-2026-001": "2026-01-05"}\n', encoding="utf-8")
    inode = ledger.stat().st_ino

    run(export, smtp_server[1])

    assert ledger.stat().st_ino == inode  # the same file, not a new one renamed over it
    assert json.loads(ledger.read_text(encoding="utf-8")) == {
        "INV-2026-001": "2026-01-05",
        "INV-2026-101": TODAY,
        "INV-2026-107": TODAY,
        "INV-2026-118": TODAY,
        "INV-2026-125": TODAY,
    }
    backup = tmp_path / "output" / "invoices.reminded.json.before"
    assert backup.read_text(encoding="utf-8") == '{"INV-2026-001": "2026-01-05"}\n'
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "invoices.csv",
        "invoices.reminded.json",
        "output",
    ]


def test_a_ledger_that_does_not_exist_is_named_with_how_to_create_it(
    export: Path, tmp_path: Path, smtp_server: tuple[Mailbox, int]
) -> None:
    missing = tmp_path / "books" / "reminded.json"

    with pytest.raises(
        InvoiceReminderError,
        match=rf"ledger {missing} does not exist; nothing was sent\. Create an empty one "
        rf"with `echo {{}} > {missing}`",
    ):
        run(export, smtp_server[1], ledger=str(missing))

    assert smtp_server[0].received == []
    assert not missing.parent.exists()


def test_without_a_ledger_input_the_default_must_exist_and_is_named(
    export: Path, smtp_server: tuple[Mailbox, int]
) -> None:
    default = export.with_suffix(".reminded.json")
    default.unlink()

    with pytest.raises(
        InvoiceReminderError,
        match=rf"no ledger was given and {default} does not exist.*"
        rf"`echo {{}} > {default}` and pass it with `--input ledger={default}`",
    ):
        run(export, smtp_server[1])

    assert smtp_server[0].received == []
    assert not default.exists()


def test_a_ledger_that_cannot_be_written_stops_before_anything_is_sent(
    export: Path, smtp_server: tuple[Mailbox, int]
) -> None:
    ledger = export.with_suffix(".reminded.json")
    ledger.chmod(0o444)
    if os.access(ledger, os.W_OK):
        pytest.skip("running as root: permissions do not stop writes")

    with pytest.raises(InvoiceReminderError, match=r"cannot write the reminder ledger .*access"):
        run(export, smtp_server[1])

    assert smtp_server[0].received == []
