"""Checking metadata: the cerberus validator, the cross-field rules and the folder checks.

Validation has two layers. The cerberus schema checks each field on its own (types,
slugs, semver, cron, owner handles, pinned requirements, input specs). Then
`cross_field_problems` checks what spans several fields (deprecation, example inputs).
Both look at the file's content only, so their result can be cached by content; what
depends on the file system (the folder name, the entrypoint file) is checked by
`filesystem_problems` every time.
"""

from __future__ import annotations

import datetime as dt
import functools
import os
import re
import stat
from collections.abc import Mapping
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, ClassVar, cast

from toolkit.files import LINK_HINT, LINK_REASON, linked_part
from toolkit.metadata.problems import Keys, Problem
from toolkit.metadata.schema import SCHEMA
from toolkit.metadata.values import input_value_problem, loose_spec
from toolkit.suggest import did_you_mean

if TYPE_CHECKING:
    from cerberus import Validator


def content_problems(data: Mapping[str, object]) -> list[Problem]:
    """Every problem in the metadata's content: keys first, then schema and cross-field rules."""
    problems: list[Problem] = []
    named = dict(data)
    if not _keys_are_text(named):
        named = cast("dict[str, object]", _named_keys_only(named, (), problems))
    validator = _validator()
    validator.validate(named, normalize=False)
    from toolkit.metadata.wording import leaf_errors, problem_from_cerberus  # with cerberus

    problems += [problem_from_cerberus(e) for e in leaf_errors(validator._errors)]
    return problems + cross_field_problems(named)


def _keys_are_text(value: object) -> bool:
    """Whether every mapping key in `value` is text: the quick test for the usual file."""
    if isinstance(value, dict):
        return all(type(k) is str for k in value) and all(map(_keys_are_text, value.values()))
    if isinstance(value, list):
        return all(map(_keys_are_text, value))
    return True


def _named_keys_only(value: object, path: Keys, problems: list[Problem]) -> object:
    """`value` with every mapping key that is not text left out, each one reported.

    YAML reads a key written `~`, `2024-01-01`, `12` or `yes` as null, a date, a number
    or a boolean. No field or input has such a name, and the schema validator cannot
    even sort its errors about keys of mixed types. Values whose keys are all text are
    returned as they are.
    """
    if isinstance(value, dict):
        kept: dict[str, object] = {}
        for key, item in value.items():
            if isinstance(key, str):
                kept[key] = _named_keys_only(item, (*path, key), problems)
            else:
                problems.append(_unnamed_key_problem(path, key))
        same = len(kept) == len(value) and all(kept[k] is value[k] for k in kept)
        return value if same else kept
    if isinstance(value, list):
        items = [_named_keys_only(item, (*path, i), problems) for i, item in enumerate(value)]
        return value if all(a is b for a, b in zip(items, value, strict=True)) else items
    return value


_KEY_KINDS = ((bool, "a boolean"), (int | float, "a number"), (dt.date, "a date"))


def _unnamed_key_problem(path: Keys, key: object) -> Problem:
    if key is None:
        message = "a key written `~`, `null` or left empty is read by YAML as null, not a name"
        hint = "write the name this entry should have before its colon"
    else:
        kind = next((words for kinds, words in _KEY_KINDS if isinstance(key, kinds)), "a value")
        shown = str(key).lower() if isinstance(key, bool) else str(key)
        message = f"this key is read by YAML as {kind} ({shown}), not as a name"
        hint = "put the key in quotes to keep it as text, or give the entry a name"
    return Problem((*path, key), message, hint, at_key=True)


@functools.cache
def _validator() -> Validator:
    """One validator for the process: cerberus is imported only when content is checked."""
    return _validator_class()(SCHEMA)


def validator_class() -> type[Validator]:
    """The metadata validator class (with its custom rules); `toolkit.libraries` uses it too."""
    return _validator_class()


