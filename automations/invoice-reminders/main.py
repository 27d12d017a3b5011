"""Invoice reminders: one polite email per customer listing all their overdue invoices.

The recipe is `main()` below. Each step can stop the run before anything is sent or
written:

1. read the invoices CSV export (every row checked; a bad row stops the run and names it);
2. pick the open invoices at least `overdue_days` past due that were not reminded in the
   last `repeat_after_days` days (the ledger, a JSON file that must exist before a real
   run, remembers when each invoice was last reminded, so a second run on the same day
   sends nothing);
3. render one reminder per customer from the jinja2 template;
4. connect to SMTP (an unreachable server stops the run: nothing sent, nothing recorded),
   send, then record what was sent in the ledger and write the summary CSV. The ledger is
   rewritten in place (autokit's sandbox lets the run write that one file and nothing
   beside it), after a copy of it was saved to the output folder. With `dry_run` the
   reminders go to `outbox/` and the ledger is not touched.
"""

from __future__ import annotations

import contextlib
import csv
import datetime as dt
import io
import json
import os
import re
import smtplib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from email.message import EmailMessage
from email.utils import formatdate, make_msgid, parseaddr
from pathlib import Path
from typing import Any, BinaryIO

import shopkit

REQUIRED_COLUMNS = ("invoice", "customer", "email", "due_date", "amount")
PAID = {"paid", "cancelled", "canceled", "void"}
DATE_FORMATS = ("%Y-%m-%d", "%d.%m.%Y")
DEFAULT_TEMPLATE = Path(__file__).resolve().parent / "templates" / "reminder.txt.j2"


def main(
    invoices: str,
    sender: str,
    overdue_days: int = 14,
    repeat_after_days: int = 7,
    today: str | dt.date | None = None,
    company: str = "Example Shop",
    template: str | None = None,
    currency: str = "EUR",
    ledger: str | None = None,
    smtp_host: str = "localhost",
    smtp_port: int = 587,
    smtp_security: str = "starttls",
    smtp_user: str = "",
    dry_run: bool = False,
) -> dict[str, Any]:
    """Send (or write) the reminders; return counts and the files written."""
    shopkit.check_sender(sender)
    source = Path(invoices)
    day = parse_today(today)
    ledger_path = Path(ledger) if ledger else source.with_suffix(".reminded.json")
    template_path = Path(template) if template else DEFAULT_TEMPLATE
    reminder_template = load_template(template_path)
    out = shopkit.output_dir(source)
    with open_ledger(ledger_path, given=bool(ledger), dry_run=dry_run, backups=out) as book:
        reminded = book.read()
        invoice_rows = read_invoices(source, currency)
        reminders = overdue(invoice_rows, day, overdue_days, reminded, repeat_after_days)
        messages = []
        for reminder in reminders:
            body = render(reminder_template, template_path.name, reminder, company, day)
            messages.append((reminder, build_message(reminder, body, sender)))
        if dry_run:
            results = write_outbox(messages, out / "outbox")
        else:
            user = smtp_user or parseaddr(sender)[1]
            results = send_and_record(
                messages, smtp_host, smtp_port, smtp_security, user, book, reminded, day
            )
        report = out / f"reminders-{day.isoformat()}.csv"
        shopkit.write_atomically(report, summary_csv(results))
        return {
            "customers_reminded": sum(1 for _, result in results if result == "sent"),
            "reminders_written": sum(1 for _, result in results if result == "outbox"),
            "overdue_invoices": sum(len(r.invoices) for r in reminders),
            "summary": str(report),
            "outbox": str(out / "outbox") if dry_run else None,
        }


class InvoiceReminderError(shopkit.ShopkitError):
    """A problem with the run's input or environment; nothing was sent or changed."""


@dataclass(frozen=True)
class Invoice:
    """One row of the export."""

    number: str
    customer: str
    email: str
    due: dt.date
    amount: Decimal
    currency: str
    days_overdue: int = 0


@dataclass(frozen=True)
class Reminder:
    """One email to one customer, listing their overdue invoices."""

    customer: str
    email: str
    invoices: tuple[Invoice, ...]

    @property
    def totals(self) -> dict[str, Decimal]:
        """The amount owed per currency."""
        totals: dict[str, Decimal] = {}
        for invoice in self.invoices:
            totals[invoice.currency] = totals.get(invoice.currency, Decimal(0)) + invoice.amount
        return totals


# ---------------------------------------------------------------------------
# Checks and the lock, before anything is read


def parse_today(value: str | dt.date | None) -> dt.date:
    """The day the run counts from: `today` when given (to rerun a past day), else today."""
    if value is None or value == "":
        return dt.datetime.now(dt.UTC).date()
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise InvoiceReminderError(f"today {value!r} is not a date (YYYY-MM-DD)") from None


