"""YAML reading that is fast for good files and precise for bad ones.

Files are parsed with libyaml's C loader (about 15 times faster than a round-trip
loader). Line numbers are needed only to report errors, so they are recovered by
composing the node tree again, and only for files that have errors.

This is the one way autokit reads YAML, and every read is bounded, because a file of a
few hundred bytes can make a naive reader build billions of values (aliases that
repeat aliases) or recurse until Python gives up (deep nesting). Before anything is
built, the composed node tree is measured once, each shared node counted in full
wherever an alias repeats it: files over `MAX_NODES` values or `MAX_DEPTH` levels are
refused, as are files over `MAX_FILE_BYTES`. Only for a refused file is it parsed a
second time, event by event, to name the line where the limit is crossed.
"""

from __future__ import annotations

import functools
import os
import re
from collections.abc import Hashable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

if TYPE_CHECKING:
    import yaml

MAX_FILE_BYTES = 1024 * 1024
# A real automation.yaml holds a few hundred values, five levels deep. The limits are far
# above that, and far below what exhausts memory or the stack of anything that walks
# the data afterwards (the validator, JSON output, the catalog's templates).
MAX_NODES = 100_000
MAX_DEPTH = 100
MEASURED_FIRST_ABOVE = 64 * 1024  # characters; see `_load`
_TOO_DEEP_HINT = "metadata needs only a few levels of nesting; flatten this structure"


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


_STR_TAG = "tag:yaml.org,2002:str"
# Tags whose values Python compares by value, so that keys written differently (`1` and
# `01`, `true` and `True`, `~` and `null`) land on one entry of a dict.
_VALUE_KEY_TAGS = frozenset(
    f"tag:yaml.org,2002:{name}" for name in ("null", "bool", "int", "float", "timestamp")
)
# What a failing constructor raises for a scalar that does not fit its tag (`!!int abc`,
# `!!bool maybe`, `!!timestamp foo`, `0x_`): plain Python errors that carry no position.
_CONSTRUCTOR_FAILURES = (ValueError, TypeError, KeyError, AttributeError, IndexError)


@functools.cache
def _strict_loader() -> type:
    """libyaml's safe loader, rejecting duplicate keys instead of keeping the last one,
    and naming the position of a value that does not fit its tag.

    Built on first use: reading cached metadata needs no YAML at all, and `autokit list`
    stays fast.
    """
    import yaml

    base: type = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

    class StrictLoader(base):  # type: ignore[misc]
        def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
            seen: dict[Hashable, yaml.Node] = {}
            for key_node, _ in node.value:
                key = self._comparable_key(key_node, deep)
                if isinstance(key, Hashable) and key in seen:
                    raise _duplicate_key(key_node, seen[key], key)
                if isinstance(key, Hashable):
                    seen[key] = key_node
            return super().construct_mapping(node, deep=deep)  # type: ignore[no-any-return]

        def _comparable_key(self, key_node: yaml.Node, deep: bool) -> object:
            # Text keys (nearly all of them) compare by their text, which is much cheaper
            # than constructing every key twice; numbers, booleans, nulls and dates by
            # what they become, as the dict would.
            if isinstance(key_node, yaml.ScalarNode):
                if key_node.tag == _STR_TAG:
                    return key_node.value
                if key_node.tag not in _VALUE_KEY_TAGS:
                    return (key_node.tag, key_node.value)
            return self.construct_object(key_node, deep=deep)

        def construct_object(self, node: yaml.Node, deep: bool = False) -> Any:
            try:
                return super().construct_object(node, deep=deep)
            except _CONSTRUCTOR_FAILURES as error:
                if not isinstance(node, yaml.ScalarNode):
                    raise
                raise _unfit_value(self, node, error) from None

    return StrictLoader