@functools.cache
def _validator_class() -> type[Validator]:
    from cerberus import TypeDefinition, Validator

    class MetadataValidator(Validator):  # type: ignore[misc]
        # cerberus takes `true` for an integer (bool is an int in Python); YAML authors
        # mean a flag, not 1.
        types_mapping: ClassVar[dict[str, TypeDefinition]] = {
            **Validator.types_mapping,
            "integer": TypeDefinition("integer", (int,), (bool,)),
        }

        def _check_with_one_line(self, field: str, value: object) -> None:
            if not isinstance(value, str) or not value:
                return  # the type and `empty` rules report these
            if not value.strip():
                self._error(field, "must not be blank")
            elif "\n" in value.strip():
                self._error(field, "must be a single line")

        def _check_with_positive(self, field: str, value: object) -> None:
            if isinstance(value, int | float) and not isinstance(value, bool) and value <= 0:
                self._error(field, "must be greater than 0")

        def _check_with_relative_path(self, field: str, value: object) -> None:
            if isinstance(value, str) and (problem := _relative_path_problem(value)):
                self._error(field, problem)

        def _check_with_cron(self, field: str, value: object) -> None:
            from toolkit import cron  # with cerberus, off the run path

            if isinstance(value, str):
                try:
                    cron.parse(value)
                except cron.CronError as error:
                    self._error(field, f"is not a valid cron expression: {error}")

        def _check_with_pinned_requirement(self, field: str, value: object) -> None:
            from toolkit.metadata.requirements import pin_problem  # with cerberus

            if isinstance(value, str) and (problem := pin_problem(value)):
                self._error(field, problem[0])  # wording reads the hint from the value

        def _check_with_regex_pattern(self, field: str, value: str) -> None:
            try:
                re.compile(value)
            except re.error as error:
                self._error(field, f"is not a valid regular expression: {error}")

        def _check_with_input_spec(self, field: str, spec: object) -> None:
            if isinstance(spec, dict):
                for problem in input_spec_problems(str(field), spec):
                    self._error(field, problem)

    return MetadataValidator


def _relative_path_problem(value: str) -> str | None:
    path = PurePosixPath(value.replace("\\", "/"))
    if path.is_absolute() or re.match(r"^[A-Za-z]:", value):
        return "must be a path relative to the automation's folder"
    if ".." in path.parts:
        return "must stay inside the automation's folder (no '..')"
    return None


def input_spec_problems(name: str, spec: Mapping[object, object]) -> list[str]:
    """What is wrong across the parts of one input spec (each part on its own is the schema's)."""
    problems = []
    if spec.get("type") == "choice" and not spec.get("choices"):
        problems.append("an input of type choice needs a list of `choices`")
    default = spec.get("default")
    if spec.get("required") and default is not None:
        problems.append("a required input cannot have a default")
    if default is not None and (reason := input_value_problem(loose_spec(name, spec), default)):
        problems.append(f"default {reason}")
    if spec.get("access") == "write" and spec.get("type") != "path":
        problems.append("`access` applies to path inputs only")
    low, high = spec.get("min"), spec.get("max")
    if isinstance(low, int | float) and isinstance(high, int | float) and low > high:
        problems.append("min is greater than max")
    return problems


def cross_field_problems(data: Mapping[str, object]) -> list[Problem]:
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
    problems += library_list_problems(data.get("libraries"), data.get("runtime"))
    problems += _notify_problems(data.get("notify"), data.get("secrets"))
    inputs = data.get("inputs")
    problems += _rehearsal_problems(data.get("rehearsal_input"), inputs)
    examples = data.get("examples")
    if isinstance(examples, list):
        declared = inputs if isinstance(inputs, dict) else {}
        for index, example in enumerate(examples):
            if isinstance(example, dict) and isinstance(example.get("inputs", {}), dict):
                problems += _example_problems(index, example.get("inputs") or {}, declared)
    return problems


def library_list_problems(libraries: object, runtime: object = None) -> list[Problem]:
    """Each library once; libraries are Python packages, so only a python automation
    can import them."""
    if not isinstance(libraries, list) or not libraries:
        return []
    if runtime == "shell":
        hint = "use runtime: python to import a library, or remove `libraries:`"
        return [Problem(("libraries",), "a shell automation cannot import Python libraries", hint)]
    problems, seen = [], set()
    for index, reference in enumerate(libraries):
        name = reference.split("@")[0] if isinstance(reference, str) else None
        if name is not None and name in seen:
            message = f"'{name}' is listed twice"
            problems.append(Problem(("libraries", index), message, "keep one entry for it"))
        seen.add(name)
    return problems


