from __future__ import annotations

from pathlib import Path

import pytest
from openpyxl import Workbook
from shopkit import (
    ShopkitError,
    csv_rows,
    delimiter_of,
    find_columns,
    number,
    open_workbook,
    read_text,
    table_rows,
    workbook_rows,
)


def test_csv_rows_are_numbered_as_the_spreadsheet_shows_them(tmp_path: Path) -> None:
    path = tmp_path / "stock.csv"
    path.write_text('\ufeffSKU;Stock\nA-1;4\n"B;2";5\n', encoding="utf-8")
    rows, delimiter = csv_rows(path)
    assert delimiter == ";"
    assert rows == [(1, ["SKU", "Stock"]), (2, ["A-1", "4"]), (3, ["B;2", "5"])]


@pytest.mark.parametrize(
    ("header", "expected"), [("a,b;c", ","), ("a;b;c,d", ";"), ("a\tb;c", "\t"), ("", ",")]
)
def test_the_delimiter_is_read_off_the_header(header: str, expected: str) -> None:
    assert delimiter_of(f"{header}\n1,2;3\n") == expected


def test_a_row_wider_than_the_header_names_its_row(tmp_path: Path) -> None:
    path = tmp_path / "contacts.csv"
    path.write_text("name,email\nAnn,ann@example.com\nBob, Jr.,bob@example.com\n")
    with pytest.raises(ShopkitError, match=r"contacts.csv, row 3: more fields .*double quotes"):
        csv_rows(path)


def test_missing_and_non_utf8_files_are_named(tmp_path: Path) -> None:
    with pytest.raises(ShopkitError, match=r"contacts file .*nope.csv does not exist"):
        read_text(tmp_path / "nope.csv", "contacts file")
    latin = tmp_path / "latin.csv"
    latin.write_bytes("name\nJürgen\n".encode("latin-1"))
    with pytest.raises(ShopkitError, match=r"latin.csv is not UTF-8 text .*CSV UTF-8"):
        read_text(latin)


def test_workbook_rows_and_a_missing_sheet(tmp_path: Path) -> None:
    path = tmp_path / "stock.xlsx"
    book = Workbook()
    book.active.title = "Inventory"
    book.active.append(["SKU", "Stock"])
    book.active.append(["A-1", 4])
    book.save(path)
    assert workbook_rows(path, "Inventory") == [(1, ["SKU", "Stock"]), (2, ["A-1", 4])]
    with pytest.raises(ShopkitError, match=r"has no sheet 'Stock' \(it has: Inventory\)"):
        workbook_rows(path, "Stock")


def test_files_that_are_not_workbooks_are_clear_errors(tmp_path: Path) -> None:
    empty = tmp_path / "empty.xlsx"
    empty.write_bytes(b"")
    with pytest.raises(ShopkitError, match=r"empty.xlsx is not a readable Excel workbook"):
        open_workbook(empty)
    text = tmp_path / "stock.csv"
    text.write_text("SKU\n")
    with pytest.raises(ShopkitError, match=r"stock.csv is not an Excel workbook"):
        open_workbook(text)
    with pytest.raises(ShopkitError, match=r"inventory workbook .* does not exist"):
        open_workbook(tmp_path / "gone.xlsx", what="inventory workbook")


def test_columns_are_found_by_any_accepted_name_and_missing_ones_listed() -> None:
    wanted = {"sku": ("SKU", "article"), "stock": ("stock", "on hand")}
    header = [" Article ", None, "On Hand", "Supplier"]
    assert find_columns(header, wanted, "x", optional={"supplier": ("supplier",)}) == {
        "sku": 0,
        "stock": 2,
        "supplier": 3,
    }
    with pytest.raises(
        ShopkitError, match=r"stock.xlsx, row 1: missing column\(s\) stock \(found: article\)"
    ):
        find_columns(["Article"], wanted, "stock.xlsx")


def test_numbers_are_read_or_named_at_their_cell() -> None:
    assert number(4, "stock", "x") == 4.0
    assert number(" 7.5 ", "hours", "x") == 7.5
    assert number("7,5", "hours", "x", decimal_comma=True) == 7.5
    for bad in ("7,5", "many", "nan", float("inf"), True, None):
        with pytest.raises(ShopkitError, match=r"stock.xlsx, row 4: stock .* is not a number"):
            number(bad, "stock", "stock.xlsx, row 4")


def test_table_rows_takes_either_export(tmp_path: Path) -> None:
    csv_file = tmp_path / "hours.csv"
    csv_file.write_text("date,hours\n2026-01-05,7.5\n")
    book = Workbook()
    book.active.title = "Timesheet"
    book.active.append(["date", "hours"])
    book.save(tmp_path / "hours.xlsx")
    assert table_rows(csv_file, "Timesheet") == [(1, ["date", "hours"]), (2, ["2026-01-05", "7.5"])]
    assert table_rows(tmp_path / "hours.xlsx", "Timesheet") == [(1, ["date", "hours"])]
    (tmp_path / "hours.ods").write_bytes(b"")
    with pytest.raises(
        ShopkitError,
        match=r"hours.ods: unsupported file type '.ods'; export the timesheet as .csv or .xlsx",
    ):
        table_rows(tmp_path / "hours.ods", "Timesheet", "timesheet")
    with pytest.raises(ShopkitError, match=r"timesheet .*gone.xlsx does not exist"):
        table_rows(tmp_path / "gone.xlsx", "Timesheet", "timesheet")
