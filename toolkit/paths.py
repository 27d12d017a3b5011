"""Where autokit keeps state (run history, crash reports) and caches (environments)."""

from __future__ import annotations

import os
from pathlib import Path


def state_home() -> Path:
    """`AUTOKIT_HOME`, else the user's state folder (XDG_STATE_HOME/autokit)."""
    if home := os.environ.get("AUTOKIT_HOME"):
        return Path(home)
    base = os.environ.get("XDG_STATE_HOME") or str(Path.home() / ".local" / "state")
    return Path(base) / "autokit"


def cache_home() -> Path:
    """`AUTOKIT_CACHE_DIR`, else the user's cache folder (XDG_CACHE_HOME/autokit)."""
    if cache := os.environ.get("AUTOKIT_CACHE_DIR"):
        return Path(cache)
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "autokit"
