"""Turning cerberus errors into problems that say what is wrong and how to fix it."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from toolkit.metadata.problems import Keys, Problem
from toolkit.metadata.schema import SCHEMA, Schema
from toolkit.suggest import did_you_mean

if TYPE_CHECKING:
    from cerberus.errors import ValidationError

# Hints for values that fail a pattern, by the field's last key.
_PATTERN_HINTS = {
    "name": (
        "must be a slug",
        "lowercase letters, digits and dashes, 2-63 characters, "
        "starting with a letter, e.g. 'invoice-reminders'",
    ),
    "replaced_by": ("must be the name of an automation", "a slug such as 'invoice-reminders'"),
    "owner": ("must be a GitHub handle", "write '@user' or '@org/team'"),
    "version": (
        "must be a semantic version MAJOR.MINOR.PATCH",
        "e.g. '1.4.0'; quote it if YAML reads it as a number",
    ),
    "owners": ("must be a GitHub handle", "add at least one '@user' or '@org/team'"),
    "tags": ("must be a slug", "lowercase letters, digits and dashes, e.g. 'email'"),
    "inputs": (
        "is not a valid input name",
        "lowercase letters, digits and underscores, starting with a letter",
    ),
    "libraries": (
        "must name a library, optionally at a version",
        "write the library's folder name under libraries/, e.g. 'shopkit' or 'shopkit@1.2.0'",
    ),
    "secrets": (
        "must be an environment variable name",
        "uppercase letters, digits and underscores, e.g. 'SMTP_PASSWORD'",
    ),
}

IDEA_HINT = "write the number of the idea issue it was built from, e.g. `idea: 42`"

# Hints for values over their length limit, by the top-level field.
_LENGTH_HINTS = {
    "department": "use the department's usual short name, e.g. 'Finance'",
    "owners": "name a GitHub user or team by its handle, e.g. '@org/team'",
}

_TYPE_NAMES = {
    "string": "string",
    "list": "list",
    "dict": "mapping",
    "integer": "whole number",
    "number": "number",
    "boolean": "true or false",
}

# Hints for the messages of the validator's own `check_with` rules, by how they begin
# (or, for the last ones, what they contain).
_CUSTOM_HINTS = (
    (
        "is not a valid regular expression",
        "fix the pattern; it is a Python regular expression matched against the whole value",
    ),
    ("min is", "swap min and max"),
    ("is not a valid cron", "five fields in UTC, e.g. '0 8 * * 1-5' for weekdays at 08:00"),
    ("a required input", "remove the default, or make the input optional with `required: false`"),
    ("default", "make the default match the input's type and choices, or remove it"),
)
_CUSTOM_HINTS_WITHIN = (
    (("entrypoint", "relative", "'..'"), "name a file inside the folder, e.g. 'main.py'"),
    (("needs a list of `choices`",), "add `choices: [a, b]`"),
    (("single line",), "keep it to one line; put details in README.md"),
    (("`access`",), "remove `access: write`, or make the input `type: path`"),
)


def leaf_errors(errors: Sequence[ValidationError]) -> list[ValidationError]:
    """The errors themselves, with cerberus's group errors opened up."""
    leaves = []
    for error in errors:
        if error.is_group_error:
            leaves.extend(leaf_errors(error.child_errors))
        else:
            leaves.append(error)
    return leaves


