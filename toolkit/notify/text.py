"""Text a run wrote, made safe to show in a GitHub issue and in a chat message.

A run's error line comes from the automation's output, and a record file can be written by
anyone who can push to the ledger or start a job: it must not mention people
(`@everyone`, `@org/team`), link, format, embed HTML or show a secret. Owners' mentions come
from validated metadata and are added by the caller, outside this function.
"""

from __future__ import annotations

import re

from toolkit.secrets import Masker

MOST_CHARACTERS = 300
ZERO_WIDTH_JOINER = "\u200d"
# Markdown's punctuation (CommonMark's escapable characters that mean something), each
# escaped with a backslash; `&`, `<` and `>` become entities, which GitHub and Slack read.
_ENTITIES = {"&": "&amp;", "<": "&lt;", ">": "&gt;"}
_MARKDOWN = re.compile(r"([\\`*_\[\](){}#!|~])")
_MENTION = re.compile(r"@(?=[A-Za-z0-9])")
_SPACE = re.compile(r"\s+")


def safe_text(text: str | None, masker: Masker, limit: int = MOST_CHARACTERS) -> str:
    """`text` masked, on one line, at most `limit` characters before escaping, with no
    mention, link, formatting or HTML left in it."""
    if not text:
        return ""
    line = _SPACE.sub(" ", masker.mask(text)).strip()
    if len(line) > limit:
        line = line[: limit - 1] + "…"
    line = _MARKDOWN.sub(r"\\\1", line)
    line = "".join(_ENTITIES.get(c, c) for c in line)
    # After the entities: the joiner sits between `@` and the name, so GitHub links nobody.
    return _MENTION.sub("@" + ZERO_WIDTH_JOINER, line)
