"""Contacts dedupe: normalise a contacts CSV, merge duplicates, say what was merged and why.

The recipe is `main()` below:

1. read the CSV (a `name`, `email` and `phone` column are required, any others are kept);
2. normalise: emails trimmed and lower-cased, phone numbers in E.164 (`+4930123456`)
   read with the `default_country` when they have no country code, names with single
   spaces and, when written all in capitals or all in lower case, capitalised;
3. rows that share a normalised email or phone number are one contact (transitively:
   A~B by email and B~C by phone puts A, B, C together). The most complete row (most
   filled-in fields, the earlier one on a tie) is kept and its empty fields are filled in
   from the others;
4. write `<name>-clean.csv` and `<name>-merge-report.csv` (temp file + rename). The input
   is never changed, and running again on the clean file merges nothing more.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import shopkit

REQUIRED_COLUMNS = ("name", "email", "phone")
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
REPORT_HEADER = ["action", "rows", "kept_row", "reason", "details"]


def main(contacts: str, default_country: str = "DE") -> dict[str, Any]:
    """Write the clean contacts and the merge report; return counts and their paths."""
    source = Path(contacts)
    country = check_country(default_country)
    header, columns, rows, delimiter = read_contacts(source)
    for contact in rows:
        normalise(contact, columns, country)
    clean, report = dedupe(rows, columns)
    clean_path, report_path = output_paths(source)
    # Both files keep the input's delimiter, so they open in the same spreadsheet app.
    shopkit.write_atomically(report_path, to_csv(REPORT_HEADER, report, delimiter))
    clean_rows = [[contact.values[column] for column in header] for contact in clean]
    shopkit.write_atomically(clean_path, to_csv(header, clean_rows, delimiter))
    return {
        "contacts_read": len(rows),
        "contacts_written": len(clean),
        "duplicates_merged": len(rows) - len(clean),
        "not_normalised": sum(1 for line in report if line[0] == "not normalised"),
        "clean": str(clean_path),
        "report": str(report_path),
    }


class ContactsError(shopkit.ShopkitError):
    """A problem with the input file or inputs; nothing was written."""


@dataclass
class Contact:
    """One row of the contacts file, its values normalised in place."""

    row: int  # line in the input file (the header is line 1)
    values: dict[str, str]  # original column name -> normalised value
    notes: list[str] = field(default_factory=list)

    def completeness(self) -> int:
        """How many fields are filled in: the most complete row of a group is kept."""
        return sum(1 for value in self.values.values() if value)


# ---------------------------------------------------------------------------
# Reading


def read_contacts(path: Path) -> tuple[list[str], dict[str, str], list[Contact], str]:
    """(header, required column -> its name in the file, contacts, delimiter)."""
    rows, delimiter = shopkit.csv_rows(path, "contacts file")
    named = [(at, name) for at, name in enumerate(rows[0][1] if rows else []) if name]
    header = [name for _, name in named]
    if not header:
        raise ContactsError(
            f"{path.name} is empty: expected a header row with {', '.join(REQUIRED_COLUMNS)}"
        )
    columns = {_key(name): name for name in header}
    missing = [c for c in REQUIRED_COLUMNS if c not in columns]
    if missing:
        raise ContactsError(
            f"{path.name}, row 1: missing column(s) {', '.join(missing)} "
            f"(found: {', '.join(header)})"
        )
    contacts = []
    for number, row in rows[1:]:
        values = {name: (row[at] if at < len(row) else "").strip() for at, name in named}
        if any(values.values()):
            contacts.append(Contact(number, values))
    return header, {c: columns[c] for c in REQUIRED_COLUMNS}, contacts, delimiter


def _key(column: str) -> str:
    """A column name as it is looked up: "E-Mail Address " and "e-mail_address" match."""
    return column.strip().lower().replace(" ", "_")


# ---------------------------------------------------------------------------
# Normalising


def check_country(country: str) -> str:
    """The region code, upper-cased; ContactsError when it is not a known region."""
    import phonenumbers

    code = country.strip().upper()
    if phonenumbers.country_code_for_region(code) == 0:
        raise ContactsError(
            f"default_country {country!r} is not a known region; use a "
            "two-letter ISO code such as DE, GB or US"
        )
    return code


def normalise(contact: Contact, columns: dict[str, str], country: str) -> None:
    """Normalise name, email and phone in place; note the values that cannot be read."""
    values = contact.values
    values[columns["name"]] = normalise_name(values[columns["name"]])
    email = values[columns["email"]].lower()
    values[columns["email"]] = email
    if email and not EMAIL.match(email):
        contact.notes.append(
            f"email {email!r} does not look like an address; not used to find duplicates"
        )
    phone, problem = normalise_phone(values[columns["phone"]], country)
    values[columns["phone"]] = phone
    if problem:
        contact.notes.append(f"{problem}; not used to find duplicates")


def normalise_name(name: str) -> str:
    """Single spaces; a name typed all in capitals or all in lower case, capitalised."""
    name = " ".join(name.split())
    if name.isupper() or name.islower():
        # "JANE DOE" / "jane doe" -> "Jane Doe"; mixed case ("McDonald") is left as typed.
        return " ".join(part[:1].upper() + part[1:].lower() for part in name.split(" "))
    return name


def normalise_phone(raw: str, country: str) -> tuple[str, str | None]:
    """(E.164 number, None) or (the input unchanged, why it could not be read)."""
    import phonenumbers

    if not raw:
        return "", None
    try:
        number = phonenumbers.parse(raw, country)
    except phonenumbers.NumberParseException as error:
        return raw, f"phone {raw!r} is not a phone number ({error})"
    if not phonenumbers.is_valid_number(number):
        return raw, f"phone {raw!r} is not a valid number (read with country {country})"
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164), None


# ---------------------------------------------------------------------------
# Finding and merging duplicates


def dedupe(
    contacts: list[Contact], columns: dict[str, str]
) -> tuple[list[Contact], list[list[str]]]:
    """(clean contacts, report rows)."""
    clean: list[Contact] = []
    report: list[list[str]] = []
    for members, reasons in group(contacts, columns):
        merged, conflicts = merge(members)
        clean.append(merged)
        if len(members) > 1:
            rows = ", ".join(str(m.row) for m in members)
            report.append(
                [
                    "merged",
                    rows,
                    str(merged.row),
                    "same " + " and same ".join(sorted(r for r in reasons)),
                    "; ".join(conflicts),
                ]
            )
    for contact in contacts:
        for note in contact.notes:
            report.append(["not normalised", str(contact.row), "", note, ""])
    return clean, report


def group(contacts: list[Contact], columns: dict[str, str]) -> list[tuple[list[Contact], set[str]]]:
    """Groups of the same person (in order of first appearance) and the keys they shared.

    Each contact points at another of its group (`parent`), and the first contact of a
    group points at itself; `find` follows the pointers to that first contact. Two
    contacts sharing a key join their groups, so A~B and B~C put A, B and C together.
    """
    parent = list(range(len(contacts)))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    first_with: dict[str, int] = {}
    shared: dict[int, set[str]] = {}
    for index, contact in enumerate(contacts):
        for key in match_keys(contact, columns):
            if key in first_with:
                a, b = find(first_with[key]), find(index)
                parent[max(a, b)] = min(a, b)
                shared.setdefault(index, set()).add(key)
            else:
                first_with[key] = index
    groups: dict[int, list[Contact]] = {}
    reasons: dict[int, set[str]] = {}
    for index, contact in enumerate(contacts):
        root = find(index)
        groups.setdefault(root, []).append(contact)
        reasons.setdefault(root, set()).update(shared.get(index, ()))
    return [(groups[root], reasons[root]) for root in sorted(groups)]


def match_keys(contact: Contact, columns: dict[str, str]) -> list[str]:
    """The values that identify a person: a valid email, an E.164 phone number."""
    keys = []
    email = contact.values[columns["email"]]
    if email and EMAIL.match(email):
        keys.append(f"email {email}")
    phone = contact.values[columns["phone"]]
    if phone.startswith("+"):
        keys.append(f"phone {phone}")
    return keys


def merge(members: list[Contact]) -> tuple[Contact, list[str]]:
    """The most complete member, its gaps filled from the others; and the conflicts."""
    kept = max(members, key=lambda c: (c.completeness(), -c.row))
    merged = Contact(kept.row, dict(kept.values))
    conflicts = []
    for other in sorted(members, key=lambda c: c.row):
        if other is kept:
            continue
        for column, value in other.values.items():
            if value and not merged.values[column]:
                merged.values[column] = value
            elif value and value != merged.values[column]:
                conflicts.append(
                    f"{column}: kept {merged.values[column]!r} over {value!r} (row {other.row})"
                )
    return merged, conflicts


# ---------------------------------------------------------------------------
# Writing


def output_paths(source: Path) -> tuple[Path, Path]:
    """(clean file, merge report) in the output folder; never the input file itself."""
    out = shopkit.output_dir(source)
    clean_path = out / f"{source.stem}-clean.csv"
    report_path = out / f"{source.stem}-merge-report.csv"
    if clean_path.resolve() == source.resolve():
        raise ContactsError(
            f"{source.name} is the clean file this run would write; copy it "
            "elsewhere or set AUTOKIT_OUTPUT_DIR"
        )
    return clean_path, report_path


def to_csv(header: list[str], rows: list[list[str]], delimiter: str = ",") -> bytes:
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, delimiter=delimiter)
    writer.writerow(header)
    writer.writerows(rows)
    return buffer.getvalue().encode("utf-8")
