"""The shapes a secret value takes when a program encodes it, and one pattern for them all.

An automation that prints its token base64-encoded, as hex, URL-encoded, inside a JSON
string, reversed or upper-cased has leaked it as surely as printing it. Each value of
`MIN_ENCODED_LENGTH` characters or more is therefore looked for in all these forms; a
shorter value only as it is (its encodings are short enough to occur by chance).

Base64 is the subtle one: inside a longer encoded stream, the value's bytes may start at
any of the three positions of a 3-byte group, and the characters at both of its ends then
depend on the neighbouring bytes. For each alignment the characters that depend on the
value alone (the stable inner part) are a form.

`pattern` compiles every form into one regular expression, written as a trie (common
prefixes shared) so that matching costs one step per character at most positions,
however many forms there are; at each position the longest form wins.
"""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Callable, Iterable
from urllib.parse import quote, quote_plus

MIN_ENCODED_LENGTH = 6

Encoder = Callable[[bytes], bytes]
_BASE64_ALPHABETS: tuple[Encoder, ...] = (base64.b64encode, base64.urlsafe_b64encode)


def secret_forms(value: str) -> set[str]:
    """`value` and, when it is long enough, each encoded form of it (never an empty one)."""
    if len(value) < MIN_ENCODED_LENGTH:
        return {value} if value else set()
    raw = value.encode("utf-8")
    forms = {value, value[::-1], value.upper(), value.lower(), raw.hex(), raw.hex().upper()}
    forms |= {quote(value), quote(value, safe=""), quote_plus(value)}
    forms |= {json.dumps(value)[1:-1], json.dumps(value, ensure_ascii=False)[1:-1]}
    for encode in _BASE64_ALPHABETS:
        whole = encode(raw).decode("ascii")
        forms |= {whole, whole.rstrip("=")}
        forms |= {_base64_inner(raw, offset, encode) for offset in (0, 1, 2)}
    return {form for form in forms if form}


def _base64_inner(raw: bytes, offset: int, encode: Encoder) -> str:
    """The characters of `raw`'s base64 that no neighbour changes, `offset` bytes into a group.

    Character i of an encoding stands for bits 6i..6i+5; it depends on the value alone when
    those bits all lie within the value's bits, 8*offset..8*(offset+len(raw)).
    """
    encoded = encode(bytes(offset) + raw).decode("ascii")
    first = -(-8 * offset // 6)  # ceiling division
    end = 8 * (offset + len(raw)) // 6
    return encoded[first:end]


def all_forms(values: Iterable[str]) -> list[str]:
    """Every form of every value, longest first (ties in a stable order)."""
    found: set[str] = set()
    for value in values:
        found |= secret_forms(value)
    return sorted(found, key=lambda form: (-len(form), form))


def minimal_forms(forms: Iterable[str]) -> list[str]:
    """The forms that contain no other form: finding these finds every form."""
    ordered = sorted(set(forms), key=len)
    kept: list[str] = []
    for form in ordered:
        if not any(shorter in form for shorter in kept):
            kept.append(form)
    return kept


Trie = dict[str, "Trie"]  # character -> what follows; the key "" marks where a form ends


def trie_of(forms: Iterable[str]) -> Trie:
    trie: Trie = {}
    for form in forms:
        node = trie
        for character in form:
            node = node.setdefault(character, {})
        node[""] = {}
    return trie


def pattern(trie: Trie) -> str:
    """One regular expression matching any form of `trie`, the longest one at each position."""
    return _alternatives(trie)


def _alternatives(node: Trie) -> str:
    """The expression for what may follow `node`; it recurses only where forms branch."""
    chain = []
    while len(node) == 1 and "" not in node:  # a run of characters no form leaves
        [(character, node)] = node.items()
        chain.append(re.escape(character))
    branches = [re.escape(c) + _alternatives(child) for c, child in sorted(node.items()) if c]
    if not branches:
        body = ""
    elif len(branches) == 1:
        body = branches[0]
    else:
        body = "(?:" + "|".join(branches) + ")"
    if "" in node and body:  # greedy: a longer form through this node is tried first
        body = f"(?:{body})?"
    return "".join(chain) + body


def begins_a_form(trie: Trie, text: str, start: int) -> bool:
    """Whether `text[start:]` is the beginning of a form that goes on past the text's end."""
    node = trie
    for index in range(start, len(text)):  # no slice: a copy per start would be quadratic
        following = node.get(text[index])
        if following is None:
            return False
        node = following
    return any(key for key in node)
