"""Real parts for the invoice-reminders tests: shopkit's SMTP server on loopback."""

from __future__ import annotations

from pathlib import Path

import pytest
from shopkit.testing import closed, smtp_server  # noqa: F401  (fixtures)


@pytest.fixture(autouse=True)
def isolated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AUTOKIT_OUTPUT_DIR", str(tmp_path / "output"))
    monkeypatch.delenv("SMTP_PASSWORD", raising=False)
