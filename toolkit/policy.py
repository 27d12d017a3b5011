"""What a policy run looks at, and running the checks over it.

`Scope` says which automations a change touches (added, modified, renamed, deleted) and
which other paths changed; `PolicyContext` is what every check receives: the repository,
the merge base, the automations under review with their metadata now and at the base,
and the configuration. Everything read from Git is read in a fixed number of calls,
whatever the number of automations, so a pull request touching three automations costs
the same in a repository of two hundred or two thousand.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

from toolkit import git
from toolkit.config import PolicyConfig
from toolkit.errors import ToolkitError
from toolkit.findings import Finding
from toolkit.metadata import METADATA_FILE, Automation
from toolkit.repo import AUTOMATIONS_DIR, Repository

REPOSITORY = "(repository)"
_SKIPPED_DIRS = {"__pycache__", ".venv", "node_modules", ".pytest_cache", ".mypy_cache"}


def automation_of(path: str) -> str | None:
    """The automation a repository path belongs to, or None for paths outside them."""
    parts = path.split("/")
    if len(parts) >= 3 and parts[0] == AUTOMATIONS_DIR:
        return parts[1]
    return None


def metadata_path(name: str) -> str:
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
    touched: dict[str, None] = {}
    scope = Scope(changes=changes)
    for change in changes:
        name = automation_of(change.path)
        old = automation_of(change.old_path) if change.old_path else None
        if name is None and old is None:
            scope.other_paths.append(change.path)
        for each in (name, old):
            if each is not None:
                touched[each] = None
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


class PolicyContext:
    """Everything a check may look at. Checks read; they never write."""

    def __init__(
        self, repo: Repository, scope: Scope, base: str | None, config: PolicyConfig
    ) -> None:
        self.repo = repo
        self.scope = scope
        self.base = base  # the merge base commit, or None with --all
        self.config = config
        self.today = dt.date.today()

    @property
    def root(self) -> Path:
        return self.repo.root

    @property
    def names(self) -> list[str]:
        return self.scope.names

    def folder(self, name: str) -> Path:
        return self.repo.automations_dir / name

    @cached_property
    def inventory(self) -> Any:
        """The validated metadata of the automations under review."""
        from toolkit.inventory import load_inventory

        return load_inventory(self.repo, [self.folder(n) for n in self.names])

    @cached_property
    def automations(self) -> list[Automation]:
        """The automations under review whose metadata is valid."""
        return list(self.inventory.automations)

    @cached_property
    def _base_texts(self) -> dict[str, bytes | None]:
        if self.base is None:
            return {}
        old_names = {n: self.scope.renamed.get(n, n) for n in self.names}
        blobs = git.files_at(self.root, self.base, [metadata_path(o) for o in old_names.values()])
        return {n: blobs[metadata_path(o)] for n, o in old_names.items()}

    def base_data(self, name: str) -> dict[str, Any] | None:
        """The metadata at the merge base (under the old name if renamed), if readable."""
        return parse_loosely(self._base_texts.get(name))

    @cached_property
    def _head_texts(self) -> dict[str, bytes | None]:
        texts: dict[str, bytes | None] = {}
        for name in self.names:
            try:
                texts[name] = (self.folder(name) / METADATA_FILE).read_bytes()
            except OSError:
                texts[name] = None
        return texts

    def data(self, name: str) -> dict[str, Any] | None:
        """The metadata now, parsed without validation (None if unreadable)."""
        return parse_loosely(self._head_texts.get(name))

    def line_of(self, name: str, *keys: Any, key: bool = False) -> int:
        """The line of a field in the automation's metadata file (1 if not found)."""
        from toolkit.metadata.yamlfile import LineIndex

        raw = self._head_texts.get(name)
        if raw is None:
            return 1
        text = raw.decode("utf-8", errors="replace")
        return LineIndex(text).locate(keys, key=key).line

    def files(self, name: str) -> list[Path]:
        """The automation's files to scan: those changed, or every file with --all."""
        if self.scope.changes is not None:
            paths = [self.root / p for p in self.scope.changed_paths(name)]
            return [p for p in paths if p.is_file() and not p.is_symlink()]
        return walk_files(self.folder(name))

    def relative(self, path: Path) -> str:
        return self.repo.relative(path)

    @cached_property
    def released(self) -> dict[str, list[git.VersionTag]]:
        """Every `<name>@<version>` tag, read in one Git call (none outside Git)."""
        if not git.is_git_repository(self.root):
            return {}
        return git.version_tags(self.root)


def walk_files(folder: Path) -> list[Path]:
    """Every file under `folder`, skipping caches and virtual environments."""
    found: list[Path] = []
    for directory, subdirs, files in os.walk(folder):
        subdirs[:] = sorted(d for d in subdirs if d not in _SKIPPED_DIRS)
        found.extend(Path(directory) / f for f in sorted(files))
    return [p for p in found if not p.is_symlink()]


