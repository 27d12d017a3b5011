"""Timesheet summary: a timesheet export (CSV or xlsx) -> a weekly report workbook.

The recipe is `main()` below. The report has three sheets:

- "By project": hours per ISO week, person and project;
- "By person": hours per ISO week and person, weeks over `overtime_hours` flagged;
- "Totals": hours per person and per project over the whole export, and the grand total.

Every row of the export is checked before anything is written; a bad row stops the run
and is named (file, row, column). The report is written to a temp file and renamed, so
an earlier report is replaced whole or not at all.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import shopkit

COLUMNS = {  # what the report needs -> the header names accepted for it
    "date": ("date", "day"),
    "person": ("person", "employee", "name"),
    "project": ("project", "job"),
    "hours": ("hours", "duration"),
}
DATE_FORMATS = ("%Y-%m-%d", "%d.%m.%Y")
MAX_HOURS_PER_ENTRY = 24
OVERTIME_FILL = "FFC7CE"  # the light red Excel uses for "bad" cells


def main(timesheet: str, sheet: str = "Timesheet", overtime_hours: float = 40) -> dict[str, Any]:
    """Write the weekly report workbook; return counts, overtime weeks and its path."""
    source = Path(timesheet)
    check_overtime(overtime_hours)
    entries = read_entries(source, sheet)
    sums = summarise(entries)
    report = shopkit.output_dir(source) / f"{source.stem}-summary.xlsx"
    shopkit.save_workbook(build_report(sums, overtime_hours), report)
    return {
        "entries": len(entries),
        "people": len(sums["person"]),
        "weeks": len({week for week, _ in sums["week_person"]}),
        "total_hours": round(sum(e.hours for e in entries), 2),
        "overtime": overtime_weeks(sums, overtime_hours),
        "report": str(report),
    }


class TimesheetError(shopkit.ShopkitError):
    """A problem with the export or the inputs; no report was written."""


@dataclass(frozen=True)
class Entry:
    """One row of the export: who worked how long on what, on which day."""

    day: dt.date
    person: str
    project: str
    hours: float

    @property
    def week(self) -> str:
        """The ISO week, e.g. "2025-W03" (ISO weeks start on Monday)."""
        year, week, _ = self.day.isocalendar()
        return f"{year}-W{week:02d}"


def check_overtime(overtime_hours: float) -> None:
    """Stop before reading anything when the overtime threshold makes no sense."""
    if overtime_hours < 0:
        raise TimesheetError(f"overtime_hours {overtime_hours} must not be negative")


# ---------------------------------------------------------------------------
# Reading


def read_entries(path: Path, sheet: str) -> list[Entry]:
    """Every entry of the export; TimesheetError names the first bad row."""
    rows = iter(shopkit.table_rows(path, sheet, "timesheet"))
    where = path.name if path.suffix.lower() == ".csv" else f"{path.name}, sheet {sheet!r}"
    first = next(rows, None)
    if first is None or not any(cell not in (None, "") for cell in first[1]):
        raise TimesheetError(
            f"{path.name} is empty: expected a header row with date, person, project, hours"
        )
    columns = shopkit.find_columns(first[1], COLUMNS, where)
    entries = list(_entries(rows, columns, where))
    if not entries:
        raise TimesheetError(f"{where}: no time entries below the header")
    return entries


def _entries(
    rows: Iterable[tuple[int, list[Any]]], columns: dict[str, int], where: str
) -> Iterator[Entry]:
    """The entries of the rows below the header; blank rows are skipped."""
    for number, row in rows:
        cells = {need: row[i] if i < len(row) else None for need, i in columns.items()}
        if all(value in (None, "") for value in cells.values()):
            continue
        at = f"{where}, row {number}"
        for need in ("person", "project"):
            if not str(cells[need] or "").strip():
                raise TimesheetError(f"{at}: {need} is empty")
        yield Entry(
            parse_day(cells["date"], at),
            " ".join(str(cells["person"]).split()),
            str(cells["project"]).strip(),
            parse_hours(cells["hours"], at),
        )


def parse_day(value: Any, where: str) -> dt.date:
    """A date cell of a workbook, or the text of a CSV field in one of DATE_FORMATS."""
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    text = str(value or "").strip()
    for pattern in DATE_FORMATS:
        try:
            return dt.datetime.strptime(text, pattern).date()
        except ValueError:
            continue
    raise TimesheetError(f"{where}: date {text!r} is not a date; write YYYY-MM-DD or DD.MM.YYYY")


def parse_hours(value: Any, where: str) -> float:
    """7.5, "7,5" and "7:30" are all seven and a half hours."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        hours = float(value)
    else:
        text = str(value or "").strip()
        clock = re.fullmatch(r"(\d+):([0-5]\d)", text)
        try:
            hours = int(clock[1]) + int(clock[2]) / 60 if clock else float(text.replace(",", "."))
        except ValueError:
            raise TimesheetError(
                f"{where}: hours {text!r} is not a number, e.g. 7.5 or 7:30"
            ) from None
    if not 0 <= hours <= MAX_HOURS_PER_ENTRY:
        raise TimesheetError(f"{where}: hours {hours:g} is outside 0-{MAX_HOURS_PER_ENTRY}")
    return hours


