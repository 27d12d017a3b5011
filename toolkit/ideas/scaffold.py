"""`autokit new NAME --from-idea N`: an automation started from an idea.

The idea comes from the ideas file (`--ideas FILE`) or, without one, straight from GitHub
(the same variables as `autokit ideas fetch`). It fills the title, summary and department
(options given on the command line win) and `time_saved_minutes`, and the new metadata
records `idea: N`, which links the automation and the idea both ways in the catalog.
"""

from __future__ import annotations

import argparse
import os
import re
from dataclasses import dataclass
from pathlib import Path

from toolkit.errors import ToolkitError
from toolkit.ideas.form import LABEL
from toolkit.ideas.model import Idea, Malformed, idea_of_issue, read_ideas
from toolkit.inventory import load_inventory
from toolkit.repo import Repository

TITLE_MAX = 100  # the metadata's limits (`toolkit.metadata.schema`)
SUMMARY_MAX = 160
_TITLE_PREFIX = re.compile(r"^\s*idea\s*:\s*", re.IGNORECASE)  # the form's "Idea: "


def built_ideas(repo: Repository) -> dict[int, str]:
    """Idea number -> the automation whose metadata records it (the first by name)."""
    built: dict[int, str] = {}
    for automation in sorted(load_inventory(repo).automations, key=lambda a: a.name):
        if automation.idea is not None:
            built.setdefault(automation.idea, automation.name)
    return built


@dataclass(frozen=True)
class Seed:
    """What an idea gives a new automation."""

    number: int
    title: str
    summary: str
    department: str | None
    minutes: float | None  # None: the idea's minutes are unclear


def seed_new(args: argparse.Namespace) -> Seed | None:
    """The idea of `--from-idea`, with its values filled into the options left unset."""
    number = getattr(args, "from_idea", None)
    if number is None:
        return None
    seed = seed_of(find_idea(number, getattr(args, "ideas", None)))
    args.title = args.title or seed.title
    args.summary = args.summary or seed.summary
    args.department = args.department or seed.department
    return seed


def find_idea(number: int, ideas_file: str | None) -> Idea:
    """Idea `number`, from the ideas file when given, else from GitHub."""
    if number < 1:
        raise ToolkitError(f"--from-idea {number}: not an issue number", "e.g. --from-idea 12")
    if ideas_file is not None:
        found = read_ideas(Path(ideas_file))
        for idea in found.ideas:
            if idea.number == number:
                return idea
        raise ToolkitError(
            f"--from-idea {number}: {ideas_file} (fetched {found.fetched}) has no idea #{number}",
            "check the number on the catalog's Ideas page, or fetch the file again "
            "(autokit ideas fetch); only issues labelled `idea` are ideas",
        )
    return _idea_from_github(number)


def _idea_from_github(number: int) -> Idea:
    from toolkit.ideas.fetch import IdeasClient

    try:
        client = IdeasClient.from_environment(os.environ)
    except ToolkitError as error:
        raise ToolkitError(
            f"--from-idea {number}: no ideas file given, and GitHub cannot be asked: "
            + error.message,
            "pass --ideas FILE (what `autokit ideas fetch` writes), or set GITHUB_TOKEN and "
            "GITHUB_REPOSITORY",
        ) from None
    issue = client.issue(number)
    where = f"--from-idea {number}: issue #{number} of {client.repository}"
    if issue is None:
        raise ToolkitError(
            f"{where} does not exist", "check the number, and GITHUB_REPOSITORY (owner/name)"
        )
    if "pull_request" in issue:
        raise ToolkitError(f"{where} is a pull request, not an idea", "name an idea's issue")
    labels = issue.get("labels")
    names = [
        (label.get("name") if isinstance(label, dict) else label)
        for label in (labels if isinstance(labels, list) else [])
    ]
    if LABEL not in names:
        raise ToolkitError(
            f"{where} is not an idea: it has no `{LABEL}` label",
            "ideas are opened with the idea form; add the label if it is one",
        )
    try:
        return idea_of_issue(issue)
    except Malformed as why:
        raise ToolkitError(f"{where} cannot be read: {why}", "try again later") from None


def seed_of(idea: Idea) -> Seed:
    title = _TITLE_PREFIX.sub("", idea.title).strip() or idea.title
    summary = idea.excerpt.lstrip("0123456789.-*) ").strip() or title
    return Seed(
        idea.number,
        _cut(title, TITLE_MAX),
        _cut(summary, SUMMARY_MAX),
        idea.department,
        idea.minutes,
    )


def _cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def with_idea(metadata: str, seed: Seed) -> str:
    """Rendered metadata text with `time_saved_minutes` from the idea and `idea: N`."""
    if seed.minutes is not None:
        minutes = int(seed.minutes) if seed.minutes == int(seed.minutes) else seed.minutes
        metadata = _set_line(metadata, "time_saved_minutes", str(minutes))
    return _set_line(metadata, "idea", str(seed.number))


def _set_line(text: str, key: str, value: str) -> str:
    """Replace the top-level `key:` line, or add one at the end."""
    line = re.compile(rf"^{key}:[^\n]*$", re.MULTILINE)
    if line.search(text):
        return line.sub(f"{key}: {value}", text, count=1)
    return text.rstrip("\n") + f"\n{key}: {value}\n"