class Ledger:
    """The reminder ledger: invoice number -> ISO date it was last reminded.

    A real run holds an OS lock (flock) on the ledger file itself for the whole run: the
    weekday schedule and a run started by hand at the same time would both read the same
    ledger and remind every customer twice. The system releases the lock when the process
    ends, so a crashed run never leaves it behind.

    The ledger is rewritten in place through the same open file (truncate, write, fsync),
    not by a temp file and a rename beside it: in autokit's sandbox the run may write the
    ledger (`access: write`) and nothing beside it. A copy of the previous content is saved
    to the output folder first, so a crash between truncate and write loses nothing.
    """

    def __init__(self, path: Path, handle: BinaryIO | None, backups: Path) -> None:
        self.path = path
        self.handle = handle  # None on a dry run: the ledger is only read, if it exists
        self.backups = backups

    def read(self) -> dict[str, str]:
        if self.handle is None:
            if not self.path.exists():
                return {}
            raw = self.path.read_bytes()
        else:
            self.handle.seek(0)
            raw = self.handle.read()
        return parse_ledger(self.path, raw)

    @property
    def backup(self) -> Path:
        return self.backups / f"{self.path.name}.before"

    def back_up(self) -> None:
        """Save the ledger as it is to the output folder, on disk, before it is changed."""
        assert self.handle is not None, "a dry run never writes the ledger"
        self.handle.seek(0)
        try:
            shopkit.write_atomically(self.backup, self.handle.read(), sync=True)
        except OSError as error:
            raise InvoiceReminderError(
                f"cannot save a copy of the ledger to {self.backup} ({error}); nothing was "
                "sent. Check that the output folder can be written"
            ) from None

    def write(self, reminded: dict[str, str]) -> None:
        """Replace the ledger's content in place (call `back_up` first)."""
        assert self.handle is not None, "a dry run never writes the ledger"
        data = (json.dumps(reminded, indent=2, sort_keys=True) + "\n").encode()
        try:
            self.handle.seek(0)
            self.handle.truncate()
            self.handle.write(data)
            self.handle.flush()
            os.fsync(self.handle.fileno())
        except OSError as error:
            raise InvoiceReminderError(
                f"the reminders were sent but cannot be recorded in {self.path} ({error}); "
                f"its previous content is saved in {self.backup}: copy that back before the next "
                "run and note who was reminded today (see the summary)"
            ) from None


@contextlib.contextmanager
def open_ledger(path: Path, *, given: bool, dry_run: bool, backups: Path) -> Iterator[Ledger]:
    """The ledger, locked for a real run; InvoiceReminderError when it cannot be used.

    A real run needs a ledger that exists: one it created itself could be out of reach of
    the next run (autokit's sandbox keeps only the inputs it was given, and a file created
    beside them would be lost), and every customer would be reminded again.
    """
    if dry_run:
        yield Ledger(path, None, backups)
        return
    import fcntl  # Unix only: imported here so that a dry run works everywhere

    try:
        handle = open(path, "r+b")  # noqa: SIM115 - closed below, after the run
    except FileNotFoundError:
        raise InvoiceReminderError(missing_ledger(path, given)) from None
    except OSError as error:
        raise InvoiceReminderError(
            f"cannot write the reminder ledger {path} ({error}); nothing was sent. Make it "
            "writable (with autokit, the ledger input declares access: write)"
        ) from None
    with handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise InvoiceReminderError(
                f"another invoice-reminders run is using {path.name} right now; nothing "
                "was sent. Run again when it has finished"
            ) from None
        yield Ledger(path, handle, backups)


def missing_ledger(path: Path, given: bool) -> str:
    """What to do when there is no ledger to remember the reminders in."""
    if given:
        return (
            f"the reminder ledger {path} does not exist; nothing was sent. Create an empty "
            f"one with `echo {{}} > {path}` and run again"
        )
    return (
        f"no ledger was given and {path} does not exist (or is out of this run's reach: "
        "autokit's sandbox lets a run reach only its inputs); nothing was sent. Create one "
        f"with `echo {{}} > {path}` and pass it with `--input ledger={path}`"
    )


# ---------------------------------------------------------------------------
# Reading the export


def read_invoices(path: Path, default_currency: str) -> list[tuple[Invoice, str]]:
    """(invoice, status) for every row of the export; InvoiceReminderError names bad rows."""
    rows = _rows(path)
    invoices = []
    for number, row in rows:
        where = f"{path.name}, row {number}"
        for required in REQUIRED_COLUMNS:
            if not (row.get(required) or "").strip():
                raise InvoiceReminderError(f"{where}: {required} is empty")
        invoice = Invoice(
            number=row["invoice"].strip(),
            customer=row["customer"].strip(),
            email=row["email"].strip().lower(),
            due=_date(row["due_date"], where),
            amount=_amount(row["amount"], where),
            currency=(row.get("currency") or default_currency).strip().upper(),
        )
        if "@" not in invoice.email:
            raise InvoiceReminderError(f"{where}: email {invoice.email!r} is not an address")
        invoices.append((invoice, (row.get("status") or "open").strip().lower()))
    return invoices


