"""What a change touches: the automations added, modified, renamed and deleted.

Everything is read from one `git diff` of two trees and one batched read of the metadata
files at the merge base, so the cost follows the size of the change, not of the
repository.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from toolkit import git
from toolkit.metadata import METADATA_FILE
from toolkit.repo import AUTOMATIONS_DIR, Repository


def automation_of(path: str) -> str | None:
    """The automation a repository path belongs to, or None for paths outside them."""
    parts = path.split("/")
    if len(parts) >= 3 and parts[0] == AUTOMATIONS_DIR:
        return parts[1]
    return None


def metadata_path(name: str) -> str:
    """`automations/<name>/automation.yaml`, relative to the repository root."""
    return f"{AUTOMATIONS_DIR}/{name}/{METADATA_FILE}"


@dataclass
class Scope:
    """The automations (and other paths) a change touches. `changes` is None for --all."""

    added: list[str] = field(default_factory=list)
    modified: list[str] = field(default_factory=list)
    renamed: dict[str, str] = field(default_factory=dict)  # new name -> old name
    deleted: list[str] = field(default_factory=list)
    other_paths: list[str] = field(default_factory=list)
    changes: list[git.Change] | None = None

    @property
    def names(self) -> list[str]:
        """The automations under review that exist now, sorted."""
        return sorted({*self.added, *self.modified, *self.renamed})

    def changed_paths(self, name: str) -> list[str]:
        prefix = f"{AUTOMATIONS_DIR}/{name}/"
        return sorted(
            c.path for c in self.changes or () if c.status != "D" and c.path.startswith(prefix)
        )


def scope_of_changes(repo: Repository, changes: list[git.Change], base: str) -> Scope:
    """Sort changed paths into automations added, modified, renamed and deleted.

    A new folder counts as renamed from a folder that is gone when Git's rename detection
    moved most of its files from there; otherwise it is added (and the other deleted).
    """
    scope = Scope(changes=changes)
    touched = _touched(changes, scope.other_paths)
    at_base = git.files_at(repo.root, base, [metadata_path(n) for n in touched])
    existed = {n for n in touched if at_base[metadata_path(n)] is not None}
    gone = {n for n in touched if not (repo.automations_dir / n).is_dir()}
    moved_from = _moved_from(changes, candidates=existed & gone)
    for name in touched:
        if name in gone:
            if name in existed and name not in moved_from.values():
                scope.deleted.append(name)
        elif name in existed:
            scope.modified.append(name)
        elif name in moved_from:
            scope.renamed[name] = moved_from[name]
        else:
            scope.added.append(name)
    return scope


def _touched(changes: list[git.Change], other_paths: list[str]) -> list[str]:
    """Every automation a change is in or comes from, in order; the rest go to `other_paths`."""
    touched: dict[str, None] = {}
    for change in changes:
        name = automation_of(change.path)
        old = automation_of(change.old_path) if change.old_path else None
        if name is None and old is None:
            other_paths.append(change.path)
        for each in (name, old):
            if each is not None:
                touched[each] = None
    return list(touched)


def _moved_from(changes: list[git.Change], candidates: set[str]) -> dict[str, str]:
    """New folder -> the vanished folder most of its changed files were renamed from."""
    totals: dict[str, int] = {}
    sources: dict[str, dict[str, int]] = {}
    for change in changes:
        name = automation_of(change.path)
        if name is None or change.status == "D":
            continue
        totals[name] = totals.get(name, 0) + 1
        old = automation_of(change.old_path) if change.old_path else None
        if old in candidates and old != name:
            counts = sources.setdefault(name, {})
            counts[old] = counts.get(old, 0) + 1
    moved: dict[str, str] = {}
    for name, counts in sources.items():
        old, count = max(counts.items(), key=lambda item: item[1])
        if count * 2 > totals[name] and old not in moved.values():
            moved[name] = old
    return moved


def full_scope(repo: Repository) -> Scope:
    """Every automation, as if all were modified (for --all)."""
    return Scope(modified=[folder.name for folder in repo.automation_dirs()])
