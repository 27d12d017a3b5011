"""One run as the shared ledger keeps it: what measurement needs, and nothing else.

A ledger record holds no input value, no output, no log and no path: only the run's id,
automation, version, commit, how it was started, who started it and where, when, how
long, how it ended, what kind of run it was, whether it counts as a saving, the units of
work it reported and the minutes it saved, and a masked one-line error.

Records are written as canonical JSON (sorted keys, no spaces), so one run is always the
same bytes and the same Git blob: a record already in the ledger is recognised by its
blob, and sending it twice changes nothing. Records read from the ledger were written by
anyone who can push there (or by a job that read an artifact), so `parse_record` checks
every field's type, length and vocabulary, and a record it refuses is skipped with a
warning naming its file, never trusted.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable, Mapping
from typing import Any, NamedTuple

from toolkit.history import STATUSES, RunRecord
from toolkit.savings import KINDS, MOST_UNITS, TRIGGERS

FORMAT = 1  # the layout of a record; a newer one is skipped with a warning
ERROR_LENGTH = 300  # characters of the one-line error kept
FIELD_LENGTH = 200  # characters of any other text field
RECORD_BYTES = 16 * 1024  # a record file larger than this is not one

RUN_ID = re.compile(r"^[0-9]{8}-[0-9]{6}-[0-9a-f]{6,32}$")
AUTOMATION_NAME = re.compile(r"^[a-z][a-z0-9-]{1,62}$")
TIMESTAMP = re.compile(
    r"^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]+)?(Z|[+-][0-9]{2}:[0-9]{2})$"
)
COMMIT = re.compile(r"^[0-9a-f]{40}([0-9a-f]{24})?$")
ENDED = tuple(status for status in STATUSES if status != "running")


class LedgerRecord(NamedTuple):
    """One run in the shared ledger (see the module doc)."""

    id: str
    automation: str
    version: str
    pinned: bool
    commit: str | None
    dirty: bool
    trigger: str  # manual, schedule or dispatch
    who: str | None  # the Git identity's name; None where the shop records nobody
    where: str  # the machine's name, or the GitHub Actions run's address
    started_at: str
    duration: float | None
    status: str
    exit_code: int | None
    kind: str  # real, example, test or rehearsal (toolkit.savings)
    counts: bool  # whether it counts as a saving
    units: float | None
    unit: str | None
    minutes_saved: float
    error: str | None

    @property
    def month(self) -> str:
        """The month it started in, `YYYY-MM`: its folder in the ledger."""
        return self.started_at[:7]

    @property
    def is_real(self) -> bool:
        """Work done for real (failed ones too): not an example, test or rehearsal."""
        return self.kind == "real"

    def to_json(self) -> str:
        """The record's canonical JSON text: the same run is always the same bytes."""
        data: dict[str, Any] = {"format": FORMAT, **self._asdict()}
        return json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def one_line(text: str | None, length: int = ERROR_LENGTH) -> str | None:
    """The first line of `text`, capped at `length` characters (None stays None)."""
    if not text:
        return None
    first = " ".join(text.strip().splitlines()[0].split()) if text.strip() else ""
    return first if len(first) <= length else first[: length - 1] + "…"


def from_history(run: RunRecord, who: str | None) -> LedgerRecord:
    """The ledger's record of a finished run of the local history (secrets already masked)."""
    return LedgerRecord(
        id=run.id,
        automation=run.automation,
        version=run.version,
        pinned=run.pinned,
        commit=run.git_commit,
        dirty=bool(run.dirty),
        trigger=run.run_trigger or "manual",
        who=one_line(who, FIELD_LENGTH),
        where=one_line(run.place, FIELD_LENGTH) or "unknown",
        started_at=run.started_at,
        duration=run.duration,
        status=run.status,
        exit_code=run.exit_code,
        kind=run.kind or "real",
        counts=bool(run.counts),
        units=run.units,
        unit=run.unit,
        minutes_saved=float(run.minutes_saved or 0.0),
        error=one_line(run.error),
    )


class NotARecord(ValueError):
    """A ledger file that does not hold a run record; the message says why."""


def parse_record(data: object) -> LedgerRecord:
    """A record from JSON data someone else wrote, every field checked (else NotARecord)."""
    if not isinstance(data, dict):
        raise NotARecord("it is not a JSON object")
    fmt = data.get("format")
    if fmt != FORMAT:
        if isinstance(fmt, int) and not isinstance(fmt, bool) and fmt > FORMAT:
            raise NotARecord(f"it has format {fmt}, written by a newer autokit: upgrade autokit")
        raise NotARecord(f"its format is {fmt!r}, not {FORMAT}")
    missing = [name for name in LedgerRecord._fields if name not in data]
    if missing:
        raise NotARecord(f"it has no {', '.join(missing)}")
    values = {name: _checked(name, data[name]) for name in LedgerRecord._fields}
    # Only a successful real run of committed files counts, and only a counted run saves.
    counted = values["status"] == "success" and values["kind"] == "real" and not values["dirty"]
    values["counts"] = bool(values["counts"]) and counted
    if not values["counts"]:
        values["minutes_saved"] = 0.0
    return LedgerRecord(**values)


Check = Callable[[object], bool]


def _text(
    pattern: re.Pattern[str] | None = None, nullable: bool = False, length: int = FIELD_LENGTH
) -> Check:
    def check(value: object) -> bool:
        if value is None:
            return nullable
        if not isinstance(value, str) or len(value) > length or "\n" in value:
            return False
        return pattern is None or pattern.match(value) is not None

    return check


def _number(nullable: bool, low: float, high: float) -> Check:
    def check(value: object) -> bool:
        if value is None:
            return nullable
        if isinstance(value, bool) or not isinstance(value, int | float):
            return False
        return math.isfinite(value) and low <= value <= high

    return check


def _one_of(choices: tuple[str, ...]) -> Check:
    return lambda value: value in choices


def _boolean(value: object) -> bool:
    return isinstance(value, bool)


def _exit_code(value: object) -> bool:
    if value is None:
        return True
    return isinstance(value, int) and not isinstance(value, bool) and -1024 < value < 1024


_CHECKS: Mapping[str, Check] = {
    "id": _text(RUN_ID),
    "automation": _text(AUTOMATION_NAME),
    "version": _text(re.compile(r"^[0-9A-Za-z.+-]{1,64}$")),
    "pinned": _boolean,
    "commit": _text(COMMIT, nullable=True),
    "dirty": _boolean,
    "trigger": _one_of(TRIGGERS),
    "who": _text(nullable=True),
    "where": _text(),
    "started_at": _text(TIMESTAMP),
    "duration": _number(True, 0, 10 * 366 * 86400),
    "status": _one_of(ENDED),
    "exit_code": _exit_code,
    "kind": _one_of(KINDS),
    "counts": _boolean,
    "units": _number(True, 0, MOST_UNITS),
    "unit": _text(nullable=True, length=40),
    "minutes_saved": _number(False, 0, 1e9),
    "error": _text(nullable=True, length=ERROR_LENGTH),
}


def _checked(name: str, value: object) -> Any:
    if not _CHECKS[name](value):
        raise NotARecord(f"its {name} {_shown(value)} is not what a run record holds")
    if name in ("duration", "units", "minutes_saved") and value is not None:
        return float(value)  # type: ignore[arg-type]
    return value


def _shown(value: object) -> str:
    text = json.dumps(value, ensure_ascii=True) if not isinstance(value, str) else repr(value)
    return text if len(text) <= 40 else text[:39] + "…"
