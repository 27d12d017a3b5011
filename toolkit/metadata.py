"""The metadata contract of `automation.yaml`: the schema as data, and `load_automation`.

Validation has two layers. The cerberus schema checks each field on its own (types,
slugs, semver, cron, owner handles, pinned requirements, input specs). Then
`_cross_field_problems` checks what spans several fields (deprecation, example inputs).
Both look at the file's content only, so their result can be cached by content; what
depends on the file system (the folder name, the entrypoint file) is checked by
`filesystem_problems` every time.
"""

from __future__ import annotations

import datetime as dt
import difflib
import hashlib
import os
import re
import stat
from collections.abc import Callable, Mapping, MutableMapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any, ClassVar

from toolkit.findings import ERROR, Finding

METADATA_FILE = "automation.yaml"
CHECK_ID = "metadata-schema"

SLUG = r"^[a-z][a-z0-9-]{1,62}$"
TAG = r"^[a-z0-9][a-z0-9-]{0,62}$"
SEMVER = r"^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)$"
OWNER = r"^@[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})(?:/[A-Za-z0-9][A-Za-z0-9_.-]*)?$"
PINNED_REQUIREMENT = r"^[A-Za-z0-9][A-Za-z0-9._-]*(?:\[[A-Za-z0-9,._-]+\])?==[A-Za-z0-9.+!_-]+$"
INPUT_NAME = r"^[a-z][a-z0-9_]{0,62}$"
SECRET_NAME = r"^[A-Z][A-Z0-9_]{0,62}$"

STATUSES = ["draft", "experimental", "stable", "deprecated"]
RUNTIMES = ["python", "shell"]
CLASSIFICATIONS = ["public", "internal", "confidential", "restricted"]
INPUT_TYPES = ["string", "integer", "number", "boolean", "date", "path", "choice"]
DEFAULT_TIMEOUT = 600

_INPUT_SCHEMA: dict[str, Any] = {
    "type": {"type": "string", "required": True, "allowed": INPUT_TYPES},
    "description": {"type": "string", "required": True, "empty": False},
    "required": {"type": "boolean"},
    "default": {"nullable": True},
    "choices": {"type": "list", "minlength": 1},
    "min": {"type": "number"},
    "max": {"type": "number"},
    "pattern": {"type": "string", "check_with": "regex_pattern"},
}

SCHEMA: dict[str, Any] = {
    "name": {"type": "string", "required": True, "regex": SLUG},
    "title": {
        "type": "string",
        "required": True,
        "empty": False,
        "maxlength": 100,
        "check_with": "one_line",
    },
    "summary": {
        "type": "string",
        "required": True,
        "empty": False,
        "maxlength": 160,
        "check_with": "one_line",
    },
    "version": {"type": "string", "required": True, "regex": SEMVER},
    "owners": {
        "type": "list",
        "required": True,
        "empty": False,
        "schema": {"type": "string", "regex": OWNER},
    },
    "department": {"type": "string", "required": True, "empty": False, "check_with": "one_line"},
    "tags": {"type": "list", "schema": {"type": "string", "regex": TAG}},
    "status": {"type": "string", "required": True, "allowed": STATUSES},
    "deprecation": {
        "type": "dict",
        "schema": {
            "reason": {"type": "string", "required": True, "empty": False},
            "replaced_by": {"type": "string", "regex": SLUG},
        },
    },
    "runtime": {"type": "string", "required": True, "allowed": RUNTIMES},
    "entrypoint": {
        "type": "string",
        "required": True,
        "empty": False,
        "check_with": "relative_path",
    },
    "requirements": {"type": "list", "schema": {"type": "string", "regex": PINNED_REQUIREMENT}},
    "inputs": {
        "type": "dict",
        "keysrules": {"type": "string", "regex": INPUT_NAME},
        "valuesrules": {"type": "dict", "schema": _INPUT_SCHEMA, "check_with": "input_spec"},
    },
    "secrets": {
        "type": "list",
        "schema": {
            "type": "dict",
            "schema": {
                "name": {"type": "string", "required": True, "regex": SECRET_NAME},
                "description": {"type": "string", "required": True, "empty": False},
                "required": {"type": "boolean"},
            },
        },
    },
    "schedule": {"type": "string", "nullable": True, "check_with": "cron"},
    "timeout": {"type": "integer", "min": 1, "max": 86400},
    "classification": {"type": "string", "required": True, "allowed": CLASSIFICATIONS},
    "time_saved_minutes": {"type": "number", "min": 0},
    "examples": {
        "type": "list",
        "schema": {
            "type": "dict",
            "schema": {
                "title": {"type": "string", "required": True, "empty": False},
                "inputs": {"type": "dict"},
            },
        },
    },
}

