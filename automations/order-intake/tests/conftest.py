"""Real parts for the order-intake tests: shopkit's SMTP servers on loopback, a copy of the
samples."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from shopkit.testing import closed, smtp_login_server, smtp_server  # noqa: F401  (fixtures)


@pytest.fixture(autouse=True)
def isolated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AUTOKIT_OUTPUT_DIR", str(tmp_path / "output"))
    monkeypatch.delenv("SMTP_PASSWORD", raising=False)


@pytest.fixture
def shop(tmp_path: Path) -> Path:
    """A writable copy of the sample Maildir and inventory workbook."""
    target = tmp_path / "shop"
    sample = Path(__file__).resolve().parent.parent / "sample"
    shutil.copytree(sample, target, ignore=shutil.ignore_patterns("output"))
    for sub in ("cur", "new", "tmp"):
        (target / "maildir" / sub).mkdir(exist_ok=True)
    return target
