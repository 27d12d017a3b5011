"""`autokit search QUERY`: ranked matches over name, title, summary, tags, department, README.

Every word of the query must match somewhere (several words narrow the result). A word
scores by where it matches: the name counts most, the README least; a whole-word match
of the name or a tag counts extra.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from dataclasses import dataclass

from toolkit.commands.formats import add_format_argument
from toolkit.errors import ToolkitError
from toolkit.files import read_contributor_file
from toolkit.inventory import load_inventory, warn_about_invalid
from toolkit.metadata import Automation
from toolkit.repo import repository_from_args

# field -> weight of a word found in it
WEIGHTS = {"name": 8, "title": 5, "tags": 4, "summary": 3, "department": 3, "readme": 1}
EXACT_BONUS = 4
README_LIMIT = 200_000  # characters of README read; enough for any real README


@dataclass(frozen=True)
class Match:
    automation: Automation
    score: int
    fields: tuple[str, ...]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("query", nargs="+", metavar="QUERY", help="one or more words")
    add_format_argument(parser, "text", "json")


def run(args: argparse.Namespace) -> int:
    words = query_words(" ".join(args.query))
    repo = repository_from_args(args)
    inventory = load_inventory(repo)
    warn_about_invalid(inventory)
    matches = search(inventory.automations, words)
    if args.format == "json":
        rows = [_json_row(m, repo.relative(m.automation.folder)) for m in matches]
        print(json.dumps(rows, indent=2))
    elif matches:
        print("\n".join(_text_block(m) for m in matches))
    else:
        print(f"no automation matches {' '.join(words)!r}", file=sys.stderr)
    return 0


def query_words(query: str) -> list[str]:
    words = [w for w in re.split(r"\s+", query.lower().strip()) if w]
    if not words:
        raise ToolkitError("the search query is empty", "give at least one word, e.g. invoice")
    return list(dict.fromkeys(words))


def search(automations: list[Automation], words: list[str]) -> list[Match]:
    """Automations matching every word, best first (ties by name)."""
    found = [m for a in automations if (m := score(a, words)) is not None]
    return sorted(found, key=lambda m: (-m.score, m.automation.name))


def score(automation: Automation, words: list[str]) -> Match | None:
    texts = _searchable(automation)
    total = 0
    fields: set[str] = set()
    for word in words:
        hits = [f for f, text in texts.items() if word in text]
        if not hits:
            return None
        fields.update(hits)
        total += sum(WEIGHTS[f] for f in hits)
        if word == automation.name or word in automation.tags:
            total += EXACT_BONUS
    return Match(automation, total, tuple(f for f in WEIGHTS if f in fields))


def _searchable(automation: Automation) -> dict[str, str]:
    return {
        "name": automation.name,
        "title": automation.title.lower(),
        "tags": " ".join(automation.tags),
        "summary": automation.summary.lower(),
        "department": automation.department.lower(),
        "readme": _readme(automation),
    }


def _readme(automation: Automation) -> str:
    readme = automation.folder / "README.md"
    try:  # a symbolic link reads as no README (LinkedFile is an OSError)
        raw = read_contributor_file(readme, automation.folder.parent.parent, README_LIMIT)
    except OSError:
        return ""
    return raw.decode("utf-8", errors="replace").lower()


def _json_row(match: Match, folder: str) -> dict[str, object]:
    a = match.automation
    return {
        "name": a.name,
        "version": a.version,
        "title": a.title,
        "summary": a.summary,
        "status": a.status,
        "score": match.score,
        "matched": list(match.fields),
        "folder": folder,
    }


def _text_block(match: Match) -> str:
    a = match.automation
    return (
        f"{a.name}  {a.version}  {a.title}\n"
        f"    {a.summary}\n"
        f"    matched in: {', '.join(match.fields)}"
    )
