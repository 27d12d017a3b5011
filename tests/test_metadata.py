"""Every bad input of the metadata contract: exit 1, file, line and field, a hint, no traceback."""

from __future__ import annotations

import datetime as dt
import math
import os
import re
from pathlib import Path

import pytest
from helpers import automation_files, metadata

from toolkit.errors import ToolkitError
from toolkit.inputs import coerce_inputs
from toolkit.metadata import (
    DEFAULT_TIMEOUT,
    SCHEMA,
    Automation,
    Deprecation,
    Example,
    InputSpec,
    Secret,
    automation_from_data,
    content_problems,
    contract_fields,
    input_value_problem,
    load_automation,
)
from toolkit.metadata.model import TemplateRecord
from toolkit.metadata.schema import (
    DEPRECATION_SCHEMA,
    EXAMPLE_SCHEMA,
    INPUT_SCHEMA,
    SECRET_SCHEMA,
    TEMPLATE_RECORD_SCHEMA,
)
from toolkit.metadata.values import loose_spec

METADATA = "automations/greeter/automation.yaml"

# Line numbers below refer to this file.
BASE = """\
name: greeter
title: Greeter
summary: Greets someone.
version: 1.0.0
owners:
  - "@alice"
department: operations
tags: [example]
status: stable
runtime: python
entrypoint: main.py
classification: internal
time_saved_minutes: 10
inputs:
  greeting:
    type: string
    description: Who to greet
    default: world
examples:
  - title: Greet the world
    inputs:
      greeting: world
"""


def replace_line(number: int, text: str) -> str:
    lines = BASE.splitlines(keepends=True)
    lines[number - 1] = text
    return "".join(lines)


def insert_after(number: int, text: str) -> str:
    lines = BASE.splitlines(keepends=True)
    lines.insert(number, text)
    return "".join(lines)


CHOICE_INPUT = """\
inputs:
  tone:
    type: choice
    description: How to greet
    choices: [warm, formal]
    default: casual
"""

