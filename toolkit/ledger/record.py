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

VERSION = re.compile(r"^[0-9A-Za-z.+-]{1,64}$")
MOST_SECONDS = 10 * 366 * 86400
MOST_MINUTES = 1e9
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


_KEYS = frozenset({"format", *LedgerRecord._fields})
_ENDED = frozenset(ENDED)
_KINDS = frozenset(KINDS)
_TRIGGERS = frozenset(TRIGGERS)


def parse_record(data: object) -> LedgerRecord:
    """A record from JSON data someone else wrote, every field checked (else NotARecord).

    A record as autokit writes it passes `_well_formed`, every check in one function (the
    catalog reads hundreds of thousands); anything else takes the field-by-field path,
    which accepts the same records and names what is wrong with the rest.
    """
    if type(data) is dict and data.keys() == _KEYS:
        record = _well_formed(data)
        if record is not None:
            return record
    return _checked_record(data)


def _text_ok(value: object, pattern: re.Pattern[str], length: int = FIELD_LENGTH) -> bool:
    return type(value) is str and len(value) <= length and pattern.fullmatch(value) is not None


def _plain(value: object, length: int = FIELD_LENGTH) -> bool:
    return value is None or (type(value) is str and len(value) <= length and "\n" not in value)


def _well_formed(d: dict[str, Any]) -> LedgerRecord | None:
    """The record, when every field is as autokit writes it; else None."""
    duration, units, minutes, code = d["duration"], d["units"], d["minutes_saved"], d["exit_code"]
    commit, where, counts, dirty = d["commit"], d["where"], d["counts"], d["dirty"]
    if not (
        type(d["format"]) is int
        and d["format"] == FORMAT
        and _text_ok(d["id"], RUN_ID)
        and _text_ok(d["automation"], AUTOMATION_NAME)
        and _text_ok(d["version"], VERSION)
        and _text_ok(d["started_at"], TIMESTAMP)
        and (commit is None or _text_ok(commit, COMMIT))
        and d["status"] in _ENDED
        and d["kind"] in _KINDS
        and d["trigger"] in _TRIGGERS
        and type(d["pinned"]) is bool
        and type(dirty) is bool
        and type(counts) is bool
        and type(where) is str
        and _plain(where)
        and _plain(d["who"])
        and _plain(d["unit"], 40)
        and _plain(d["error"], ERROR_LENGTH)
        and (duration is None or (type(duration) in (int, float) and 0 <= duration <= MOST_SECONDS))
        and (units is None or (type(units) in (int, float) and 0 <= units <= MOST_UNITS))
        and type(minutes) in (int, float)
        and 0 <= minutes <= MOST_MINUTES
        and (code is None or (type(code) is int and -1024 < code < 1024))
    ):
        return None
    counts = counts and d["status"] == "success" and d["kind"] == "real" and not dirty
    return LedgerRecord(
        d["id"],
        d["automation"],
        d["version"],
        d["pinned"],
        commit,
        dirty,
        d["trigger"],
        d["who"],
        where,
        d["started_at"],
        None if duration is None else float(duration),
        d["status"],
        code,
        d["kind"],
        counts,
        None if units is None else float(units),
        d["unit"],
        float(minutes) if counts else 0.0,
        d["error"],
    )


def _checked_record(data: object) -> LedgerRecord:
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
    "version": _text(VERSION),
    "pinned": _boolean,
    "commit": _text(COMMIT, nullable=True),
    "dirty": _boolean,
    "trigger": _one_of(TRIGGERS),
    "who": _text(nullable=True),
    "where": _text(),
    "started_at": _text(TIMESTAMP),
    "duration": _number(True, 0, MOST_SECONDS),
    "status": _one_of(ENDED),
    "exit_code": _exit_code,
    "kind": _one_of(KINDS),
    "counts": _boolean,
    "units": _number(True, 0, MOST_UNITS),
    "unit": _text(nullable=True, length=40),
    "minutes_saved": _number(False, 0, MOST_MINUTES),
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


