"""The shared ledger: a branch of the repository with no common history with main.

    README.md                  what the branch is (written by its first commit)
    runs/YYYY-MM/<id>.json     one record per run, never edited once written
    runs/YYYY-MM.jsonl         a compacted month: one record per line, sorted by id

Appending only adds files, so writers never conflict in content: a writer whose push
loses the race (the branch moved on) fetches the new tip, makes its commit again on top of
it and pushes again, with a random pause that grows with each try, until `patience`
seconds have passed. Commits are made straight into Git's object store (`toolkit.git`), so
a person's work tree, index and branch are never touched.

Reading takes every copy of the branch this clone has (`refs/heads/<branch>` and
`refs/remotes/*/<branch>`), one listing and one `cat-file` for all of them. A file that is
not a record is skipped with a warning naming it; a record kept in two places (a month
compacted while a late record of it was sent) is read once.
"""

from __future__ import annotations

import gc
import json
import random
import re
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any, NamedTuple

from toolkit import git
from toolkit.errors import ToolkitError
from toolkit.ledger.record import (
    RECORD_BYTES,
    LedgerRecord,
    NotARecord,
    parse_record,
    read_canonical,
)
from toolkit.ledger.settings import LedgerSettings

RUNS = "runs"
PATIENCE = 60.0  # seconds a writer keeps trying when others keep winning the race
README = """# The run ledger

This branch is written by autokit: one file per run of an automation, from every laptop
(`autokit runs push`) and every GitHub Actions job. It shares no history with the main
branch. Nothing here holds an input value, an output or a log: only what measuring needs.

Do not edit it by hand: records are never changed once written. `autokit runs compact`
folds old months into one file each without changing a record.
"""


class Ledger(NamedTuple):
    """What the ledger branch holds: its valid records, and warnings about the rest."""

    records: list[LedgerRecord]
    problems: list[str]
    refs: tuple[str, ...]  # the refs read; empty: this clone has no ledger branch

    @property
    def found(self) -> bool:
        return bool(self.refs)


def record_path(record: LedgerRecord) -> str:
    return f"{RUNS}/{record.month}/{record.id}.json"


def month_file(month: str) -> str:
    return f"{RUNS}/{month}.jsonl"


# Reading


def read_ledger(root: Path, settings: LedgerSettings) -> Ledger:
    """Every record of every copy of the ledger branch in the clone at `root`."""
    branch = settings.branch
    refs = git.refs_matching(root, f"refs/heads/{branch}", f"refs/remotes/*/{branch}")
    if not refs:
        return Ledger([], [], ())
    files: dict[str, str] = {}  # blob id -> the first path it was found at
    for commit in sorted(set(refs.values())):
        for path, blob in git.list_files(root, commit, RUNS):
            files.setdefault(blob, path)
    # A record named by its id alone comes before one kept beside it (an id clash).
    blobs = sorted(files, key=lambda blob: (files[blob].count("."), files[blob]))
    contents = git.read_blobs(root, blobs)
    with _no_garbage_collection():  # hundreds of thousands of tuples, none of them cyclic
        records, problems = _parse_files(
            [(files[b], c) for b, c in zip(blobs, contents, strict=True)]
        )
    return Ledger(records, problems, tuple(sorted(refs)))


@contextmanager
def _no_garbage_collection() -> Iterator[None]:
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _parse_files(files: Iterable[tuple[str, bytes | None]]) -> tuple[list[LedgerRecord], list[str]]:
    seen: dict[str, LedgerRecord] = {}
    problems: list[str] = []
    for path, content in files:
        if content is None or not path.endswith((".json", ".jsonl")):
            continue
        lines = content.split(b"\n") if path.endswith(".jsonl") else [content]
        for number, raw in enumerate(lines, 1):
            record = _quick_record(raw) if raw else None
            if record is None:
                if not raw.strip():
                    continue
                where = f"{path}:{number}" if len(lines) > 1 else path
                try:
                    record = _record_of(raw)
                except NotARecord as why:
                    problems.append(f"{where}: skipped, not a run record: {why}")
                    continue
            known = seen.setdefault(record.id, record)
            if known is not record and known != record:
                where = f"{path}:{number}" if len(lines) > 1 else path
                problems.append(f"{where}: skipped, another record has the id {record.id}")
    return list(seen.values()), problems


