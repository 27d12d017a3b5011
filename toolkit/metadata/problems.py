"""A problem in a metadata file, located by its path of keys until a line number is needed."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, NamedTuple

# A path of keys into the file: mapping keys (text, or what YAML made of them) and list
# indexes (ints). Any, for callers that look keys up in their own tables.
Keys = tuple[Any, ...]


class Problem(NamedTuple):
    """A problem found in a file, located by its path of keys."""

    keys: Keys
    message: str
    hint: str | None
    at_key: bool = False  # point at the key itself (an unknown field), not at its value


def field_label(keys: Sequence[object]) -> str:
    """`("inputs", "day", "min")` -> `inputs.day.min`; `("tags", 1)` -> `tags[1]`."""
    label = ""
    for key in keys:
        if isinstance(key, int) and not isinstance(key, bool):
            label += f"[{key}]"
        else:
            text = "~" if key is None else str(key).lower() if isinstance(key, bool) else str(key)
            label += f".{text}" if label else text
    return label
