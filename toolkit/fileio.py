"""Writing files so that an interrupted write never leaves half a file behind."""

from __future__ import annotations

import os
from pathlib import Path


def atomic_write(path: Path, data: str | bytes) -> None:
    """Write `data` to `path` through a temporary file beside it, then rename it into place.

    Text is written as UTF-8. The parent folder is created when missing. Readers see the
    old content or the new, never a mix; on failure the temporary file is removed and the
    OSError propagates, so callers decide whether a failed write matters.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    payload = data.encode("utf-8") if isinstance(data, str) else data
    try:
        temporary.write_bytes(payload)
        os.replace(temporary, path)
    except OSError:
        temporary.unlink(missing_ok=True)
        raise
