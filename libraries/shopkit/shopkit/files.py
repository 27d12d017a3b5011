"""Output files: where they go, and writing them whole or not at all."""

from __future__ import annotations

import errno
import os
import shutil
import tempfile
from pathlib import Path
from typing import Any

from shopkit.errors import ShopkitError

# Where a rename over the target cannot work and copying into it can: another file
# system, or the target being the one writable file of autokit's sandbox.
_COPY_INSTEAD = (errno.EXDEV, errno.EBUSY, errno.EROFS, errno.EACCES, errno.EPERM)


def output_dir(near: Path) -> Path:
    """`$AUTOKIT_OUTPUT_DIR` when set (autokit sets it for every run), else an `output/`
    folder beside `near`, the input file."""
    configured = os.environ.get("AUTOKIT_OUTPUT_DIR")
    return Path(configured) if configured else near.parent / "output"


def write_atomically(target: Path, data: bytes, *, sync: bool = False) -> None:
    """Write `data` to a temporary file beside `target`, then rename it into place: a crash
    never leaves half a file, and readers see the old file or the new one.

    With `sync` the bytes are on disk before this returns (for a file that must survive a
    power cut, such as a backup).
    """
    target.parent.mkdir(parents=True, exist_ok=True)
    handle, temp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}-")
    try:
        with os.fdopen(handle, "wb") as file:
            file.write(data)
            if sync:
                file.flush()
                os.fsync(file.fileno())
        os.replace(temp, target)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise


def save_workbook(workbook: Any, target: Path, *, like: Path | None = None) -> None:
    """Save an openpyxl workbook to `target` whole: to a temporary file first, then renamed
    over `target` (copied into it where only `target` itself may be written).

    `like` is the file whose permissions the new one keeps, usually the workbook it
    replaces. A failure raises ShopkitError and leaves `target` as it was.
    """
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        handle, temp = tempfile.mkstemp(
            dir=target.parent, prefix=f".{target.stem}-", suffix=target.suffix or ".xlsx"
        )
    except OSError as error:
        if not target.is_file():
            raise ShopkitError(f"cannot write beside {target}: {error}") from None
        handle, temp = tempfile.mkstemp(prefix=f".{target.stem}-", suffix=".xlsx")
    os.close(handle)
    try:
        workbook.save(temp)
        if like is not None and like.exists():
            shutil.copymode(like, temp)
        _replace(Path(temp), target)
    except OSError as error:
        raise ShopkitError(
            f"cannot save {target.name} ({error}); it is unchanged. Close it if it is open "
            "in a spreadsheet app and run again"
        ) from None
    finally:
        Path(temp).unlink(missing_ok=True)


def _replace(saved: Path, target: Path) -> None:
    """Rename `saved` over `target`, or copy its bytes into `target` where renaming cannot."""
    try:
        os.replace(saved, target)
    except OSError as error:
        if error.errno not in _COPY_INSTEAD:
            raise
        with open(saved, "rb") as source, open(target, "r+b") as destination:
            shutil.copyfileobj(source, destination)
            destination.truncate()
            destination.flush()
            os.fsync(destination.fileno())
