"""Whether a value fits an input's spec: the one rule set for metadata and for `autokit run`.

Metadata validation asks it about defaults and example inputs, as YAML typed them;
`toolkit.inputs` asks it about the values a person gave, once they are converted from
text to the declared type. The rules: the declared type (a date is a date or ISO text;
text holds no NUL character; a number is finite), then the choices, the bounds (numbers
only) and the pattern (text only, matched against the whole value).
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Callable, Mapping

from toolkit.metadata.model import InputSpec

# Longer values are cut in messages: a person needs to recognise the value, not reread it.
SHOWN_LIMIT = 60


def input_value_problem(spec: InputSpec, value: object) -> str | None:
    """Why `value` does not fit `spec`, or None when it does; the text completes 'NAME: '."""
    return (
        _type_problem(spec.type, value)
        or _choices_problem(spec, value)
        or _bounds_problem(spec, value)
        or _pattern_problem(spec, value)
    )


def loose_spec(name: str, spec: Mapping[object, object]) -> InputSpec:
    """An input spec from metadata that may not be valid, leaving out its malformed parts.

    The schema reports those parts (a non-numeric `min`, choices that are not a list);
    here they would only hide the problems of the value itself.
    """
    choices = spec.get("choices")
    pattern = spec.get("pattern")
    return InputSpec(
        name=name,
        type=str(spec.get("type")),
        description="",
        choices=tuple(choices) if isinstance(choices, list) else (),
        min=_number_or_none(spec.get("min")),
        max=_number_or_none(spec.get("max")),
        pattern=pattern if isinstance(pattern, str) else None,
    )


def shown(value: object) -> str:
    """A value as a file spells it (dates ISO, booleans lowercase), cut when long."""
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, bool):
        return str(value).lower()
    text = repr(value)
    return text if len(text) <= SHOWN_LIMIT else text[: SHOWN_LIMIT - 3] + "..."


def is_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def is_date(value: object) -> bool:
    """A date (not a datetime), or text in ISO form that names a real one."""
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        return True
    if isinstance(value, str):
        try:
            dt.date.fromisoformat(value)
        except ValueError:
            return False
        return True
    return False


def _is_text(value: object) -> bool:
    return isinstance(value, str)


_TYPE_CHECKS: dict[str, Callable[[object], bool]] = {
    "string": _is_text,
    "path": _is_text,
    "integer": lambda v: isinstance(v, int) and not isinstance(v, bool),
    "number": is_number,
    "boolean": lambda v: isinstance(v, bool),
    "date": is_date,
    "choice": lambda v: True,  # the choices decide
}


def _type_problem(kind: str, value: object) -> str | None:
    check = _TYPE_CHECKS.get(kind)
    if check is None:
        return None  # an unknown type: the schema reports it
    if not check(value):
        text = kind in ("string", "path")
        advice = "; put it in quotes so that YAML reads it as text" if text else ""
        return f"{shown(value)} is not a valid {kind}{advice}"
    if isinstance(value, str) and "\0" in value and kind in ("string", "path"):
        return "contains a NUL character, which no program can receive"
    if kind == "number" and isinstance(value, float) and not math.isfinite(value):
        return f"{shown(value)} is not a finite number"
    return None


def _choices_problem(spec: InputSpec, value: object) -> str | None:
    if not spec.choices or value in spec.choices:
        return None
    return f"{shown(value)} is not one of the choices {', '.join(map(str, spec.choices))}"


def _bounds_problem(spec: InputSpec, value: object) -> str | None:
    if not isinstance(value, int | float) or isinstance(value, bool):
        return None
    if spec.min is not None and value < spec.min:
        return f"{value} is below the minimum {_plain(spec.min)}"
    if spec.max is not None and value > spec.max:
        return f"{value} is above the maximum {_plain(spec.max)}"
    return None


def _pattern_problem(spec: InputSpec, value: object) -> str | None:
    if not spec.pattern or not isinstance(value, str):
        return None
    try:
        matched = re.fullmatch(spec.pattern, value)
    except re.error:
        return None  # the schema reports a pattern that is not a regular expression
    return None if matched else f"{shown(value)} does not match the pattern {spec.pattern!r}"


def _plain(bound: float) -> str:
    """A bound as a person writes it: 1, not 1.0."""
    return str(int(bound)) if float(bound).is_integer() else str(bound)


def _number_or_none(value: object) -> float | None:
    return value if isinstance(value, int | float) and not isinstance(value, bool) else None