# Hints for values that fail a pattern, by the field's last key.
_PATTERN_HINTS = {
    "name": (
        "must be a slug",
        "lowercase letters, digits and dashes, 2-63 characters, "
        "starting with a letter, e.g. 'invoice-reminders'",
    ),
    "replaced_by": ("must be the name of an automation", "a slug such as 'invoice-reminders'"),
    "version": (
        "must be a semantic version MAJOR.MINOR.PATCH",
        "e.g. '1.4.0'; quote it if YAML reads it as a number",
    ),
    "owners": ("must be a GitHub handle", "add at least one '@user' or '@org/team'"),
    "tags": ("must be a slug", "lowercase letters, digits and dashes, e.g. 'email'"),
    "requirements": (
        "must be pinned to an exact version",
        "write 'name==x.y.z', e.g. 'openpyxl==3.1.5'",
    ),
    "inputs": (
        "is not a valid input name",
        "lowercase letters, digits and underscores, starting with a letter",
    ),
    "secrets": (
        "must be an environment variable name",
        "uppercase letters, digits and underscores, e.g. 'SMTP_PASSWORD'",
    ),
}

_TYPE_NAMES = {
    "string": "string",
    "list": "list",
    "dict": "mapping",
    "integer": "whole number",
    "number": "number",
    "boolean": "true or false",
}


@dataclass(frozen=True)
class InputSpec:
    name: str
    type: str
    description: str
    required: bool = False
    default: Any = None
    choices: tuple[Any, ...] = ()
    min: float | None = None
    max: float | None = None
    pattern: str | None = None


@dataclass(frozen=True)
class Secret:
    name: str
    description: str
    required: bool = True  # false: the automation works without it (e.g. SMTP without login)


@dataclass(frozen=True)
class Example:
    title: str
    inputs: dict[str, Any]


@dataclass(frozen=True)
class Deprecation:
    reason: str
    replaced_by: str | None = None


@dataclass(frozen=True)
class Automation:
    """A valid automation: its metadata and where its folder is."""

    name: str
    title: str
    summary: str
    version: str
    owners: tuple[str, ...]
    department: str
    status: str
    runtime: str
    entrypoint: str
    classification: str
    folder: Path
    tags: tuple[str, ...] = ()
    requirements: tuple[str, ...] = ()
    inputs: dict[str, InputSpec] = field(default_factory=dict)
    secrets: tuple[Secret, ...] = ()
    schedule: str | None = None
    timeout: int = DEFAULT_TIMEOUT
    time_saved_minutes: float = 0
    examples: tuple[Example, ...] = ()
    deprecation: Deprecation | None = None
    data: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)

    @property
    def metadata_path(self) -> Path:
        return self.folder / METADATA_FILE

    @property
    def entrypoint_path(self) -> Path:
        return self.folder / self.entrypoint

    def version_tuple(self) -> tuple[int, int, int]:
        major, minor, patch = self.version.split(".")
        return int(major), int(minor), int(patch)

    def to_dict(self) -> dict[str, Any]:
        """The metadata as written, with defaults filled in; JSON-ready."""
        result: dict[str, Any] = _jsonable(
            {
                "name": self.name,
                "title": self.title,
                "summary": self.summary,
                "version": self.version,
                "owners": list(self.owners),
                "department": self.department,
                "tags": list(self.tags),
                "status": self.status,
                "deprecation": self.data.get("deprecation"),
                "runtime": self.runtime,
                "entrypoint": self.entrypoint,
                "requirements": list(self.requirements),
                "inputs": self.data.get("inputs") or {},
                "secrets": self.data.get("secrets") or [],
                "schedule": self.schedule,
                "timeout": self.timeout,
                "classification": self.classification,
                "time_saved_minutes": self.time_saved_minutes,
                "examples": self.data.get("examples") or [],
            }
        )
        return result


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