_SCAN = json.JSONDecoder().scan_once  # type: ignore[attr-defined]  # the C scanner itself


def _quick_record(raw: bytes) -> LedgerRecord | None:
    """The record in `raw` when it is one JSON object and nothing else, else None (then
    `_record_of` reads it again and says what is wrong)."""
    if len(raw) > RECORD_BYTES or raw[:1] != b"{":
        return None
    try:
        text = raw.decode()
        record = read_canonical(text)
        if record is not None:
            return record
        data, end = _SCAN(text, 0)
    except (UnicodeDecodeError, StopIteration, ValueError):
        return None
    if end != len(text) and not text[end:].isspace():
        return None
    try:
        return parse_record(data)
    except NotARecord:
        return None


def _record_of(raw: bytes) -> LedgerRecord:
    if len(raw) > RECORD_BYTES:
        raise NotARecord(f"it is larger than {RECORD_BYTES // 1024} KiB")
    try:
        data = json.loads(raw)
    except UnicodeDecodeError:
        raise NotARecord("it is not UTF-8 text") from None
    except ValueError as error:
        raise NotARecord(f"it is not valid JSON ({error})") from None
    return parse_record(data)


# Writing


class Pushed(NamedTuple):
    """What `append` did: records sent, records the ledger had already, tries it took."""

    sent: int
    already: int
    attempts: int
    commit: str | None


def require_remote(root: Path, remote: str) -> str:
    """The address of `remote`, or an error saying how to configure one."""
    url = git.remote_url(root, remote)
    if url is None:
        raise ToolkitError(
            f"this clone has no remote named '{remote}' to share runs through",
            f"add the repository's address with `git remote add {remote} URL`, or name "
            "another remote with --remote NAME (`git remote -v` lists them)",
        )
    return url


def append(
    root: Path,
    settings: LedgerSettings,
    remote: str,
    records: Sequence[LedgerRecord],
    patience: float = PATIENCE,
) -> Pushed:
    """Add `records` to the ledger branch on `remote` (those it has already are skipped)."""
    require_remote(root, remote)
    return _until_landed(
        root, settings, remote, patience, lambda tip: _additions(root, tip, records)
    )


class Change(NamedTuple):
    """What one commit to the ledger changes: files added and removed, and what it says."""

    added: dict[str, bytes]
    removed: tuple[str, ...]
    records: int  # records it adds or folds
    already: int  # records the ledger held already
    message: str


def _until_landed(
    root: Path,
    settings: LedgerSettings,
    remote: str,
    patience: float,
    change_on: Callable[[str | None], Change],
) -> Pushed:
    deadline = time.monotonic() + patience
    attempt = 0
    while True:
        attempt += 1
        tip = git.fetch_branch(root, remote, settings.branch)
        change = change_on(tip)
        if not change.added and not change.removed:
            _remember(root, remote, settings.branch, tip)
            return Pushed(0, change.already, attempt, tip)
        added = change.added if tip else {"README.md": README.encode(), **change.added}
        commit = git.commit_files(root, tip, change.message, added, change.removed)
        if git.push_commit(root, remote, commit, settings.branch):
            _remember(root, remote, settings.branch, commit)
            return Pushed(change.records, change.already, attempt, commit)
        if time.monotonic() > deadline:
            raise ToolkitError(
                f"gave up after {attempt} tries: others kept pushing to {settings.branch} "
                f"on {remote} first",
                "try again in a moment; the records stay queued until they land",
            )
        time.sleep(random.uniform(0.02, min(2.0, 0.05 * 2 ** min(attempt, 6))))


def _remember(root: Path, remote: str, branch: str, commit: str | None) -> None:
    """Keep what the remote's branch is now as its remote-tracking ref, for reading."""
    if commit is not None:
        git.set_ref(root, f"refs/remotes/{remote}/{branch}", commit)