# (id, file content, line, field, words the message must contain)
BAD_FILES: list[tuple[str, str | bytes, int, str | None, str]] = [
    ("tab", replace_line(3, "\tsummary: Greets someone.\n"), 3, "summary", "tab"),
    ("unclosed-quote", replace_line(2, "title: 'Greeter\n"), 2, "title", "closing quote"),
    (
        "unclosed-bracket",
        replace_line(8, "tags: [example\n"),
        8,
        "tags",
        "opened here is not closed",
    ),
    ("duplicate-key", BASE + "title: Again\n", 23, "title", "duplicate key 'title'"),
    (
        "nested-duplicate-key",
        insert_after(16, "    type: integer\n"),
        17,
        "inputs.greeting.type",
        "duplicate key 'type' (first defined on line 16)",
    ),
    ("non-utf8", BASE.encode().replace(b"someone", b"caf\xe9"), 3, "summary", "not valid UTF-8"),
    (
        "unknown-field",
        replace_line(7, "departmnt: operations\n"),
        7,
        "departmnt",
        "did you mean 'department'?",
    ),
    # A typo in a field's name gets a "did you mean" at every level of the file.
    (
        "input-field-typo-type",
        replace_line(16, "    tpye: string\n"),
        16,
        "inputs.greeting.tpye",
        "did you mean 'type'?",
    ),
    (
        "input-field-typo-required",
        insert_after(17, "    requried: false\n"),
        18,
        "inputs.greeting.requried",
        "did you mean 'required'?",
    ),
    (
        "input-field-typo-default",
        replace_line(18, "    defualt: world\n"),
        18,
        "inputs.greeting.defualt",
        "did you mean 'default'?",
    ),
    (
        "input-field-unlike-any",
        insert_after(17, "    colour: red\n"),
        18,
        "inputs.greeting.colour",
        "known fields: access, choices, default, description, max, min, pattern, required, type",
    ),
    (
        "secret-field-typo",
        BASE + "secrets:\n  - name: SMTP_PASSWORD\n    description: Login\n    requierd: no\n",
        26,
        "secrets[0].requierd",
        "did you mean 'required'?",
    ),
    (
        "example-field-typo",
        replace_line(20, "  - titel: Greet the world\n"),
        20,
        "examples[0].titel",
        "did you mean 'title'?",
    ),
    (
        "deprecation-field-typo",
        replace_line(9, "status: deprecated\n") + "deprecation:\n  reasn: old\n",
        24,
        "deprecation.reasn",
        "did you mean 'reason'?",
    ),
    ("status-typo", replace_line(9, "status: stabel\n"), 9, "status", "did you mean 'stable'?"),
    (
        "input-type-typo",
        replace_line(16, "    type: strng\n"),
        16,
        "inputs.greeting.type",
        "did you mean 'string'?",
    ),
    (
        "classification-typo",
        replace_line(12, "classification: internl\n"),
        12,
        "classification",
        "did you mean 'internal'?",
    ),
    ("missing-field", replace_line(7, ""), 1, "department", "is required but missing"),
    (
        "top-level-type",
        replace_line(2, "title: 5\n"),
        2,
        "title",
        "must be a string, not the number 5",
    ),
    (
        "list-instead-of-text",
        replace_line(7, "department: [a, b]\n"),
        7,
        "department",
        "must be a string, not a list",
    ),
    ("list-item-type", replace_line(8, "tags: [example, 7]\n"), 8, "tags[1]", "must be a string"),
    (
        "input-spec-type",
        replace_line(17, "    description: 3\n"),
        17,
        "inputs.greeting.description",
        "must be a string",
    ),
    (
        "input-not-mapping",
        BASE.replace(
            "  greeting:\n    type: string\n    description: Who to greet\n    default: world\n",
            "  greeting: text\n",
        ),
        15,
        "inputs.greeting",
        "must be a mapping",
    ),
    (
        "example-inputs-type",
        replace_line(21, "    inputs: [world]\n").replace("      greeting: world\n", ""),
        21,
        "examples[0].inputs",
        "must be a mapping, not a list",
    ),
    ("timeout-type", BASE + "timeout: soon\n", 23, "timeout", "must be a whole number"),
    (
        "timeout-boolean",
        BASE + "timeout: true\n",
        23,
        "timeout",
        "must be a whole number, not the boolean true",
    ),
    (
        "tags-not-a-list",
        replace_line(8, "tags: example\n"),
        8,
        "tags",
        "must be a list, not the text 'example' (write it as a list, e.g. `tags: [example]`)",
    ),
    (
        "name-differs",
        replace_line(1, "name: welcomer\n"),
        1,
        "name",
        "'welcomer' differs from the folder name 'greeter'",
    ),
    ("bad-slug", replace_line(1, "name: Greeter_1\n"), 1, "name", "must be a slug"),
    ("semver-quoted", replace_line(4, 'version: "1.0"\n'), 4, "version", "semantic version"),
    (
        "semver-number",
        replace_line(4, "version: 1.0\n"),
        4,
        "version",
        "must be a string, not the number 1.0",
    ),
    ("owner-without-at", replace_line(6, "  - alice\n"), 6, "owners[0]", "must be a GitHub handle"),
    (
        "owners-empty",
        replace_line(5, "owners: []\n").replace('  - "@alice"\n', ""),
        5,
        "owners",
        "must not be empty",
    ),
    ("bad-cron", BASE + "schedule: 0 25 * * *\n", 23, "schedule", "not a valid cron expression"),
    ("cron-field-count", BASE + "schedule: '* * *'\n", 23, "schedule", "not a valid cron"),
    (
        "default-wrong-type",
        replace_line(18, "    default: 5\n"),
        18,
        "inputs.greeting.default",
        "5 is not a valid string",
    ),
    (
        "default-read-as-a-date",
        replace_line(18, "    default: 2024-01-31\n"),
        18,
        "inputs.greeting.default",
        "2024-01-31 is not a valid string; put it in quotes so that YAML reads it as text",
    ),
    (
        "default-outside-choices",
        BASE.replace(BASE[BASE.index("inputs:") :], CHOICE_INPUT),
        19,
        "inputs.tone.default",
        "'casual' is not one of the choices warm, formal",
    ),
    (
        "entrypoint-missing",
        replace_line(11, "entrypoint: app.py\n"),
        11,
        "entrypoint",
        "'app.py' does not exist",
    ),
    (
        "entrypoint-absolute",
        replace_line(11, "entrypoint: /etc/main.py\n"),
        11,
        "entrypoint",
        "must be a path relative to the automation's folder",
    ),
    (
        "entrypoint-dotdot",
        replace_line(11, "entrypoint: ../other/main.py\n"),
        11,
        "entrypoint",
        "must stay inside the automation's folder",
    ),
    ("bad-status", replace_line(9, "status: done\n"), 9, "status", "'done' is not allowed"),
    (
        "unpinned-requirement",
        BASE + "requirements: [requests>=2]\n",
        23,
        "requirements[0]",
        "is not pinned to an exact version",
    ),
    (
        "impossible-date",
        replace_line(18, "    default: 2024-13-45\n"),
        18,
        "inputs.greeting.default",
        "'2024-13-45' is not a real date",
    ),
    ("blank-title", replace_line(2, 'title: "   "\n'), 2, "title", "must not be blank"),
    (
        "multi-line-department",
        replace_line(7, 'department: "sales\\nfinance"\n'),
        7,
        "department",
        "must be a single line",
    ),
    (
        "secret-name",
        BASE + "secrets:\n  - name: smtp_password\n    description: Login\n",
        24,
        "secrets[0].name",
        "must be an environment variable name",
    ),
    (
        "example-unknown-input",
        replace_line(22, "      greting: world\n"),
        22,
        "examples[0].inputs.greting",
        "did you mean 'greeting'?",
    ),
]

