"""A template's versions as Git has them.

The template as at version V is the tree of its folder at the newest commit on the
first-parent history of HEAD whose `template.yaml` says `version: V`. One `git log
--first-parent` lists the commits that changed the folder and one `git cat-file --batch`
reads their template.yaml blobs; a version's files are then read from its tree's blobs
(`git ls-tree`, `git cat-file --batch`), never by checking anything out.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from toolkit import git
from toolkit.errors import ToolkitError
from toolkit.gallery import NOT_RENDERED, TEMPLATE_FILE


@dataclass
class TemplateHistory:
    """Where a template folder is in Git, and the commit of each version it had."""

    root: Path | None  # the Git work tree holding the folder; None: not in Git
    folder: str  # the folder, relative to `root`
    versions: dict[int, str] = field(default_factory=dict)  # version -> newest commit
    _sources: dict[int, dict[str, bytes]] = field(default_factory=dict, repr=False)

    def sources(self, version: int) -> dict[str, bytes]:
        """The template's files (relative path -> bytes) as at `version` (read once)."""
        if version not in self._sources:
            if self.root is None or version not in self.versions:
                raise ToolkitError(f"{self.folder}: version {version} is not in its history")
            tree = git.tree_contents(self.root, f"{self.versions[version]}:{self.folder}")
            self._sources[version] = {
                path: data
                for path, data in sorted(tree.items())
                if not NOT_RENDERED & set(path.split("/"))
            }
        return self._sources[version]

    def shown(self, version: int) -> str:
        """The template at `version` as messages name it: folder, version, commit."""
        return f"{self.folder} (version {version}, commit {self.versions[version][:12]})"


class Histories(dict[Path, TemplateHistory]):
    """The histories of the templates one command reads, each read once (a new command
    reads them again: HEAD may have moved)."""

    def of(self, folder: Path) -> TemplateHistory:
        if folder not in self:
            self[folder] = _read_history(folder)
        return self[folder]


def template_history(folder: Path) -> TemplateHistory:
    """The versions of the template in `folder`, read now."""
    return _read_history(folder)


def _read_history(folder: Path) -> TemplateHistory:
    root = git.toplevel(folder) if folder.is_dir() else None
    if root is None:
        return TemplateHistory(None, folder.as_posix())
    relative = folder.resolve().relative_to(root.resolve()).as_posix()
    commits = git.first_parent_commits(root, relative)
    blobs = git.objects(root, [f"{commit}:{relative}/{TEMPLATE_FILE}" for commit in commits])
    history = TemplateHistory(root, relative)
    for commit in commits:  # newest first: the first commit seen with a version is its newest
        version = _version_of(blobs.get(f"{commit}:{relative}/{TEMPLATE_FILE}"))
        if version is not None:
            history.versions.setdefault(version, commit)
    return history


def _version_of(blob: bytes | None) -> int | None:
    """The `version` a template.yaml blob says, or None (no file, no version, not YAML)."""
    from toolkit.metadata.yamlfile import YamlProblem, decode, parse_mapping

    if blob is None:
        return None
    try:
        version = parse_mapping(decode(blob)).get("version")
    except YamlProblem:
        return None
    valid = isinstance(version, int) and not isinstance(version, bool) and version >= 1
    return version if valid else None


def last_commit_of(root: Path, folder: str) -> str | None:
    """The newest commit on HEAD's first-parent history that changed `folder` (for a
    template that was deleted), or None when it never existed there."""
    try:
        commits = git.first_parent_commits(root, folder)
    except ToolkitError:  # not a Git repository: nothing was ever deleted from it
        return None
    return commits[0] if commits else None
