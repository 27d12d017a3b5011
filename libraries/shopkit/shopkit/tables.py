"""Reading tables: CSV exports and Excel workbooks, every problem named by file, sheet
and row, so the person running the automation knows which cell to fix."""

from __future__ import annotations

import csv
import io
import math
import zipfile
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from shopkit.errors import ShopkitError

Row = tuple[int, list[Any]]  # (row number as the spreadsheet shows it, the values)


def read_text(path: Path, what: str = "file") -> str:
    """The text of a CSV export (UTF-8, with or without the byte-order mark Excel writes);
    `what` names the file in the errors, e.g. "contacts file"."""
    if not path.is_file():
        raise ShopkitError(f"{what} {path} does not exist")
    try:
        return path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as error:
        raise ShopkitError(
            f"{path.name} is not UTF-8 text ({error}); export it as CSV UTF-8"
        ) from None


def delimiter_of(text: str) -> str:
    """The delimiter of a CSV export, read off its header line: a tab, `;` (what
    spreadsheet apps write where the decimal separator is a comma) or `,`."""
    header = text.partition("\n")[0]
    if "\t" in header:
        return "\t"
    return ";" if header.count(";") > header.count(",") else ","


def csv_rows(path: Path, what: str = "file") -> tuple[list[Row], str]:
    """(every row with its number, the header being row 1; the delimiter) of a CSV file.

    A row with more fields than the header is an error naming the row: it is almost always
    a value holding the delimiter without quotes around it.
    """
    text = read_text(path, what)
    delimiter = delimiter_of(text)
    rows = list(enumerate(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter), 1))
    width = len(rows[0][1]) if rows else 0
    for number, values in rows[1:]:
        if len(values) > width and any(value.strip() for value in values[width:]):
            raise ShopkitError(
                f"{path.name}, row {number}: more fields than the header has columns; "
                f"put values that contain {delimiter!r} in double quotes"
            )
    return rows, delimiter


def open_workbook(path: Path, *, read_only: bool = True, what: str = "workbook") -> Any:
    """An openpyxl workbook (read-only and with cell values, not formulas, by default).

    Needs `openpyxl` among the automation's requirements.
    """
    from openpyxl import load_workbook
    from openpyxl.utils.exceptions import InvalidFileException

    if not path.is_file():
        raise ShopkitError(f"{what} {path} does not exist")
    try:
        return load_workbook(path, read_only=read_only, data_only=read_only)
    except InvalidFileException:
        raise ShopkitError(
            f"{path.name} is not an Excel workbook (.xlsx); open it in your spreadsheet "
            "app and save it as an Excel workbook (.xlsx)"
        ) from None
    except (zipfile.BadZipFile, KeyError, OSError, ValueError) as error:
        raise ShopkitError(
            f"{path.name} is not a readable Excel workbook (.xlsx): {error or 'empty file'}"
        ) from None


def sheet_of(workbook: Any, path: Path, sheet: str) -> Any:
    """The worksheet called `sheet`, or an error listing the sheets there are."""
    if sheet not in workbook.sheetnames:
        raise ShopkitError(
            f"{path.name} has no sheet {sheet!r} (it has: {', '.join(workbook.sheetnames)}). "
            "Rename the sheet or pass --input sheet=NAME."
        )
    return workbook[sheet]


def workbook_rows(path: Path, sheet: str, what: str = "workbook") -> list[Row]:
    """Every row of one sheet of a workbook with its number, the header being row 1."""
    workbook = open_workbook(path, what=what)
    try:
        values = sheet_of(workbook, path, sheet).iter_rows(values_only=True)
        return [(number, list(row)) for number, row in enumerate(values, 1)]
    finally:
        workbook.close()


def table_rows(path: Path, sheet: str, what: str = "file") -> list[Row]:
    """Every row with its number of a CSV file or of one sheet of a workbook, chosen by
    the file's suffix (.csv, .xlsx or .xlsm), so an automation takes either export."""
    suffix = path.suffix.lower()
    if suffix in (".xlsx", ".xlsm"):
        return workbook_rows(path, sheet, what)
    if suffix == ".csv" or not path.is_file():
        return csv_rows(path, what)[0]
    raise ShopkitError(
        f"{path.name}: unsupported file type {suffix!r}; export the {what} as .csv or .xlsx"
    )


def find_columns(
    header: Sequence[Any],
    wanted: Mapping[str, Sequence[str]],
    where: str,
    *,
    optional: Mapping[str, Sequence[str]] | None = None,
) -> dict[str, int]:
    """Where each wanted column is: key -> index into a row.

    `wanted` maps each key to the header names accepted for it, compared without case or
    surrounding spaces (`{"sku": ("sku", "article")}`); the first name is the one an error
    shows. A missing wanted column is an error at row 1 of `where` listing what the header
    holds; a missing `optional` one is left out.
    """
    names = [str(cell).strip().lower() if cell is not None else "" for cell in header]
    found: dict[str, int] = {}
    for key, accepted in {**wanted, **(optional or {})}.items():
        at = next((names.index(name.lower()) for name in accepted if name.lower() in names), None)
        if at is not None:
            found[key] = at
    missing = [accepted[0] for key, accepted in wanted.items() if key not in found]
    if missing:
        raise ShopkitError(
            f"{where}, row 1: missing column(s) {', '.join(missing)} "
            f"(found: {', '.join(name for name in names if name) or 'nothing'})"
        )
    return found


def number(value: Any, what: str, where: str, *, decimal_comma: bool = False) -> float:
    """A cell as a finite number: a workbook's number as it is, text such as "12" or "7.5"
    read (and "7,5" with `decimal_comma`); anything else is an error at `where` naming
    `what`."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        figure = float(value)
    else:
        text = str(value if value is not None else "").strip()
        try:
            figure = float(text.replace(",", ".") if decimal_comma else text)
        except ValueError:
            raise ShopkitError(f"{where}: {what} {text!r} is not a number; fix the cell") from None
    if not math.isfinite(figure):
        raise ShopkitError(f"{where}: {what} {value!r} is not a number; fix the cell")
    return figure
