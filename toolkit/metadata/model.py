"""The typed metadata of an automation: each field declared once, with its default.

The dataclass fields are the one declaration of names and defaults: `automation_from_data`
builds the objects by walking them, `Automation.to_dict` writes them out in their order,
and a test holds their names equal to the schema's (`toolkit.metadata.schema`). A field's
`metadata` says how the YAML value becomes the attribute (`LOAD`) and whether `to_dict`
shows the mapping as the file wrote it (`AS_WRITTEN`).
"""

# No `from __future__ import annotations` here: the fields' types are evaluated once, at
# import, so `toolkit.metadata.shape` reads them as they are instead of evaluating strings
# (`typing.get_type_hints`) on every run.
import datetime as dt
import functools
from collections.abc import Callable, Mapping
from dataclasses import Field, dataclass, field, fields
from pathlib import Path
from typing import Any, TypeVar

from toolkit.metadata.schema import METADATA_FILE
from toolkit.versions import Version, version_key

DEFAULT_TIMEOUT = 600
REHEARSAL_BY_NAME = "dry_run"  # the rehearsal input when metadata names none

LOAD = "load"
AS_WRITTEN = "as_written"
CONTRACT = "contract"  # False for attributes that are not fields of automation.yaml

T = TypeVar("T")
Loader = Callable[[Any], Any]


def _items(load: Loader = tuple, *, as_written: bool = False) -> Any:
    """An optional list field, empty by default, loaded by `load`."""
    return field(default=(), metadata={LOAD: load, AS_WRITTEN: as_written})


@dataclass(frozen=True)
class InputSpec:
    """One input, as `inputs.<name>` declares it."""

    name: str = field(metadata={CONTRACT: False})  # the key under `inputs`
    type: str
    description: str
    required: bool = False
    default: Any = None
    choices: tuple[Any, ...] = _items()
    min: float | None = None
    max: float | None = None
    pattern: str | None = None
    access: str = "read"  # a path input's: "write" lets a sandboxed run update it


@dataclass(frozen=True)
class Secret:
    """One secret the automation reads from its environment."""

    name: str
    description: str
    required: bool = True  # false: the automation works without it (e.g. SMTP without login)


@dataclass(frozen=True)
class Example:
    """A named set of inputs to try the automation with (`autokit run NAME --example`)."""

    title: str
    inputs: dict[str, Any] = field(default_factory=dict, metadata={LOAD: dict})


@dataclass(frozen=True)
class Deprecation:
    """Why the automation is deprecated, and what replaces it."""

    reason: str
    replaced_by: str | None = None


@dataclass(frozen=True)
class TimeSaved:
    """Minutes saved per unit of work a run reports (`time_saved: {minutes: 3, per: invoice}`)."""

    minutes: float
    per: str


@dataclass(frozen=True)
class EmailNotice:
    """Who is emailed of failures and recoveries, and through which SMTP server."""

    to: tuple[str, ...] = field(metadata={LOAD: tuple})
    smtp_host: str
    smtp_port: int = 587
    sender: str | None = None  # unset: the username, else autokit@<smtp_host>
    username: str | None = None
    password_secret: str | None = None  # the declared secret that holds the SMTP password


@dataclass(frozen=True)
class Notify:
    """How failures are reported (`notify:`); unset values take `[tool.autokit]`'s defaults."""

    after_failures: int | None = None
    every_hours: float | None = None
    webhook_secret: str | None = None  # the declared secret that holds a chat webhook's URL
    email: EmailNotice | None = field(
        default=None, metadata={LOAD: lambda data: from_data(EmailNotice, data)}
    )


@dataclass(frozen=True)
class TemplateRecord:
    """The template an automation was made from (`template:`), as `autokit new` records it."""

    name: str
    version: int
    answers: dict[str, str] = field(default_factory=dict, metadata={LOAD: dict})


def from_data(cls: type[T], data: Mapping[str, object], /, **given: object) -> T:
    """An instance of the dataclass `cls` from validated metadata.

    Fields the data leaves out (or sets to null) take their declared default; `given`
    holds the attributes that are not fields of the file, such as an input's name.
    """
    values = dict(given)
    for name, load in _loaders(cls):
        value = data.get(name)
        if value is not None:
            values[name] = value if load is None else load(value)
    return cls(**values)


@functools.cache
def contract_fields(cls: type) -> tuple[Field[Any], ...]:
    """The fields of `cls` that are fields of automation.yaml, in the schema's order."""
    return tuple(f for f in fields(cls) if f.metadata.get(CONTRACT, True))


_LOADERS: dict[type, tuple[tuple[str, Loader | None], ...]] = {}


