"""Inputs: coercion to declared types, every problem reported at once, files of inputs."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from helpers import metadata

from toolkit.errors import ToolkitError
from toolkit.inputs import (
    as_environment,
    coerce_inputs,
    jsonable,
    load_inputs_file,
    parse_assignments,
)
from toolkit.metadata import Automation, automation_from_data

INPUTS = {
    "name": {"type": "string", "description": "who", "pattern": "[a-z ]+"},
    "count": {"type": "integer", "description": "how many", "min": 1, "max": 10, "default": 2},
    "ratio": {"type": "number", "description": "share", "min": 0, "max": 1},
    "send": {"type": "boolean", "description": "really send", "default": False},
    "day": {"type": "date", "description": "which day"},
    "sheet": {"type": "path", "description": "the sheet"},
    "region": {"type": "choice", "description": "where", "choices": ["north", "south"]},
    "start": {"type": "date", "description": "from", "required": True},
}


def make_automation(folder: Path, inputs: dict[str, object] = INPUTS) -> Automation:
    return automation_from_data(metadata("orders", inputs=inputs, examples=None), folder)


@pytest.fixture
def automation(tmp_path: Path) -> Automation:
    folder = tmp_path / "automations" / "orders"
    (folder / "sample").mkdir(parents=True)
    (folder / "sample" / "sheet.csv").write_text("a,b\n")
    return make_automation(folder)


def test_strings_are_coerced_to_their_declared_types(automation: Automation) -> None:
    values = coerce_inputs(
        automation,
        {
            "name": "ann lee",
            "count": "7",
            "ratio": "0.25",
            "send": "yes",
            "day": "2024-05-31",
            "region": "south",
            "start": "2024-01-01",
        },
    )
    assert values == {
        "name": "ann lee",
        "count": 7,
        "ratio": 0.25,
        "send": True,
        "day": dt.date(2024, 5, 31),
        "region": "south",
        "start": dt.date(2024, 1, 1),
    }


def test_defaults_apply_and_undeclared_optional_inputs_are_left_out(automation: Automation) -> None:
    values = coerce_inputs(automation, {"start": "2024-01-01"})
    assert values == {"count": 2, "send": False, "start": dt.date(2024, 1, 1)}


def test_every_problem_is_reported_at_once(automation: Automation) -> None:
    with pytest.raises(ToolkitError) as caught:
        coerce_inputs(
            automation,
            {
                "count": "abc",
                "ratio": "1.5",
                "day": "31/05/2024",
                "region": "east",
                "send": "maybe",
                "name": "Ann!",
                "coutn": "3",
            },
        )
    message = caught.value.message
    assert "count: 'abc' is not a whole number" in message
    assert "ratio: 1.5 is above the maximum 1" in message
    assert "day: '31/05/2024' is not a date; write it as YYYY-MM-DD" in message
    assert "region: 'east' is not one of the choices: north, south" in message
    assert "send: 'maybe' is not true or false" in message
    assert "name: 'Ann!' does not match the pattern" in message
    assert "coutn: is not an input of this automation; did you mean 'count'?" in message
    assert "start: is required (from)" in message
    assert message.count("\n  - ") == 8


@pytest.mark.parametrize(
    ("name", "value", "expected"),
    [
        ("count", "0", "0 is below the minimum 1"),
        ("count", "11", "11 is above the maximum 10"),
        ("count", "2.5", "'2.5' is not a whole number"),
        ("ratio", "nan", "'nan' is not a finite number"),
        ("ratio", "-0.1", "-0.1 is below the minimum 0"),
        ("day", "2024-02-30", "'2024-02-30' is not a date"),
        ("name", "a\0b", "contains a NUL character"),
    ],
)
def test_bad_values_are_named(automation: Automation, name: str, value: str, expected: str) -> None:
    with pytest.raises(ToolkitError) as caught:
        coerce_inputs(automation, {"start": "2024-01-01", name: value})
    assert f"{name}: {expected}" in caught.value.message


def test_unknown_input_without_a_close_match_lists_the_inputs(tmp_path: Path) -> None:
    automation = make_automation(tmp_path, {"a": {"type": "string", "description": "x"}})
    with pytest.raises(ToolkitError, match=r"zzz: is not an input .*\(its inputs: a\)"):
        coerce_inputs(automation, {"zzz": "1"})


def test_values_from_a_file_keep_their_json_types(automation: Automation) -> None:
    values = coerce_inputs(
        automation, {"count": 3, "ratio": 1, "send": True, "start": dt.date(2024, 1, 2)}
    )
    assert values["count"] == 3 and values["ratio"] == 1 and values["send"] is True
    with pytest.raises(ToolkitError, match="count: True is not a whole number"):
        coerce_inputs(automation, {"count": True, "start": "2024-01-01"})
    with pytest.raises(ToolkitError, match=r"name: \[1\] is not text"):
        coerce_inputs(automation, {"name": [1], "start": "2024-01-01"})


def test_shell_metacharacters_stay_literal(automation: Automation) -> None:
    nasty = 'it\'s "quoted"; $(rm -rf /) `id`\nsecond line'
    spec = {"text": {"type": "string", "description": "free text"}}
    plain = make_automation(automation.folder, spec)
    assert coerce_inputs(plain, {"text": nasty}) == {"text": nasty}
    assert as_environment({"text": nasty}) == {"INPUT_TEXT": nasty}


def test_relative_paths_resolve_against_cwd_first_then_the_automation_folder(
    automation: Automation, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    elsewhere = tmp_path / "work"
    (elsewhere / "sample").mkdir(parents=True)
    monkeypatch.chdir(elsewhere)
    from_folder = coerce_inputs(automation, {"sheet": "sample/sheet.csv", "start": "2024-01-01"})
    assert from_folder["sheet"] == str((automation.folder / "sample" / "sheet.csv").resolve())
    (elsewhere / "sample" / "sheet.csv").write_text("mine\n")
    from_cwd = coerce_inputs(automation, {"sheet": "sample/sheet.csv", "start": "2024-01-01"})
    assert from_cwd["sheet"] == str((elsewhere / "sample" / "sheet.csv").resolve())
    new_file = coerce_inputs(automation, {"sheet": "out/new.csv", "start": "2024-01-01"})
    assert new_file["sheet"] == str(elsewhere / "out" / "new.csv")
    empty = coerce_inputs(automation, {"sheet": "", "start": "2024-01-01"})
    assert empty["sheet"] == ""


def test_assignments_split_on_the_first_equals_sign() -> None:
    assert parse_assignments(["a=1", "b=x=y", "c="]) == {"a": "1", "b": "x=y", "c": ""}
    with pytest.raises(ToolkitError, match="not of the form NAME=VALUE"):
        parse_assignments(["novalue"])


def test_inputs_files_in_json_and_yaml(tmp_path: Path) -> None:
    (tmp_path / "in.json").write_text('{"count": 3, "day": "2024-05-01"}')
    (tmp_path / "in.yaml").write_text("count: 3\nday: 2024-05-01\n")
    assert load_inputs_file(tmp_path / "in.json") == {"count": 3, "day": "2024-05-01"}
    assert load_inputs_file(tmp_path / "in.yaml") == {"count": 3, "day": dt.date(2024, 5, 1)}
    (tmp_path / "bom.json").write_bytes(b'\xef\xbb\xbf{"count": 3}')  # as Notepad saves it
    assert load_inputs_file(tmp_path / "bom.json") == {"count": 3}


@pytest.mark.parametrize(
    ("filename", "content", "expected"),
    [
        ("bad.json", '{"count": 3,}', r"bad.json:1:\d+: not valid JSON"),
        ("bad.yaml", "count: [1, 2\n", r"bad.yaml:1:8: not valid YAML"),
        ("list.json", "[1, 2]", "holds a list, not a mapping"),
        ("scalar.yaml", "just text\n", "holds str 'just text', not a mapping"),
        ("empty.yaml", "# nothing yet\n", "holds nothing \\(it is empty\\), not a mapping"),
        ("missing.json", None, "cannot read the inputs file"),
        ("null-key.yaml", "~: 3\n", "a key YAML does not read as a name: ~ \\(null\\)"),
        ("date-key.yaml", "2024-01-01: x\n", "does not read as a name: datetime.date"),
        ("number-key.yaml", "12: x\n", "does not read as a name: 12"),
    ],
)
def test_bad_inputs_files(
    tmp_path: Path, filename: str, content: str | None, expected: str
) -> None:
    if content is not None:
        (tmp_path / filename).write_text(content)
    with pytest.raises(ToolkitError, match=expected):
        load_inputs_file(tmp_path / filename)


def test_jsonable_and_environment_forms() -> None:
    values = {"day": dt.date(2024, 5, 1), "send": False, "count": 3}
    assert jsonable(values) == {"day": "2024-05-01", "send": False, "count": 3}
    assert as_environment(values) == {
        "INPUT_DAY": "2024-05-01",
        "INPUT_SEND": "false",
        "INPUT_COUNT": "3",
    }