def _notify_problems(notify: object, secrets: object) -> list[Problem]:
    """The webhook's URL and the SMTP password are read from declared secrets only."""
    if not isinstance(notify, dict):
        return []
    entries = secrets if isinstance(secrets, list) else []
    declared = [str(s.get("name")) for s in entries if isinstance(s, dict)]
    named: list[tuple[Keys, object]] = [
        (("notify", "webhook_secret"), notify.get("webhook_secret"))
    ]
    problems: list[Problem] = []
    email = notify.get("email")
    if isinstance(email, dict):
        keys: Keys = ("notify", "email", "password_secret")
        named.append((keys, email.get("password_secret")))
        if email.get("password_secret") is not None and email.get("username") is None:
            problems.append(
                Problem(
                    keys,
                    "an SMTP password needs the `username` it logs in as",
                    "add `username: ...` under notify.email",
                )
            )
    for keys, name in named:
        if isinstance(name, str) and name not in declared:
            hint = did_you_mean(
                name, declared, f"declare it under `secrets` (`- name: {name}`), or correct it"
            )
            problems.append(Problem(keys, f"'{name}' is not a declared secret", hint))
    return problems


def _rehearsal_problems(name: object, inputs: object) -> list[Problem]:
    """The rehearsal input must be one of the automation's boolean inputs."""
    if not isinstance(name, str):
        return []  # absent, or the schema reports its type
    declared = inputs if isinstance(inputs, dict) else {}
    spec = declared.get(name)
    if spec is None:
        hint = did_you_mean(
            name, map(str, declared), "declare it under `inputs` as a boolean, or remove the line"
        )
        return [Problem(("rehearsal_input",), f"'{name}' is not a declared input", hint)]
    if isinstance(spec, dict) and spec.get("type") != "boolean":
        return [
            Problem(
                ("rehearsal_input",),
                f"'{name}' is an input of type {spec.get('type')}, not boolean",
                'name a boolean input that means "rehearse, change nothing" (e.g. dry_run)',
            )
        ]
    return []


def _example_problems(
    index: int, given: Mapping[object, object], declared: Mapping[object, object]
) -> list[Problem]:
    """Examples run as smoke tests, so their inputs must be declared, valid and complete."""
    problems: list[Problem] = []
    for name, value in given.items():
        keys = ("examples", index, "inputs", name)
        spec = declared.get(name)
        if name not in declared:
            hint = did_you_mean(str(name), map(str, declared), "declare it under `inputs`")
            problems.append(Problem(keys, "is not a declared input", hint, at_key=True))
        elif isinstance(spec, dict) and (
            reason := input_value_problem(loose_spec(str(name), spec), value)
        ):
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


def filesystem_problems(data: Mapping[str, object], folder: Path) -> list[Problem]:
    """Problems that depend on the folder, not the file: its name and the entrypoint file."""
    problems: list[Problem] = []
    name = data.get("name")
    if isinstance(name, str) and name != folder.name:
        problems.append(_name_problem(name, folder))
    entrypoint = data.get("entrypoint")
    if isinstance(entrypoint, str) and entrypoint:
        problem = _entrypoint_problem(folder, entrypoint)
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


def _entrypoint_problem(folder: Path, entrypoint: str) -> tuple[str, str] | None:
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
    link = linked_part(Path(candidate), folder)  # the file, or a folder on the way to it
    if link is not None:
        shown = PurePosixPath(os.path.relpath(link, folder)).as_posix()
        return (f"'{shown}' is a symbolic link; {LINK_REASON}", LINK_HINT)
    if not os.path.isfile(candidate):
        return (
            f"'{entrypoint}' does not exist in {folder.name}/",
            "create the file or correct the path",
        )
    return None
