"""The three-way merge of one automation's files: the template at the recorded version
(base), at its current version (theirs), and the person's files (ours).

Each file is merged as `git merge-file` merges it; what the two sides did to whole files
is settled first:

    in base, theirs and ours    merged (conflict markers where both changed the same lines)
    deleted by the person       stays deleted (reported when the template changed it)
    new in the template         added; a conflict when the person has a different file there
    dropped by the template     removed when unchanged from base, else kept (reported)
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from toolkit import git

MERGED = "merged"
ADDED = "added"
REMOVED = "removed"
CONFLICT = "conflict"
KEPT_DELETED = "kept deleted"  # the person deleted it; the template changed it
KEPT_CHANGED = "kept"  # the template dropped it; the person changed it
MARKERS = (b"<<<<<<< ", b">>>>>>> ")


@dataclass(frozen=True)
class FileChange:
    """What upgrading does to one file of the automation's folder."""

    path: str  # relative to the automation's folder
    action: str
    content: bytes | None = None  # what is written; None: nothing (or removed)
    lines: tuple[int, ...] = ()  # where a conflict's markers start

    @property
    def writes(self) -> bool:
        return self.content is not None


def merge_folder(
    base: Mapping[str, bytes],
    theirs: Mapping[str, bytes],
    ours: Mapping[str, bytes | None],
    labels: tuple[str, str, str],
) -> list[FileChange]:
    """Every change upgrading makes, file by file in path order; `ours` holds the person's
    bytes for each path of `base` and `theirs` (None where there is no such file)."""
    changes = []
    for path in sorted({*base, *theirs}):
        change = _merge_one(path, base.get(path), theirs.get(path), ours.get(path), labels)
        if change is not None:
            changes.append(change)
    return changes


def _merge_one(
    path: str,
    base: bytes | None,
    theirs: bytes | None,
    ours: bytes | None,
    labels: tuple[str, str, str],
) -> FileChange | None:
    if theirs is None:  # dropped by the template
        if ours is None or base is None:
            return None
        return FileChange(path, REMOVED) if ours == base else FileChange(path, KEPT_CHANGED)
    if ours is None:
        if base is None:
            return FileChange(path, ADDED, theirs)
        return FileChange(path, KEPT_DELETED) if theirs != base else None
    merged, lines = three_way(ours, base if base is not None else b"", theirs, labels)
    if lines or merged is None:
        return FileChange(path, CONFLICT, merged, lines)
    return None if merged == ours else FileChange(path, MERGED, merged)


def three_way(
    ours: bytes, base: bytes, theirs: bytes, labels: tuple[str, str, str]
) -> tuple[bytes | None, tuple[int, ...]]:
    """The merged bytes and the lines where conflict markers start (none: a clean merge).
    A binary file both sides changed is a conflict without markers (None: left as it is)."""
    if ours == theirs or theirs == base:
        return ours, ()
    if ours == base:
        return theirs, ()
    if b"\0" in ours + base + theirs:
        return None, ()
    merged = git.merge_file(ours, base, theirs, labels)
    return merged, marker_lines(merged)


def marker_lines(data: bytes) -> tuple[int, ...]:
    """The lines (from 1) where a conflict's `<<<<<<<` marker stands."""
    return tuple(
        number
        for number, line in enumerate(data.split(b"\n"), start=1)
        if line.startswith(MARKERS[0])
    )


def markers_left(data: bytes) -> tuple[int, ...]:
    """The lines (from 1) that still hold a `<<<<<<<` or `>>>>>>>` conflict marker."""
    return tuple(
        number for number, line in enumerate(data.split(b"\n"), start=1) if line.startswith(MARKERS)
    )
