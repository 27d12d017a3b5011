"""After a run: which files of its output folder hold a secret, as is or encoded.

An automation that writes its token into a report has leaked it to whoever receives the
report (on GitHub, to everyone who can download the run's artifact). Masking cannot
repair a file without changing what the automation produced, so the file is named
instead: in the run's record (`leaks`), in the run's summary and in `autokit runs show`,
by its path and never with the value; the workflows leave such files out of the artifact.

Each regular file is read in chunks, each chunk searched for every form of every value
(`toolkit.secret_forms`); consecutive chunks overlap by one byte less than the longest
form, so a form split between two reads is still found. Links are not followed: what
they point to is not the automation's output.
"""

from __future__ import annotations

import contextlib
import os
import stat
from collections.abc import Iterator
from io import RawIOBase
from pathlib import Path

from toolkit.secret_forms import minimal_forms
from toolkit.secrets import Masker

CHUNK_BYTES = 4 * 1024 * 1024


def leaking_files(output: Path, masker: Masker) -> list[str]:
    """The files under `output` that hold a secret: sorted POSIX paths relative to it."""
    if not masker.forms:
        return []
    needles = [form.encode("utf-8") for form in minimal_forms(masker.forms)]
    found = [path for path in _regular_files(output) if _holds_any(path, needles)]
    # A file's name may itself hold a secret: the names are masked like any other text.
    return sorted(masker.mask(path.relative_to(output).as_posix()) for path in found)


def _regular_files(folder: Path) -> Iterator[Path]:
    """Every regular file below `folder`, links and special files left out."""
    with contextlib.suppress(OSError), os.scandir(folder) as entries:
        for entry in entries:
            if entry.is_dir(follow_symlinks=False):
                yield from _regular_files(Path(entry.path))
            elif entry.is_file(follow_symlinks=False):
                yield Path(entry.path)


def _holds_any(path: Path, needles: list[bytes]) -> bool:
    try:
        descriptor = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    except OSError:
        return False  # gone, or swapped for a link since it was listed
    with open(descriptor, "rb", buffering=0) as file:
        if not stat.S_ISREG(os.fstat(file.fileno()).st_mode):
            return False
        return _stream_holds_any(file, needles)


def _stream_holds_any(file: RawIOBase, needles: list[bytes]) -> bool:
    """Read into one buffer whose start keeps the previous read's last bytes (no copies)."""
    overlap = max(len(needle) for needle in needles) - 1
    buffer = bytearray(overlap + CHUNK_BYTES)
    view = memoryview(buffer)
    kept = 0
    while read := file.readinto(view[kept:]):
        filled = kept + read
        if any(buffer.find(needle, 0, filled) != -1 for needle in needles):
            return True
        kept = min(overlap, filled)
        buffer[:kept] = buffer[filled - kept : filled]
    return False
