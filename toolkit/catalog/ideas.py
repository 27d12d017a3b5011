"""The Ideas page's rows: the ideas file beside what the catalog knows.

An automation whose metadata records `idea: N` built idea N, whatever the file says (the
metadata is committed, reviewed code; the file is what GitHub said when it was fetched).
A built idea shows its estimate beside the hours the run ledger measured for the
automation. Ideas are ranked by estimated hours a month, then 👍 (`toolkit.ideas.model`).
Every text here is issue text, hostile: the template escapes it, and links are only the
https URLs the file checks.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from toolkit.catalog.model import Entry
from toolkit.errors import ToolkitError
from toolkit.ideas.model import Idea, IdeasFile, ranked, read_ideas, with_built

HOW_TO = (
    "run `autokit ideas fetch --output ideas.json` (with GITHUB_REPOSITORY and a GITHUB_TOKEN "
    "that may read issues), then `autokit catalog build --ideas ideas.json`; the publish "
    "workflow does both"
)


@dataclass(frozen=True)
class IdeaRow:
    idea: Idea
    rank: int
    automation: str | None  # the automation built from it, when it has a page
    measured_30_days: float | None  # hours the ledger measured for that automation
    measured_total: float | None
    runs_30_days: int | None


def ideas_for_catalog(path: Path | None, notes: list[str]) -> IdeasFile | None:
    """The ideas file the build was given, or None (and a note) when there is none."""
    if path is None:
        return None
    if not path.exists():
        notes.append(f"No ideas file at `{path}`: the Ideas page says how to get one.")
        return None
    try:
        found = read_ideas(path)
    except ToolkitError as error:
        raise ToolkitError(f"--ideas: {error.message}", error.hint) from None
    notes += found.notes
    return found


def idea_rows(ideas: IdeasFile, entries: list[Entry]) -> list[IdeaRow]:
    """Every idea, ranked, with the automation that built it and what that measured."""
    by_name = {entry.name: entry for entry in entries}
    built: dict[int, str] = {}
    for entry in entries:  # sorted by name: the first automation naming an idea wins
        if entry.automation.idea is not None:
            built.setdefault(entry.automation.idea, entry.name)
    rows = []
    for rank, idea in enumerate(ranked(with_built(ideas.ideas, built)), 1):
        built_by = by_name.get(idea.automation or "")
        runs = built_by.runs if built_by is not None else None
        rows.append(
            IdeaRow(
                idea,
                rank,
                built_by.name if built_by is not None else None,
                runs.hours_30_days if runs is not None else None,
                runs.hours_total if runs is not None else None,
                runs.runs_30_days if runs is not None else None,
            )
        )
    return rows
