"""Reading an automation's files the way reviews need: every file but caches, binaries
told apart from text, and where a generated file first differs from what it should be."""

from __future__ import annotations

import os
from pathlib import Path

SKIPPED_DIRS = frozenset({"__pycache__", ".venv", "node_modules", ".pytest_cache", ".mypy_cache"})


def walk_files(folder: Path) -> list[Path]:
    """Every file under `folder`, sorted, skipping caches, virtual environments and links."""
    found: list[Path] = []
    for directory, subdirs, files in os.walk(folder):
        subdirs[:] = sorted(d for d in subdirs if d not in SKIPPED_DIRS)
        found.extend(Path(directory) / f for f in sorted(files))
    return [p for p in found if not p.is_symlink()]


def is_binary(path: Path) -> bool:
    """A NUL byte in the first 8 KiB, the test Git itself uses."""
    with path.open("rb") as file:
        return b"\0" in file.read(8192)


def first_difference(actual: str, expected: str) -> int:
    """The first line (1-based) where a generated file differs from what it should be."""
    ours, theirs = actual.splitlines(), expected.splitlines()
    for number, (a, b) in enumerate(zip(ours, theirs, strict=False), start=1):
        if a != b:
            return number
    return min(len(ours), len(theirs)) + 1
