"""No secret values are committed in an automation's files.

A password, API key, token or private key in the repository is readable by everyone
with access to it, stays in Git history forever, and ends up in the catalog. The files
an automation's pull request adds or changes (every file with `--all`) are scanned with
detect-secrets: cloud keys (AWS, Azure), chat and service tokens (Slack, Discord,
Telegram, Twilio, SendGrid, Stripe, Mailchimp, GitHub, GitLab, npm, PyPI, OpenAI), JSON
web tokens, private keys, passwords in URLs, `password = "..."` assignments and
high-entropy strings, also inside calls such as `os.environ.get("TOKEN", "AKIA...")`.
Beside it, autokit looks for the formats detect-secrets does not know (GitHub
fine-grained tokens, Google API keys, Slack app tokens, Shopify, DigitalOcean, Anthropic,
OpenAI project keys, Hugging Face, npm tokens, Azure AD client secrets, encrypted private
keys), for passwords under short keys (`{"pass": "hunter2"}`) and for filled-in password
or token columns in CSV and TSV sample files. The pre-commit hook `autokit-scan-secrets`
runs the same scan on the files of each commit. Files over 1 MB are not scanned
(file-size already rejects them, and scanning them would take minutes). A YAML file that
autokit's bounded reader refuses (aliases expanding it past 100,000 values, nesting over
100 levels, a value its tag cannot hold, or not valid YAML) is scanned line by line as
plain text, never parsed. The finding names the file, the line and the kind of secret,
never the value.

Fix: remove the value, declare the secret in `automation.yaml` under `secrets:` and read
it with `os.environ["NAME"]`; then revoke the leaked value, because it stays in Git
history. For a false positive (sample data that is not a secret), end the line with the
comment `pragma: allowlist secret`; in a CSV file, write `***` in place of the value.
"""

from __future__ import annotations

import contextlib
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from toolkit.files import is_binary
from toolkit.findings import Finding
from toolkit.metadata.yamlfile import YamlProblem, parse_value
from toolkit.policy import secret_patterns

if TYPE_CHECKING:
    from toolkit.policy.context import PolicyContext

_GENERIC = {"Base64 High Entropy String", "Hex High Entropy String", "Secret Keyword"}
MAX_SCANNED_BYTES = 1_000_000
_SKIP_TYPES = {"Public IP (ipv4)"}  # an address is not a credential


HINT = (
    "remove it, declare it under `secrets:` and read it from the environment; "
    "revoke the value, since Git history keeps it"
)


def check(ctx: PolicyContext) -> list[Finding]:
    files = [path for name in ctx.names for path in ctx.files(name)]
    files += [path for name in ctx.library_names for path in ctx.library_files(name)]
    if not files:
        return []
    hits = scan(files)
    return [
        ctx.finding(path, message(kinds), HINT, line=line)
        for (path, line), kinds in sorted(hits.items())
    ]


def message(kinds: list[str]) -> str:
    """What a finding says: the kinds of secret, never the value."""
    return f"possible hard-coded secret ({', '.join(kinds)})"


def scan(files: list[Path]) -> dict[tuple[Path, int], list[str]]:
    """(file, line) -> the kinds of secret found there; values are never kept."""
    found: dict[tuple[Path, int], set[str]] = {}
    with _settings():
        for path in files:
            if is_binary(path) or path.stat().st_size > MAX_SCANNED_BYTES:
                continue
            raw = path.read_bytes()
            try:
                text, utf8 = raw.decode("utf-8"), True
            except UnicodeDecodeError:
                # Latin-1 maps every byte to one character, so line numbers stay the same.
                text, utf8 = raw.decode("latin-1"), False
            as_plain_text = _parsed_as_yaml(path) and not _within_yaml_limits(text)
            if utf8 and not as_plain_text:
                _scan_file(path, path, found)
            else:
                _scan_copy(path, text, found, as_plain_text=as_plain_text)
            for line, kind in secret_patterns.find(path, text):
                found.setdefault((path, line), set()).add(kind)
    return {where: _kinds(types) for where, types in found.items() if types - _SKIP_TYPES}


_INDIRECT_REFERENCE = "detect_secrets.filters.heuristic.is_indirect_reference"


@contextlib.contextmanager
def _settings() -> Iterator[None]:
    """detect-secrets' defaults, but its indirect-reference filter for keywords only.

    That filter skips every line shaped like `x = call(...)` or `x = a[...]`, before any
    plugin looks at it: meant for `password = get_password()`, it also hid
    `os.environ.get("TOKEN", "AKIA...")` and `boto3.client(..., aws_access_key_id="AKIA...")`.
    """
    from detect_secrets.settings import default_settings, get_filters

    with default_settings() as settings:
        settings.filters.pop(_INDIRECT_REFERENCE, None)
        settings.filters[f"{__name__}.{is_indirect_keyword_reference.__name__}"] = {}
        get_filters.cache_clear()
        yield


def is_indirect_keyword_reference(secret: str, plugin: object, line: str) -> bool:
    """A detect-secrets filter: a keyword hit on a line like `password = get_password()`.

    (It takes `secret` so that detect-secrets runs it on each hit, not on each line.)
    """
    from detect_secrets.filters.heuristic import is_indirect_reference

    keyword = getattr(plugin, "secret_type", None) == "Secret Keyword"
    return keyword and is_indirect_reference(line)


def _scan_file(path: Path, reported_as: Path, found: dict[tuple[Path, int], set[str]]) -> None:
    """Every hit in the file, each line on its own: a value repeated is found on each line."""
    from detect_secrets.core.scan import scan_file

    for secret in scan_file(str(path)):
        found.setdefault((reported_as, secret.line_number), set()).add(secret.type)


def _kinds(types: set[str]) -> list[str]:
    types = types - _SKIP_TYPES
    specific = types - _GENERIC
    return sorted(specific or types)


def _parsed_as_yaml(path: Path) -> bool:
    """Whether detect-secrets would read the file with its YAML parser (by its suffix)."""
    from detect_secrets.util.filetype import FileType, determine_file_type

    return determine_file_type(path.name) == FileType.YAML


def _within_yaml_limits(text: str) -> bool:
    """Whether autokit's bounded YAML reader reads the text, values and all.

    detect-secrets' own YAML parser expands every alias and recurses on every level (a
    file built to exhaust memory or the stack would stop the whole policy run), and
    raises a bare error on a value its tag cannot hold (`!!int abc`).
    """
    try:
        parse_value(text)
    except YamlProblem:
        return False
    return True


def _scan_copy(
    path: Path, text: str, found: dict[tuple[Path, int], set[str]], *, as_plain_text: bool
) -> None:
    """Scan `text` as `path`'s content, through a UTF-8 copy (detect-secrets skips files
    that are not UTF-8); with `as_plain_text`, under a name detect-secrets reads line by
    line instead of as YAML."""
    with tempfile.TemporaryDirectory(prefix="autokit-secrets-") as folder:
        copy = Path(folder) / (f"{path.name}.txt" if as_plain_text else path.name)
        copy.write_text(text, encoding="utf-8")
        _scan_file(copy, path, found)
