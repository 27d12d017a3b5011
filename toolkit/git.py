"""All Git access, in one narrow module over GitPython.

GitPython's command interface (`repo.git.<command>(...)`) is used where its object API
would be slow; every call that reads many paths is one Git invocation, never one per
automation. Git errors become `ToolkitError`s that say how to fix them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from toolkit.errors import ToolkitError

TAG_SEPARATOR = "@"
_VERSION_TAG = re.compile(r"^(?P<name>[a-z][a-z0-9-]{1,62})@(?P<version>\d+\.\d+\.\d+)$")


@lru_cache(maxsize=8)
def open_repo(root: Path) -> Any:
    """The GitPython `Repo` at `root`, or a clear error when it is not a Git repository."""
    import git

    try:
        return git.Repo(root, search_parent_directories=True)
    except (git.InvalidGitRepositoryError, git.NoSuchPathError):
        raise ToolkitError(
            f"{root} is not inside a Git repository",
            "run `git init` there, or run autokit inside a clone of the repository",
        ) from None


def run_git(root: Path, *args: str) -> str:
    """Run one git command in the repository and return its stdout."""
    import git

    repo = open_repo(root)
    try:
        return str(repo.git.execute(["git", *args], strip_newline_in_stdout=False))
    except git.GitCommandError as error:
        stderr = (error.stderr or "").strip().removeprefix("stderr: ").strip("'\n ")
        raise ToolkitError(f"git {args[0]} failed: {stderr or error}") from None


def is_git_repository(root: Path) -> bool:
    return (root / ".git").exists() or any((p / ".git").exists() for p in root.parents)


def head_commit(root: Path) -> str | None:
    """The commit HEAD points at, or None in a repository with no commits."""
    try:
        return run_git(root, "rev-parse", "--verify", "-q", "HEAD").strip() or None
    except ToolkitError:
        return None


def resolve_ref(root: Path, ref: str) -> str:
    """The commit a ref names, or an error saying the ref does not exist."""
    try:
        return run_git(root, "rev-parse", "--verify", "-q", f"{ref}^{{commit}}").strip()
    except ToolkitError:
        raise ToolkitError(
            f"the ref '{ref}' does not exist in this repository",
            "fetch it first (e.g. `git fetch origin main`) or check the spelling",
        ) from None


def merge_base(root: Path, base: str, head: str = "HEAD") -> str:
    """The merge base of `base` and `head`, with advice for shallow clones."""
    base_commit = resolve_ref(root, base)
    head_commit_ = resolve_ref(root, head)
    try:
        return run_git(root, "merge-base", base_commit, head_commit_).strip()
    except ToolkitError:
        shallow = (Path(run_git(root, "rev-parse", "--git-dir").strip()) / "shallow")
        shallow = shallow if shallow.is_absolute() else root / shallow
        hint = "the two refs share no history"
        if shallow.exists():
            hint = (
                "this is a shallow clone without the merge base; fetch the full history "
                "(actions/checkout with `fetch-depth: 0`, or `git fetch --unshallow`)"
            )
        raise ToolkitError(f"no merge base between '{base}' and '{head}'", hint) from None


@dataclass(frozen=True)
class Change:
    """One changed path between two commits. `status` is A, M, D or R (renamed)."""

    status: str
    path: str
    old_path: str | None = None


def changed_files(root: Path, base: str, head: str = "HEAD") -> list[Change]:
    """Files changed from the merge base of `base` and `head` to `head`, with renames."""
    start = merge_base(root, base, head)
    output = run_git(root, "diff", "--name-status", "-M", "-z", start, resolve_ref(root, head))
    fields = output.split("\0")
    changes: list[Change] = []
    index = 0
    while index < len(fields) and fields[index]:
        status = fields[index][0]
        if status in "RC":
            changes.append(Change("R" if status == "R" else "A", fields[index + 2],
                                  fields[index + 1]))
            index += 3
        else:
            changes.append(Change(status if status in "ADM" else "M", fields[index + 1]))
            index += 2
    return changes


def file_at(root: Path, ref: str, path: str) -> bytes | None:
    """A file's bytes as they were at `ref`, or None when it did not exist there."""
    import git

    repo = open_repo(root)
    try:
        return bytes(repo.git.execute(["git", "show", f"{ref}:{path}"], stdout_as_string=False))
    except git.GitCommandError:
        return None


@dataclass(frozen=True)
class VersionTag:
    name: str
    version: str
    commit: str
    date: str  # ISO 8601

    @property
    def tag(self) -> str:
        return f"{self.name}{TAG_SEPARATOR}{self.version}"

    def version_tuple(self) -> tuple[int, ...]:
        return tuple(int(p) for p in self.version.split("."))


def version_tags(root: Path, name: str | None = None) -> dict[str, list[VersionTag]]:
    """Every `<name>@<version>` tag, grouped by automation, oldest version first."""
    pattern = f"refs/tags/{name}@*" if name else "refs/tags/*@*"
    output = run_git(
        root,
        "for-each-ref",
        "--format=%(refname:short)%09%(*objectname)%09%(objectname)%09%(creatordate:iso-strict)",
        pattern,
    )
    tags: dict[str, list[VersionTag]] = {}
    for line in output.splitlines():
        tag_name, peeled, direct, date = line.split("\t")
        match = _VERSION_TAG.match(tag_name)
        if match:
            tag = VersionTag(match["name"], match["version"], peeled or direct, date)
            tags.setdefault(tag.name, []).append(tag)
    for versions in tags.values():
        versions.sort(key=VersionTag.version_tuple)
    return tags


def is_dirty(root: Path, path: str) -> bool:
    """Whether `path` (a file or folder) has uncommitted or untracked changes."""
    return bool(run_git(root, "status", "--porcelain", "--", path).strip())


@dataclass(frozen=True)
class CommitInfo:
    """One commit of `history`: who wrote it, when, and which paths it touched."""

    sha: str
    author: str
    email: str
    date: str  # ISO 8601, author date
    paths: tuple[str, ...]


def history(root: Path, pathspec: str = ".") -> list[CommitInfo]:
    """Every commit touching `pathspec`, newest first, from ONE `git log --name-only` pass.

    Merge commits list no paths (their changes are in the commits they merge).
    """
    output = run_git(
        root, "log", "-z", "--no-renames", "--name-only", "--format=%x01%H%x00%an%x00%ae%x00%aI",
        "--", pathspec,
    )
    commits: list[CommitInfo] = []
    for record in output.split("\x01")[1:]:
        fields = record.split("\0")
        sha, author, email, date = fields[:4]
        paths = tuple(p.strip("\n") for p in fields[4:] if p.strip("\n"))
        commits.append(CommitInfo(sha, author, email, date, paths))
    return commits


def is_shallow(root: Path) -> bool:
    """Whether the clone lacks part of its history (e.g. actions/checkout's default depth)."""
    try:
        return run_git(root, "rev-parse", "--is-shallow-repository").strip() == "true"
    except ToolkitError:
        return False