def problem_from_cerberus(error: ValidationError) -> Problem:
    from cerberus import errors as codes

    keys: Keys = tuple(error.document_path)
    last = next((k for k in reversed(keys) if isinstance(k, str)), "")
    code, value = error.code, error.value
    if code == codes.UNKNOWN_FIELD.code:
        known = _known_fields(keys[:-1])
        listed = f"known fields: {', '.join(known)}" if known else "remove it"
        hint = did_you_mean(str(keys[-1]), known, listed)
        return Problem(keys, "is not a known field", hint, at_key=True)
    if code == codes.REQUIRED_FIELD.code:
        return Problem(keys, "is required but missing", f"add `{last}:` to the file")
    if code == codes.BAD_TYPE.code:
        return _type_problem(keys, last, error)
    if code in (codes.EMPTY_NOT_ALLOWED.code, codes.MIN_LENGTH.code):
        if last == "owners":
            return Problem(keys, "must not be empty", "add at least one '@user' or '@org/team'")
        return Problem(keys, "must not be empty", "fill it in")
    if code == codes.MAX_LENGTH.code:
        return Problem(
            keys,
            f"is {len(value)} characters long, over the limit of {error.constraint}",
            _LENGTH_HINTS.get(str(keys[0]), "shorten it; put details in README.md"),
        )
    if code == codes.UNALLOWED_VALUE.code:
        allowed = [str(choice) for choice in error.constraint]
        listed = f"use one of: {', '.join(allowed)}"
        hint = did_you_mean(value, allowed, listed) if isinstance(value, str) else listed
        return Problem(keys, f"{value!r} is not allowed", hint)
    if code == codes.REGEX_MISMATCH.code:
        return _pattern_problem(keys, last, value)
    if code in (codes.MIN_VALUE.code, codes.MAX_VALUE.code):
        bound = "at least" if code == codes.MIN_VALUE.code else "at most"
        hint = IDEA_HINT if keys == ("idea",) else f"change {value!r}"
        return Problem(keys, f"must be {bound} {error.constraint}", hint)
    if code == codes.NOT_NULLABLE.code:
        return Problem(keys, "is empty", f"give `{last}` a value, or remove the line")
    if code == codes.CUSTOM.code and keys[:1] == ("requirements",) and isinstance(value, str):
        return _requirement_problem(keys, value)
    if code == codes.CUSTOM.code:
        return custom_problem(keys, str(error.info[0]) if error.info else "is not valid")
    return Problem(keys, f"is not valid ({error.rule})", "see the metadata docs")


def _requirement_problem(keys: Keys, value: str) -> Problem:
    from toolkit.metadata.requirements import PIN_HINT, pin_problem

    message, hint = pin_problem(value) or ("is not a pinned requirement", PIN_HINT)
    return Problem(keys, message, hint)


def _type_problem(keys: Keys, last: str, error: ValidationError) -> Problem:
    value = error.value
    wanted = error.constraint if isinstance(error.constraint, str) else error.constraint[0]
    wanted_name = _TYPE_NAMES.get(wanted, wanted)
    hint = IDEA_HINT if keys == ("idea",) else f"write it as a {wanted_name}"
    if wanted == "string" and last == "version":
        hint = 'quote it, e.g. version: "1.0.0"'
    elif wanted == "list" and isinstance(value, str | int | float):
        hint = f"write it as a list, e.g. `{last}: [{value}]`"
    return Problem(keys, f"must be a {wanted_name}, not {_describe(value)}", hint)


def _pattern_problem(keys: Keys, last: str, value: object) -> Problem:
    # Every pattern belongs to a top-level field, except deprecation.replaced_by and the
    # template record's (its name is a slug, its owner a handle).
    key = last if last == "replaced_by" or keys[0] == "template" else str(keys[0])
    message, hint = _PATTERN_HINTS.get(key, ("has the wrong form", "see the metadata docs"))
    at_key = keys == ("inputs", value)  # a bad input name is a key, not a value
    return Problem(keys, f"{value!r} {message}", hint, at_key=at_key)


def custom_problem(keys: Keys, message: str) -> Problem:
    """A problem from one of the `check_with` rules, pointed at the exact key."""
    hint = _custom_hint(message)
    if message.startswith(("default", "a required input")):
        keys += ("default",)
        message = message.removeprefix("default ")
    elif message.startswith("min is"):
        keys += ("min",)
    return Problem(keys, message, hint)


def _custom_hint(message: str) -> str:
    for start, hint in _CUSTOM_HINTS:
        if message.startswith(start):
            return hint
    for parts, hint in _CUSTOM_HINTS_WITHIN:
        if any(part in message for part in parts):
            return hint
    if message == "must not be blank":
        return "fill it in"
    return "see the metadata docs"


def _describe(value: object) -> str:
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


def _known_fields(parent_keys: Sequence[object]) -> list[str]:
    """The field names the schema allows at `parent_keys`, for did-you-mean hints."""
    rule: Schema = {"type": "dict", "schema": SCHEMA}  # the whole file, as one rule
    for key in parent_keys:
        rule = _child_rule(rule, key)
    if rule.get("type") != "dict":
        return []
    return sorted(rule.get("schema", {}))


def _child_rule(rule: Schema, key: object) -> Schema:
    """The rule for the value at `key` inside a value that `rule` describes."""
    if rule.get("type") == "list":
        return dict(rule.get("schema", {}))  # every item of a list has the same rule
    if "valuesrules" in rule:
        return dict(rule["valuesrules"])  # e.g. inputs.<name>: any key, one rule
    return dict(rule.get("schema", {}).get(str(key), {}))