def _duplicate_key(key_node: yaml.Node, first: yaml.Node, key: object) -> Exception:
    import yaml

    shown = key_node.value if isinstance(key_node, yaml.ScalarNode) else key
    line = first.start_mark.line + 1
    if isinstance(first, yaml.ScalarNode) and first.value != shown:
        detail = f"YAML reads it as {_as_yaml(key)}, the same key as {first.value!r} on line {line}"
    else:
        detail = f"first defined on line {line}"
    return yaml.constructor.ConstructorError(
        None, None, f"duplicate key {shown!r} ({detail})", key_node.start_mark
    )


def _as_yaml(value: object) -> str:
    """A constructed key as YAML would write it: `null`, `true`, `1`, `2024-01-01`."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


_TAG_WORDS = {
    "int": "a whole number",
    "float": "a number",
    "bool": "true or false",
    "timestamp": "a date",
    "null": "null",
}


def _unfit_value(loader: Any, node: yaml.ScalarNode, error: Exception) -> YamlProblem:
    """A scalar its tag's constructor refused: well-formed YAML that autokit refuses."""
    import yaml

    name = node.tag.rpartition(":")[2]
    words = _TAG_WORDS.get(name, f"a `!!{name}` value")
    written = loader.resolve(yaml.ScalarNode, node.value, (True, False)) != node.tag
    if written:  # the file says `!!int abc`
        message = f"{node.value!r} is tagged `!!{name}` but is not {words}"
        hint = f"remove the `!!{name}` tag, or write {words} after it"
    elif name == "timestamp":
        message = f"{node.value!r} is not a real date ({error})"
        hint = "write a real date as YYYY-MM-DD, or quote the value to keep it as text"
    else:
        message = f"{node.value!r} looks like {words} to YAML but is not one"
        hint = f'quote the value to keep it as text: "{node.value}"'
    mark = node.start_mark
    return YamlProblem(message, mark.line + 1, mark.column + 1, hint)


def read_bytes(path: Path) -> bytes:
    """The file's bytes, refusing files over the size limit (reading no more than it)."""
    with path.open("rb") as file:
        data = file.read(MAX_FILE_BYTES + 1)
        if len(data) > MAX_FILE_BYTES:
            raise _too_big(max(os.fstat(file.fileno()).st_size, len(data)))
    return data


def _too_big(size: int) -> YamlProblem:
    return YamlProblem(
        f"file is {size:,} bytes, over the 1 MiB limit"
        if size > MAX_FILE_BYTES + 1
        else "file is over the 1 MiB limit",
        1,
        1,
        "metadata belongs in this file; move data into a separate file in the folder",
    )


def decode(data: bytes) -> str:
    """UTF-8 text, or a problem naming the line and column of the first bad byte.

    Bytes over the size limit are refused, whoever read them (Git blobs included).
    """
    if len(data) > MAX_FILE_BYTES:
        raise _too_big(len(data))
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
    data = parse_value(text)
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


def parse_value(text: str) -> object:
    """Parse YAML text holding any one value (None for an empty document), within the limits."""
    return _load(text, construct=True)


def compose(text: str) -> yaml.Node | None:
    """The node tree of YAML text (None when empty), refused like `parse_value` would."""
    node: yaml.Node | None = _load(text, construct=False)
    return node


def _load(text: str, *, construct: bool) -> Any:
    import yaml

    if len(text) > MAX_FILE_BYTES:
        raise _too_big(len(text.encode("utf-8", "surrogatepass")))
    if text.startswith("\ufeff"):
        text = text[1:]
    if len(text) > MEASURED_FIRST_ABOVE:
        # Composing costs microseconds a node, so a long file is measured event by event
        # first, which stops as soon as a limit is crossed.
        problem = _crossing(text)
        if problem is not None:
            raise problem
    loader = _strict_loader()(text)
    try:
        node = loader.get_single_node()
        if node is not None and not _within_limits(node):
            raise _crossing(text) or _over_limits(None, text)
        return loader.construct_document(node) if construct and node is not None else node
    except yaml.MarkedYAMLError as error:
        if "maximum nesting depth" in (error.problem or ""):
            # libyaml gives up at a thousand levels, and scans ahead before producing any
            # event: measure the text up to there to find where our limit was crossed.
            mark = error.problem_mark
            raise _crossing(text[: _offset(text, mark)]) or _over_limits(mark, text) from None
        problem = _problem_from_yaml_error(error, text)
        problem.field = key_path_at(text, problem.line)
        raise problem from None
    except yaml.reader.ReaderError:
        raise _unacceptable_character(text) from None
    except yaml.YAMLError as error:
        # Not marked with a position: say what is wrong without where PyYAML read it from.
        reason = getattr(error, "problem", None) or type(error).__name__
        raise YamlProblem(f"not valid YAML: {reason}", 1, 1, "fix the YAML syntax") from None
    except YamlProblem as problem:  # a value its tag cannot hold, found while constructing
        problem.field = problem.field or key_path_at(text, problem.line)
        raise
    finally:
        loader.dispose()