def parse_loosely(raw: bytes | None) -> dict[str, Any] | None:
    """A YAML mapping without validation; None when it is missing or does not parse."""
    from toolkit.metadata.yamlfile import YamlProblem, decode, parse_mapping

    if raw is None:
        return None
    try:
        return parse_mapping(decode(raw))
    except YamlProblem:
        return None


def is_binary(path: Path) -> bool:
    """A NUL byte in the first 8 KiB, the test Git itself uses."""
    with path.open("rb") as file:
        return b"\0" in file.read(8192)


def first_difference(actual: str, expected: str) -> int:
    """The first line (1-based) where a generated file differs from what it should be."""
    ours, theirs = actual.splitlines(), expected.splitlines()
    for number, (a, b) in enumerate(zip(ours, theirs, strict=False), start=1):
        if a != b:
            return number
    return min(len(ours), len(theirs)) + 1


# ---------------------------------------------------------------------------
# Running the checks


@dataclass
class PolicyResult:
    findings: list[Finding]
    waived: list[tuple[Finding, Any]]
    checks_run: list[str]
    scope: Scope


def build_context(
    repo: Repository,
    base: str | None,
    head: str | None,
    everything: bool,
    uncommitted: bool = False,
) -> PolicyContext:
    """The context for `--base`/`--head`, or for every automation.

    The scope is what the commits since the merge base changed (Git diffs two trees,
    reading only the folders that differ); with `uncommitted`, uncommitted and untracked
    files join it, at the cost of scanning the whole working tree.
    """
    from toolkit.checks import check_ids

    if head is not None:
        _require_head_checked_out(repo, head)
    config = policy_config(repo, check_ids())
    config.findings += _unknown_waived_automations(repo, config)
    if everything or base is None:
        return PolicyContext(repo, full_scope(repo), None, config)
    if not git.is_git_repository(repo.root):
        raise ToolkitError(
            f"{repo.root} is not inside a Git repository, so there is no --base to compare with",
            "run it in a clone of the repository, or use --all",
        )
    start = git.merge_base(repo.root, base, "HEAD")
    changes = (
        git.changes_to_worktree(repo.root, base)
        if uncommitted
        else git.changed_files(repo.root, base, "HEAD")
    )
    return PolicyContext(repo, scope_of_changes(repo, changes, start), start, config)


def _require_head_checked_out(repo: Repository, head: str) -> None:
    wanted = git.resolve_ref(repo.root, head)
    if wanted != git.head_commit(repo.root):
        raise ToolkitError(
            f"--head {head} is not the commit checked out; checks read the working tree",
            f"run `git checkout {head}` first, or leave out --head",
        )


def _unknown_waived_automations(repo: Repository, config: PolicyConfig) -> list[Finding]:
    """A waiver for an automation that does not exist hides nothing: say so."""
    import difflib

    from toolkit.config import CONFIG_CHECK, PYPROJECT

    findings = []
    for waiver in config.waivers:
        if (repo.automations_dir / waiver.automation).is_dir():
            continue  # listing every folder only when a name is wrong keeps policy flat in size
        names = [folder.name for folder in repo.automation_dirs()]
        close = difflib.get_close_matches(waiver.automation, names, n=1)
        hint = f"did you mean '{close[0]}'?" if close else "fix the name or remove the waiver"
        message = f"a waiver of {waiver.check} names '{waiver.automation}', which does not exist"
        findings.append(
            Finding(
                PYPROJECT,
                waiver.line,
                None,
                CONFIG_CHECK,
                "error",
                message,
                hint,
                "tool.autokit.waivers.automation",
            )
        )
    return findings


def policy_config(repo: Repository, check_ids: Iterable[str]) -> PolicyConfig:
    from toolkit.config import load_policy_config

    pyproject = repo.root / "pyproject.toml"
    text = pyproject.read_text(encoding="utf-8", errors="replace") if pyproject.is_file() else ""
    return load_policy_config(repo.config, check_ids, text)


def run_checks(ctx: PolicyContext, only: Iterable[str] | None = None) -> PolicyResult:
    """Run every enabled check; findings covered by a valid waiver are set aside."""
    from toolkit.checks import load_checks

    wanted = set(only) if only is not None else None
    findings: list[Finding] = list(ctx.config.findings)
    waived: list[tuple[Finding, Any]] = []
    ran = []
    for check in load_checks():
        if check.id in ctx.config.disabled or (wanted is not None and check.id not in wanted):
            continue
        ran.append(check.id)
        for finding in check.run(ctx):
            waiver = ctx.config.waiver_for(check.id, automation_of(finding.path))
            if waiver is None:
                findings.append(finding)
            else:
                waived.append((finding, waiver))
    from toolkit.findings import sorted_findings

    return PolicyResult(sorted_findings(set(findings)), waived, ran, ctx.scope)