def _rows(path: Path) -> list[tuple[int, dict[str, str]]]:
    rows, _ = shopkit.csv_rows(path, "invoices file")
    header = [_column(name) for name in (rows[0][1] if rows else [])]
    if not any(header):
        raise InvoiceReminderError(
            f"{path.name} is empty: expected a header row with {', '.join(REQUIRED_COLUMNS)}"
        )
    missing = [c for c in REQUIRED_COLUMNS if c not in header]
    if missing:
        raise InvoiceReminderError(
            f"{path.name}, row 1: missing column(s) {', '.join(missing)} "
            f"(found: {', '.join(rows[0][1])})"
        )
    return [
        (number, {name: value for name, value in zip(header, row, strict=False) if name})
        for number, row in rows[1:]
        if row  # a blank line
    ]


def _column(name: str) -> str:
    return name.strip().lower().replace(" ", "_").replace("-", "_")


def _date(value: str, where: str) -> dt.date:
    for pattern in DATE_FORMATS:
        try:
            return dt.datetime.strptime(value.strip(), pattern).date()
        except ValueError:
            continue
    raise InvoiceReminderError(
        f"{where}: due_date {value!r} is not a date; write it as YYYY-MM-DD (or DD.MM.YYYY)"
    )


# 1,240.00 (comma groups thousands) and the European 1.240,00 or 54,50 (decimal comma).
THOUSANDS_COMMA = re.compile(r"-?\d{1,3}(,\d{3})+(\.\d+)?")
DECIMAL_COMMA = re.compile(r"-?\d{1,3}(\.\d{3})*,\d{1,2}|-?\d+,\d{1,2}")


def _amount(value: str, where: str) -> Decimal:
    text = value.strip()
    if THOUSANDS_COMMA.fullmatch(text):
        text = text.replace(",", "")
    elif DECIMAL_COMMA.fullmatch(text):
        text = text.replace(".", "").replace(",", ".")
    try:
        amount = Decimal(text)
    except InvalidOperation:
        amount = Decimal("NaN")
    if not amount.is_finite():
        raise InvoiceReminderError(f"{where}: amount {value!r} is not a number, e.g. 120.50")
    return amount


# ---------------------------------------------------------------------------
# Choosing whom to remind


def parse_ledger(path: Path, raw: bytes) -> dict[str, str]:
    """Invoice number -> ISO date it was last reminded, from the ledger's bytes."""
    try:
        data = json.loads(raw.decode("utf-8"))
    except ValueError as error:
        raise InvoiceReminderError(
            f"{path.name} (the reminder ledger) cannot be read: {error}; restore it from "
            f"{path.name}.before in the output folder of the run that last changed it, or "
            "write {} into it to start afresh"
        ) from None
    if not isinstance(data, dict):
        raise InvoiceReminderError(f"{path.name} (the reminder ledger) is not a JSON object")
    return {str(k): str(v) for k, v in data.items()}


def overdue(
    invoices: Iterable[tuple[Invoice, str]],
    today: dt.date,
    days: int,
    reminded: dict[str, str],
    repeat_after_days: int,
) -> list[Reminder]:
    """One reminder per customer email, invoices oldest first."""
    by_email: dict[str, list[Invoice]] = {}
    for invoice, status in invoices:
        late = (today - invoice.due).days
        if (
            status in PAID
            or late < days
            or _recent(reminded.get(invoice.number), today, repeat_after_days)
        ):
            continue
        late_invoice = Invoice(**{**invoice.__dict__, "days_overdue": late})
        by_email.setdefault(invoice.email, []).append(late_invoice)
    return [
        Reminder(group[0].customer, email, tuple(sorted(group, key=lambda i: i.due)))
        for email, group in sorted(by_email.items())
    ]


def _recent(last: str | None, today: dt.date, repeat_after_days: int) -> bool:
    return last is not None and (today - dt.date.fromisoformat(last)).days < repeat_after_days


# ---------------------------------------------------------------------------
# Writing the reminders