def automation_from_data(data: Mapping[str, Any], folder: Path) -> Automation:
    """Build the typed object from metadata that passed validation."""
    inputs = {
        name: InputSpec(
            name=name,
            type=spec["type"],
            description=spec["description"],
            required=bool(spec.get("required", False)),
            default=spec.get("default"),
            choices=tuple(spec.get("choices") or ()),
            min=spec.get("min"),
            max=spec.get("max"),
            pattern=spec.get("pattern"),
        )
        for name, spec in (data.get("inputs") or {}).items()
    }
    deprecation = data.get("deprecation")
    return Automation(
        name=data["name"],
        title=data["title"],
        summary=data["summary"],
        version=data["version"],
        owners=tuple(data["owners"]),
        department=data["department"],
        status=data["status"],
        runtime=data["runtime"],
        entrypoint=data["entrypoint"],
        classification=data["classification"],
        folder=folder,
        tags=tuple(data.get("tags") or ()),
        requirements=tuple(data.get("requirements") or ()),
        inputs=inputs,
        secrets=tuple(
            Secret(s["name"], s["description"], bool(s.get("required", True)))
            for s in data.get("secrets") or ()
        ),
        schedule=data.get("schedule"),
        timeout=data.get("timeout", DEFAULT_TIMEOUT),
        time_saved_minutes=data.get("time_saved_minutes", 0),
        examples=tuple(
            Example(e["title"], dict(e.get("inputs") or {})) for e in data.get("examples") or ()
        ),
        deprecation=Deprecation(deprecation["reason"], deprecation.get("replaced_by"))
        if deprecation
        else None,
        data=dict(data),
    )


# ---------------------------------------------------------------------------
# Validation


@dataclass(frozen=True)
class Problem:
    """A problem found in a file's content, located by its path of keys."""

    keys: tuple[Any, ...]
    message: str
    hint: str | None
    at_key: bool = False


def _field_label(keys: Sequence[Any]) -> str:
    label = ""
    for key in keys:
        label += f"[{key}]" if isinstance(key, int) else (f".{key}" if label else str(key))
    return label


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


_TYPE_CHECKS: dict[str, Callable[[Any], bool]] = {
    "string": lambda v: isinstance(v, str),
    "path": lambda v: isinstance(v, str),
    "integer": lambda v: isinstance(v, int) and not isinstance(v, bool),
    "number": _is_number,
    "boolean": lambda v: isinstance(v, bool),
    "date": lambda v: _is_date(v),
    "choice": lambda v: True,
}


def input_value_problem(spec: Mapping[str, Any], value: Any) -> str | None:
    """Why `value` does not fit the input spec, or None when it does.

    Parts of the spec that are themselves malformed (a non-numeric `min`, a bad
    `pattern`) are skipped here: the schema reports them.
    """
    check = _TYPE_CHECKS.get(str(spec.get("type")))
    if check is not None and not check(value):
        text = spec["type"] in ("string", "path") and not isinstance(value, str)
        advice = "; put it in quotes so that YAML reads it as text" if text else ""
        return f"{_shown(value)} is not a valid {spec['type']}{advice}"
    choices = spec.get("choices")
    if isinstance(choices, list) and choices and value not in choices:
        return f"{_shown(value)} is not one of the choices {', '.join(map(str, choices))}"
    return _bounds_problem(spec, value) or _pattern_problem(spec, value)


def _shown(value: Any) -> str:
    """A value as the file spells it: dates and booleans as YAML writes them."""
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, bool):
        return str(value).lower()
    return repr(value)


def _bounds_problem(spec: Mapping[str, Any], value: Any) -> str | None:
    if not _is_number(value):
        return None
    low, high = spec.get("min"), spec.get("max")
    if _is_number(low) and value < low:
        return f"{value} is below the minimum {low}"
    if _is_number(high) and value > high:
        return f"{value} is above the maximum {high}"
    return None


def _pattern_problem(spec: Mapping[str, Any], value: Any) -> str | None:
    pattern = spec.get("pattern")
    if not isinstance(pattern, str) or not pattern or not isinstance(value, str):
        return None
    try:
        matched = re.fullmatch(pattern, value)
    except re.error:
        return None
    return None if matched else f"{value!r} does not match the pattern {pattern!r}"


