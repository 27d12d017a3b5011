"""YAML reading that is fast for good files and precise for bad ones.

Files are parsed with libyaml's C loader (about 15 times faster than a round-trip
loader). Line numbers are needed only to report errors, so they are recovered by
composing the node tree again, and only for files that have errors.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Hashable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import yaml

MAX_FILE_BYTES = 1024 * 1024


class YamlProblem(Exception):
    """A file that cannot be read as a YAML mapping; carries where and why."""

    def __init__(
        self,
        message: str,
        line: int | None,
        column: int | None,
        hint: str,
        field: str | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.line = line
        self.column = column
        self.hint = hint
        self.field = field


@functools.cache
def _strict_loader() -> type:
    """libyaml's safe loader, rejecting duplicate keys instead of keeping the last one.

    Built on first use: reading cached metadata needs no YAML at all, and `autokit list`
    stays fast.
    """
    import yaml

    base: type = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

    class StrictLoader(base):  # type: ignore[misc]
        def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
            seen: dict[Hashable, yaml.Node] = {}
            for key_node, _ in node.value:
                # Plain scalar keys (nearly all of them) compare by their text and tag, which
                # is much cheaper than constructing every key twice.
                if isinstance(key_node, yaml.ScalarNode):
                    key: Any = (key_node.tag, key_node.value)
                else:
                    key = self.construct_object(key_node, deep=deep)
                if isinstance(key, Hashable) and key in seen:
                    first = seen[key].start_mark.line + 1
                    shown = key_node.value if isinstance(key_node, yaml.ScalarNode) else key
                    raise yaml.constructor.ConstructorError(
                        None,
                        None,
                        f"duplicate key {shown!r} (first defined on line {first})",
                        key_node.start_mark,
                    )
                if isinstance(key, Hashable):
                    seen[key] = key_node
            return super().construct_mapping(node, deep=deep)  # type: ignore[no-any-return]

        def construct_yaml_timestamp(self, node: yaml.ScalarNode) -> object:
            # An impossible date such as 2024-13-45 looks like a timestamp to YAML, and
            # building it raises a bare ValueError that carries no position.
            try:
                return super().construct_yaml_timestamp(node)
            except ValueError as error:
                raise yaml.constructor.ConstructorError(
                    None, None, f"{node.value!r} is not a real date ({error})", node.start_mark
                ) from None

    StrictLoader.add_constructor(
        "tag:yaml.org,2002:timestamp", StrictLoader.construct_yaml_timestamp
    )
    return StrictLoader


def read_bytes(path: Path) -> bytes:
    """The file's bytes, refusing files over the size limit."""
    size = path.stat().st_size
    if size > MAX_FILE_BYTES:
        raise YamlProblem(
            f"file is {size:,} bytes, over the 1 MiB limit",
            1,
            1,
            "metadata belongs in this file; move data into a separate file in the folder",
        )
    return path.read_bytes()


def decode(data: bytes) -> str:
    """UTF-8 text, or a problem naming the line and column of the first bad byte."""
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as error:
        before = data[: error.start]
        line = before.count(b"\n") + 1
        column = error.start - (before.rfind(b"\n") + 1) + 1
        raise YamlProblem(
            f"byte 0x{data[error.start]:02x} is not valid UTF-8",
            line,
            column,
            "save the file as UTF-8",
            key_path_at(data.decode("utf-8", "replace"), line),
        ) from None


def parse_mapping(text: str) -> dict[str, Any]:
    """Parse YAML text that must hold one mapping at the top level."""
    import yaml

    if text.startswith("\ufeff"):
        text = text[1:]
    try:
        data = yaml.load(text, Loader=_strict_loader())
    except yaml.MarkedYAMLError as error:
        problem = _problem_from_yaml_error(error)
        problem.field = key_path_at(text, problem.line)
        raise problem from None
    except yaml.YAMLError as error:
        raise YamlProblem(f"not valid YAML: {error}", None, None, "fix the YAML syntax") from None
    if data is None:
        raise YamlProblem(
            "file is empty", 1, 1, "fill in the fields; `autokit new` writes a complete example"
        )
    if not isinstance(data, dict):
        kind = "a list" if isinstance(data, list) else "a single value"
        raise YamlProblem(
            f"the file holds {kind}, not a mapping of fields",
            1,
            1,
            "write one `field: value` per line at the top level, e.g. `name: my-automation`",
        )
    return data