WHOLE_FILE: list[tuple[str, str | bytes, str]] = [
    ("top-level-list", "- name: greeter\n- title: Greeter\n", "holds a list, not a mapping"),
    ("top-level-scalar", "just some words\n", "holds a single value, not a mapping"),
    ("empty", "", "file is empty"),
    ("only-comments", "# to do\n", "file is empty"),
    ("over-one-megabyte", BASE + "# padding\n" * 110_000, "over the 1 MiB limit"),
]


def repo_with(make_repo, content: str | bytes) -> Path:
    files: dict[str, str | bytes] = dict(automation_files("greeter"))
    files[METADATA] = content
    return make_repo(files)


def only_finding_line(result) -> str:
    assert result.code == 1, result
    assert "Traceback" not in result.out + result.err
    lines = [line for line in result.out.splitlines() if line]
    assert lines, result
    return lines[0]


@pytest.mark.parametrize(
    ("content", "line", "field", "words"),
    [case[1:] for case in BAD_FILES],
    ids=[case[0] for case in BAD_FILES],
)
def test_bad_metadata_names_file_line_and_field(make_repo, cli, content, line, field, words):
    root = repo_with(make_repo, content)
    result = cli("validate", "--repo", str(root))
    found = [x for x in result.out.splitlines() if x.split(": ", 2)[1:2] == [field] and words in x]
    assert result.code == 1, result
    assert "Traceback" not in result.out + result.err
    assert found, f"no finding for {field} saying {words!r}: {result.out}"
    location, _, message = found[0].partition(f": {field}: ")
    assert location.rsplit(":", 1)[0] == f"{METADATA}:{line}", found[0]
    assert words in message
    assert message.endswith(")"), "every finding carries a hint in parentheses"


@pytest.mark.parametrize(
    ("content", "words"), [case[1:] for case in WHOLE_FILE], ids=[case[0] for case in WHOLE_FILE]
)
def test_whole_file_problems_point_at_line_one(make_repo, cli, content, words):
    root = repo_with(make_repo, content)
    line = only_finding_line(cli("validate", "--repo", str(root)))
    assert line.startswith(f"{METADATA}:1:1: ")
    assert words in line


