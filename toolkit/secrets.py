"""Declared secrets: where their values come from, and masking them wherever text goes.

Only the secrets an automation declares reach it. Their values come from the caller's
environment, else from a `.env` file in the repository root (which `.gitignore` lists,
so values never enter Git). Everything autokit prints or stores passes through a
`Masker`, which replaces each value, and each of its encoded forms (`toolkit.secret_forms`:
base64, hex, URL, JSON, reversed, cased), with `***`; `StreamMasker` does the same for
output that arrives in chunks, holding back a chunk's tail while it could be the start of
a form completed by the next chunk.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Mapping
from pathlib import Path

from toolkit.errors import ToolkitError
from toolkit.metadata import Automation
from toolkit.secret_forms import all_forms, begins_a_form, minimal_forms, pattern, trie_of

MASK = "***"
DOTENV_FILE = ".env"

# `[export] NAME = value`: the name as a shell variable, the value as written after it.
_DOTENV_LINE = re.compile(r"^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*=(\s*)(.*?)\s*$")
# A quoted value, then optionally a comment: "a \"b\" # c" # note  or  'a b' # note
_QUOTED = re.compile(r"""^(?:"((?:[^"\\]|\\.)*)"|'([^']*)')\s*(?:#.*)?$""")
# The escapes python-dotenv (and so most tools that read .env files) decode in double quotes.
_ESCAPES = {
    "n": "\n", "t": "\t", "r": "\r", '"': '"', "'": "'", "\\": "\\",
    "a": "\a", "b": "\b", "f": "\f", "v": "\v",
}  # fmt: skip


def read_dotenv(path: Path) -> dict[str, str]:
    """`NAME=VALUE` lines of a .env file; `export`, quotes and `#` comments are understood.

    The syntax is python-dotenv's for single-line values (README.md, "The .env file",
    lists the few differences). Lines end at `\n`, `\r\n` or `\r` only. Each line is
    decoded on its own, so a line that is not UTF-8, holds a NUL byte (no process
    environment can carry one) or is not a `NAME=value` line is named by its number, and
    never shown: it may hold a secret.
    """
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return {}
    except OSError as error:
        reason = error.strerror or str(error)
        raise ToolkitError(f"cannot read {path}: {reason}", "check its permissions") from None
    values: dict[str, str] = {}
    data = data.removeprefix(b"\xef\xbb\xbf")  # Windows editors add a byte-order mark
    # bytes.splitlines ends lines at \n, \r\n and \r only (str.splitlines would also end
    # them at \f, \v, \x85 and \u2028, which are characters a value may hold).
    for number, raw in enumerate(data.splitlines(), start=1):
        where = f"{path}:{number}"
        line = _dotenv_line(raw, where)
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        match = _DOTENV_LINE.match(line)
        if not match:
            raise _not_a_binding(line, where)
        values[match[1]] = _value(match[3], bool(match[2]), where, match[1])
    return values


def _not_a_binding(line: str, where: str) -> ToolkitError:
    """Why a line is not `NAME=value`, saying so without showing the line."""
    if "=" not in line:
        return ToolkitError(
            f"{where}: not a KEY=VALUE line: it has no `=`",
            "write `NAME=value`, e.g. `API_TOKEN=...`, and start a note with `#`; "
            "the line is not shown here because it may hold a secret",
        )
    return ToolkitError(
        f"{where}: not a KEY=VALUE line: the name before `=` is not a variable name",
        "a name has only letters, digits and underscores and does not start with a digit, "
        "e.g. `API_TOKEN=...` rather than `api-token=...`; "
        "the line is not shown here because it may hold a secret",
    )


def _dotenv_line(raw: bytes, where: str) -> str:
    if b"\0" in raw:
        raise ToolkitError(
            f"{where}: the line holds a NUL byte, which no environment variable can carry",
            "remove it (an editor that saved UTF-16 writes one in every character; save as UTF-8)",
        )
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        raise ToolkitError(
            f"{where}: the line is not UTF-8 text", "save the file as UTF-8"
        ) from None


def _value(text: str, spaced: bool, where: str, name: str) -> str:
    """The value of a line: quoted (a comment may follow) or bare (` # ...` ends it).

    A `#` right after `=` (`NAME=#x`) is part of the value; after a space it begins a
    comment, so `API_TOKEN=   # fill in` is an empty value, as in python-dotenv.
    """
    if not text.startswith(("'", '"')):
        if spaced and text.startswith("#"):
            return ""
        return re.sub(r"\s+#.*$", "", text)
    quoted = _QUOTED.match(text)
    if quoted is None:
        closed = re.match(r"""^(?:"(?:[^"\\]|\\.)*"|'[^']*')""", text)
        raise ToolkitError(
            f"{where}: the value of {name} "
            + (
                "has text after its closing quote"
                if closed
                else "opens a quote that does not close"
            ),
            "put the whole value inside one pair of quotes; only a `# comment` may follow it, "
            "and the value ends on its line: write \\n inside double quotes for a line break",
        )
    if quoted[2] is not None:  # single quotes: literal, as in a shell
        return quoted[2]
    return re.sub(r"\\(.)", lambda m: _ESCAPES.get(m[1], m[0]), quoted[1])


def available_secrets(
    automation: Automation, repo_root: Path, environ: Mapping[str, str] | None = None
) -> dict[str, str]:
    """The declared secrets that have a value: from the environment, else from `.env`."""
    environ = os.environ if environ is None else environ
    if all(environ.get(s.name) for s in automation.secrets):
        dotenv = {}  # nothing to look up: the file is not even read
    else:
        dotenv = read_dotenv(repo_root / DOTENV_FILE)
    values = {s.name: environ.get(s.name) or dotenv.get(s.name) for s in automation.secrets}
    return {name: value for name, value in values.items() if value}


