"""Reading an automation's files the way reviews need: every file but caches, binaries
told apart from text, where a generated file first differs from what it should be, and
contributor files read without ever following a symbolic link."""

from __future__ import annotations

import errno
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


# -- symbolic links in contributor folders -------------------------------------------------
#
# A contributor's pull request may add a symbolic link where a file is expected: a README
# that points at /etc/passwd or /proc/self/environ would make the catalog publish the
# build machine's files, and a linked main.py would run code nobody reviewed. So every
# reader of a contributor file goes through `read_contributor_file` (or asks
# `linked_part`), and a link, even one to a file beside it, is treated as a missing file.

# Where contributors' files live: any pull request may change them.
CONTRIBUTOR_FOLDERS = ("automations", "docs", "templates", "libraries")

NO_FOLLOW = getattr(os, "O_NOFOLLOW", 0)  # open() flag: fail on a link instead of following

LINK_REASON = (
    "autokit does not follow links in contributor folders, so a link cannot publish or "
    "run files from elsewhere"
)
LINK_HINT = (
    'replace the link with the file it points to (`cp --remove-destination "$(readlink PATH)" '
    "PATH`), or remove it"
)


class LinkedFile(OSError):
    """A contributor file that is, or lies in a folder that is, a symbolic link.

    An OSError, so a reader that treats unreadable files as missing does so for links too;
    `str()` is the message to show, naming the link.
    """

    def __init__(self, link: str) -> None:
        self.link = link  # the link as shown: relative to the repository root
        self.message = f"{link} is a symbolic link; {LINK_REASON}: replace it with the file itself"
        super().__init__(errno.ELOOP, self.message, link)

    def __str__(self) -> str:
        return self.message


def linked_part(path: Path, root: Path) -> Path | None:
    """The first of the folders below `root` on the way to `path`, or `path` itself, that is
    a symbolic link; None when there is none.

    `root` (the repository) may itself lie behind a link, e.g. a home folder on another disk:
    only what is below it belongs to contributors. A `path` outside `root` has only itself
    checked. Strings, not Paths: this runs for every file read, thousands per command.
    """
    absolute, top = os.path.abspath(path), os.path.abspath(root).rstrip(os.sep)
    if not absolute.startswith(top + os.sep):
        return Path(absolute) if absolute != top and os.path.islink(absolute) else None
    current = top
    for part in absolute[len(top) + 1 :].split(os.sep):
        current = f"{current}{os.sep}{part}"
        if os.path.islink(current):
            return Path(current)
    return None


def refuse_links(path: Path, root: Path) -> None:
    """Raise `LinkedFile` when `path`, or a folder between `root` and it, is a link."""
    link = linked_part(path, root)
    if link is not None:
        raise LinkedFile(_shown(link, root))


def read_contributor_file(path: Path, root: Path, limit: int | None = None) -> bytes:
    """The bytes of a file a contributor controls (at most `limit`), never through a link.

    Raises `LinkedFile` when the file or a folder above it (up to `root`) is a symbolic
    link, and OSError when it cannot be read. The last step opens with O_NOFOLLOW, so the
    file cannot be swapped for a link between the check and the read.
    """
    refuse_links(path, root)
    try:
        descriptor = os.open(path, os.O_RDONLY | NO_FOLLOW)
    except OSError as error:
        if error.errno == errno.ELOOP:
            raise LinkedFile(_shown(Path(path), root)) from None
        raise
    with os.fdopen(descriptor, "rb") as file:
        return file.read() if limit is None else file.read(limit)


def read_contributor_text(path: Path, root: Path) -> str:
    """`read_contributor_file` as text (UTF-8, undecodable bytes replaced)."""
    return read_contributor_file(path, root).decode("utf-8", errors="replace")


def contributor_link(path: Path, root: Path) -> Path | None:
    """`linked_part` for a path inside a contributor folder of the repository at `root`;
    None for any other path (an operator's own files may be links: they chose them)."""
    try:
        top = Path(os.path.abspath(path)).relative_to(os.path.abspath(root)).parts[:1]
    except ValueError:
        return None
    return linked_part(path, root) if top and top[0] in CONTRIBUTOR_FOLDERS else None


def links_under(folder: Path) -> list[Path]:
    """Every symbolic link at or under `folder`, sorted, without following any (caches and
    virtual environments, never committed, are skipped: a venv is full of links)."""
    if folder.is_symlink():
        return [folder]
    found: list[Path] = []
    pending = [folder]
    while pending:
        try:
            entries = list(os.scandir(pending.pop()))
        except OSError:  # missing or unreadable: nothing there to publish
            continue
        for entry in entries:
            if entry.is_symlink():
                found.append(Path(entry.path))
            elif entry.is_dir(follow_symlinks=False) and entry.name not in SKIPPED_DIRS:
                pending.append(Path(entry.path))
    return sorted(found)


def _shown(path: Path, root: Path) -> str:
    try:
        return Path(os.path.abspath(path)).relative_to(os.path.abspath(root)).as_posix()
    except ValueError:
        return str(path)