def test_entrypoint_symlink_outside_repository(make_repo, cli, tmp_path):
    outside = tmp_path / "elsewhere.py"
    outside.write_text("def main():\n    pass\n", encoding="utf-8")
    root = repo_with(make_repo, replace_line(11, "entrypoint: linked.py\n"))
    os.symlink(outside, root / "automations/greeter/linked.py")
    line = only_finding_line(cli("validate", "--repo", str(root)))
    assert line.startswith(f"{METADATA}:11:13: entrypoint: 'linked.py' is a symbolic link; ")


def test_entrypoint_symlink_inside_folder_is_refused_too(make_repo, cli):
    # Even a link to a file beside it: what runs must be the file that was reviewed.
    root = repo_with(make_repo, replace_line(11, "entrypoint: linked.py\n"))
    os.symlink("main.py", root / "automations/greeter/linked.py")
    line = only_finding_line(cli("validate", "--repo", str(root)))
    assert "'linked.py' is a symbolic link; autokit does not follow links" in line


def test_two_automations_with_the_same_name(make_repo, cli):
    files = {**automation_files("greeter"), **automation_files("greeter-copy")}
    files["automations/greeter-copy/automation.yaml"] = BASE  # copied, `name` left unchanged
    root = make_repo(files)
    line = only_finding_line(cli("validate", "--repo", str(root)))
    assert line.startswith("automations/greeter-copy/automation.yaml:1:7: name: ")
    assert "'greeter' is already the name of automations/greeter/" in line
    assert "two automations cannot share a name" in line
    assert "set `name: greeter-copy`" in line


def test_folder_without_metadata(make_repo, cli):
    root = make_repo({**automation_files("greeter"), "automations/stray/notes.txt": "x\n"})
    line = only_finding_line(cli("validate", "--repo", str(root)))
    assert line.startswith("automations/stray/automation.yaml: ")
    assert "the folder automations/stray/ has no automation.yaml" in line
    assert "autokit new" in line


def test_every_problem_in_every_file_is_reported_at_once(make_repo, cli):
    files = {**automation_files("alpha"), **automation_files("beta")}
    files["automations/alpha/automation.yaml"] = (
        BASE.replace("greeter", "alpha").replace("1.0.0", "one").replace('"@alice"', "alice")
    )
    files["automations/beta/automation.yaml"] = ""
    root = make_repo(files)
    result = cli("validate", "--repo", str(root))
    assert result.code == 1
    fields = [line.split(": ")[1] for line in result.out.splitlines() if "alpha" in line]
    assert fields == ["version", "owners[0]"]
    assert "automations/beta/automation.yaml:1:1: file is empty" in result.out
    assert "2 automation(s) checked, 3 problem(s)" in result.err


def test_cached_verdicts_still_report_filesystem_problems(make_repo, cli):
    root = repo_with(make_repo, BASE)
    assert cli("validate", "--repo", str(root)).code == 0
    (root / "automations/greeter/main.py").unlink()
    line = only_finding_line(cli("validate", "--repo", str(root)))
    assert "entrypoint: 'main.py' does not exist" in line


def test_load_automation_returns_typed_metadata(make_repo):
    root = repo_with(make_repo, BASE + "schedule: 0 8 * * 1-5\n")
    automation = load_automation(root / "automations/greeter")
    assert isinstance(automation, Automation)
    assert automation.owners == ("@alice",)
    assert automation.inputs["greeting"].default == "world"
    assert automation.examples[0].inputs == {"greeting": "world"}
    assert automation.timeout == 600
    assert automation.entrypoint_path == root / "automations/greeter/main.py"
    assert automation.to_dict()["schedule"] == "0 8 * * 1-5"


def test_load_automation_raises_with_every_problem(make_repo):
    root = repo_with(make_repo, replace_line(4, "version: x\n").replace("@alice", "alice"))
    with pytest.raises(ToolkitError) as raised:
        load_automation(root / "automations/greeter/automation.yaml")
    assert f"{METADATA}:4:10: version:" in raised.value.message
    assert f"{METADATA}:6:5: owners[0]:" in raised.value.message


