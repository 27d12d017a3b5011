"""Whether data read back from a cache has the shape of valid metadata.

A cached verdict says "this file's content is valid, and here is its data"; the data then
becomes an `Automation` without being validated again. A cache file that another process
rewrote (or that an old version left) can hold any JSON, so before that data is trusted
it must have the model's shape: each field of the declared type, the required ones
present. This is no validation (cerberus and the schema stay off the run path); it makes
sure a wrong entry is checked again instead of breaking autokit later.
"""

from __future__ import annotations

import dataclasses
import functools
import types
import typing
from collections.abc import Sequence

from toolkit.metadata import model


def plausible(data: object, findings: Sequence[object]) -> bool:
    """Whether a cached verdict (`data`, `findings`) can be used: findings (the data is then
    never built into an automation), no data, or data with the shape of `model.Automation`."""
    return data is None or bool(findings) or fits(model.Automation, data)


@functools.cache
def _field_types(cls: type) -> tuple[tuple[str, object, bool], ...]:
    """(name, type, required) of each field of automation.yaml in the dataclass `cls`
    (the model's annotations are types, not strings: see `toolkit.metadata.model`)."""
    return tuple((spec.name, spec.type, _required(spec)) for spec in model.contract_fields(cls))


def _required(spec: dataclasses.Field[object]) -> bool:
    missing = dataclasses.MISSING
    return spec.default is missing and spec.default_factory is missing


def fits(cls: type, data: object) -> bool:
    """Whether `data` (a mapping from YAML) has the shape the dataclass `cls` declares:
    each field of the right type, the required ones present."""
    if not isinstance(data, dict):
        return False
    for name, kind, required in _field_types(cls):
        value = data.get(name)
        if value is None:
            if required:
                return False
        elif not _fits_type(kind, value):
            return False
    return True


def _fits_type(kind: object, value: object) -> bool:
    origin, arguments = typing.get_origin(kind), typing.get_args(kind)
    if kind is typing.Any:
        return True
    if origin in (types.UnionType, typing.Union):
        return any(_fits_type(member, value) for member in arguments)
    if origin is tuple:  # YAML lists: `tuple[X, ...]`
        return isinstance(value, list | tuple) and all(_fits_type(arguments[0], v) for v in value)
    if origin is dict:
        return isinstance(value, dict) and all(
            isinstance(k, str) and _fits_type(arguments[1], v) for k, v in value.items()
        )
    if dataclasses.is_dataclass(kind) and isinstance(kind, type):
        return fits(kind, value)
    if kind is float:
        return isinstance(value, int | float) and not isinstance(value, bool)
    if kind is int:
        return isinstance(value, int) and not isinstance(value, bool)
    return isinstance(kind, type) and isinstance(value, kind)
