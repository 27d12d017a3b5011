"""No large files, and no binaries other than data files, in an automation's folder.

Every file in the repository is cloned by everyone, forever, and is part of every version
of the automation. Files over 1 MB slow that down for all, and binaries (executables,
archives, compiled code) cannot be reviewed in a pull request, so nobody can say what
they do. Binary data files an automation needs as test samples are fine when small:
spreadsheets, CSV, e-mails, JSON, images and PDFs (`.xlsx .xls .ods .csv .tsv .eml .msg
.json .xml .png .jpg .jpeg .gif .webp .pdf .docx .txt`, plus `data_extensions` of
`[tool.autokit]`). A file counts as binary when its first 8 KiB hold a NUL byte, the test
Git itself uses. The files a pull request adds or changes are checked (all with `--all`).

Fix: shrink the sample to the few rows the tests need; keep big or generated data outside
the repository (a shared drive, an input path); build executables from reviewed source.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from toolkit.files import is_binary
from toolkit.findings import Finding

if TYPE_CHECKING:
    from toolkit.policy.context import PolicyContext

MAX_BYTES = 1_000_000
DATA_EXTENSIONS = frozenset(
    {
        ".xlsx",
        ".xls",
        ".ods",
        ".csv",
        ".tsv",
        ".eml",
        ".msg",
        ".json",
        ".xml",
        ".png",
        ".jpg",
        ".jpeg",
        ".gif",
        ".webp",
        ".pdf",
        ".docx",
        ".txt",
    }
)


def check(ctx: PolicyContext) -> list[Finding]:
    allowed = DATA_EXTENSIONS | set(ctx.config.data_extensions)
    findings = []
    files = [path for name in ctx.names for path in ctx.files(name)]
    files += [path for name in ctx.library_names for path in ctx.library_files(name)]
    for path in files:
        problem = file_problem(path, allowed)
        if problem:
            findings.append(ctx.finding(path, *problem))
    return findings


def file_problem(path: Path, allowed: frozenset[str] | set[str]) -> tuple[str, str] | None:
    size = path.stat().st_size
    if size > MAX_BYTES:
        return (
            f"is {size / 1_000_000:.1f} MB, over the 1 MB limit",
            "keep a small sample in the repository and large data outside it",
        )
    if path.suffix.lower() not in allowed and is_binary(path):
        return (
            f"is a binary file ({path.suffix or 'no extension'}), which cannot be reviewed",
            "commit source instead, or add the extension to data_extensions in "
            "[tool.autokit] if it is a data format",
        )
    return None
