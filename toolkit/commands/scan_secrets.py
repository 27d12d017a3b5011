"""`autokit scan-secrets FILE...`: the hardcoded-secrets scan on the files named.

The pre-commit hook runs it on the files being committed (pre-commit has set aside what
is not staged, so the files hold what the commit would), so a password is stopped before
it is in Git history, not only in the pull request. The scan and the findings are those
of the `hardcoded-secrets` check; values are never printed.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from toolkit.checks import hardcoded_secrets
from toolkit.errors import ToolkitError
from toolkit.findings import ERROR, Finding
from toolkit.reporters import render_text

CHECK_ID = "hardcoded-secrets"
HINT = (
    "remove it, declare it under `secrets:` and read it from the environment; if it is "
    "sample data, not a secret, end the line with `# pragma: allowlist secret` "
    "or, in a table, write `***` instead"
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("paths", nargs="+", metavar="FILE", help="files (or folders) to scan")


def run(args: argparse.Namespace) -> int:
    files = list(_files([Path(p) for p in args.paths]))
    hits = hardcoded_secrets.scan(files)
    findings = [
        Finding(
            path.as_posix(), line, None, CHECK_ID, ERROR, hardcoded_secrets.message(kinds), HINT
        )
        for (path, line), kinds in hits.items()
    ]
    if findings:
        print(render_text(findings))
    count = f"{len(files)} file(s) scanned, {len(findings)} possible secret(s)"
    print(count if findings else f"{count}: none found", file=sys.stderr)
    return 1 if findings else 0


def _files(paths: list[Path]) -> list[Path]:
    """Regular files named or inside the folders named; links are not followed (the
    `symlinks` check reports them), and `.git` is left out."""
    found: list[Path] = []
    for path in paths:
        if path.is_symlink():
            continue
        if path.is_dir():
            for folder, dirs, names in os.walk(path):
                dirs[:] = sorted(d for d in dirs if d != ".git")
                found += [
                    Path(folder, n) for n in sorted(names) if not Path(folder, n).is_symlink()
                ]
        elif path.is_file():
            found.append(path)
        elif not path.exists():
            raise ToolkitError(f"{path}: no such file", "name files that exist")
    return [f for f in found if f.is_file()]