def _is_date(value: Any) -> bool:
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        return True
    if isinstance(value, str):
        try:
            dt.date.fromisoformat(value)
        except ValueError:
            return False
        return True
    return False


def _make_validator_class() -> type:
    from cerberus import TypeDefinition, Validator

    from toolkit import cron

    class MetadataValidator(Validator):  # type: ignore[misc]
        # cerberus takes `true` for an integer (bool is an int in Python); YAML authors
        # mean a flag, not 1.
        types_mapping: ClassVar[dict[str, Any]] = {
            **Validator.types_mapping,
            "integer": TypeDefinition("integer", (int,), (bool,)),
        }

        def _check_with_one_line(self, field: str, value: Any) -> None:
            if not isinstance(value, str) or not value:
                return  # the type and `empty` rules report these
            if not value.strip():
                self._error(field, "must not be blank")
            elif "\n" in value.strip():
                self._error(field, "must be a single line")

        def _check_with_relative_path(self, field: str, value: Any) -> None:
            if not isinstance(value, str):
                return
            path = PurePosixPath(value.replace("\\", "/"))
            if path.is_absolute() or re.match(r"^[A-Za-z]:", value):
                self._error(field, "must be a path relative to the automation's folder")
            elif ".." in path.parts:
                self._error(field, "must stay inside the automation's folder (no '..')")

        def _check_with_cron(self, field: str, value: Any) -> None:
            if isinstance(value, str):
                try:
                    cron.parse(value)
                except cron.CronError as error:
                    self._error(field, f"is not a valid cron expression: {error}")

        def _check_with_regex_pattern(self, field: str, value: Any) -> None:
            try:
                re.compile(value)
            except re.error as error:
                self._error(field, f"is not a valid regular expression: {error}")

        def _check_with_input_spec(self, field: str, spec: Any) -> None:
            if not isinstance(spec, dict):
                return
            if spec.get("type") == "choice" and not spec.get("choices"):
                self._error(field, "an input of type choice needs a list of `choices`")
            if spec.get("required") and spec.get("default") is not None:
                self._error(field, "a required input cannot have a default")
            if spec.get("default") is not None:
                reason = input_value_problem(spec, spec["default"])
                if reason:
                    self._error(field, f"default {reason}")
            low, high = spec.get("min"), spec.get("max")
            if isinstance(low, int | float) and isinstance(high, int | float) and low > high:
                self._error(field, "min is greater than max")

    return MetadataValidator


_validator: Any = None


def _get_validator() -> Any:
    global _validator
    if _validator is None:
        _validator = _make_validator_class()(SCHEMA)
    return _validator


def content_problems(data: Mapping[str, Any]) -> list[Problem]:
    """Every problem in the metadata's content: schema first, then cross-field rules."""
    validator = _get_validator()
    validator.validate(dict(data), normalize=False)
    problems = [_problem_from_cerberus(e) for e in _leaf_errors(validator._errors)]
    return problems + _cross_field_problems(data)


def _leaf_errors(errors: Sequence[Any]) -> list[Any]:
    leaves = []
    for error in errors:
        if error.is_group_error:
            leaves.extend(_leaf_errors(error.child_errors))
        else:
            leaves.append(error)
    return leaves


