"""Secret formats detect-secrets has no plugin for, and passwords in sample data.

`hardcoded-secrets` runs these beside detect-secrets, on the same text, line by line:

- token formats small businesses meet (GitHub fine-grained tokens, Google API keys, Slack
  app tokens, Shopify, DigitalOcean, Anthropic, OpenAI project keys, Hugging Face, npm,
  Azure AD client secrets, encrypted PKCS#8 private keys), each one regular expression;
- a quoted password under a password key, as in `{"pass": "hunter2"}` (a key
  detect-secrets' keyword list leaves out) or `dict(password="hunter2")` (a line its
  keyword detector skips as shaped like `password = get_password()`);
- a CSV or TSV file whose column is named like a password or token, or whose row reads
  `password,<value>`: sample data copied from a real export.

Only where each hit is, and its kind, leave this module; values are never kept.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterator
from pathlib import Path

# (kind, pattern). The lookarounds stand for word edges where `-`, `_` or `~` belong to
# the token, which `\b` would cut.
FORMATS: tuple[tuple[str, str], ...] = (
    ("GitHub Fine-Grained Token", r"(?<![A-Za-z0-9_])github_pat_[A-Za-z0-9]{22,}_[A-Za-z0-9]{40,}"),
    ("Google API Key", r"(?<![A-Za-z0-9_-])AIza[0-9A-Za-z_-]{35}(?![A-Za-z0-9_-])"),
    ("Slack App Token", r"(?<![A-Za-z0-9_-])xapp-[0-9]+-[A-Z0-9]{8,}-[0-9]{6,}-[A-Za-z0-9]{20,}"),
    ("Shopify Token", r"(?<![A-Za-z0-9_])shp(?:at|ca|pa|ss)_[a-fA-F0-9]{32}(?![A-Za-z0-9])"),
    ("DigitalOcean Token", r"(?<![A-Za-z0-9_])do[opr]_v1_[a-f0-9]{64}(?![A-Za-z0-9])"),
    ("Anthropic API Key", r"(?<![A-Za-z0-9_-])sk-ant-[A-Za-z0-9_-]{32,}"),
    ("OpenAI Project Key", r"(?<![A-Za-z0-9_-])sk-(?:proj|svcacct|admin)-[A-Za-z0-9_-]{40,}"),
    ("Hugging Face Token", r"(?<![A-Za-z0-9_])hf_[A-Za-z0-9]{34,}(?![A-Za-z0-9])"),
    ("npm Token", r"(?<![A-Za-z0-9_])npm_[A-Za-z0-9]{36}(?![A-Za-z0-9])"),
    # Azure AD (Entra ID) client secrets: three characters, a digit, `Q~`, then 31-34 more.
    (
        "Azure AD Client Secret",
        r"(?<![A-Za-z0-9_~.-])[A-Za-z0-9_~.]{3}[0-9]Q~[A-Za-z0-9_~.-]{31,34}(?![A-Za-z0-9_~.-])",
    ),
    ("Encrypted Private Key", r"-----BEGIN ENCRYPTED PRIVATE KEY-----"),
)
_FORMAT_KINDS = [kind for kind, _ in FORMATS]
_ANY_FORMAT = re.compile("|".join(f"(?P<f{i}>{pattern})" for i, (_, pattern) in enumerate(FORMATS)))

PASSWORD_KIND = "Password"
_PASSWORD_WORDS = r"(?:pass|pw|pwd|passwd|password|passphrase|passcode)"
# A password key, quoted or bare, then `:` or `=` and a quoted value: only a value written
# out matches, never one read from elsewhere (`password = get_password()`).
_QUOTED_PASSWORD = re.compile(
    rf"""(?<![\w-])(?P<quote>["']?){_PASSWORD_WORDS}(?P=quote)"""
    r"""\s*[:=]\s*(?P<open>["'])(?P<value>[^"'\n]+)(?P=open)""",
    re.IGNORECASE,
)
# In YAML a value needs no quotes: `pass: hunter2`.
_YAML_PASSWORD = re.compile(
    rf"""^\s*(?:-\s+)?(?P<quote>["']?){_PASSWORD_WORDS}(?P=quote)\s*:\s+"""
    r"""(?P<value>[^\s#"'][^#\n]*?)\s*(?:#.*)?$""",
    re.IGNORECASE,
)
# Column names and keys of secrets in tables: `password`, `smtp_pass`, `api token`.
_SECRET_NAME = re.compile(
    r"(?:.*[_ .-])?(?:pass|password|passwd|pwd|passphrase|secret|client_secret|"
    r"api_?key|access_?key|secret_?key|private_?key|token|api_?token|access_?token|"
    r"auth_?token)",
    re.IGNORECASE,
)
# Values that stand for a secret rather than being one.
_PLACEHOLDER = re.compile(
    r"""\s*(?:|\*+|x+|-+|\.+|n/?a|none|null|redacted|hidden|secret|password|"""
    r"""<[^>]*>|\{[^}]*\}|\$\{[^}]*\}|\$[A-Z_][A-Z0-9_]*|%\([^)]*\)s)\s*""",
    re.IGNORECASE,
)
TABLE_SUFFIXES = {".csv": ",", ".tsv": "\t"}
_ALLOWED = "pragma: allowlist secret"
_ALLOWED_NEXT = "pragma: allowlist nextline secret"


def find(path: Path, text: str) -> Iterator[tuple[int, str]]:
    """(line, kind) of each secret these patterns see in `text`, `path`'s content."""
    lines = text.split("\n")
    hits = [*_formats(text), *_passwords(path, lines)]
    delimiter = TABLE_SUFFIXES.get(path.suffix.lower())
    if delimiter is not None:
        hits += _table_secrets(lines, delimiter)
    for line, kind in hits:
        if not _allowlisted(lines, line):
            yield line, kind


def _formats(text: str) -> Iterator[tuple[int, str]]:
    for match in _ANY_FORMAT.finditer(text):
        kind = _FORMAT_KINDS[int(str(match.lastgroup)[1:])]
        yield text.count("\n", 0, match.start()) + 1, kind


def _passwords(path: Path, lines: list[str]) -> Iterator[tuple[int, str]]:
    yaml_file = path.suffix.lower() in {".yaml", ".yml"}
    for number, line in enumerate(lines, start=1):
        found = _QUOTED_PASSWORD.search(line) or (yaml_file and _YAML_PASSWORD.match(line))
        if found and not _PLACEHOLDER.fullmatch(found["value"]):
            yield number, PASSWORD_KIND


def _table_secrets(lines: list[str], delimiter: str) -> Iterator[tuple[int, str]]:
    """Secrets in a table: in a column named like one, or right of a cell named like one.

    Cells are split on the delimiter, ignoring quotes: a quoted cell that holds the
    delimiter shifts the columns after it, which can only hide a hit, never invent one
    in a column the header does not name.
    """
    header = [_cell(c) for c in lines[0].split(delimiter)] if lines else []
    columns = {i: name for i, name in enumerate(header) if _SECRET_NAME.fullmatch(name)}
    for number, line in enumerate(lines[1:], start=2):
        cells = [_cell(c) for c in line.split(delimiter)]
        named = [f"column '{columns[i]}'" for i in columns if i < len(cells) and _real(cells[i])]
        keyed = any(
            _SECRET_NAME.fullmatch(cell) and _real(after)
            for cell, after in itertools.pairwise(cells)
        )
        if named:
            yield number, f"{PASSWORD_KIND} in the {named[0]}"
        elif keyed:
            yield number, f"{PASSWORD_KIND} beside its name"


def _cell(text: str) -> str:
    return text.strip().strip('"').strip()


def _real(value: str) -> bool:
    return not _PLACEHOLDER.fullmatch(value)


def _allowlisted(lines: list[str], line: int) -> bool:
    """detect-secrets' own pragmas: on the line, or on the line before it for the next."""
    return _ALLOWED in lines[line - 1] or (line >= 2 and _ALLOWED_NEXT in lines[line - 2])
