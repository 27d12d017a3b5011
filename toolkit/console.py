"""Terminal output: colour only for a TTY, and never when NO_COLOR is set."""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence

TYPE_CHECKING = False  # as typing.TYPE_CHECKING, without importing typing at start-up
if TYPE_CHECKING:
    from contextlib import AbstractContextManager
    from typing import TextIO

_CODES = {"red": "31", "green": "32", "yellow": "33", "blue": "34", "bold": "1", "dim": "2"}


def use_color(stream: TextIO) -> bool:
    if os.environ.get("NO_COLOR") or os.environ.get("TERM") == "dumb":
        return False
    return hasattr(stream, "isatty") and stream.isatty()


def style(text: str, color: str, stream: TextIO) -> str:
    if not use_color(stream):
        return text
    return f"\033[{_CODES[color]}m{text}\033[0m"


def table(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    """A plain-text table with columns padded to their widest cell."""
    widths = [len(h) for h in headers]
    for row in rows:
        for i, cell in enumerate(row):
            widths[i] = max(widths[i], len(cell))
    lines = ["  ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True)).rstrip()]
    lines.append("  ".join("-" * w for w in widths))
    for row in rows:
        lines.append("  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip())
    return "\n".join(lines)


class StatusLine:
    """`autokit: ...` progress lines on a stream, with a spinner on a terminal while a step
    is under way (a first environment build can take a while with nothing to say).

    A message ending in "..." starts a step; a message indented by two spaces is a detail
    of it (e.g. the installer's own lines), printed while the spinner carries on below it;
    any other message ends the step. Off a terminal every message is one plain line and
    nothing spins. Use it as a context manager, so an error never leaves a spinner behind.
    """

    FRAMES = "|/-\\"
    INTERVAL = 0.1  # seconds between frames
    ERASE = "\r\033[K"  # back to the line's start, and clear it

    def __init__(self, stream: TextIO, prefix: str = "autokit: ") -> None:
        self.stream = stream
        self.prefix = prefix
        self.spins = os.environ.get("TERM") != "dumb" and stream.isatty()
        self._lock: AbstractContextManager[object] | None = None  # held while drawing
        self._stop: Callable[[], None] | None = None

    def __enter__(self) -> StatusLine:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __call__(self, message: str) -> None:
        if self._stop is not None and not message.startswith("  "):
            self.close()
        self._write(f"{self.prefix}{message}\n")
        if self.spins and self._stop is None and message.endswith("..."):
            self._stop = self._spin()

    def close(self) -> None:
        """Stop the spinner, if one turns, and erase it."""
        stop, self._stop = self._stop, None
        if stop is not None:
            stop()

    def _write(self, text: str) -> None:
        if self._lock is None:
            self._emit(text)
            return
        with self._lock:
            self._emit(self.ERASE + text)  # over the spinner's frame

    def _emit(self, text: str) -> None:
        self.stream.write(text)
        self.stream.flush()

    def _spin(self) -> Callable[[], None]:
        import threading  # only once a terminal waits for a step
        import time

        done = threading.Event()
        lock = self._lock = threading.Lock()
        started = time.monotonic()

        def frames() -> None:
            frame = 0
            while not done.wait(self.INTERVAL):
                seconds = int(time.monotonic() - started)
                with lock:
                    self._emit(f"{self.ERASE}  {self.FRAMES[frame % len(self.FRAMES)]} {seconds} s")
                frame += 1

        thread = threading.Thread(target=frames, name="autokit-spinner", daemon=True)
        thread.start()

        def stop() -> None:
            done.set()
            thread.join()
            self._lock = None
            self._emit(self.ERASE)

        return stop


def printable(text: str) -> str:
    """`text` with every control or invisible formatting character escaped (`\\x1b`), so
    what anyone wrote into the ledger cannot steer a terminal."""
    if text.isprintable():
        return text
    return "".join(c if c.isprintable() else ascii(c)[1:-1] for c in text)
