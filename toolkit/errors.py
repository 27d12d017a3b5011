"""The one error type that expected failures raise.

A `ToolkitError` means the user's input or repository is wrong: the CLI prints its message
(and hint) and exits 1. Any other exception is a bug in autokit and exits 3.
"""

from __future__ import annotations


class ToolkitError(Exception):
    """An expected failure with a message that says what is wrong and how to fix it."""

    exit_code = 1

    def __init__(self, message: str, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        if self.hint:
            return f"{self.message} ({self.hint})"
        return self.message
