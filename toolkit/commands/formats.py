"""The one `--format` vocabulary every command shares.

`text` is for people (lines, and tables where there are columns), `json` for programs,
`github` for a GitHub Actions log (workflow annotations plus a job summary), `csv` for
spreadsheets. A command offers the subset that makes sense for it; `table`, the name some
commands used before, is still accepted and means `text`.
"""

from __future__ import annotations

import argparse

FORMATS = {
    "text": "for people: lines, and tables where there are columns (the default)",
    "json": "one JSON document on stdout, for programs",
    "github": "GitHub workflow annotations plus a job summary",
    "csv": "comma-separated values with a header row, for spreadsheets",
}
_ALIASES = {"table": "text"}


def _format_name(text: str) -> str:
    return _ALIASES.get(text, text)


def add_format_argument(parser: argparse.ArgumentParser, *formats: str, json: str = "") -> None:
    """Add `--format` offering `formats` (text first, the default); `json` says what JSON holds."""
    unknown = [name for name in formats if name not in FORMATS]
    if unknown or formats[0] != "text":
        raise ValueError(f"formats must start with text and come from {sorted(FORMATS)}")
    described = [
        f"{name}: {FORMATS[name] if name != 'json' or not json else json}" for name in formats
    ]
    parser.add_argument(
        "--format",
        type=_format_name,
        choices=list(formats),
        default="text",
        help="; ".join(described),
    )
