"""Secrets: only declared ones, from the environment or .env, masked everywhere."""

from __future__ import annotations

from pathlib import Path

import pytest
from helpers import metadata

from toolkit.errors import ToolkitError
from toolkit.metadata import automation_from_data
from toolkit.secrets import (
    Masker,
    StreamMasker,
    present_secrets,
    read_dotenv,
    resolve_secrets,
)

SECRETS = [
    {"name": "SMTP_PASSWORD", "description": "the mail account's password"},
    {"name": "API_TOKEN", "description": "the shop API token"},
]


def automation(tmp_path: Path):  # type: ignore[no-untyped-def]
    return automation_from_data(metadata("mailer", secrets=SECRETS), tmp_path)


def test_dotenv_syntax(tmp_path: Path) -> None:
    (tmp_path / ".env").write_text(
        "# local secrets\n"
        "export SMTP_PASSWORD='pa ss#word'\n"
        'API_TOKEN="tok\\"en"\n'
        "PLAIN=value # a comment\n"
        "\n"
        "EMPTY=\n"
    )
    assert read_dotenv(tmp_path / ".env") == {
        "SMTP_PASSWORD": "pa ss#word",
        "API_TOKEN": 'tok"en',
        "PLAIN": "value",
        "EMPTY": "",
    }
    assert read_dotenv(tmp_path / "absent.env") == {}
    (tmp_path / "windows.env").write_bytes(b"\xef\xbb\xbfAPI_TOKEN=t\r\nPLAIN=v\r\n")
    assert read_dotenv(tmp_path / "windows.env") == {"API_TOKEN": "t", "PLAIN": "v"}


def test_a_quoted_dotenv_value_may_be_followed_by_a_comment(tmp_path: Path) -> None:
    (tmp_path / ".env").write_text(
        'export API_TOKEN="s3cr3t#1"   # the shop token\n'
        "SMTP_PASSWORD='a \\n b' # single quotes are literal\n"
        'MULTI="line\\none\\ttab \\\\ backslash"\n'
    )
    assert read_dotenv(tmp_path / ".env") == {
        "API_TOKEN": "s3cr3t#1",
        "SMTP_PASSWORD": "a \\n b",
        "MULTI": "line\none\ttab \\ backslash",
    }


@pytest.mark.parametrize("line", ['API_TOKEN="abc', "API_TOKEN='abc\"", 'API_TOKEN="a" b'])
def test_an_unclosed_quote_in_dotenv_is_located(tmp_path: Path, line: str) -> None:
    (tmp_path / ".env").write_text(f"A=1\n{line}\n")
    with pytest.raises(ToolkitError) as caught:
        read_dotenv(tmp_path / ".env")
    assert ".env:2: the value of API_TOKEN opens a quote that does not close" in str(caught.value)
    assert "abc" not in str(caught.value)


def test_a_bad_dotenv_line_is_located_without_showing_it(tmp_path: Path) -> None:
    (tmp_path / ".env").write_text("A=1\nthis is hunter2\n")
    with pytest.raises(ToolkitError) as caught:
        read_dotenv(tmp_path / ".env")
    assert ".env:2: not a KEY=VALUE line" in caught.value.message
    assert "hunter2" not in str(caught.value)


def test_environment_wins_over_dotenv_and_only_declared_secrets_are_read(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / ".env").write_text("SMTP_PASSWORD=from-file\nAPI_TOKEN=file-token\nOTHER=x\n")
    monkeypatch.setenv("API_TOKEN", "env-token")
    values = resolve_secrets(automation(tmp_path), tmp_path)
    assert values == {"SMTP_PASSWORD": "from-file", "API_TOKEN": "env-token"}


def test_a_missing_secret_is_named_with_its_description(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("SMTP_PASSWORD", raising=False)
    monkeypatch.setenv("API_TOKEN", "t")
    with pytest.raises(ToolkitError) as caught:
        resolve_secrets(automation(tmp_path), tmp_path)
    assert "SMTP_PASSWORD: the mail account's password" in caught.value.message
    assert "API_TOKEN" not in caught.value.message
    assert ".env" in (caught.value.hint or "")
    assert present_secrets(automation(tmp_path), tmp_path) == {
        "SMTP_PASSWORD": False,
        "API_TOKEN": True,
    }


def test_masker_replaces_every_occurrence_longest_first() -> None:
    masker = Masker(["abc", "abcdef", ""])
    assert masker.mask("x abcdef y abc z abcabc") == "x *** y *** z ******"
    assert masker.mask_data({"k abc": ["abc", 1, {"n": "abcdef!"}]}) == {
        "k ***": ["***", 1, {"n": "***!"}]
    }
    assert Masker([]).mask("abc") == "abc"


@pytest.mark.parametrize("secret", ["hunter2-very-secret", "aXa", "abab"])
def test_a_secret_split_across_chunks_is_masked_at_every_split(secret: str) -> None:
    text = f"start {secret} middle {secret}{secret} end a{secret[:-1]}"
    expected = Masker([secret]).mask(text)
    for first in range(len(text) + 1):
        for second in range(first, len(text) + 1, 3):
            stream = StreamMasker(Masker([secret]))
            chunks = [text[:first], text[first:second], text[second:]]
            emitted = [stream.feed(chunk) for chunk in chunks] + [stream.flush()]
            assert "".join(emitted) == expected
            assert all(secret not in piece for piece in emitted)


def test_stream_masker_emits_at_once_what_cannot_start_a_secret() -> None:
    stream = StreamMasker(Masker(["s3cret"]))
    assert stream.feed("hello world\n") == "hello world\n"
    assert stream.feed("token: s3") == "token: "
    assert stream.feed("cret!\n") == "***!\n"


def test_a_secret_marked_not_required_may_be_missing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    optional = [{**SECRETS[0], "required": False}, SECRETS[1]]
    mailer = automation_from_data(metadata("mailer", secrets=optional), tmp_path)
    monkeypatch.delenv("SMTP_PASSWORD", raising=False)
    monkeypatch.setenv("API_TOKEN", "t")
    assert resolve_secrets(mailer, tmp_path) == {"API_TOKEN": "t"}
    monkeypatch.delenv("API_TOKEN")
    with pytest.raises(ToolkitError) as caught:
        resolve_secrets(mailer, tmp_path)
    assert "API_TOKEN" in caught.value.message
    assert "SMTP_PASSWORD" not in caught.value.message
