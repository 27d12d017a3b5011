from __future__ import annotations

import os
from pathlib import Path

import pytest
from openpyxl import Workbook, load_workbook
from shopkit import ShopkitError, output_dir, save_workbook, write_atomically


def test_output_goes_to_the_folder_autokit_gives(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AUTOKIT_OUTPUT_DIR", str(tmp_path / "given"))
    assert output_dir(tmp_path / "in.csv") == tmp_path / "given"
    monkeypatch.delenv("AUTOKIT_OUTPUT_DIR")
    assert output_dir(tmp_path / "in.csv") == tmp_path / "output"


def test_write_atomically_replaces_whole_and_leaves_no_temporary_file(tmp_path: Path) -> None:
    target = tmp_path / "out" / "report.csv"
    write_atomically(target, b"old")
    write_atomically(target, b"new", sync=True)
    assert target.read_bytes() == b"new"
    assert os.listdir(target.parent) == ["report.csv"]


def test_a_failed_write_keeps_the_previous_file(tmp_path: Path) -> None:
    target = tmp_path / "report.csv"
    target.write_bytes(b"previous")

    with pytest.raises(TypeError):
        write_atomically(target, "text is not bytes")  # type: ignore[arg-type]
    assert target.read_bytes() == b"previous"
    assert os.listdir(tmp_path) == ["report.csv"]


def test_save_workbook_keeps_the_permissions_of_the_file_it_replaces(tmp_path: Path) -> None:
    target = tmp_path / "stock.xlsx"
    book = Workbook()
    book.active["A1"] = "first"
    book.save(target)
    target.chmod(0o640)
    book.active["A1"] = "second"
    save_workbook(book, target, like=target)
    assert load_workbook(target).active["A1"].value == "second"
    assert target.stat().st_mode & 0o777 == 0o640
    assert os.listdir(tmp_path) == ["stock.xlsx"]


def test_a_workbook_that_cannot_be_saved_is_a_clear_error_and_stays(tmp_path: Path) -> None:
    target = tmp_path / "stock.xlsx"
    target.write_bytes(b"the old workbook")

    class Unsaveable:
        def save(self, path: str) -> None:
            raise OSError(28, "No space left on device")

    with pytest.raises(ShopkitError, match=r"cannot save stock.xlsx .*No space left.* unchanged"):
        save_workbook(Unsaveable(), target)
    assert target.read_bytes() == b"the old workbook"
    assert os.listdir(tmp_path) == ["stock.xlsx"]


class CrashingWorkbook:
    """Stands in for a workbook whose save dies halfway (disk full, power cut)."""

    def save(self, filename: str) -> None:
        Path(filename).write_bytes(b"PK\x03\x04 half a workbook")
        raise KeyboardInterrupt


def test_a_crash_while_saving_leaves_the_workbook_whole(tmp_path: Path) -> None:
    target = tmp_path / "inventory.xlsx"
    target.write_bytes(b"the whole workbook")

    with pytest.raises(KeyboardInterrupt):
        save_workbook(CrashingWorkbook(), target, like=target)

    assert target.read_bytes() == b"the whole workbook"
    assert os.listdir(tmp_path) == ["inventory.xlsx"]
