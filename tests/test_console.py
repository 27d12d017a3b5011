"""Progress lines: plain off a terminal, a spinner on one while a step is under way."""

from __future__ import annotations

import io
import os
import pty
import select
import time
from collections.abc import Callable
from typing import TextIO

import pytest

from toolkit.console import StatusLine


def terminal_stream() -> tuple[TextIO, Callable[[], str]]:
    """A real pseudo-terminal: a stream writing to it, and a reader of what it drew."""
    master, slave = pty.openpty()
    stream = open(slave, "w", encoding="utf-8", closefd=True)  # noqa: SIM115

    def drawn() -> str:
        out = b""
        while select.select([master], [], [], 0.2)[0]:
            out += os.read(master, 65536)
        return out.decode()

    return stream, drawn


def test_status_line_spins_on_a_terminal_only_while_a_step_is_under_way(monkeypatch) -> None:
    monkeypatch.setenv("TERM", "xterm")
    stream, drawn = terminal_stream()
    with StatusLine(stream) as progress:
        progress("building the environment...")
        time.sleep(0.35)
        progress("  Resolved 1 package")  # a detail: the spinner goes on below it
        time.sleep(0.25)
        progress("environment ready (0.6 s)")
        time.sleep(0.25)  # no spinner now: nothing more is drawn
    text = drawn().replace("\r\n", "\n")
    assert text.startswith("autokit: building the environment...\n")
    before, after = text.split("autokit:   Resolved 1 package\n")
    assert "\r\x1b[K  | 0 s" in before and "\r\x1b[K  / 0 s" in before
    assert "\r\x1b[K  " in after.split("autokit: environment ready")[0]  # still turning
    assert after.endswith("\r\x1b[Kautokit: environment ready (0.6 s)\n")
    stream.close()

    plain = io.StringIO()
    with StatusLine(plain) as progress:
        progress("building the environment...")
        time.sleep(0.25)
        progress("  Resolved 1 package")
        progress("environment ready")
    assert plain.getvalue() == (
        "autokit: building the environment...\n"
        "autokit:   Resolved 1 package\n"
        "autokit: environment ready\n"
    )


def test_an_error_during_a_step_leaves_no_spinner_behind(monkeypatch) -> None:
    monkeypatch.setenv("TERM", "xterm")
    stream, drawn = terminal_stream()
    with pytest.raises(RuntimeError), StatusLine(stream) as progress:
        progress("installing...")
        time.sleep(0.25)
        raise RuntimeError("the installer failed")
    time.sleep(0.25)
    text = drawn()
    assert text.endswith("\r\x1b[K")  # erased, and nothing drawn after the error
    stream.close()