def _problem_from_cerberus(error: Any) -> Problem:
    from cerberus import errors as cerberus_errors

    keys = tuple(error.document_path)
    last = next((k for k in reversed(keys) if isinstance(k, str)), "")
    code = error.code
    value = error.value
    if code == cerberus_errors.UNKNOWN_FIELD.code:
        known = list(_known_fields(keys[:-1]))
        close = difflib.get_close_matches(str(keys[-1]), known, n=1)
        hint = f"did you mean '{close[0]}'?" if close else f"known fields: {', '.join(known)}"
        return Problem(keys, "is not a known field", hint, at_key=True)
    if code == cerberus_errors.REQUIRED_FIELD.code:
        return Problem(keys, "is required but missing", f"add `{last}:` to the file")
    if code == cerberus_errors.BAD_TYPE.code:
        wanted = error.constraint if isinstance(error.constraint, str) else error.constraint[0]
        wanted_name = _TYPE_NAMES.get(wanted, wanted)
        hint = f"write it as a {wanted_name}"
        if wanted == "string" and last == "version":
            hint = 'quote it, e.g. version: "1.0.0"'
        elif wanted == "list" and isinstance(value, str | int | float):
            hint = f"write it as a list, e.g. `{last}: [{value}]`"
        return Problem(keys, f"must be a {wanted_name}, not {_describe(value)}", hint)
    if code in (cerberus_errors.EMPTY_NOT_ALLOWED.code, cerberus_errors.MIN_LENGTH.code):
        if last == "owners":
            return Problem(keys, "must not be empty", "add at least one '@user' or '@org/team'")
        return Problem(keys, "must not be empty", "fill it in")
    if code == cerberus_errors.MAX_LENGTH.code:
        return Problem(
            keys,
            f"is {len(value)} characters long, over the limit of {error.constraint}",
            "shorten it; put details in README.md",
        )
    if code == cerberus_errors.UNALLOWED_VALUE.code:
        return Problem(
            keys, f"{value!r} is not allowed", f"use one of: {', '.join(error.constraint)}"
        )
    if code == cerberus_errors.REGEX_MISMATCH.code:
        # Every pattern belongs to a top-level field, except deprecation.replaced_by.
        key = last if last == "replaced_by" else keys[0]
        message, hint = _PATTERN_HINTS.get(key, ("has the wrong form", "see the metadata docs"))
        at_key = keys == ("inputs", value)  # a bad input name is a key, not a value
        return Problem(keys, f"{value!r} {message}", hint, at_key=at_key)
    if code in (cerberus_errors.MIN_VALUE.code, cerberus_errors.MAX_VALUE.code):
        bound = "at least" if code == cerberus_errors.MIN_VALUE.code else "at most"
        return Problem(keys, f"must be {bound} {error.constraint}", f"change {value!r}")
    if code == cerberus_errors.NOT_NULLABLE.code:
        return Problem(keys, "is empty", f"give `{last}` a value, or remove the line")
    if code == cerberus_errors.CUSTOM.code:
        return _custom_problem(keys, str(error.info[0]) if error.info else "is not valid")
    return Problem(keys, f"is not valid ({error.rule})", "see the metadata docs")


def _custom_problem(keys: tuple[Any, ...], message: str) -> Problem:
    """A problem from one of the `_check_with_*` rules, pointed at the exact key."""
    hint = _custom_hint(message)
    if message.startswith(("default", "a required input")):
        keys += ("default",)
        message = message.removeprefix("default ")
    elif message.startswith("min is"):
        keys += ("min",)
    return Problem(keys, message, hint)


def _custom_hint(message: str) -> str:
    if message.startswith("is not a valid regular expression"):
        return "fix the pattern; it is a Python regular expression matched against the whole value"
    if message.startswith("min is"):
        return "swap min and max"
    if message.startswith("is not a valid cron"):
        return "five fields in UTC, e.g. '0 8 * * 1-5' for weekdays at 08:00"
    if message.startswith("a required input"):
        return "remove the default, or make the input optional with `required: false`"
    if message.startswith("default"):
        return "make the default match the input's type and choices, or remove it"
    if "entrypoint" in message or "relative" in message or "'..'" in message:
        return "name a file inside the folder, e.g. 'main.py'"
    if "needs a list of `choices`" in message:
        return "add `choices: [a, b]`"
    if "single line" in message:
        return "keep it to one line; put details in README.md"
    if message == "must not be blank":
        return "fill it in"
    return "see the metadata docs"


def _describe(value: Any) -> str:
    if isinstance(value, bool):
        return f"the boolean {str(value).lower()}"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    if value is None:
        return "an empty value"
    if isinstance(value, int | float):
        return f"the number {value}"
    if isinstance(value, str):
        return f"the text {value!r}"
    return f"{type(value).__name__} {value!r}"


def _known_fields(parent_keys: Sequence[Any]) -> list[str]:
    schema: Any = SCHEMA
    for key in parent_keys:
        if isinstance(key, int):
            continue
        rule = schema.get(key, {}) if isinstance(schema, dict) else {}
        if "valuesrules" in rule:
            schema = rule["valuesrules"]["schema"]
            continue
        inner = rule.get("schema", {})
        schema = inner.get("schema", inner) if inner.get("type") == "dict" else inner
    if isinstance(schema, dict) and "schema" in schema and "type" in schema:
        schema = schema["schema"]
    return sorted(schema) if isinstance(schema, dict) else []


