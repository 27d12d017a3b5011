"""The ready-to-copy `autokit run` line, as `autokit show` prints it and catalog pages show it.

The line runs the first example; an automation without examples gets a placeholder
(`<type>`) for each required input instead, so the line always names what a run needs
rather than failing on a missing input when pasted.
"""

from __future__ import annotations

import datetime as dt
import json
import shlex

from toolkit.metadata import Automation


def input_text(value: object) -> str:
    """An input value as `autokit run` reads it back from `--input k=v`."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, list | dict):
        return json.dumps(value)
    return str(value)


def run_command(automation: Automation, *, version: str | None = None) -> str:
    """`autokit run NAME --input k=v ...` (`NAME@VERSION` for a tagged `version`), each word
    quoted for a POSIX shell."""
    spec = automation.name if version is None else f"{automation.name}@{version}"
    words = ["autokit", "run", spec]
    if automation.examples:
        given = automation.examples[0].inputs
    else:
        given = {n: f"<{s.type}>" for n, s in automation.inputs.items() if s.required}
    for name, value in given.items():
        words += ["--input", f"{name}={input_text(value)}"]
    return shlex.join(words)
