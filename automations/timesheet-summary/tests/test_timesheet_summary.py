from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
from main import TimesheetError, main
from openpyxl import Workbook, load_workbook
from shopkit import ShopkitError

SAMPLE = Path(__file__).resolve().parent.parent / "sample"


@pytest.fixture(autouse=True)
def output(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "output"
    monkeypatch.setenv("AUTOKIT_OUTPUT_DIR", str(folder))
    return folder


def sheet_rows(report: str, title: str) -> list[tuple[Any, ...]]:
    return list(load_workbook(report)[title].iter_rows(values_only=True))


def write(tmp_path: Path, text: str, name: str = "timesheet.csv") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def workbook(path: Path, title: str, rows: list[list[Any]]) -> Path:
    book = Workbook()
    book.active.title = title
    for row in rows:
        book.active.append(row)
    book.save(path)
    return path


@pytest.mark.parametrize("name", ["timesheet.csv", "timesheet.xlsx"])
def test_sample_export_becomes_a_weekly_report(name: str) -> None:
    result = main(timesheet=str(SAMPLE / name))

    assert result["total_hours"] == 199.5 and result["people"] == 3 and result["weeks"] == 2
    assert result["overtime"] == ["2026-W47 Jane Doe"]
    by_project = sheet_rows(result["report"], "By project")
    assert by_project[0] == ("Week", "Person", "Project", "Hours")
    assert ("2026-W47", "Jane Doe", "Customer service", 15) in by_project
    assert ("2026-W46", "Mia Hoffmann", "Web shop", 18.5) in by_project  # 6 + 6,5 + 6


def test_overtime_is_flagged_only_above_the_threshold() -> None:
    result = main(timesheet=str(SAMPLE / "timesheet.csv"), overtime_hours=40)

    book = load_workbook(result["report"])
    rows = {(r[0].value, r[1].value): r for r in book["By person"].iter_rows(min_row=2)}
    over = rows[("2026-W47", "Jane Doe")]
    assert [c.value for c in over] == ["2026-W47", "Jane Doe", 47.5, 7.5, "OVERTIME"]
    assert over[0].fill.fgColor.rgb.endswith("FFC7CE")
    exactly = rows[("2026-W46", "Jane Doe")]  # exactly 40 hours is not overtime
    assert exactly[2].value == 40 and exactly[4].value is None
    assert exactly[0].fill.fill_type is None


def test_totals_sheet_sums_people_projects_and_everything() -> None:
    result = main(timesheet=str(SAMPLE / "timesheet.csv"), overtime_hours=38)

    totals = sheet_rows(result["report"], "Totals")
    assert totals[1:4] == [("Jane Doe", 87.5, 2), ("Mia Hoffmann", 37, 0), ("Tom Becker", 75, 0)]
    assert ("Packing", 72.5, None) in totals
    assert totals[-1] == ("Total", 199.5, None)


def test_running_twice_writes_the_same_report_not_double_hours() -> None:
    first = main(timesheet=str(SAMPLE / "timesheet.csv"))
    rows = sheet_rows(first["report"], "Totals")

    second = main(timesheet=str(SAMPLE / "timesheet.csv"))

    assert second["report"] == first["report"]
    assert sheet_rows(second["report"], "Totals") == rows


def test_semicolon_csv_with_decimal_commas_is_read(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "Date;Person;Project;Hours\n" + "24.11.2026;Jo;Shop;7,25\n25.11.2026;Jo;Shop;0:45\n",
    )

    result = main(timesheet=str(path))

    assert result["total_hours"] == 8.0
    assert sheet_rows(result["report"], "By project")[1] == ("2026-W48", "Jo", "Shop", 8)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", r"timesheet.csv is empty: expected a header row"),
        (
            "Date,Person,Hours\n2026-11-24,Jo,8\n",
            r"timesheet.csv, row 1: missing column\(s\) "
            r"project \(found: date, person, hours\)",
        ),
        (
            "Date,Person,Project,Hours\n2026-11-24,Jo,Shop,8\n2026-13-01,Jo,Shop,8\n",
            r"timesheet.csv, row 3: date '2026-13-01' is not a date",
        ),
        (
            "Date,Person,Project,Hours\n2026-11-24,Jo,Shop,eight\n",
            r"timesheet.csv, row 2: hours 'eight' is not a number",
        ),
        (
            "Date,Person,Project,Hours\n2026-11-24,Jo,Shop,25\n",
            r"timesheet.csv, row 2: hours 25 is outside 0-24",
        ),
        ("Date,Person,Project,Hours\n2026-11-24,,Shop,8\n", r"row 2: person is empty"),
        ("Date,Person,Project,Hours\n", r"timesheet.csv: no time entries below the header"),
    ],
    ids=[
        "empty-file",
        "missing-column",
        "bad-date",
        "bad-hours",
        "too-many-hours",
        "no-person",
        "header-only",
    ],
)
def test_bad_csv_is_named_by_row_and_the_previous_report_stays(
    tmp_path: Path, output: Path, text: str, message: str
) -> None:
    good = main(timesheet=str(write(tmp_path, "Date,Person,Project,Hours\n2026-11-24,Jo,S,8\n")))
    previous = Path(good["report"]).read_bytes()
    path = write(tmp_path, text)

    with pytest.raises(ShopkitError, match=message):
        main(timesheet=str(path))

    assert Path(good["report"]).read_bytes() == previous
    assert sorted(p.name for p in output.iterdir()) == ["timesheet-summary.xlsx"]


def test_workbook_with_the_wrong_sheet_names_the_sheets(tmp_path: Path, output: Path) -> None:
    path = workbook(
        tmp_path / "hours.xlsx",
        "Sheet1",
        [["Date", "Person", "Project", "Hours"], [dt.date(2026, 11, 24), "Jo", "S", 8]],
    )
    before = path.read_bytes()

    with pytest.raises(
        ShopkitError,
        match=r"hours.xlsx has no sheet 'Timesheet' \(it has: "
        r"Sheet1\)",
    ):
        main(timesheet=str(path))

    assert path.read_bytes() == before
    assert not output.exists()
    assert main(timesheet=str(path), sheet="Sheet1")["total_hours"] == 8


def test_bad_cell_in_a_workbook_names_sheet_and_row(tmp_path: Path) -> None:
    path = workbook(
        tmp_path / "hours.xlsx",
        "Timesheet",
        [
            ["Date", "Person", "Project", "Hours"],
            [dt.date(2026, 11, 24), "Jo", "S", 8],
            ["yesterday", "Jo", "S", 8],
        ],
    )

    with pytest.raises(
        TimesheetError,
        match=r"hours.xlsx, sheet 'Timesheet', row 3: date "
        r"'yesterday'",
    ):
        main(timesheet=str(path))
