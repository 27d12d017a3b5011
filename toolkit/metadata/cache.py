"""The one metadata cache: verdicts on file contents, kept between runs as JSON.

It maps (file path, content hash) to what `check_content` returned: the parsed data and
the content findings. It lives in the user's cache folder, one file per repository, and
is keyed by its format number, the toolkit version and the validator's source times, so
a new layout, a new release or an edited validator never reuses old verdicts. It is
written atomically (`atomic_write`); a file that does not parse or has the wrong shape is
ignored, and the next save replaces it. The folder checks are never cached.

JSON, not pickle: reading a cache must never run code. YAML gives more than JSON can
say (dates, non-text keys, sets, binary), so such values are written as tagged objects
`{"\\u0000": tag, ...}`, and a mapping that JSON cannot hold as is becomes a list of
pairs. The tags are read back by one `object_hook`, inside the C parser's loop.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import json
import os
from collections.abc import Callable, Iterable
from pathlib import Path

from toolkit import __version__
from toolkit.errors import ToolkitError
from toolkit.fileio import atomic_write
from toolkit.findings import Finding
from toolkit.metadata.load import ContentVerdict, check_file
from toolkit.metadata.model import Automation
from toolkit.metadata.schema import METADATA_FILE
from toolkit.paths import cache_home
from toolkit.repo import Repository

TAG = "\0"
FORMAT = 1  # the file's layout: {"version": "<FORMAT>:<toolkit>:<times>", "entries": ...}
_TOOLKIT = Path(__file__).resolve().parent.parent
# Modules outside this package whose changes change verdicts.
_VALIDATOR_SOURCES = ("cron.py", "versions.py", "suggest.py", "findings.py")


class MetadataCache(dict[str, ContentVerdict]):
    """A dict persisted as JSON; entries not used in a run can be left out when it is saved."""

    def __init__(self, path: Path | None) -> None:
        super().__init__()
        self.path = path
        self.used: set[str] = set()
        self.changed = False
        if path is not None:
            with contextlib.suppress(OSError, ValueError, TypeError, RecursionError):
                # Unreadable, truncated, or written by another version: a cache that
                # cannot be read only costs time.
                self.update(_read(path))

    def get(self, key: str, default: ContentVerdict | None = None) -> ContentVerdict | None:  # type: ignore[override]
        self.used.add(key)
        return super().get(key, default)

    def __setitem__(self, key: str, value: ContentVerdict) -> None:
        self.used.add(key)
        self.changed = True
        super().__setitem__(key, value)

    def save(self, *, prune: bool = True) -> None:
        """Write the cache back; with `prune`, only the entries this run used."""
        if self.path is None or not (self.changed or (prune and len(self.used) != len(self))):
            return
        keys: Iterable[str] = (k for k in self.used if k in self) if prune else list(self)
        entries = {}
        for key in keys:
            with contextlib.suppress(TypeError):  # a value JSON cannot hold stays uncached
                entries[key] = _encode_verdict(self[key])
        text = json.dumps({"version": cache_version(), "entries": entries}, separators=(",", ":"))
        with contextlib.suppress(OSError):  # a cache that cannot be written only costs time
            atomic_write(self.path, text)


def cache_version() -> str:
    """The format and toolkit versions, plus the validator's source times (editable installs)."""
    package = Path(__file__).resolve().parent
    sources = sorted(entry.path for entry in os.scandir(package) if entry.name.endswith(".py"))
    sources += [str(_TOOLKIT / name) for name in _VALIDATOR_SOURCES]
    times = (str(os.stat(path).st_mtime_ns) for path in sources)
    return ":".join([str(FORMAT), __version__, *times])


def cache_for(repo: Repository | Path, kind: str = "metadata") -> MetadataCache:
    """The metadata cache of the repository at `repo` (none with AUTOKIT_NO_CACHE set).

    `kind` names another cache of verdicts on contents in the same format (`signatures`:
    the entrypoints' `main()`, see `toolkit.metadata.signature`).
    """
    if os.environ.get("AUTOKIT_NO_CACHE"):
        return MetadataCache(None)
    root = repo.root if isinstance(repo, Repository) else repo
    digest = hashlib.blake2b(str(root.resolve()).encode(), digest_size=8).hexdigest()
    return MetadataCache(cache_home() / kind / f"{digest}.json")


def load_valid(root: Path, folder: Path) -> Automation:
    """The automation in `folder`, for running it; raises `ToolkitError` when it is invalid.

    Content validated before is taken from the cache, so neither cerberus nor the YAML
    parser is imported on the usual run path; the folder checks (name, entrypoint) run
    every time.
    """
    cache = cache_for(root)
    findings, automation = check_file(folder / METADATA_FILE, root, cache)
    cache.save(prune=False)  # a run sees one automation: keep the others' verdicts
    if automation is None:
        lines = "\n".join(f.as_line() for f in findings)
        raise ToolkitError(
            f"{folder.name} has invalid metadata:\n{lines}",
            "fix it (`autokit validate` checks it) and run again",
        )
    return automation