def _additions(root: Path, tip: str | None, records: Sequence[LedgerRecord]) -> Change:
    """The files to add to `tip` for the records it does not hold yet."""
    present = _present(root, tip, {r.month for r in records})
    added: dict[str, bytes] = {}
    already = 0
    for record in records:
        data = record.to_json().encode() + b"\n"
        path = record_path(record)
        known = present.get(path)
        if known is not None or record.id in present.get(month_file(record.month), {}):
            if known is None or known == git.blob_id(data, known):
                already += 1
                continue
            path = path.replace(".json", f".{git.blob_id(data, known)[:8]}.json")  # an id clash
            if path in present:
                already += 1
                continue
        added[path] = data
    noun = "record" if len(added) == 1 else "records"
    return Change(added, (), len(added), already, f"Add {len(added)} run {noun}")


def _present(root: Path, tip: str | None, months: set[str]) -> dict[str, Any]:
    """Paths of `tip` in these months (path -> blob id), and for each compacted month its
    file's path -> the ids it holds."""
    if tip is None or not months:
        return {}
    paths = [f"{RUNS}/{m}" for m in sorted(months)] + [month_file(m) for m in sorted(months)]
    listing = git.list_files(root, tip, *paths)
    present: dict[str, Any] = dict(listing)
    compacted = [(path, blob) for path, blob in listing if path.endswith(".jsonl")]
    contents = git.read_blobs(root, [blob for _path, blob in compacted])
    for (path, _blob), content in zip(compacted, contents, strict=True):
        present[path] = _ids_in(content or b"")
    return present


def _ids_in(content: bytes) -> set[str]:
    ids = set()
    for line in content.splitlines():
        try:
            ids.add(str(json.loads(line).get("id")))
        except (ValueError, AttributeError):
            continue
    return ids


# Compacting

MONTH = re.compile(r"^[0-9]{4}-[0-9]{2}$")


def compact(
    root: Path, settings: LedgerSettings, remote: str, before: str, patience: float = PATIENCE
) -> Pushed:
    """Fold the record files of every month before `before` (YYYY-MM) into one file per
    month; every record stays byte for byte (a file that is not a record stays as it is)."""
    require_remote(root, remote)
    return _until_landed(
        root, settings, remote, patience, lambda tip: _compaction(root, tip, before)
    )


def _compaction(root: Path, tip: str | None, before: str) -> Change:
    if tip is None:
        return Change({}, (), 0, 0, "")
    listing = dict(git.list_files(root, tip, RUNS))
    by_month: dict[str, list[str]] = {}
    for path in listing:
        parts = path.split("/")
        month_folder = len(parts) == 3 and MONTH.match(parts[1]) is not None
        if month_folder and parts[2].endswith(".json") and parts[1] < before:
            by_month.setdefault(parts[1], []).append(path)
    wanted = [p for paths in by_month.values() for p in paths]
    wanted += [month_file(m) for m in by_month if month_file(m) in listing]
    contents = dict(zip(wanted, git.read_blobs(root, [listing[p] for p in wanted]), strict=True))
    added: dict[str, bytes] = {}
    removed: list[str] = []
    folded = 0
    for month, paths in sorted(by_month.items()):
        lines = _lines_by_id(contents.get(month_file(month)) or b"")
        before_count = len(removed)
        for path in sorted(paths):
            content = contents[path] or b""
            try:
                record = _record_of(content)
            except NotARecord:
                continue  # not a record: left where it is, and still reported when read
            lines.setdefault(record.id, _one_line(content))
            removed.append(path)
        if len(removed) > before_count:
            folded += len(removed) - before_count
            added[month_file(month)] = b"".join(lines[key] + b"\n" for key in sorted(lines))
    months = len(added)
    message = f"Compact {folded} run records of {months} month(s) into one file each"
    return Change(added, tuple(removed), folded, 0, message)


def _lines_by_id(content: bytes) -> dict[str, bytes]:
    """A month file's lines by record id; a line that is not a record is kept as it is."""
    lines: dict[str, bytes] = {}
    for number, line in enumerate(content.split(b"\n")):
        if not line.strip():
            continue
        try:
            key = str(json.loads(line)["id"])
        except (ValueError, KeyError, TypeError):
            key = f"~{number:09d}"  # sorts after every id
        lines.setdefault(key, line)
    return lines


def _one_line(content: bytes) -> bytes:
    """A record file's bytes as one line: as they are, unless the JSON spans lines."""
    stripped = content.strip()
    if b"\n" not in stripped:
        return stripped
    data = json.loads(stripped)
    return json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()