def test_example_missing_a_required_input(make_repo, cli):
    content = replace_line(18, "    required: true\n").replace("      greeting: world\n", "")
    content = content.replace("    inputs:\n", "    inputs: {}\n")
    root = repo_with(make_repo, content)
    line = only_finding_line(cli("validate", "--repo", str(root)))
    assert line.startswith(f"{METADATA}:21:13: examples[0].inputs: misses the required input")


# The contract declared once: the schema validates, the dataclasses type and default.


@pytest.mark.parametrize(
    ("model", "schema"),
    [
        (Automation, SCHEMA),
        (InputSpec, INPUT_SCHEMA),
        (Secret, SECRET_SCHEMA),
        (Example, EXAMPLE_SCHEMA),
        (Deprecation, DEPRECATION_SCHEMA),
        (TemplateRecord, TEMPLATE_RECORD_SCHEMA),
    ],
    ids=["automation", "input", "secret", "example", "deprecation", "template"],
)
def test_the_model_declares_the_schemas_fields_in_its_order(model, schema):
    assert [f.name for f in contract_fields(model)] == list(schema)


def test_to_dict_writes_every_field_in_the_schemas_order_with_the_declared_defaults(tmp_path):
    data = {k: v for k, v in metadata("greeter").items() if k not in ("inputs", "examples")}
    written = automation_from_data(data, tmp_path).to_dict()
    assert list(written) == list(SCHEMA)
    assert written["timeout"] == DEFAULT_TIMEOUT
    assert (written["inputs"], written["secrets"], written["examples"]) == ({}, [], [])
    assert (written["deprecation"], written["schedule"], written["requirements"]) == (
        None,
        None,
        [],
    )


def test_nested_defaults_come_from_the_dataclasses(tmp_path):
    data = metadata(
        "greeter",
        inputs={"day": {"type": "date", "description": "Which day"}},
        secrets=[{"name": "TOKEN", "description": "API token"}],
        examples=[{"title": "Plain"}],
    )
    automation = automation_from_data(data, tmp_path)
    assert automation.inputs["day"] == InputSpec(name="day", type="date", description="Which day")
    assert automation.inputs["day"].required is False
    assert automation.secrets == (Secret("TOKEN", "API token", required=True),)
    assert automation.examples == (Example("Plain", {}),)
    assert automation.to_dict()["inputs"] == data["inputs"]  # as written, not filled in


# One rule set for "does this value fit the input": metadata defaults and `autokit run`.

DAY = dt.date(2024, 5, 31)