def _read(path: Path) -> dict[str, ContentVerdict]:
    stored = json.loads(path.read_bytes(), object_hook=_decode_tagged)
    if not isinstance(stored, dict) or stored.get("version") != cache_version():
        return {}
    entries = stored.get("entries")
    if not isinstance(entries, dict):
        raise TypeError("the entries are not a mapping")
    verdicts = {}
    for key, entry in entries.items():
        with contextlib.suppress(TypeError, ValueError):  # a wrong entry is checked again
            verdicts[str(key)] = _decode_verdict(entry)
    return verdicts


def _encode_verdict(verdict: ContentVerdict) -> list[object]:
    data, findings = verdict
    rows = [
        [f.path, f.line, f.column, f.check, f.severity, f.message, f.hint, f.field]
        for f in findings
    ]
    return [_encode(data), rows]


_FINDING_TYPES: tuple[tuple[type, ...], ...] = (
    (str,),
    (int, type(None)),
    (int, type(None)),
    (str,),
    (str,),
    (str,),
    (str, type(None)),
    (str, type(None)),
)


def _decode_verdict(entry: object) -> ContentVerdict:
    """An entry as a verdict, or TypeError when it cannot be one `check_content` returned."""
    if not isinstance(entry, list) or len(entry) != 2:
        raise TypeError("an entry is not a [data, findings] pair")
    data, rows = entry
    if not (data is None or isinstance(data, dict)) or not isinstance(rows, list):
        raise TypeError("an entry holds the wrong kinds of values")
    findings = []
    for row in rows:
        if not isinstance(row, list) or len(row) != len(_FINDING_TYPES):
            raise TypeError("a finding is not a row of its eight fields")
        if not all(isinstance(v, t) for v, t in zip(row, _FINDING_TYPES, strict=True)):
            raise TypeError("a finding's field has the wrong type")
        findings.append(Finding(*row))
    return data, findings  # `load` checks the data's shape when it uses the entry


_COLLECTIONS: tuple[tuple[type[tuple[object, ...] | set[object] | frozenset[object]], str], ...] = (
    (tuple, "tuple"),
    (frozenset, "frozenset"),
    (set, "set"),
)


def _encode(value: object) -> object:
    """`value` as JSON can hold it, tagging what JSON has no form for."""
    kind = type(value)
    if value is None or kind in (str, int, float, bool):
        return value
    if isinstance(value, list):
        return [_encode(item) for item in value]
    if isinstance(value, dict):
        if TAG not in value and all(type(key) is str for key in value):
            return {key: _encode(item) for key, item in value.items()}
        return {TAG: "map", "pairs": [[_encode(k), _encode(v)] for k, v in value.items()]}
    for collection, tag in _COLLECTIONS:
        if isinstance(value, collection):
            return {TAG: tag, "items": [_encode(item) for item in value]}
    if isinstance(value, dt.date):
        tag = "datetime" if isinstance(value, dt.datetime) else "date"
        return {TAG: tag, "iso": value.isoformat()}
    if isinstance(value, bytes):
        return {TAG: "bytes", "hex": value.hex()}
    raise TypeError(f"cannot cache a {kind.__name__}")


def _decode_tagged(obj: dict[str, object]) -> object:
    """The value a tagged object stands for; other objects are mappings as they are."""
    tag = obj.get(TAG)
    if tag is None:
        return obj
    decode = _DECODERS.get(str(tag))
    if decode is None:
        raise ValueError(f"unknown tag {tag!r}")
    return decode(obj)


def _members(obj: dict[str, object], key: str = "items") -> list[object]:
    items = obj.get(key)
    if not isinstance(items, list):
        raise TypeError(f"a tagged value has no list {key!r}")
    return items


def _text(obj: dict[str, object], key: str = "iso") -> str:
    text = obj.get(key)
    if not isinstance(text, str):
        raise TypeError(f"a tagged value has no text {key!r}")
    return text


def _pairs(obj: dict[str, object]) -> dict[object, object]:
    mapping = {}
    for pair in _members(obj, "pairs"):
        if not isinstance(pair, list) or len(pair) != 2:
            raise TypeError("a mapping's pair is not [key, value]")
        mapping[_hashable(pair[0])] = pair[1]
    return mapping


_DECODERS: dict[str, Callable[[dict[str, object]], object]] = {
    "map": _pairs,
    "tuple": lambda o: tuple(_members(o)),
    "set": lambda o: {_hashable(item) for item in _members(o)},
    "frozenset": lambda o: frozenset(_hashable(item) for item in _members(o)),
    "date": lambda o: dt.date.fromisoformat(_text(o)),
    "datetime": lambda o: dt.datetime.fromisoformat(_text(o)),
    "bytes": lambda o: bytes.fromhex(_text(o, "hex")),
}


def _hashable(value: object) -> object:
    """Keys and set members come back hashable: lists only appear where tuples did not."""
    if isinstance(value, list | dict):
        raise TypeError("a key in the cache is not hashable")
    return value