def _within_limits(root: yaml.Node) -> bool:
    """Whether the tree, each alias counted as a full copy of what it names, stays within
    `MAX_NODES` values and `MAX_DEPTH` levels.

    Shared nodes are measured once and remembered by identity, so this costs one step per
    node written in the file, however much the aliases would expand. (Recursion is bounded
    by `MAX_DEPTH`, and is over twice as fast as an explicit stack.)
    """
    import yaml

    if not isinstance(root, yaml.CollectionNode):
        return True
    try:
        _measure(root, 1, {}, yaml.ScalarNode, yaml.MappingNode)
    except _OverLimit:
        return False
    return True


class _OverLimit(Exception):
    pass


def _measure(
    node: yaml.CollectionNode,
    level: int,
    measured: dict[int, tuple[int, int] | None],
    scalar: type,
    mapping: type,
) -> tuple[int, int]:
    """(size with aliases expanded, depth) of a collection at `level`; `measured` holds
    those of collections seen so far, None for those still open (an alias to one of them
    is endless)."""
    measured[id(node)] = None
    size, deepest = 1, 0
    children = node.value
    if type(node) is mapping:
        children = [part for pair in children for part in pair]
    for child in children:
        if type(child) is scalar:
            size += 1
            continue
        if id(child) in measured:
            known = measured[id(child)]
            if known is None:
                raise _OverLimit
            child_size, child_depth = known
        elif level >= MAX_DEPTH:
            raise _OverLimit
        else:
            child_size, child_depth = _measure(child, level + 1, measured, scalar, mapping)
        size += child_size
        deepest = max(deepest, child_depth)
    if size > MAX_NODES or level + deepest > MAX_DEPTH:
        raise _OverLimit
    measured[id(node)] = result = (size, deepest + 1)
    return result


def _crossing(text: str) -> YamlProblem | None:
    """Where the text crosses a limit; None if it does not (or a syntax error comes first).

    Walks the parser's events, counting an alias as the size of what it names: the same
    measure as `_within_limits`, but an alias event knows its own line.
    """
    import yaml

    total = 0
    named: dict[str, tuple[int, int] | None] = {}  # anchor -> (size, depth); None: still open
    stack: list[list[Any]] = []  # per open collection: [anchor, size, deepest child]
    problem: YamlProblem | None = None
    try:
        for event in yaml.parse(text, Loader=_strict_loader()):
            if isinstance(event, yaml.CollectionStartEvent):
                total += 1
                if len(stack) >= MAX_DEPTH or total > MAX_NODES:
                    problem = _over_limit(event, total, depth=len(stack) + 1)
                    break
                stack.append([event.anchor, 1, 0])
                if event.anchor is not None:
                    named[event.anchor] = None
                continue
            if isinstance(event, yaml.CollectionEndEvent) and stack:
                anchor, size, deepest = stack.pop()
                depth = deepest + 1
            elif isinstance(event, yaml.ScalarEvent):
                anchor, size, depth = event.anchor, 1, 0
                total += 1
            elif isinstance(event, yaml.AliasEvent) and event.anchor in named:
                measure = named[event.anchor]
                if measure is None:
                    problem = _endless(event)
                    break
                anchor, (size, depth) = None, measure
                total += size
            else:
                continue
            if total > MAX_NODES or len(stack) + depth > MAX_DEPTH:
                problem = _over_limit(event, total, depth=len(stack) + depth)
                break
            if anchor is not None:
                named[anchor] = (size, depth)
            if stack:
                stack[-1][1] += size
                stack[-1][2] = max(stack[-1][2], depth)
    except yaml.YAMLError:
        return None  # reported as it is when the text is composed
    if problem is not None:
        problem.field = key_path_at(text, problem.line)
    return problem