def load_template(path: Path) -> Any:
    """The reminder template, sandboxed; an undefined variable is an error, not a blank."""
    from jinja2 import StrictUndefined, TemplateSyntaxError
    from jinja2.sandbox import SandboxedEnvironment

    environment = SandboxedEnvironment(undefined=StrictUndefined, keep_trailing_newline=True)
    try:
        return environment.from_string(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as error:
        raise InvoiceReminderError(f"template {path} cannot be read: {error}") from None
    except TemplateSyntaxError as error:
        raise InvoiceReminderError(f"{path.name}, line {error.lineno}: {error}") from None


def render(template: Any, name: str, reminder: Reminder, company: str, today: dt.date) -> str:
    from jinja2 import TemplateError

    try:
        return str(
            template.render(
                customer=reminder.customer,
                invoices=reminder.invoices,
                totals=reminder.totals,
                company=company,
                today=today,
            )
        )
    except TemplateError as error:
        raise InvoiceReminderError(
            f"{name}: {error} (rendering the reminder to {reminder.email})"
        ) from None


def build_message(reminder: Reminder, body: str, sender: str) -> EmailMessage:
    message = EmailMessage()
    message["From"] = sender
    message["To"] = f"{reminder.customer} <{reminder.email}>"
    count = len(reminder.invoices)
    message["Subject"] = (
        f"Payment reminder: invoice {reminder.invoices[0].number}"
        if count == 1
        else f"Payment reminder: {count} overdue invoices"
    )
    message["Date"] = formatdate(localtime=True)
    message["Message-ID"] = make_msgid(domain=parseaddr(sender)[1].rpartition("@")[2] or None)
    message.set_content(body)
    return message


# ---------------------------------------------------------------------------
# Sending and recording


def send_and_record(
    messages: list[tuple[Reminder, EmailMessage]],
    host: str,
    port: int,
    security: str,
    user: str,
    ledger: Ledger,
    reminded: dict[str, str],
    day: dt.date,
) -> list[tuple[Reminder, str]]:
    """Send each reminder and record the sent ones in the ledger; (reminder, result) pairs.

    The result is "sent" or why the server refused that one message.
    """
    if not messages:
        return []  # nothing to send: no need for the SMTP server at all
    results: list[tuple[Reminder, str]] = []
    with connect(host, port, security, user) as client:
        ledger.back_up()  # before anything is sent, so a failed backup sends nothing
        try:
            for reminder, message in messages:
                results.append((reminder, shopkit.send_one(client, message)))
        except (OSError, smtplib.SMTPException) as error:
            sent = sum(1 for _, result in results if result == "sent")
            raise InvoiceReminderError(
                f"the SMTP server {host}:{port} dropped the connection while sending to "
                f"{reminder.email} ({error}); {sent} reminder(s) sent before were recorded, "
                "the rest are sent on the next run"
            ) from None
        finally:
            # Record what was sent even if a later message failed, so it is not resent.
            _record(ledger, reminded, [r for r, result in results if result == "sent"], day)
    return results


def _record(ledger: Ledger, reminded: dict[str, str], sent: list[Reminder], day: dt.date) -> None:
    """Write down in the ledger that these invoices were reminded today."""
    if not sent:
        return
    for reminder in sent:
        reminded.update({invoice.number: day.isoformat() for invoice in reminder.invoices})
    ledger.write(reminded)


def connect(host: str, port: int, security: str, user: str) -> smtplib.SMTP:
    """An authenticated SMTP connection, or InvoiceReminderError saying why there is none."""
    try:
        return shopkit.connect(host, port, security, user)
    except shopkit.ShopkitError as error:
        raise InvoiceReminderError(
            f"{error}. No reminder was sent or recorded; check smtp_host, smtp_port, "
            "smtp_security and SMTP_PASSWORD"
        ) from None


# ---------------------------------------------------------------------------
# Files in the output folder


def write_outbox(
    messages: list[tuple[Reminder, EmailMessage]], outbox: Path
) -> list[tuple[Reminder, str]]:
    """The dry run: each reminder to `outbox/<email>.eml` instead of the SMTP server."""
    shopkit.write_outbox(
        [(reminder.email.replace("@", "_at_"), message) for reminder, message in messages], outbox
    )
    return [(reminder, "outbox") for reminder, _ in messages]


def summary_csv(rows: list[tuple[Reminder, str]]) -> bytes:
    """One line per customer: their invoices, the total, and whether it was sent."""
    lines = [["customer", "email", "invoices", "total", "most_days_overdue", "result"]]
    for reminder, result in rows:
        total = "; ".join(f"{amount:.2f} {cur}" for cur, amount in reminder.totals.items())
        numbers = " ".join(i.number for i in reminder.invoices)
        worst = max(i.days_overdue for i in reminder.invoices)
        lines.append([reminder.customer, reminder.email, numbers, total, str(worst), result])
    buffer = io.StringIO(newline="")
    csv.writer(buffer).writerows(lines)
    return buffer.getvalue().encode("utf-8")
