"""The `template:` record of an automation.yaml: written by `autokit new`, read and moved on
by `autokit upgrade`.

    template:
      name: csv-report
      version: 1
      answers: {title: ..., summary: ..., owner: "@x", department: ...}

The record is edited in the file's text, in place (the version's one scalar, or the
record's own lines), so comments and the rest of the file stay as the person wrote them.
Its strings are written as JSON strings, which are valid double-quoted YAML scalars: any
text is safe in it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

from toolkit.errors import ToolkitError
from toolkit.gallery import yaml_string

if TYPE_CHECKING:
    import yaml

    from toolkit.metadata import Automation

RECORD_KEY = "template"
ANSWERS = ("title", "summary", "owner", "department")
COMMENT = "# The template this was made from; `autokit upgrade` merges its later versions."


@dataclass(frozen=True)
class Record:
    """Which template, at which version, an automation was made from, with the answers."""

    template: str
    version: int
    answers: dict[str, str]

    @property
    def spec(self) -> str:
        return f"{self.template}@{self.version}"


def record_of(automation: Automation) -> Record | None:
    """The automation's template record, or None when its metadata has none."""
    found = automation.template
    if found is None:
        return None
    return Record(found.name, found.version, dict(found.answers))


def baseline_answers(automation: Automation) -> dict[str, str]:
    """The answers a template is rendered with, read from the metadata (for `--baseline`)."""
    return {
        "title": automation.title,
        "summary": automation.summary,
        "owner": automation.owners[0],
        "department": automation.department,
    }


def record_block(template: str, version: int, answers: Mapping[str, str]) -> str:
    """The record's lines, as `autokit new` appends them (without the comment above)."""
    lines = [f"{RECORD_KEY}:", f"  name: {template}", f"  version: {version}", "  answers:"]
    lines += [f"    {key}: {yaml_string(answers[key])}" for key in ANSWERS if key in answers]
    return "\n".join(lines) + "\n"


def with_record(text: str, template: str, version: int, answers: Mapping[str, str]) -> str:
    """`text` with the record: its lines replaced where the file has one, else appended."""
    block = record_block(template, version, answers)
    span = _record_span(text)
    if span is None:
        separator = "\n" if not text or text.endswith("\n") else "\n\n"
        return f"{text}{separator}{COMMENT}\n{block}"
    start, end = span
    return text[:start] + block + text[end:]


def with_version(text: str, version: int, where: str) -> str:
    """`text` with the record's `version` set to `version`, that one value edited in place."""
    node = _child(_root(text, where), RECORD_KEY)
    value = _child(node, "version")
    if value is None:
        raise ToolkitError(
            f"{where}: has no `template: version:` to move on",
            "add the record (`autokit upgrade NAME --baseline TEMPLATE@VERSION`)",
        )
    start, end = value.start_mark.index, value.end_mark.index
    return text[:start] + str(version) + text[end:]


def _record_span(text: str) -> tuple[int, int] | None:
    """Where the record's lines are: from its key's line to the end of its last value's line."""
    root = _root(text, "automation.yaml")
    if root is None:
        return None
    for key, value in root.value:
        if key.value == RECORD_KEY:
            start = text.rfind("\n", 0, key.start_mark.index) + 1
            newline = text.find("\n", _last_index(value))
            return start, len(text) if newline < 0 else newline + 1
    return None


def _last_index(node: yaml.Node) -> int:
    """Where the last scalar under `node` ends (a block mapping's own end is the next key's
    start, past any comment between)."""
    children = node.value if isinstance(node.value, list) else None
    if not children:
        return int(node.end_mark.index)
    last = children[-1]
    return _last_index(last[1] if isinstance(last, tuple) else last)


def _root(text: str, where: str) -> yaml.MappingNode | None:
    import yaml

    from toolkit.metadata.yamlfile import YamlProblem, compose

    try:
        node = compose(text)
    except YamlProblem as problem:
        raise ToolkitError(
            f"{where}:{problem.line or 1}: {problem.message}", problem.hint
        ) from None
    return node if isinstance(node, yaml.MappingNode) else None


def _child(node: yaml.Node | None, key: str) -> yaml.Node | None:
    import yaml

    if not isinstance(node, yaml.MappingNode):
        return None
    return next((value for k, value in node.value if k.value == key), None)