def _over_limits(mark: yaml.Mark | None, text: str) -> YamlProblem:
    """The problem when the events could not tell where a limit is crossed."""
    line, column = (mark.line + 1, mark.column + 1) if mark else (1, 1)
    return YamlProblem(
        f"nested more than {MAX_DEPTH} levels deep, or expanding to more than {MAX_NODES:,} values",
        line,
        column,
        _TOO_DEEP_HINT,
        key_path_at(text, line),
    )


def _offset(text: str, mark: yaml.Mark | None) -> int:
    """The index in `text` of a mark's line and column (both counted in characters)."""
    if mark is None:
        return len(text)
    start = 0
    for _ in range(mark.line):
        start = text.find("\n", start) + 1
        if start == 0:
            return len(text)
    return start + mark.column


def _over_limit(event: yaml.Event, total: int, *, depth: int) -> YamlProblem:
    import yaml

    line, column = _position(event)
    alias = f"the alias `*{event.anchor}` here" if isinstance(event, yaml.AliasEvent) else None
    if total > MAX_NODES:
        if alias:
            message = f"{alias} takes the file past {MAX_NODES:,} values once expanded"
            hint = (
                "write the values out instead of repeating them through aliases "
                "(`&name` ... `*name`); a file that expands this far is refused"
            )
        else:
            message = f"the file holds more than {MAX_NODES:,} values"
            hint = "metadata belongs in this file; move data into a separate file in the folder"
        return YamlProblem(message, line, column, hint)
    where = f"{alias} nests the file" if alias else "nested"
    return YamlProblem(f"{where} more than {MAX_DEPTH} levels deep", line, column, _TOO_DEEP_HINT)


def _position(event: yaml.Event) -> tuple[int, int]:
    mark = event.start_mark
    return (mark.line + 1, mark.column + 1) if mark else (1, 1)


def _endless(event: yaml.AliasEvent) -> YamlProblem:
    return YamlProblem(
        f"the alias `*{event.anchor}` is inside the value it names, so it repeats without end",
        *_position(event),
        "point the alias at a value defined before it and outside it, or write the value out",
    )


# The characters YAML 1.1 allows in a file (what PyYAML's reader accepts): the others are
# control characters, NUL and the like, usually pasted in from another program.
# Patterns of the error paths are compiled on first use (`re` keeps them), not at import:
# this module loads on every run.
_NOT_PRINTABLE = "[^\x09\x0a\x0d\x20-\x7e\x85\xa0-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]"


def _unacceptable_character(text: str) -> YamlProblem:
    """The line and column of the first character YAML does not allow."""
    found = re.search(_NOT_PRINTABLE, text)
    if found is None:
        return YamlProblem("not valid YAML: a character YAML does not allow", 1, 1, _CONTROL_HINT)
    start = text.rfind("\n", 0, found.start()) + 1
    line = text.count("\n", 0, found.start()) + 1
    code = ord(found.group())
    if code < 0x20 or 0x7F <= code < 0xA0:
        name = _CONTROL_NAMES.get(code)
        shown = f"the control character U+{code:04X}" + (f" ({name})" if name else "")
    else:
        shown = f"the character U+{code:04X}"
    return YamlProblem(
        f"{shown} is not allowed in YAML",
        line,
        found.start() - start + 1,
        _CONTROL_HINT,
        key_path_at(text, line),
    )


_CONTROL_HINT = (
    "delete it: it is invisible in most editors and often comes from text pasted out of "
    "another program; inside double quotes, write a tab or line break as \\t or \\n"
)
# The control characters most often pasted in by accident, by the names editors show.
_CONTROL_NAMES = {
    0x00: "NUL",
    0x08: "backspace",
    0x0B: "vertical tab",
    0x0C: "form feed",
    0x1B: "escape",
    0x7F: "delete",
}