def _cross_field_problems(data: Mapping[str, Any]) -> list[Problem]:
    problems: list[Problem] = []
    if data.get("status") == "deprecated" and not isinstance(data.get("deprecation"), dict):
        problems.append(
            Problem(
                ("status",),
                "a deprecated automation needs a `deprecation` section",
                "add `deprecation: {reason: ..., replaced_by: ...}`",
            )
        )
    entrypoint = data.get("entrypoint")
    python = data.get("runtime") == "python"
    if python and isinstance(entrypoint, str) and not entrypoint.endswith(".py"):
        problems.append(
            Problem(("entrypoint",), "a python entrypoint must be a .py file", "e.g. main.py")
        )
    inputs = data.get("inputs")
    examples = data.get("examples")
    if isinstance(examples, list):
        declared = inputs if isinstance(inputs, dict) else {}
        for index, example in enumerate(examples):
            if isinstance(example, dict) and isinstance(example.get("inputs", {}), dict):
                problems += _example_problems(index, example.get("inputs") or {}, declared)
    return problems


def _example_problems(
    index: int, given: Mapping[Any, Any], declared: Mapping[Any, Any]
) -> list[Problem]:
    """Examples run as smoke tests, so their inputs must be declared, valid and complete."""
    problems: list[Problem] = []
    for name, value in given.items():
        keys = ("examples", index, "inputs", name)
        spec = declared.get(name)
        if name not in declared:
            close = difflib.get_close_matches(str(name), [str(k) for k in declared], n=1)
            hint = f"did you mean '{close[0]}'?" if close else "declare it under `inputs`"
            problems.append(Problem(keys, "is not a declared input", hint, at_key=True))
        elif isinstance(spec, dict) and (reason := input_value_problem(spec, value)):
            problems.append(Problem(keys, reason, "give the example a value that fits the input"))
    for name, spec in declared.items():
        if isinstance(spec, dict) and spec.get("required") and name not in given:
            problems.append(
                Problem(
                    ("examples", index, "inputs"),
                    f"misses the required input '{name}'",
                    f"add `{name}: ...` to the example's inputs",
                )
            )
    return problems


def filesystem_problems(data: Mapping[str, Any], folder: Path, root: Path) -> list[Problem]:
    """Problems that depend on the folder, not the file: its name and the entrypoint file."""
    problems: list[Problem] = []
    name = data.get("name")
    if isinstance(name, str) and name != folder.name:
        problems.append(_name_problem(name, folder))
    entrypoint = data.get("entrypoint")
    if isinstance(entrypoint, str) and entrypoint:
        problem = _entrypoint_problem(folder, entrypoint, root)
        if problem:
            problems.append(Problem(("entrypoint",), problem[0], problem[1]))
    return problems


def _name_problem(name: str, folder: Path) -> Problem:
    other = folder.parent / name
    if other.is_dir():
        # A copied folder whose name was not changed: two automations would share a name.
        return Problem(
            ("name",),
            f"'{name}' is already the name of {folder.parent.name}/{name}/; "
            "two automations cannot share a name",
            f"give this copy its own name: set `name: {folder.name}` (the folder name), "
            "or rename both the folder and `name`",
        )
    return Problem(
        ("name",),
        f"'{name}' differs from the folder name '{folder.name}'",
        f"set `name: {folder.name}` or rename the folder to {name}",
    )


def _entrypoint_problem(folder: Path, entrypoint: str, root: Path) -> tuple[str, str] | None:
    pure = PurePosixPath(entrypoint)
    if pure.is_absolute() or ".." in pure.parts:
        return None  # reported by the schema
    candidate = os.path.join(folder, entrypoint)
    try:
        info = os.lstat(candidate)
    except OSError:
        info = None
    if info is not None and stat.S_ISREG(info.st_mode) and "/" not in entrypoint:
        return None  # the common case, settled with one system call
    if info is not None and not _inside(os.path.realpath(candidate), os.path.realpath(root)):
        return (
            f"'{entrypoint}' is a symlink leading outside the repository",
            "commit the file itself instead of a link to it",
        )
    if not os.path.isfile(candidate):
        return (
            f"'{entrypoint}' does not exist in {folder.name}/",
            "create the file or correct the path",
        )
    return None