# ---------------------------------------------------------------------------
# Summing up


def summarise(entries: list[Entry]) -> dict[str, dict[tuple[str, ...], float]]:
    """Hours summed four ways, each keyed by a tuple (e.g. (week, person) -> hours)."""
    sums: dict[str, dict[tuple[str, ...], float]] = {
        "week_person_project": defaultdict(float),
        "week_person": defaultdict(float),
        "person": defaultdict(float),
        "project": defaultdict(float),
    }
    for e in entries:
        sums["week_person_project"][(e.week, e.person, e.project)] += e.hours
        sums["week_person"][(e.week, e.person)] += e.hours
        sums["person"][(e.person,)] += e.hours
        sums["project"][(e.project,)] += e.hours
    return sums


def overtime_weeks(sums: dict[str, dict[tuple[str, ...], float]], overtime: float) -> list[str]:
    """Each week in which someone worked more than `overtime` hours, as "<week> <person>"."""
    return [
        f"{week} {person}"
        for (week, person), hours in sorted(sums["week_person"].items())
        if hours > overtime
    ]


# ---------------------------------------------------------------------------
# Writing the report


def build_report(sums: dict[str, dict[tuple[str, ...], float]], overtime: float) -> Any:
    """The report workbook (openpyxl), with its three sheets."""
    from openpyxl import Workbook
    from openpyxl.styles import Font, PatternFill

    bold, fill = Font(bold=True), PatternFill("solid", fgColor=OVERTIME_FILL)
    workbook = Workbook()
    by_project = workbook.active
    by_project.title = "By project"
    _table(
        by_project,
        ["Week", "Person", "Project", "Hours"],
        [[*key, round(h, 2)] for key, h in sorted(sums["week_person_project"].items())],
        bold,
    )
    by_person = workbook.create_sheet("By person")
    rows = [
        [*key, round(h, 2), round(max(h - overtime, 0), 2), "OVERTIME" if h > overtime else ""]
        for key, h in sorted(sums["week_person"].items())
    ]
    _table(by_person, ["Week", "Person", "Hours", f"Over {overtime:g} h", "Flag"], rows, bold)
    for row in by_person.iter_rows(min_row=2):
        if row[4].value:
            for cell in row:
                cell.fill = fill
    _totals(workbook.create_sheet("Totals"), sums, overtime, bold)
    return workbook


def _table(sheet: Any, header: list[str], rows: list[list[Any]], bold: Any) -> None:
    """A bold header row, the rows, and the header kept in view when scrolling."""
    sheet.append(header)
    for cell in sheet[1]:
        cell.font = bold
    for row in rows:
        sheet.append(row)
    sheet.freeze_panes = "A2"


def _totals(
    sheet: Any, sums: dict[str, dict[tuple[str, ...], float]], overtime: float, bold: Any
) -> None:
    """The "Totals" sheet: hours per person (with weeks of overtime), per project, in all."""
    weeks_over: dict[str, int] = defaultdict(int)
    for (_, person), hours in sums["week_person"].items():
        weeks_over[person] += hours > overtime
    _table(
        sheet,
        ["Person", "Hours", "Weeks with overtime"],
        [[p, round(h, 2), weeks_over[p]] for (p,), h in sorted(sums["person"].items())],
        bold,
    )
    sheet.append([])
    sheet.append(["Project", "Hours"])
    for cell in sheet[sheet.max_row]:
        cell.font = bold
    for (project,), hours in sorted(sums["project"].items()):
        sheet.append([project, round(hours, 2)])
    sheet.append([])
    sheet.append(["Total", round(sum(sums["person"].values()), 2)])
    sheet.cell(sheet.max_row, 1).font = bold
