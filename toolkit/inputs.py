"""Turning the inputs a person gives (`--input k=v`, an inputs file, an example) into values.

Every value is coerced to its declared type and checked against the input's choices,
bounds and pattern; every problem is collected before one error is raised, so a person
fixes all of them in one go. Values are plain data: nothing here or later hands them to a
shell.

Relative `path` inputs resolve against the current working directory when the file
exists there, else against the automation's folder when it exists there (the examples in
`automation.yaml` give paths relative to the folder, e.g. `sample/orders.csv`), else
against the current working directory (a file the automation is to create). The
automation receives the absolute path as a string; an empty value stays empty.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import re
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any

from toolkit.errors import ToolkitError
from toolkit.metadata import Automation, InputSpec, input_value_problem
from toolkit.suggest import closest

_INTEGER = re.compile(r"^[+-]?\d+$")
_TRUE = {"true", "yes", "y", "on", "1"}
_FALSE = {"false", "no", "n", "off", "0"}


class _Invalid(ValueError):
    """A value that does not fit its input; the message completes 'NAME: ...'."""


def parse_assignments(pairs: Iterable[str]) -> dict[str, str]:
    """`["a=1", "b=x=y"]` -> `{"a": "1", "b": "x=y"}`; the value may hold anything."""
    values: dict[str, str] = {}
    for pair in pairs:
        name, sep, value = pair.partition("=")
        if not sep or not name.strip():
            raise ToolkitError(
                f"--input {pair!r} is not of the form NAME=VALUE",
                "write e.g. --input start_date=2024-05-01",
            )
        values[name.strip()] = value
    return values


def load_inputs_file(path: Path) -> dict[str, Any]:
    """The mapping of inputs in a JSON or YAML file, or a clear error."""
    try:
        text = path.read_text(encoding="utf-8-sig")  # -sig: Windows editors add a BOM
    except (OSError, UnicodeDecodeError) as error:
        reason = error.strerror if isinstance(error, OSError) else "it is not UTF-8 text"
        raise ToolkitError(f"cannot read the inputs file {path}: {reason}") from None
    data = _parse_json(path, text) if path.suffix.lower() == ".json" else _parse_yaml(path, text)
    if not isinstance(data, dict):
        kinds = {list: "a list", type(None): "nothing (it is empty)"}
        kind = kinds.get(type(data), f"{type(data).__name__} {data!r}")
        raise ToolkitError(
            f"the inputs file {path} holds {kind}, not a mapping of input names to values",
            'write e.g. {"start_date": "2024-05-01", "dry_run": true}',
        )
    unnamed = [key for key in data if not isinstance(key, str)]
    if unnamed:
        shown = "~ (null)" if unnamed[0] is None else repr(unnamed[0])
        raise ToolkitError(
            f"the inputs file {path} has a key YAML does not read as a name: {shown}",
            "input names are text: put the key in quotes, or write the input's name",
        )
    return dict(data)


def _parse_json(path: Path, text: str) -> object:
    try:
        return json.loads(text)
    except RecursionError:
        raise ToolkitError(
            f"{path}: nested too deeply to read",
            "inputs are plain values: flatten the structure",
        ) from None
    except json.JSONDecodeError as error:
        raise ToolkitError(
            f"{path}:{error.lineno}:{error.colno}: not valid JSON: {error.msg}",
            "fix the JSON syntax, or give a .yaml file",
        ) from None


def _parse_yaml(path: Path, text: str) -> object:
    from toolkit.metadata.yamlfile import YamlProblem, parse_value

    try:
        return parse_value(text)
    except YamlProblem as problem:
        where = f":{problem.line}:{problem.column}" if problem.line else ""
        raise ToolkitError(f"{path}{where}: {problem.message}", problem.hint) from None


def coerce_inputs(
    automation: Automation,
    raw: Mapping[str, object],
    *,
    cwd: Path | None = None,
    shown_as: str | None = None,
) -> dict[str, object]:
    """Every declared input's value, coerced and checked, with defaults applied.

    Inputs that are neither given nor defaulted are left out, so `main`'s own defaults
    apply. Raises one `ToolkitError` listing every problem; its hint names the
    `autokit show` argument that lists these inputs (`shown_as`, e.g. `NAME@VERSION` for
    a pinned version, whose inputs may differ from the current ones).
    """
    problems = [_unknown(name, automation.inputs) for name in raw if name not in automation.inputs]
    values: dict[str, object] = {}
    for name, spec in automation.inputs.items():
        if name not in raw or raw[name] is None:
            if spec.required:
                problems.append(f"{name}: is required ({spec.description})")
            elif spec.default is not None:
                values[name] = _coerce(spec, spec.default, automation.folder, cwd)
            continue
        try:
            values[name] = _coerce(spec, raw[name], automation.folder, cwd)
        except _Invalid as error:
            problems.append(f"{name}: {error}")
    if problems:
        listing = "\n".join(f"  - {p}" for p in problems)
        raise ToolkitError(
            f"invalid inputs for {automation.name}:\n{listing}",
            f"`autokit show {shown_as or automation.name}` lists its inputs; "
            "pass them as --input NAME=VALUE",
        )
    return values


def _unknown(name: str, known: Mapping[str, InputSpec]) -> str:
    close = closest(name, known)
    if close is not None:
        return f"{name}: is not an input of this automation; did you mean '{close}'?"
    names = ", ".join(known) or "none"
    return f"{name}: is not an input of this automation (its inputs: {names})"


def _coerce(spec: InputSpec, value: object, folder: Path, cwd: Path | None) -> object:
    """The value converted to the input's type, once it fits the spec (the metadata's rules)."""
    converted = _CONVERTERS[spec.type](spec, value)
    problem = input_value_problem(spec, converted)
    if problem is not None:
        raise _Invalid(problem)
    if spec.type == "path":
        return _resolve_path(str(converted), folder, cwd)
    return converted


# Converters turn what a person typed (or a file held) into the declared type; whether
# the result then fits the spec is `input_value_problem`'s to say.


def _to_string(spec: InputSpec, value: object) -> str:
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise _Invalid(f"{_show(value)} is not text")
    return str(value)


def _to_integer(spec: InputSpec, value: object) -> int:
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str) and _INTEGER.match(value.strip()):
        return int(value.strip())
    raise _Invalid(f"{_show(value)} is not a whole number (e.g. 42)")


def _to_number(spec: InputSpec, value: object) -> float | int:
    if isinstance(value, int | float) and not isinstance(value, bool):
        return value  # a non-finite one is refused as it stands
    if not isinstance(value, str):
        raise _Invalid(f"{_show(value)} is not a number (e.g. 3.5)")
    try:
        number = int(value) if _INTEGER.match(value.strip()) else float(value)
    except ValueError:
        raise _Invalid(f"{_show(value)} is not a number (e.g. 3.5)") from None
    if isinstance(number, float) and not math.isfinite(number):
        raise _Invalid(f"{_show(value)} is not a finite number")  # named as it was typed
    return number


def _to_boolean(spec: InputSpec, value: object) -> bool:
    if isinstance(value, bool):
        return value
    word = str(value).strip().lower() if isinstance(value, str | int) else None
    if word in _TRUE:
        return True
    if word in _FALSE:
        return False
    raise _Invalid(f"{_show(value)} is not true or false (use true/false, yes/no or 1/0)")


def _to_date(spec: InputSpec, value: object) -> dt.date:
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        return value
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value.strip())
        except ValueError:
            pass
    raise _Invalid(f"{_show(value)} is not a date; write it as YYYY-MM-DD, e.g. 2024-05-31")


def _to_choice(spec: InputSpec, value: object) -> object:
    for choice in spec.choices:
        if value == choice or (isinstance(value, str) and value == str(choice)):
            return choice
    options = ", ".join(str(c) for c in spec.choices)
    raise _Invalid(f"{_show(value)} is not one of the choices: {options}")


_CONVERTERS: dict[str, Callable[[InputSpec, object], object]] = {
    "string": _to_string,
    "path": _to_string,
    "integer": _to_integer,
    "number": _to_number,
    "boolean": _to_boolean,
    "date": _to_date,
    "choice": _to_choice,
}


def _resolve_path(value: str, folder: Path, cwd: Path | None) -> str:
    if not value:
        return value  # an empty path means "not given"; the automation picks its default
    path = Path(value).expanduser()
    if path.is_absolute():
        return str(path)
    base = cwd or Path.cwd()
    for candidate in (base / path, folder / path):
        if candidate.exists():
            return str(candidate.resolve())
    return str((base / path).resolve())  # a file the automation is to create


def _show(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def jsonable(values: Mapping[str, object]) -> dict[str, object]:
    """Inputs as JSON data: dates in ISO form."""
    return {k: v.isoformat() if isinstance(v, dt.date) else v for k, v in values.items()}


def as_environment(values: Mapping[str, object]) -> dict[str, str]:
    """`INPUT_<NAME>` variables for shell automations: booleans as true/false, dates ISO."""
    env: dict[str, str] = {}
    for name, value in jsonable(values).items():
        text = ("true" if value else "false") if isinstance(value, bool) else str(value)
        env[f"INPUT_{name.upper()}"] = text
    return env
