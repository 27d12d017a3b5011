"""YAML that PyYAML reads in surprising ways: keys that are not text, tags whose values do
not fit, characters YAML forbids, keys it merges silently, and an unquoted colon.

Each is a finding at its line with a hint (exit 1), never a crash (exit 3).
"""

from __future__ import annotations

import pytest
from helpers import automation_files

# The metadata file the line numbers below refer to, shared with test_metadata.
from test_metadata import BASE, METADATA, insert_after, replace_line

from toolkit.metadata.yamlfile import YamlProblem, parse_mapping


def findings_of(make_repo, cli, content: str | bytes) -> list[str]:
    files: dict[str, str | bytes] = dict(automation_files("greeter"))
    files[METADATA] = content
    result = cli("validate", "--repo", str(make_repo(files)))
    assert result.code == 1, result
    assert "Traceback" not in result.out + result.err
    assert "<unicode string>" not in result.out
    return [line for line in result.out.splitlines() if line]


# (id, content, line, field, words in the message, words in the hint)
CASES = [
    (
        "null-key",
        BASE + "~: x\n",
        23,
        "~",
        "a key written `~`, `null` or left empty is read by YAML as null",
        "write the name this entry should have",
    ),
    (
        "null-and-date-keys-beside-a-typo",
        # Keys of three types: the schema validator cannot even sort its errors about them.
        BASE + "~: x\nfoo: 1\n2024-01-01: x\n",
        25,
        "2024-01-01",
        "this key is read by YAML as a date (2024-01-01), not as a name",
        "put the key in quotes",
    ),
    (
        "date-key-under-inputs",
        insert_after(14, "  2024-01-01: {type: string, description: When}\n"),
        15,
        "inputs.2024-01-01",
        "read by YAML as a date",
        "put the key in quotes",
    ),
    (
        "null-key-under-inputs",
        insert_after(14, "  ~: {type: string, description: What}\n"),
        15,
        "inputs.~",
        "read by YAML as null",
        "write the name this entry should have",
    ),
    (
        "null-and-date-keys-in-one-input",
        replace_line(16, "    type: string\n    ~: 1\n    2024-01-01: 2\n"),
        18,
        "inputs.greeting.2024-01-01",
        "read by YAML as a date",
        "put the key in quotes",
    ),
    (
        "mixed-keys-in-the-deprecation",
        BASE.replace("status: stable", "status: deprecated")
        + "deprecation: {reason: old, ~: 1, 2024-01-01: 2}\n",
        23,
        "deprecation.2024-01-01",
        "read by YAML as a date",
        "put the key in quotes",
    ),
    (
        "boolean-key-in-example-inputs",
        insert_after(22, "      yes: 3\n"),
        23,
        "examples[0].inputs.true",
        "read by YAML as a boolean (true)",
        "put the key in quotes",
    ),
    (
        "int-tag",
        replace_line(13, "time_saved_minutes: !!int abc\n"),
        13,
        "time_saved_minutes",
        "'abc' is tagged `!!int` but is not a whole number",
        "remove the `!!int` tag",
    ),
    (
        "float-tag",
        replace_line(13, "time_saved_minutes: !!float abc\n"),
        13,
        "time_saved_minutes",
        "'abc' is tagged `!!float` but is not a number",
        "remove the `!!float` tag",
    ),
    (
        "bool-tag",
        insert_after(17, "    required: !!bool maybe\n"),
        18,
        "inputs.greeting.required",
        "'maybe' is tagged `!!bool` but is not true or false",
        "remove the `!!bool` tag",
    ),
    (
        "timestamp-tag",
        replace_line(18, "    default: !!timestamp foo\n"),
        18,
        "inputs.greeting.default",
        "'foo' is tagged `!!timestamp` but is not a date",
        "remove the `!!timestamp` tag",
    ),
    (
        "timestamp-tag-on-an-impossible-date",
        replace_line(18, "    default: !!timestamp 2024-02-30\n"),
        18,
        "inputs.greeting.default",
        "'2024-02-30' is not a real date (day is out of range for month)",
        "write a real date as YYYY-MM-DD",
    ),
    # Plain values YAML takes for a number but cannot build one from.
    (
        "hex-without-digits",
        replace_line(13, "time_saved_minutes: 0x_\n"),
        13,
        "time_saved_minutes",
        "'0x_' looks like a whole number to YAML but is not one",
        'quote the value to keep it as text: "0x_"',
    ),
    (
        "sexagesimal-without-digits",
        replace_line(18, "    default: 0b_\n"),
        18,
        "inputs.greeting.default",
        "'0b_' looks like a whole number",
        "quote the value",
    ),
    (
        "python-tag",
        replace_line(18, "    default: !!python/name:os.system\n"),
        18,
        "inputs.greeting.default",
        "the tag `!!python/name:os.system` is not one autokit reads",
        "remove `!!python/name:os.system` before the value",
    ),
    (
        "nul-in-a-value",
        replace_line(2, "title: Gree\0ter\n"),
        2,
        "title",
        "the control character U+0000 (NUL) is not allowed in YAML",
        "delete it",
    ),
    (
        "control-character-in-a-quoted-value",
        replace_line(17, '    description: "Who to\x07 greet"\n'),
        17,
        "inputs.greeting.description",
        "the control character U+0007 is not allowed in YAML",
        "delete it",
    ),
    (
        "form-feed-after-a-multibyte-character",
        replace_line(3, "summary: Grüßt \x0c jemanden.\n"),
        3,
        "summary",
        "U+000C (form feed)",
        "delete it",
    ),
    (
        "noncharacter",
        replace_line(3, "summary: Greets \uffff.\n"),
        3,
        "summary",
        "the character U+FFFF is not allowed",
        "delete it",
    ),
    (
        "one-and-zero-one",
        insert_after(
            18, "  1: {type: string, description: A}\n  01: {type: string, description: B}\n"
        ),
        20,
        "inputs.01",
        "duplicate key '01' (YAML reads it as 1, the same key as '1' on line 19)",
        "remove or merge the repeated one",
    ),
    (
        "true-and-True",
        BASE + "true: a\nTrue: b\n",
        24,
        "True",
        "duplicate key 'True' (YAML reads it as true, the same key as 'true' on line 23)",
        "remove or merge the repeated one",
    ),
    (
        "tilde-and-null",
        BASE + "~: a\nnull: b\n",
        24,
        "null",
        "duplicate key 'null' (YAML reads it as null, the same key as '~' on line 23)",
        "remove or merge the repeated one",
    ),
    (
        "one-and-true",  # 1 == True in Python, so the dict keeps one of them
        insert_after(22, "      1: a\n      true: b\n"),
        24,
        "examples.inputs.true",
        "duplicate key 'true' (YAML reads it as true, the same key as '1' on line 23)",
        "remove or merge",
    ),
    (
        "unquoted-colon",
        replace_line(2, "title: Fees: late\n"),
        2,
        "title",
        "mapping values are not allowed",
        'a value that holds ": " must be quoted: write `title: "Fees: late"`',
    ),
    (
        "unquoted-colon-with-a-comment-and-quotes",
        replace_line(17, '    description: Who: the "guest" # shown in the form\n'),
        17,
        "inputs.greeting.description",
        "mapping values are not allowed",
        'write `description: "Who: the \\"guest\\""`',
    ),
]


