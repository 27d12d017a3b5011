"""What counts as a saving: which runs saved someone time, and how many minutes.

A run is one of four kinds. `real` is work done for real; the other three only show or
try the automation and save nobody any time: `example` (`--example`: an example's
inputs), `test` (started under `autokit test`) and `rehearsal` (the automation's
rehearsal input, e.g. `dry_run: true`, was set; see `Automation.rehearsal`). A dry run
(`--dry-run`) runs nothing and is never recorded at all.

A run counts as a saving when it is real, ended `success` and ran committed files (a run
of a working tree with uncommitted changes in the automation's folder is real, but what it
ran was never reviewed). Its minutes are computed once, when it ends, from the metadata
it ran with: `time_saved_minutes` per run, plus `time_saved.minutes` for each unit of work
the run reported (`units`: the `units` key of a Python automation's returned mapping, or
the number a shell automation writes to the file `$AUTOKIT_UNITS_FILE`).
"""

from __future__ import annotations

import math
import os
from collections.abc import Mapping
from typing import Literal

from toolkit.metadata import Automation

Kind = Literal["real", "example", "test", "rehearsal"]
KINDS: tuple[Kind, ...] = ("real", "example", "test", "rehearsal")
Trigger = Literal["manual", "schedule", "dispatch"]
TRIGGERS: tuple[Trigger, ...] = ("manual", "schedule", "dispatch")

# `autokit test` sets this for the tests it starts: a run they make is a test run.
RUN_KIND_VARIABLE = "AUTOKIT_RUN_KIND"
# Workflows say how their run was started (GitHub's event name cannot tell a Run form
# from a catch-up run of a schedule).
TRIGGER_VARIABLE = "AUTOKIT_TRIGGER"
UNITS_FILE_VARIABLE = "AUTOKIT_UNITS_FILE"
UNITS_FILE = "units"  # its name in the run's report folder
MOST_UNITS = 10_000_000  # more units than any run does: a bug, not work

_NOT_COUNTED: dict[str, str] = {
    "example": "an example run (--example) shows how it works",
    "test": "a run started by `autokit test`",
    "rehearsal": "a rehearsal ({input} was set): it changed nothing",
}


def run_kind(
    automation: Automation,
    inputs: Mapping[str, object],
    example: int | None,
    environ: Mapping[str, str] = os.environ,
) -> Kind:
    """Which of the four kinds a run with these (coerced) inputs is."""
    if environ.get(RUN_KIND_VARIABLE) == "test":
        return "test"
    if example is not None:
        return "example"
    rehearsal = automation.rehearsal
    if rehearsal is not None and inputs.get(rehearsal) is True:
        return "rehearsal"
    return "real"


def not_counted_because(
    kind: str, status: str, dirty: bool | None, rehearsal: str | None = None
) -> str | None:
    """Why a run saved nobody any time, or None when it counts (`rehearsal`: the name of
    the automation's rehearsal input, for the wording)."""
    if kind != "real":
        reason = _NOT_COUNTED.get(kind, f"a run of kind {kind}")
        return reason.format(input=rehearsal or "the rehearsal input")
    if status != "success":
        return f"it ended {status}"
    if dirty:
        return "it ran uncommitted changes (commit them, and the next run counts)"
    return None


def minutes_saved(automation: Automation, units: float | None) -> float:
    """The minutes one counted run saved, by the metadata it ran with."""
    minutes = float(automation.time_saved_minutes)
    if automation.time_saved is not None and units:
        minutes += automation.time_saved.minutes * units
    return round(minutes, 2)


def units_from(value: object) -> float | None:
    """A run's reported units as a number, or None when `value` is not a sensible count.

    Accepts a number, or text holding one (a shell automation's file), from 0 up to
    MOST_UNITS; booleans, negative, infinite and absurd numbers are not units of work.
    """
    if isinstance(value, str):
        try:
            value = float(value.strip())
        except ValueError:
            return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    if not math.isfinite(value) or not 0 <= value <= MOST_UNITS:
        return None
    return float(value)


def trigger_of(environ: Mapping[str, str] = os.environ) -> Trigger:
    """How the run was started: by hand, by a schedule, or dispatched on GitHub."""
    for trigger in TRIGGERS:
        if environ.get(TRIGGER_VARIABLE) == trigger:
            return trigger
    if environ.get("GITHUB_ACTIONS") == "true":
        return "schedule" if environ.get("GITHUB_EVENT_NAME") == "schedule" else "dispatch"
    return "manual"


def place_of(environ: Mapping[str, str] = os.environ) -> str:
    """Where the run ran: the GitHub Actions run's address, else this machine's name."""
    run_id = environ.get("GITHUB_RUN_ID")
    repository = environ.get("GITHUB_REPOSITORY")
    if environ.get("GITHUB_ACTIONS") == "true" and run_id and repository:
        server = environ.get("GITHUB_SERVER_URL", "https://github.com").rstrip("/")
        return f"{server}/{repository}/actions/runs/{run_id}"
    return os.uname().nodename


def saved_label(kind: str | None, counts: bool | None, minutes: float | None) -> str:
    """What a run saved, for a table: its minutes, or why it saved nothing (empty for a run
    recorded before runs were measured)."""
    if counts:
        return f"{minutes or 0:g} min"
    if kind and kind != "real":
        return kind  # example, test, rehearsal
    return "" if counts is None else "-"