def _problem_from_yaml_error(error: yaml.MarkedYAMLError, text: str) -> YamlProblem:
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
    elif problem.startswith("mapping values are not allowed") and mark is not None:
        hint = _quote_hint(text, mark.line)
    elif problem.startswith("could not determine a constructor for the tag"):
        tag = _short_tag(problem.rpartition(" ")[2].strip("'"))
        problem = f"the tag `{tag}` is not one autokit reads"
        hint = f"autokit reads plain YAML: remove `{tag}` before the value"
    # Duplicate keys and unknown tags are well-formed YAML that autokit refuses.
    if problem.startswith(("duplicate key", "the tag `")):
        message = problem
    elif error.context:
        message = f"not valid YAML: {error.context}, {problem}"
    else:
        message = f"not valid YAML: {problem}"
    line = mark.line + 1 if mark else None
    column = mark.column + 1 if mark else None
    return YamlProblem(message, line, column, hint)


def _short_tag(tag: str) -> str:
    """`tag:yaml.org,2002:python/name:os.system` as a file writes it: `!!python/name:os.system`."""
    standard = "tag:yaml.org,2002:"
    return "!!" + tag[len(standard) :] if tag.startswith(standard) else tag


_KEY_VALUE_LINE = (
    r"^(?P<key>[ \t]*(?:-[ \t]+)?[^\s:#'\"][^:#]*:)[ \t]+(?P<value>.*?)(?P<comment>[ \t]+#.*)?$"
)


def _quote_hint(text: str, line_index: int) -> str:
    """How to quote a value holding `: `, written out for the line: `title: "Fees: late"`."""
    lines = text.splitlines()
    match = re.match(_KEY_VALUE_LINE, lines[line_index]) if line_index < len(lines) else None
    if match is None or not match["value"]:
        return "a value that holds ': ' must be quoted, e.g. `title: \"Fees: late\"`"
    value = match["value"].replace("\\", "\\\\").replace('"', '\\"')
    return f'a value that holds ": " must be quoted: write `{match["key"].strip()} "{value}"`'


# Keys as people write them, including those YAML reads as something else (`~`, `01`).
_KEY_LINE = r"^[ \t]*(?:-[ \t]+)?(?P<key>~|[A-Za-z0-9_][\w-]*)[ \t]*:(?:[ \t]|$)"


def key_path_at(text: str, line: int | None) -> str | None:
    """The dotted path of the key on `line` (or the nearest key above it), found by indentation.

    Used for files that do not parse, where no node tree exists to ask.
    """
    if line is None:
        return None
    keys: list[str] = []
    indent: int | None = None
    for source in reversed(text.splitlines()[:line]):
        match = re.match(_KEY_LINE, source)
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


class Position(NamedTuple):
    line: int
    column: int


class LineIndex:
    """Maps a path of keys and list indexes to where it stands in the file."""

    def __init__(self, text: str) -> None:
        try:
            self._root: yaml.Node | None = compose(text)
        except YamlProblem:
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
            if key_node.value == str(step) or _reads_as(key_node, step):
                return key_node if key else value_node  # type: ignore[no-any-return]
    if isinstance(node, yaml.SequenceNode) and isinstance(step, int) and step < len(node.value):
        return node.value[step]  # type: ignore[no-any-return]
    return None


def _reads_as(key_node: yaml.Node, step: object) -> bool:
    """Whether a key that is not text (`~`, `2024-01-01`, `yes`) is read as `step`."""
    import yaml

    if isinstance(step, str) or not isinstance(key_node, yaml.ScalarNode):
        return False
    if key_node.tag not in _VALUE_KEY_TAGS:
        return False
    try:
        value = yaml.constructor.SafeConstructor().construct_object(key_node)
    except (yaml.YAMLError, *_CONSTRUCTOR_FAILURES):
        return False
    return type(value) is type(step) and value == step
