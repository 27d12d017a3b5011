"""Secrets: only declared ones, from the environment or .env, masked everywhere."""

from __future__ import annotations

import base64
import json
import os
import re
from pathlib import Path
from urllib.parse import quote, quote_plus

import pytest
from helpers import automation_files, metadata

from toolkit.errors import ToolkitError
from toolkit.history import open_history
from toolkit.metadata import automation_from_data
from toolkit.secrets import (
    MASK,
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


@pytest.mark.parametrize("line", ['API_TOKEN="abc', "API_TOKEN='abc\""])
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


# --- encoded forms --------------------------------------------------------------------

# / + & " \ and a space: each encoding (quote, quote_plus, JSON) differs from the value.
TOKEN = 'sk_live/51Hx+Y7b&"Kq9 p\\Lm'


def plain_forms(value: str) -> dict[str, str]:
    """The forms whose text the test can name exactly, computed here with the stdlib."""
    raw = value.encode()
    return {
        "reversed": value[::-1],
        "upper": value.upper(),
        "lower": value.lower(),
        "hex": raw.hex(),
        "HEX": raw.hex().upper(),
        "quote": quote(value, safe=""),
        "quote-path": quote(value),
        "quote_plus": quote_plus(value),
        "json": json.dumps(value)[1:-1],
        "base64": base64.b64encode(raw).decode(),
        "base64-unpadded": base64.b64encode(raw).decode().rstrip("="),
        "base64url": base64.urlsafe_b64encode(raw).decode(),
        "base64url-unpadded": base64.urlsafe_b64encode(raw).decode().rstrip("="),
    }


def embedded_base64(value: str) -> dict[str, str]:
    """The value inside a longer base64 stream, at each of the three byte alignments."""
    found = {}
    for offset in (0, 1, 2):
        for name, encode in (("std", base64.b64encode), ("url", base64.urlsafe_b64encode)):
            data = b"x" * offset + value.encode() + b"!tail"
            found[f"b64-{name}-{offset}"] = encode(data).decode()
    return found


def assert_base64_masked(text: str, encoded: str) -> None:
    """Masked: the encoded stream is gone, and little is left beside the mask.

    What remains visible encodes the neighbouring bytes (up to 2 before, 5 after) and at
    most the bits of one value byte shared with them: a dozen characters at most.
    """
    assert encoded not in text
    assert MASK in text
    assert len(text.replace(MASK, "")) <= 12, text


def test_each_encoded_form_of_a_long_secret_is_masked() -> None:
    masker = Masker([TOKEN])
    for name, form in plain_forms(TOKEN).items():
        assert masker.mask(f"<{form}>") == f"<{MASK}>", name
    for name, encoded in embedded_base64(TOKEN).items():
        masked = masker.mask(encoded)
        assert_base64_masked(masked, encoded), name


def test_short_secrets_are_masked_only_as_they_are() -> None:
    short = "ab/c+"
    masker = Masker([short])
    text = " ".join(form for form in plain_forms(short).values() if form != short)
    assert masker.mask(text) == text  # reversed, hex, base64...: left alone
    assert masker.mask(f"x{short}y") == f"x{MASK}y"


def test_forms_overlapping_each_other_are_masked_as_one() -> None:
    masker = Masker(["abcdefgh", "efghijkl"])
    assert masker.mask("0abcdefghijkl9") == f"0{MASK}9"
    assert masker.mask("hgfedcba ABCDEFGH.") == f"{MASK} {MASK}."  # reversed, upper-cased


def test_the_longest_form_split_across_chunks_is_masked_at_every_split() -> None:
    masker = Masker([TOKEN, "other-secret"])
    longest = max(masker.forms, key=len)
    assert len(longest) == len(TOKEN.encode().hex())
    text = f"a {longest} b {base64.b64encode(b'z' + TOKEN.encode()).decode()} c{longest[:-1]}"
    expected = masker.mask(text)
    assert longest not in expected
    for first in range(len(text) + 1):
        for second in range(first, len(text) + 1, 7):
            stream = StreamMasker(masker)
            chunks = [text[:first], text[first:second], text[second:]]
            emitted = "".join([stream.feed(chunk) for chunk in chunks] + [stream.flush()])
            assert emitted == expected, (first, second)


LEAKY = """
import base64, json, os, sys, urllib.parse

def main(greeting="world"):
    token = os.environ["SHOP_TOKEN"]
    raw = token.encode()
    forms = {FORMS}
    for name, form in forms.items():
        print(name + ":", form)
        print(name + ":", form, file=sys.stderr)
    with open(os.path.join(os.environ["AUTOKIT_OUTPUT_DIR"], "report.csv"), "w") as f:
        f.write("id,data\\n1," + base64.b64encode(b"pre" + raw).decode() + "\\n")
    os.mkdir(os.path.join(os.environ["AUTOKIT_OUTPUT_DIR"], "clean"))
    with open(os.path.join(os.environ["AUTOKIT_OUTPUT_DIR"], "clean", "ok.txt"), "w") as f:
        f.write("nothing to see\\n")
    return {"hex": raw.hex(), "upper": token.upper(), "json": json.dumps({"t": token})}
"""


def test_a_run_masks_every_form_in_terminal_log_history_and_json(
    make_repo, cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    forms = {**plain_forms(TOKEN), **embedded_base64(TOKEN)}
    code = LEAKY.replace("{FORMS}", repr(forms))
    files = automation_files("leaky", secrets=[{"name": "SHOP_TOKEN", "description": "t"}])
    files["automations/leaky/main.py"] = code
    root = make_repo(files)
    monkeypatch.setenv("SHOP_TOKEN", TOKEN)
    terminal = cli("run", "leaky", "--repo", str(root))
    assert terminal.code == 0, terminal
    as_json = cli("run", "leaky", "--format", "json", "--repo", str(root))
    assert as_json.code == 0, as_json
    with open_history() as history:
        first, second = history.find(limit=None)
    shown = cli("runs", "show", first.id, "--format", "json")
    shown_text = cli("runs", "show", first.id)
    database = (Path(os.environ["AUTOKIT_HOME"]) / "history.sqlite3").read_bytes()
    places = {
        "terminal": terminal.out + terminal.err,
        "json output": as_json.out + as_json.err,
        "log": first.log_path.read_text() + second.log_path.read_text(),
        "history": shown.out + shown_text.out + database.decode("utf-8", "replace"),
        "result file": Path(first.run_dir, "result.json").read_text(),
    }
    for place, text in places.items():
        for name, form in forms.items():
            assert form not in text, (place, name)
            for line in text.splitlines():
                if line.startswith(f"{name}: ") and name.startswith("b64-"):
                    assert_base64_masked(line.removeprefix(f"{name}: "), form)
    result = json.loads(as_json.out)["result"]
    assert result == {"hex": MASK, "upper": MASK, "json": '{"t": "***"}'}
    # The output file that holds the secret is named, never shown.
    assert first.leaks == second.leaks == ("report.csv",)
    assert "warning: output/report.csv holds a secret" in terminal.err
    assert json.loads(shown.out)["leaks"] == ["report.csv"]
    assert re.search(r"^leaks\s+\[\"report.csv\"\]$", shown_text.out, re.MULTILINE)


def test_the_output_scan_reads_in_chunks_and_skips_links(tmp_path: Path) -> None:
    from toolkit.run import leaks

    output = tmp_path / "output"
    (output / "deep").mkdir(parents=True)
    encoded = base64.b64encode(b"ab" + TOKEN.encode()).decode()
    split_at = leaks.CHUNK_BYTES - 5  # the form straddles the first two reads
    (output / "deep" / "big.bin").write_bytes(b"\0" * split_at + encoded.encode())
    (output / "fine.txt").write_bytes(b"\0" * (leaks.CHUNK_BYTES + 10))
    (tmp_path / "elsewhere.txt").write_text(TOKEN)
    (output / "link.txt").symlink_to(tmp_path / "elsewhere.txt")
    os.mkfifo(output / "pipe")  # reading it would block: it is no file
    (output / "report-name-secret-42.txt").write_text(TOKEN[::-1])
    masker = Masker([TOKEN, "name-secret-42"])
    # A name that holds a secret is masked like any other text.
    assert leaks.leaking_files(output, masker) == ["deep/big.bin", "report-***.txt"]
    assert leaks.leaking_files(output, Masker([])) == []
    assert leaks.leaking_files(tmp_path / "absent", masker) == []
