"""A `.env` line autokit cannot use is named by its number, never shown, never exit 3."""

from __future__ import annotations

from pathlib import Path

import pytest
from helpers import automation_files

from toolkit.errors import ToolkitError
from toolkit.secrets import read_dotenv

TOKEN = [{"name": "SHOP_TOKEN", "description": "the shop API token"}]

BAD_LINES = {
    "nul": (b"SHOP_TOKEN=abc\0def\n", "the line holds a NUL byte"),
    "latin-1": (b"SHOP_TOKEN=caf\xe9-s3cret\n", "the line is not UTF-8 text"),
}


@pytest.mark.parametrize("kind", sorted(BAD_LINES))
def test_a_bad_dotenv_line_stops_the_run_naming_file_and_line(make_repo, cli, kind) -> None:
    line, message = BAD_LINES[kind]
    root = make_repo(automation_files("hello", secrets=TOKEN))
    (root / ".env").write_bytes(b"# the shop\nOTHER=fine\n" + line)
    result = cli("run", "hello", "--repo", str(root))
    assert result.code == 1, result
    assert f"{root / '.env'}:3: {message}" in result.err
    assert "s3cret" not in result.err and "def" not in result.err.split("hint")[0][-20:]
    assert "Traceback" not in result.err


def test_good_lines_around_a_byte_order_mark_still_read(tmp_path: Path) -> None:
    (tmp_path / ".env").write_bytes(b"\xef\xbb\xbfA=1\r\nB='two words'\n")
    assert read_dotenv(tmp_path / ".env") == {"A": "1", "B": "two words"}


def test_utf16_is_refused_at_its_first_line(tmp_path: Path) -> None:
    (tmp_path / ".env").write_bytes("A=1\n".encode("utf-16"))
    with pytest.raises(ToolkitError, match=r"\.env:1: the line holds a NUL byte"):
        read_dotenv(tmp_path / ".env")