@pytest.mark.parametrize(
    ("spec", "value", "problem"),
    [
        ({"type": "string"}, "text", None),
        ({"type": "string"}, 5, "5 is not a valid string; put it in quotes"),
        ({"type": "path"}, DAY, "2024-05-31 is not a valid path; put it in quotes"),
        ({"type": "string"}, "a\0b", "contains a NUL character"),
        ({"type": "integer"}, True, "true is not a valid integer"),
        ({"type": "integer"}, 2.0, "2.0 is not a valid integer"),
        ({"type": "number"}, 2.5, None),
        ({"type": "number"}, math.inf, "inf is not a finite number"),
        ({"type": "boolean"}, "yes", "'yes' is not a valid boolean"),
        ({"type": "date"}, DAY, None),
        ({"type": "date"}, "2024-05-31", None),
        ({"type": "date"}, "2024-02-30", "'2024-02-30' is not a valid date"),
        ({"type": "date"}, dt.datetime(2024, 5, 31, 8), "is not a valid date"),
        ({"type": "choice", "choices": ["a", "b"]}, "c", "'c' is not one of the choices a, b"),
        ({"type": "integer", "choices": [1, 2]}, 2, None),
        ({"type": "integer", "min": 1, "max": 10}, 0, "0 is below the minimum 1"),
        ({"type": "number", "max": 1.0}, 1.5, "1.5 is above the maximum 1"),
        ({"type": "string", "pattern": "[a-z]+"}, "Ann", "'Ann' does not match the pattern"),
        ({"type": "string", "pattern": "[a-z]+"}, "X" * 100, "'XXXXX"),
        ({"type": "string", "pattern": "("}, "x", None),  # the schema reports the pattern
        ({"type": "integer", "min": "one"}, 0, None),  # and a bound that is not a number
        ({"type": "unknown"}, 0, None),
    ],
)
def test_input_value_problem(spec, value, problem):
    found = input_value_problem(loose_spec("x", spec), value)
    if problem is None:
        assert found is None
    else:
        assert found is not None and problem in found
        assert len(found) < 120, "long values are cut"


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        (
            {"type": "string", "default": "a\0b"},
            "contains a NUL character, which no program can receive",
        ),
        ({"type": "number", "default": math.nan}, "nan is not a finite number"),
        ({"type": "integer", "default": 5, "max": 3}, "5 is above the maximum 3"),
    ],
)
def test_defaults_follow_the_same_rules_as_run_inputs(tmp_path, spec, message):
    spec = dict(spec)
    value = spec["default"]
    data = metadata("greeter", inputs={"x": {"description": "x", **spec}}, examples=None)
    problems = content_problems(data)
    assert [(p.keys, p.message) for p in problems] == [(("inputs", "x", "default"), message)]
    del spec["default"]  # the same value, given to `autokit run`
    automation = automation_from_data(
        {**data, "inputs": {"x": {**spec, "description": "x"}}}, tmp_path
    )
    with pytest.raises(ToolkitError, match=re.escape(f"x: {message}")):
        coerce_inputs(automation, {"x": value})


def test_metadata_package_re_exports_resolve_to_their_modules() -> None:
    import importlib

    import toolkit.metadata

    for module_name, names in toolkit.metadata._EXPORTS.items():
        for name in names:
            assert getattr(toolkit.metadata, name) is getattr(
                importlib.import_module(module_name), name
            )
    with pytest.raises(AttributeError):
        toolkit.metadata.not_a_name  # noqa: B018


# The template record (`template:`), written by `autokit new`, read by `autokit upgrade`.

RECORD = """\
template:
  name: csv-report
  version: 1
  answers:
    title: "Greeter"
    summary: "Greets someone."
    owner: "@alice"
    department: "operations"
"""


@pytest.mark.parametrize(
    ("old", "new", "line", "field", "words"),
    [
        ("  name: csv-report\n", "  name: CSV Report\n", 24, "template.name", "must be a slug"),
        ("  version: 1\n", "  version: 0\n", 25, "template.version", "must be at least 1"),
        ("  version: 1\n", '  version: "1"\n', 25, "template.version", "whole number"),
        ('    owner: "@alice"\n', "    owner: alice\n", 29, "template.answers.owner", "handle"),
        ('    department: "operations"\n', "", 27, "template.answers.department", "missing"),
        (
            '    title: "Greeter"\n',
            '    title: "Greeter\\nMore"\n',
            27,
            "template.answers.title",
            "line",
        ),
    ],
)
def test_a_bad_template_record_is_named_at_its_line(make_repo, cli, old, new, line, field, words):
    assert old in RECORD
    root = repo_with(make_repo, BASE + RECORD.replace(old, new))
    result = cli("validate", "--repo", str(root))
    found = [x for x in result.out.splitlines() if f": {field}: " in x]
    assert result.code == 1 and found, result
    assert found[0].startswith(f"{METADATA}:{line}:"), found[0]
    assert words in found[0] and found[0].endswith(")")


def test_a_template_record_is_read_into_the_model(make_repo, cli):
    root = repo_with(make_repo, BASE + RECORD)
    assert cli("validate", "--repo", str(root)).code == 0
    from toolkit.metadata import load_automation

    automation = load_automation(root / "automations/greeter")
    assert automation.template is not None
    assert (automation.template.name, automation.template.version) == ("csv-report", 1)
    assert automation.template.answers["owner"] == "@alice"
    assert automation.to_dict()["template"]["answers"]["title"] == "Greeter"