def _problem_from_yaml_error(error: yaml.MarkedYAMLError) -> YamlProblem:
    mark = error.problem_mark or error.context_mark
    opened = (error.context or "").startswith(("while parsing a flow", "while scanning a quoted"))
    if error.context_mark and (opened or "end of stream" in (error.problem or "")):
        # An unclosed quote or bracket is noticed lines later: point at where it opened.
        mark = error.context_mark
    problem = error.problem or "not valid YAML"
    hint = "fix the YAML syntax at this position"
    if "\t" in problem or "tab" in problem.lower():
        hint = "YAML does not allow tabs for indentation; indent with spaces"
    elif problem.startswith("duplicate key"):
        hint = "each field may appear only once; remove or merge the repeated one"
    elif "quoted scalar" in (error.context or ""):
        hint = "a quoted value is missing its closing quote"
    elif (error.context or "").startswith("while parsing a flow"):
        hint = "the bracket opened here is not closed (or a comma is missing inside it)"
    elif "is not a real date" in problem:
        hint = "write a real date as YYYY-MM-DD, or quote the value to keep it as text"
    # Duplicate keys and impossible dates are well-formed YAML that autokit refuses.
    if problem.startswith("duplicate key") or "is not a real date" in problem:
        message = problem
    elif error.context:
        message = f"not valid YAML: {error.context}, {problem}"
    else:
        message = f"not valid YAML: {problem}"
    line = mark.line + 1 if mark else None
    column = mark.column + 1 if mark else None
    return YamlProblem(message, line, column, hint)


_KEY_LINE = re.compile(r"^[ \t]*(?:-[ \t]+)?(?P<key>[A-Za-z_][\w-]*)[ \t]*:(?:[ \t]|$)")


def key_path_at(text: str, line: int | None) -> str | None:
    """The dotted path of the key on `line` (or the nearest key above it), found by indentation.

    Used for files that do not parse, where no node tree exists to ask.
    """
    if line is None:
        return None
    keys: list[str] = []
    indent: int | None = None
    for source in reversed(text.splitlines()[:line]):
        match = _KEY_LINE.match(source)
        if match is None:
            continue
        prefix = source[: match.start("key")]
        if indent is None and "\t" in prefix:
            return match["key"]  # tab indentation has no reliable depth
        width = len(prefix)
        if indent is None or width < indent:
            keys.insert(0, match["key"])
            indent = width
        if indent == 0:
            break
    return ".".join(keys) or None


@dataclass(frozen=True)
class Position:
    line: int
    column: int


class LineIndex:
    """Maps a path of keys and list indexes to where it stands in the file."""

    def __init__(self, text: str) -> None:
        import yaml

        try:
            self._root: yaml.Node | None = yaml.compose(text, Loader=_strict_loader())
        except yaml.YAMLError:
            self._root = None

    def locate(self, path: Sequence[object], *, key: bool = False) -> Position:
        """Where the value at `path` is; with `key`, where its key is.

        When the path goes deeper than the file does (a missing field), the deepest
        existing node is returned.
        """
        node = self._root
        found: yaml.Node | None = node
        for depth, step in enumerate(path, start=1):
            child = _child(node, step, key=key and depth == len(path))
            if child is None:
                break
            found = node = child
        if found is None:
            return Position(1, 1)
        return Position(found.start_mark.line + 1, found.start_mark.column + 1)


def _child(node: yaml.Node | None, step: object, *, key: bool) -> yaml.Node | None:
    import yaml

    if isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            if key_node.value == str(step):
                return key_node if key else value_node  # type: ignore[no-any-return]
    if isinstance(node, yaml.SequenceNode) and isinstance(step, int) and step < len(node.value):
        return node.value[step]  # type: ignore[no-any-return]
    return None