# Reading a record as autokit writes it (canonical JSON: `LedgerRecord.to_json`) with one
# regular expression, which checks every field's form on the way: the catalog and reports
# read hundreds of thousands. A line it does not match is parsed as JSON and checked field
# by field (`parse_record`), which accepts the same records and says what is wrong.
_NUMBER = r"[0-9]+(?:\.[0-9]+)?(?:e[+-]?[0-9]+)?"
# A JSON string's content, the loop unrolled: runs of plain characters between escapes.
_PLAIN = r'[^"\\\x00-\x1f]*'
_STRING = rf'{_PLAIN}(?:\\(?:["\\/bfnrt]|u[0-9a-fA-F]{{4}}){_PLAIN})*'
_CANONICAL = re.compile(
    r'\{"automation":"(?P<automation>[a-z][a-z0-9-]{1,62})",'
    r'"commit":(?:null|"(?P<commit>[0-9a-f]{40}(?:[0-9a-f]{24})?)"),'
    r'"counts":(?P<counts>true|false),'
    r'"dirty":(?P<dirty>true|false),'
    rf'"duration":(?:null|(?P<duration>{_NUMBER})),'
    rf'"error":(?:null|"(?P<error>{_STRING})"),'
    r'"exit_code":(?:null|(?P<exit_code>-?[0-9]{1,4})),'
    r'"format":1,'
    r'"id":"(?P<id>[0-9]{8}-[0-9]{6}-[0-9a-f]{6,32})",'
    r'"kind":"(?P<kind>real|example|test|rehearsal)",'
    rf'"minutes_saved":(?P<minutes_saved>{_NUMBER}),'
    r'"pinned":(?P<pinned>true|false),'
    r'"started_at":"(?P<started_at>[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}'
    r'(?:\.[0-9]+)?(?:Z|[+-][0-9]{2}:[0-9]{2}))",'
    r'"status":"(?P<status>success|failed|timeout|cancelled|lost)",'
    r'"trigger":"(?P<trigger>manual|schedule|dispatch)",'
    rf'"unit":(?:null|"(?P<unit>{_STRING})"),'
    rf'"units":(?:null|(?P<units>{_NUMBER})),'
    r'"version":"(?P<version>[0-9A-Za-z.+-]{1,64})",'
    rf'"where":"(?P<where>{_STRING})",'
    rf'"who":(?:null|"(?P<who>{_STRING})")\}}\s*'
)


def read_canonical(text: str) -> LedgerRecord | None:
    """The record in `text` when it is written as autokit writes records, else None."""
    match = _CANONICAL.fullmatch(text)
    if match is None:
        return None
    (automation, commit, counts, dirty, duration, error, code, run_id, kind, minutes, pinned,
     started, status, trigger, unit, units, version, where, who) = match.groups()  # fmt: skip
    if "\\" in text:
        try:
            who, where, unit, error = (_unescaped(v) for v in (who, where, unit, error))
        except ValueError:
            return None
    seconds = None if duration is None else float(duration)
    count = None if units is None else float(units)
    saved = float(minutes)
    if (
        (seconds is not None and seconds > MOST_SECONDS)
        or (count is not None and count > MOST_UNITS)
        or saved > MOST_MINUTES
        or len(where) > FIELD_LENGTH
        or (who is not None and len(who) > FIELD_LENGTH)
        or (unit is not None and len(unit) > 40)
        or (error is not None and len(error) > ERROR_LENGTH)
    ):
        return None
    is_dirty = dirty == "true"
    counted = counts == "true" and status == "success" and kind == "real" and not is_dirty
    return _make_record(
        (
            run_id,
            automation,
            version,
            pinned == "true",
            commit,
            is_dirty,
            trigger,
            who,
            where,
            started,
            seconds,
            status,
            None if code is None else int(code),
            kind,
            counted,
            count,
            unit,
            saved if counted else 0.0,
            error,
        )
    )


_make_record = LedgerRecord._make  # from a tuple: quicker than 19 arguments


def _unescaped(value: str | None) -> str | None:
    """A JSON string's content with its escapes read (ValueError: it holds a line break)."""
    if value is None or "\\" not in value:
        return value
    text: str = json.loads(f'"{value}"')
    if "\n" in text or "\r" in text:
        raise ValueError("a line break")
    return text