def _inside(path: str, folder: str) -> bool:
    return path == folder or path.startswith(folder.rstrip(os.sep) + os.sep)


def to_findings(problems: Sequence[Problem], text: str | None, display_path: str) -> list[Finding]:
    """Turn problems into findings, looking up line numbers only now that there are some."""
    if not problems:
        return []
    from toolkit.yamlfile import LineIndex

    index = LineIndex(text) if text is not None else None
    findings = []
    for problem in problems:
        position = index.locate(problem.keys, key=problem.at_key) if index else None
        findings.append(
            Finding(
                path=display_path,
                line=position.line if position else 1,
                column=position.column if position else 1,
                check=CHECK_ID,
                severity=ERROR,
                message=problem.message,
                hint=problem.hint,
                field=_field_label(problem.keys) or None,
            )
        )
    return findings


def load_automation(path: Path, root: Path | None = None) -> Automation:
    """Load and validate one `automation.yaml` (or the folder holding it).

    Raises `toolkit.errors.ToolkitError` listing every problem, each with file, line,
    column, field and a hint.
    """
    from toolkit.errors import ToolkitError

    findings, automation = check_file(path, root)
    if automation is None:
        lines = "\n".join(f.as_line() for f in findings)
        raise ToolkitError(f"invalid metadata:\n{lines}")
    return automation


def check_file(
    path: Path,
    root: Path | None = None,
    cache: MutableMapping[str, Any] | None = None,
    raw: bytes | None = None,
) -> tuple[list[Finding], Automation | None]:
    """Validate one metadata file (or the folder holding it).

    Returns every finding, and the automation when there are none. With `cache` (a
    mapping kept by `toolkit.inventory`), the content checks of unchanged files are
    skipped; the file-system checks always run. `raw` is the file's content when the
    caller has already read it.
    """
    from toolkit.yamlfile import YamlProblem, decode, read_bytes

    path = path / METADATA_FILE if path.name != METADATA_FILE and path.is_dir() else path
    folder = path.parent
    root = root or folder.parent.parent
    display = display_path(path, root)
    try:
        raw = read_bytes(path) if raw is None else raw
    except YamlProblem as problem:
        return [_yaml_finding(display, problem)], None
    except OSError as error:
        message = f"cannot be read: {error.strerror}"
        return [Finding(display, None, None, CHECK_ID, ERROR, message, "check the file")], None
    key = content_key(display, raw)
    entry = cache.get(key) if cache is not None else None
    if entry is None:
        entry = check_content(raw, display)
        if cache is not None:
            cache[key] = entry
    data, findings = entry
    if data is None:
        return list(findings), None
    try:
        folder_problems = filesystem_problems(data, folder, root)
    except OSError as error:
        folder_problems = [Problem(("entrypoint",), f"cannot be checked: {error}", None)]
    findings = list(findings) + to_findings(folder_problems, decode(raw), display)
    return findings, (None if findings else automation_from_data(data, folder))


def content_key(display: str, raw: bytes) -> str:
    """The cache key of a file's content checks: its path and a hash of its bytes."""
    return f"{display}\0{hashlib.blake2b(raw, digest_size=16).hexdigest()}"


def check_content(raw: bytes, display: str) -> tuple[dict[str, Any] | None, list[Finding]]:
    """Parse and check a file's content: the data (None if unreadable) and its findings."""
    from toolkit.yamlfile import YamlProblem, decode, parse_mapping

    try:
        text = decode(raw)
        data = parse_mapping(text)
    except YamlProblem as problem:
        return None, [_yaml_finding(display, problem)]
    return data, to_findings(content_problems(data), text, display)


def _yaml_finding(display: str, problem: Any) -> Finding:
    return Finding(
        display,
        problem.line,
        problem.column,
        CHECK_ID,
        ERROR,
        problem.message,
        problem.hint,
        problem.field,
    )


def display_path(path: Path, root: Path) -> str:
    """`path` relative to `root`, POSIX style, as findings show it."""
    text, prefix = str(path), str(root).rstrip(os.sep) + os.sep
    if path.is_absolute() and text.startswith(prefix):
        # A string operation: resolve() would cost a stat per path component.
        return text[len(prefix) :].replace(os.sep, "/")
    try:
        return path.resolve().relative_to(root.resolve()).as_posix()
    except ValueError:
        return path.as_posix()