def _loaders(cls: type) -> tuple[tuple[str, Loader | None], ...]:
    """Each field's name and loader, worked out once per class: loading is on the run path."""
    if cls not in _LOADERS:
        _LOADERS[cls] = tuple((f.name, f.metadata.get(LOAD)) for f in contract_fields(cls))
    return _LOADERS[cls]


def _input_specs(data: Mapping[str, Mapping[str, object]]) -> dict[str, InputSpec]:
    return {name: from_data(InputSpec, spec, name=name) for name, spec in data.items()}


def _each(cls: type[T]) -> Callable[[list[Mapping[str, object]]], tuple[T, ...]]:
    return lambda items: tuple(from_data(cls, item) for item in items)


@dataclass(frozen=True, kw_only=True)
class Automation:
    """A valid automation: its metadata and where its folder is."""

    name: str
    title: str
    summary: str
    version: str
    owners: tuple[str, ...] = field(metadata={LOAD: tuple})
    department: str
    tags: tuple[str, ...] = _items()
    status: str
    deprecation: Deprecation | None = field(
        default=None, metadata={LOAD: functools.partial(from_data, Deprecation), AS_WRITTEN: True}
    )
    runtime: str
    entrypoint: str
    requirements: tuple[str, ...] = _items()
    # Shared libraries (`libraries/<name>/`): `name` as in the same commit, `name@x.y.z` as tagged.
    libraries: tuple[str, ...] = _items()
    inputs: dict[str, InputSpec] = field(
        default_factory=dict, metadata={LOAD: _input_specs, AS_WRITTEN: True}
    )
    secrets: tuple[Secret, ...] = _items(_each(Secret), as_written=True)
    schedule: str | None = None
    timeout: int = DEFAULT_TIMEOUT
    network: bool = True  # false: a sandboxed run has no network at all
    classification: str
    time_saved_minutes: float = 0
    time_saved: TimeSaved | None = field(
        default=None, metadata={LOAD: functools.partial(from_data, TimeSaved), AS_WRITTEN: True}
    )
    # The boolean input that means "rehearse, change nothing" (a run with it set saves
    # nothing); unset, an input named `dry_run` of type boolean is taken.
    rehearsal_input: str | None = None
    examples: tuple[Example, ...] = _items(_each(Example), as_written=True)
    notify: Notify | None = field(
        default=None, metadata={LOAD: functools.partial(from_data, Notify), AS_WRITTEN: True}
    )
    # Which template, at which version and with which answers, `autokit new` made it from.
    template: TemplateRecord | None = field(
        default=None,
        metadata={LOAD: functools.partial(from_data, TemplateRecord), AS_WRITTEN: True},
    )
    idea: int | None = None  # the number of the idea issue it was built from
    folder: Path = field(metadata={CONTRACT: False})
    # The mapping as the file wrote it; the cache of valid metadata keeps this.
    data: dict[str, Any] = field(
        default_factory=dict, repr=False, compare=False, metadata={CONTRACT: False}
    )

    @property
    def metadata_path(self) -> Path:
        return self.folder / METADATA_FILE

    @property
    def entrypoint_path(self) -> Path:
        return self.folder / self.entrypoint

    @property
    def rehearsal(self) -> str | None:
        """The name of the input that makes a run a rehearsal, if the automation has one."""
        if self.rehearsal_input:
            return self.rehearsal_input
        spec = self.inputs.get(REHEARSAL_BY_NAME)
        return REHEARSAL_BY_NAME if spec is not None and spec.type == "boolean" else None

    def version_tuple(self) -> Version:
        return version_key(self.version)

    def to_dict(self) -> dict[str, Any]:
        """The metadata as written, with defaults filled in; JSON-ready."""
        result: dict[str, Any] = {}
        for spec in contract_fields(Automation):
            if spec.metadata.get(AS_WRITTEN):
                result[spec.name] = self.data.get(spec.name) or _default(spec)
            else:
                result[spec.name] = getattr(self, spec.name)
        written: dict[str, Any] = jsonable(result)
        return written


def _default(spec: Field[Any]) -> object:
    factory = spec.default_factory
    return factory() if callable(factory) else spec.default


def automation_from_data(data: Mapping[str, object], folder: Path) -> Automation:
    """Build the typed object from metadata that passed validation."""
    return from_data(Automation, data, folder=folder, data=dict(data))


def jsonable(value: Any) -> Any:
    """`value` with tuples as lists, keys as text and dates in ISO form."""
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [jsonable(v) for v in value]
    if isinstance(value, dt.date):
        return value.isoformat()
    return value
