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


def dotenv_file(tmp_path: Path, data: bytes | str) -> Path:
    path = tmp_path / ".env"
    path.write_bytes(data.encode() if isinstance(data, str) else data)
    return path


def test_a_comment_after_blanks_leaves_the_value_empty(make_repo, cli) -> None:
    # `# fill in` must not become the token: the run says the secret is not set.
    root = make_repo(automation_files("hello", secrets=TOKEN))
    (root / ".env").write_text("SHOP_TOKEN=   # fill in\n")
    assert read_dotenv(root / ".env") == {"SHOP_TOKEN": ""}
    result = cli("run", "hello", "--repo", str(root))
    assert result.code == 1, result
    assert "needs secrets that are not set" in result.err
    assert "SHOP_TOKEN: the shop API token" in result.err


@pytest.mark.parametrize(
    ("line", "value"),
    [
        ("A=   # fill in", ""),
        ("A=\t# fill in", ""),
        ("A=#not-a-comment", "#not-a-comment"),  # no blank before `#`: part of the value
        ("A=a#b", "a#b"),
        ("A=a # note", "a"),
        ("A=", ""),
    ],
)
def test_where_a_comment_begins(tmp_path: Path, line: str, value: str) -> None:
    assert read_dotenv(dotenv_file(tmp_path, line + "\n")) == {"A": value}


@pytest.mark.parametrize(
    "character", ["\x0c", "\x0b", "\x1c", "\x1d", "\x1e", "\x85", "\u2028", "\u2029"]
)
def test_only_newlines_end_a_line(tmp_path: Path, character: str) -> None:
    # str.splitlines() also ends lines at these; a value may hold them.
    path = dotenv_file(tmp_path, f"A=x{character}y\nB=2\nnot a binding\n")
    with pytest.raises(ToolkitError, match=r"\.env:3: not a KEY=VALUE line"):
        read_dotenv(path)
    path.write_bytes(f"A=x{character}y\nB=2\n".encode())
    assert read_dotenv(path) == {"A": f"x{character}y", "B": "2"}


def test_every_newline_convention_ends_a_line(tmp_path: Path) -> None:
    path = dotenv_file(tmp_path, b"A=1\nB=2\r\nC=3\rD=4")
    assert read_dotenv(path) == {"A": "1", "B": "2", "C": "3", "D": "4"}


@pytest.mark.parametrize(
    ("line", "message", "hint"),
    [
        ("hunter2-s3cret", "not a KEY=VALUE line: it has no `=`", "write `NAME=value`"),
        (
            "api-token=s3cret",
            "not a KEY=VALUE line: the name before `=` is not a variable name",
            "letters, digits",
        ),
        (
            "1TOKEN=s3cret",
            "not a KEY=VALUE line: the name before `=` is not a variable name",
            "not start with a digit",
        ),
        (
            'TOKEN="s3cret" trailing',
            "the value of TOKEN has text after its closing quote",
            "quotes",
        ),
        ("TOKEN='s3cret", "the value of TOKEN opens a quote that does not close", "quotes"),
    ],
)
def test_one_bad_line_is_named_with_how_to_fix_it(tmp_path: Path, line, message, hint) -> None:
    path = dotenv_file(tmp_path, f"# shop\nOTHER=fine\n\n{line}\nLAST=1\n")
    with pytest.raises(ToolkitError) as caught:
        read_dotenv(path)
    assert caught.value.message == f"{path}:4: {message}"
    assert hint in (caught.value.hint or "")
    assert "s3cret" not in str(caught.value)


# Lines on which autokit and python-dotenv (the reference most tools follow) must agree.
AGREED = [
    "export A=1",
    "  A = spaced  ",
    "A=a=b",
    "A==b",
    "A=`x`",
    "A=é and ünïcode",
    "A='single # not a comment'  # a comment",
    "A='back\\slash'",
    'A="tab\\there"',
    'A="quote \\" and backslash \\\\"',
    'A="cr\\r lf\\n"',
    'A="a #b" # c',
    "A= 'lead'  ",
    "A=x\x0cy",
    "A=x\u2028y",
    "A=   # fill in",
    "A=#kept",
    "A=v # note",
    "# only a comment",
    "",
]


@pytest.mark.parametrize("line", AGREED)
def test_values_agree_with_python_dotenv(tmp_path: Path, line: str) -> None:
    import io

    from dotenv import dotenv_values

    expected = {k: v for k, v in dotenv_values(stream=io.StringIO(line + "\n")).items()}
    assert read_dotenv(dotenv_file(tmp_path, line + "\n")) == expected


def test_the_documented_differences_from_python_dotenv(tmp_path: Path) -> None:
    # README.md, "The .env file": no `${...}` expansion (a password may hold `$`).
    path = dotenv_file(tmp_path, "B=1\nA=${B}$x\n")
    assert read_dotenv(path) == {"B": "1", "A": "${B}$x"}