def resolve_secrets(
    automation: Automation, repo_root: Path, environ: Mapping[str, str] | None = None
) -> dict[str, str]:
    """The value of every declared secret that has one; a missing required one stops the run."""
    values = available_secrets(automation, repo_root, environ)
    missing = [s.name for s in automation.secrets if s.required and s.name not in values]
    if missing:
        described = {s.name: s.description for s in automation.secrets}
        listing = "\n".join(f"  - {name}: {described[name]}" for name in missing)
        raise ToolkitError(
            f"{automation.name} needs secrets that are not set:\n{listing}",
            f"set them in the environment or in {DOTENV_FILE} at the repository root "
            f"(e.g. `{missing[0]}=...`); {DOTENV_FILE} is git-ignored",
        )
    return values


def present_secrets(automation: Automation, repo_root: Path) -> dict[str, bool]:
    """For a dry run: which declared secrets have a value (names only, never values)."""
    values = available_secrets(automation, repo_root)
    return {s.name: s.name in values for s in automation.secrets}


class Masker:
    """Replaces every secret value, and each of its encoded forms, in text with `***`.

    The forms (`toolkit.secret_forms`) are matched by one compiled pattern; where several
    occur at one position the longest is masked, and overlapping ones are masked as one.
    """

    def __init__(self, values: Iterable[str]) -> None:
        self.values = sorted({v for v in values if v}, key=len, reverse=True)
        self.forms = all_forms(self.values)
        self.longest = len(self.forms[0]) if self.forms else 0
        self._trie = trie_of(self.forms)
        self._pattern = re.compile(pattern(self._trie)) if self.forms else None
        # Every form contains one of these; a plain substring test for each is much faster
        # than the pattern, and most text holds none of them.
        self._minimal = minimal_forms(self.forms)
        # A run of the characters forms are made of: only such a run can begin a form.
        characters = "".join(re.escape(c) for c in sorted(set("".join(self.forms))))
        self._run_of_form_characters = re.compile(f"[{characters}]*") if characters else None

    def spans(self, text: str) -> list[tuple[int, int]]:
        """Where secret forms occur in `text`, as merged (start, end) ranges."""
        merged: list[tuple[int, int]] = []
        if self._pattern is None or not any(form in text for form in self._minimal):
            return merged
        search, position = self._pattern.search, 0
        while (found := search(text, position)) is not None:
            start, end = found.span()
            if merged and start < merged[-1][1]:
                merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
            else:
                merged.append((start, end))
            position = start + 1  # a form may begin inside this one and reach further
        return merged

    def mask(self, text: str) -> str:
        if self._pattern is None:
            return text
        return self.mask_spans(text, self.spans(text))

    @staticmethod
    def mask_spans(text: str, spans: Iterable[tuple[int, int]]) -> str:
        pieces, position = [], 0
        for start, end in spans:
            pieces.append(text[position:start] + MASK)
            position = end
        pieces.append(text[position:])
        return "".join(pieces)

    def mask_data(self, value: object) -> object:
        """JSON-like data with every string (keys too) masked."""
        if not self.values:
            return value
        if isinstance(value, str):
            return self.mask(value)
        if isinstance(value, dict):
            return {self.mask_data(k): self.mask_data(v) for k, v in value.items()}
        if isinstance(value, list | tuple):
            return [self.mask_data(v) for v in value]
        return value

    def mask_mapping(self, values: Mapping[str, object]) -> dict[str, object]:
        """A mapping of names to JSON-like data (inputs, say), keys and values masked."""
        return {self.mask(name): self.mask_data(value) for name, value in values.items()}

    def could_start_secret(self, text: str, start: int = 0) -> bool:
        """Whether `text[start:]` is the beginning (not the whole) of some form."""
        return begins_a_form(self._trie, text, start)

    def tail_starts(self, text: str) -> range:
        """Where a tail of `text` that begins a form could start: within the last
        `longest - 1` characters, and after the last character no form contains."""
        if self._run_of_form_characters is None:
            return range(len(text), len(text))
        window = text[max(0, len(text) - self.longest + 1) :]
        # Matching the reversed window is C speed; output mostly ends in a space or newline.
        run = self._run_of_form_characters.match(window[::-1])
        return range(len(text) - (run.end() if run else 0), len(text))


class StreamMasker:
    """Masks text that arrives in chunks, so a secret split across two chunks is masked too."""

    def __init__(self, masker: Masker) -> None:
        self.masker = masker
        self.pending = ""

    def feed(self, chunk: str) -> str:
        """The masked text that is safe to emit now; a possible secret prefix is held back."""
        text = self.pending + chunk
        spans = self.masker.spans(text)
        cut = self._safe_cut(text, spans)
        self.pending = text[cut:]
        # No span crosses the cut (see _safe_cut), so those before it are the prefix's own.
        return self.masker.mask_spans(text[:cut], [s for s in spans if s[1] <= cut])

    def flush(self) -> str:
        text, self.pending = self.pending, ""
        return self.masker.mask(text)

    def _safe_cut(self, text: str, spans: list[tuple[int, int]]) -> int:
        """Where the emitted part ends: before the earliest tail that could begin a secret.

        When that tail starts inside a secret found already, the whole found secret is
        held back too: the next chunk may extend it into a longer, overlapping match.
        """
        for start in self.masker.tail_starts(text):
            if self.masker.could_start_secret(text, start):
                return next((s for s, e in spans if s < start < e), start)
        return len(text)