def _case_ids() -> list[str]:
    return [case[0] for case in CASES]


@pytest.mark.parametrize(
    ("content", "line", "field", "words", "hint"), [c[1:] for c in CASES], ids=_case_ids()
)
def test_surprising_yaml_is_a_finding_at_its_line(
    make_repo, cli, content, line, field, words, hint
):
    findings = findings_of(make_repo, cli, content)
    found = [f for f in findings if f.split(": ", 2)[1:2] == [field] and words in f]
    assert found, f"no finding for {field} saying {words!r}: {findings}"
    location, _, message = found[0].partition(f": {field}: ")
    assert location.rsplit(":", 1)[0] == f"{METADATA}:{line}", found[0]
    assert hint in message.rpartition(" (")[2], found[0]


def test_a_nul_is_named_at_its_column_without_pyyaml_s_position() -> None:
    text = "name: greeter\ntitle: Grüß\0t\n"
    with pytest.raises(YamlProblem) as caught:
        parse_mapping(text)
    assert (caught.value.line, caught.value.column, caught.value.field) == (2, 12, "title")
    assert "position" not in caught.value.message


def test_text_keys_that_look_alike_are_still_two_keys() -> None:
    # '1' quoted and 1 plain are different keys to YAML and to Python: no duplicate.
    assert parse_mapping("'1': a\n1: b\n") == {"1": "a", 1: "b"}


def test_merge_keys_still_work() -> None:
    text = "base: &b {x: 1}\nother:\n  <<: *b\n  y: 2\n"
    assert parse_mapping(text)["other"] == {"x": 1, "y": 2}
