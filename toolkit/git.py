"""All Git access, in one narrow module, through one mechanism: `_git`.

Every function runs the `git` command line through `_git`, which starts the process,
passes stdin, and turns a failure into one `ToolkitError` (a missing repository into the
error that says how to make one). Every call that reads many paths is one Git invocation,
never one per automation.

`_git` is a plain subprocess rather than GitPython's `Git` wrapper: `autokit run` calls
`working_tree_state` (and, for a pinned version, `version_tags`, `tree_id` and
`materialize_tree`), and importing GitPython costs more than those calls; two commands
also need bytes on stdin (`cat-file --batch`, `tag --file=-`), which the wrapper only
takes as a real file. GitPython stays the project's Git library for its object model:
`open_repo` returns its `Repo` for callers that need commits, trees or config as objects.
Like GitPython, `_git` runs Git with `LC_ALL=C`, so messages and output are English.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import subprocess
import time
from collections.abc import Iterable, Mapping
from datetime import datetime
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

from toolkit.errors import ToolkitError
from toolkit.versions import VERSION_TEXT, Version, version_key

if TYPE_CHECKING:
    from git import Repo

TAG_SEPARATOR = "@"
# Only plain versions: `x@01.2.3` is not a version tag of x.
_VERSION_TAG = re.compile(rf"(?P<name>[a-z][a-z0-9-]{{1,62}})@(?P<version>{VERSION_TEXT})")


class _GitFailed(ToolkitError):
    """A git command that ran and exited non-zero; `status` and `stderr` say how."""

    def __init__(self, command: str, status: int, stderr: str) -> None:
        super().__init__(f"git {command} failed: {stderr or f'exit code {status}'}")
        self.status = status
        self.stderr = stderr


def _git(root: Path, *args: str, stdin: bytes | None = None) -> bytes:
    """The stdout of one git command run in `root`: the one way this module runs Git."""
    try:
        result = subprocess.run(
            ["git", *args],
            cwd=root,
            input=stdin,
            capture_output=True,
            env={**os.environ, "LC_ALL": "C", "LANGUAGE": "C"},
            check=False,
        )
    except OSError as error:
        if not root.is_dir():
            raise _not_a_repository(root) from None
        raise ToolkitError(
            f"git could not be run: {error.strerror}", "install Git and put `git` on PATH"
        ) from None
    if result.returncode != 0:
        stderr = result.stderr.decode("utf-8", "replace").strip()
        if stderr.startswith("fatal: not a git repository"):
            raise _not_a_repository(root)
        raise _GitFailed(args[0], result.returncode, stderr)
    return result.stdout


def _not_a_repository(root: Path) -> ToolkitError:
    return ToolkitError(
        f"{root} is not inside a Git repository",
        "run `git init` there, or run autokit inside a clone of the repository",
    )


def run_git(root: Path, *args: str) -> str:
    """Run one git command in the repository and return its stdout."""
    # surrogateescape, as GitPython decodes: names that are not UTF-8 survive a round trip
    return _git(root, *args).decode("utf-8", "surrogateescape")


@lru_cache(maxsize=8)
def open_repo(root: Path) -> Repo:
    """The GitPython `Repo` at `root`, or a clear error when it is not a Git repository."""
    import git

    try:
        return git.Repo(root, search_parent_directories=True)
    except (git.InvalidGitRepositoryError, git.NoSuchPathError):
        raise _not_a_repository(root) from None


def is_git_repository(root: Path) -> bool:
    return (root / ".git").exists() or any((p / ".git").exists() for p in root.parents)


def head_commit(root: Path) -> str | None:
    """The commit HEAD points at, or None in a repository with no commits."""
    try:
        return run_git(root, "rev-parse", "--verify", "-q", "HEAD").strip() or None
    except ToolkitError:
        return None


# Commit ids already resolved by this process: a commit id names the same commit for ever,
# so the many reads at one merge base need one `rev-parse`, not one each.
_RESOLVED_COMMITS: set[tuple[Path, str]] = set()


def resolve_ref(root: Path, ref: str) -> str:
    """The commit a ref names, or an error saying the ref does not exist."""
    if (root, ref) in _RESOLVED_COMMITS:
        return ref
    try:
        commit = run_git(root, "rev-parse", "--verify", "-q", f"{ref}^{{commit}}").strip()
    except ToolkitError:
        pass
    else:
        _RESOLVED_COMMITS.add((root, commit))
        return commit
    remote = f"origin/{ref}"
    try:  # a fresh clone has origin/main but no local main: name the ref that exists
        run_git(root, "rev-parse", "--verify", "-q", f"{remote}^{{commit}}")
        hint = f"did you mean '{remote}'? (a clone has only its default branch locally)"
    except ToolkitError:
        hint = "fetch it first (e.g. `git fetch origin main`) or check the spelling"
    raise ToolkitError(f"the ref '{ref}' does not exist in this repository", hint)


def merge_base(root: Path, base: str, head: str = "HEAD") -> str:
    """The merge base of `base` and `head`, with advice for shallow clones."""
    base_commit = resolve_ref(root, base)
    head_commit_ = resolve_ref(root, head)
    try:
        return run_git(root, "merge-base", base_commit, head_commit_).strip()
    except ToolkitError:
        shallow = Path(run_git(root, "rev-parse", "--git-dir").strip()) / "shallow"
        shallow = shallow if shallow.is_absolute() else root / shallow
        hint = "the two refs share no history"
        if shallow.exists():
            hint = (
                "this is a shallow clone without the merge base; fetch the full history "
                "(actions/checkout with `fetch-depth: 0`, or `git fetch --unshallow`)"
            )
        raise ToolkitError(f"no merge base between '{base}' and '{head}'", hint) from None


class Change(NamedTuple):
    """One changed path between two commits. `status` is A, M, D or R (renamed)."""

    status: str
    path: str
    old_path: str | None = None


def changed_files(root: Path, base: str, head: str = "HEAD") -> list[Change]:
    """Files changed from the merge base of `base` and `head` to `head`, with renames."""
    start = merge_base(root, base, head)
    output = run_git(root, "diff", "--name-status", "-M", "-z", start, resolve_ref(root, head))
    return _parse_name_status(output)


class VersionTag(NamedTuple):
    name: str
    version: str
    commit: str
    date: str  # ISO 8601

    @property
    def tag(self) -> str:
        return f"{self.name}{TAG_SEPARATOR}{self.version}"

    def version_tuple(self) -> Version:
        return version_key(self.version)


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
        match = _VERSION_TAG.fullmatch(tag_name)
        if match:
            tag = VersionTag(match["name"], match["version"], peeled or direct, date)
            tags.setdefault(tag.name, []).append(tag)
    for versions in tags.values():
        versions.sort(key=VersionTag.version_tuple)
    return tags


def is_dirty(root: Path, path: str) -> bool:
    """Whether `path` (a file or folder) has uncommitted or untracked changes."""
    return bool(run_git(root, "status", "--porcelain", "--", path).strip())


def tree_id(root: Path, ref: str, path: str) -> str | None:
    """The hash of the tree at `path` in `ref`, or None when `path` did not exist there."""
    try:
        return run_git(root, "rev-parse", "--verify", "-q", f"{ref}:{path}").strip() or None
    except ToolkitError:
        return None


def tree_files(root: Path, tree: str) -> dict[str, str]:
    """Every file of `tree` (a tree or `commit:path`): relative path -> blob id, one call."""
    return tree_entries(root, tree)[0]


def tree_entries(root: Path, tree: str) -> tuple[dict[str, str], list[str]]:
    """Every file of `tree` (path -> blob id) and which of them are symbolic links: one
    `git ls-tree` for both, so a pinned run reads its tree once."""
    files, links = {}, []
    for entry in _git(root, "ls-tree", "-r", "-z", "--full-tree", tree).split(b"\0"):
        if not entry:
            continue
        info, _, raw_path = entry.partition(b"\t")
        mode, kind, blob = info.split()
        if kind == b"blob":
            path = raw_path.decode("utf-8", "surrogateescape")
            files[path] = blob.decode()
            if mode.decode() == LINK_MODE:
                links.append(path)
    return files, links


def blob_id(data: bytes, like: str) -> str:
    """The id Git gives a file with these bytes, in the hash of the id `like` (SHA-1/256)."""
    import hashlib

    algorithm = hashlib.sha256 if len(like) == 64 else hashlib.sha1
    return algorithm(b"blob %d\0" % len(data) + data).hexdigest()


BYTECODE_DIR = "__pycache__"


def matches_tree(folder: Path, files: Mapping[str, str]) -> bool:
    """Whether `folder` holds exactly the files of a Git tree (`tree_files`), byte for byte.

    Each file is hashed as Git does (`blob_id`). Any file Git does not have, a missing
    file, one changed byte, or a symbolic link (to a file or a folder: a linked folder
    would shadow imports without holding a file of its own) is a difference. Files in
    `__pycache__` folders that Git does not have are left out: they are bytecode, which
    callers keep away from what runs (`stray_bytecode`).
    """
    if not files:
        return False
    like = next(iter(files.values()))
    seen = 0
    for directory, subdirectories, names in os.walk(folder):
        if any(os.path.islink(os.path.join(directory, d)) for d in subdirectories):
            return False
        in_bytecode = BYTECODE_DIR in Path(directory).relative_to(folder).parts
        for name in names:
            path = os.path.join(directory, name)
            relative = Path(path).relative_to(folder).as_posix()
            expected = files.get(relative)
            if expected is None and in_bytecode:
                continue
            if expected is None or os.path.islink(path):
                return False
            try:
                with open(path, "rb") as file:
                    data = file.read()
            except OSError:
                return False
            if blob_id(data, like) != expected:
                return False
            seen += 1
    return seen == len(files)


def stray_bytecode(folder: Path, files: Mapping[str, str]) -> list[Path]:
    """Files in `__pycache__` folders under `folder` that the tree `files` does not have."""
    stray = []
    for directory, _subdirectories, names in os.walk(folder):
        if BYTECODE_DIR in Path(directory).relative_to(folder).parts:
            for name in names:
                path = Path(directory, name)
                if path.relative_to(folder).as_posix() not in files:
                    stray.append(path)
    return stray


def materialize_tree(root: Path, tree: str, destination: Path) -> Path:
    """Write the files of `tree` into `destination` (once: the tree hash names the content).

    The files are Git's blobs byte for byte, read with one `git ls-tree` and one `git
    cat-file --batch`: not `git archive`, which applies `.gitattributes` (`export-ignore`,
    `export-subst`, end-of-line conversion) and `core.autocrlf`, so that its output would
    differ from the blob ids a copy is verified against (`matches_tree`). Only folders and
    regular files are written (no links, no submodules), each name checked to stay inside
    `destination`; files are 0644, or 0755 when executable. Extraction goes to a temporary
    folder that is renamed into place, so a reader never sees a half-written copy.
    """
    # Only pinned runs and the base's rules extract trees: tempfile stays off the run path.
    import tempfile

    if destination.is_dir():
        return destination
    entries = _regular_files(_git(root, "ls-tree", "-r", "-z", "--full-tree", tree))
    blobs = sorted({blob for _mode, blob, _path in entries})
    request = "".join(f"{blob}\n" for blob in blobs).encode()
    contents = _parse_batch(_git(root, "cat-file", "--batch", stdin=request), blobs)
    destination.parent.mkdir(parents=True, exist_ok=True)
    temporary = Path(tempfile.mkdtemp(prefix=".tmp-", dir=destination.parent))
    try:
        for mode, blob, path in entries:
            data = contents.get(blob)
            if data is None:
                raise ToolkitError(f"git cat-file did not return {blob} ({path}) of {tree}")
            target = temporary.joinpath(*path.split("/"))
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(data)
            target.chmod(0o755 if mode == "100755" else 0o644)
        os.rename(temporary, destination)
    except (OSError, ToolkitError):
        shutil.rmtree(temporary, ignore_errors=True)
        if not destination.is_dir():  # not someone else's rename winning the race
            raise
    return destination


def _regular_files(listing: bytes) -> list[tuple[str, str, str]]:
    """(mode, blob id, path) of each regular file of `ls-tree -r -z` output whose path is
    a plain relative one (no empty, `.` or `..` parts)."""
    entries = []
    for entry in listing.split(b"\0"):
        info, _, raw_path = entry.partition(b"\t")
        fields = info.split()
        if len(fields) != 3 or fields[0] not in (b"100644", b"100755"):
            continue  # links, submodules, the empty tail
        path = raw_path.decode("utf-8", "surrogateescape")
        if path.startswith("/") or any(part in ("", ".", "..") for part in path.split("/")):
            continue
        entries.append((fields[0].decode(), fields[2].decode(), path))
    return entries


class WorkingTreeState(NamedTuple):
    commit: str | None
    dirty: bool | None


def working_tree_state(root: Path, path: str) -> WorkingTreeState:
    """HEAD's commit and whether `path` has uncommitted changes, in one cheap git call.

    `autokit run` needs only this; when Git cannot tell (no Git, no repository), both are
    None.
    """
    try:
        status = run_git(
            root, "status", "--porcelain=v2", "--branch", "--untracked-files=all", "--", path
        )
    except ToolkitError:
        return WorkingTreeState(None, None)
    commit, dirty = None, False
    for line in status.splitlines():
        if line.startswith("# branch.oid "):
            oid = line.split()[2]
            commit = oid if oid != "(initial)" else None
        elif not line.startswith("#"):
            dirty = True
    return WorkingTreeState(commit, dirty)


def changes_to_worktree(root: Path, base: str) -> list[Change]:
    """Files changed from the merge base of `base` and HEAD to the working tree.

    Includes uncommitted and untracked files, so `autokit policy` run before a commit
    checks what is on disk. Three Git calls, whatever the repository's size.
    """
    start = merge_base(root, base, "HEAD")
    output = run_git(root, "diff", "--name-status", "-M", "-z", start)
    changes = _parse_name_status(output)
    untracked = run_git(root, "ls-files", "-z", "--others", "--exclude-standard")
    changes.extend(Change("A", path) for path in untracked.split("\0") if path)
    return changes


def _parse_name_status(output: str) -> list[Change]:
    fields = output.split("\0")
    changes: list[Change] = []
    index = 0
    while index < len(fields) and fields[index]:
        status = fields[index][0]
        if status in "RC":
            new_status = "R" if status == "R" else "A"
            changes.append(Change(new_status, fields[index + 2], fields[index + 1]))
            index += 3
        else:
            changes.append(Change(status if status in "ADM" else "M", fields[index + 1]))
            index += 2
    return changes


LINK_MODE = "120000"  # Git's file mode for a symbolic link


def links_added(
    root: Path, start: str, head: str = "HEAD", pathspecs: tuple[str, ...] = ()
) -> list[str]:
    """Paths that are symbolic links in `head` and were added or changed since `start`.

    One `git diff --raw`: its modes say what a path is, whatever the working tree holds (a
    checkout with `core.symlinks=false` writes links as small text files).
    """
    output = run_git(
        root, "diff", "--raw", "-z", "--no-renames", "--no-abbrev", start, head, "--", *pathspecs
    )
    fields = output.split("\0")
    links = []
    for header, path in zip(fields[::2], fields[1::2], strict=False):
        modes = header.split()
        if len(modes) >= 5 and modes[1] == LINK_MODE and not modes[4].startswith("D"):
            links.append(path)
    return links


def links_in_tree(root: Path, tree: str) -> list[str]:
    """Paths (relative to `tree`) that are symbolic links in it, in one `git ls-tree` call."""
    return _links(run_git(root, "ls-tree", "-r", "-z", "--full-tree", tree))


def tracked_links(root: Path, pathspecs: tuple[str, ...] = ()) -> list[str]:
    """Tracked paths (in the index) that are symbolic links, in one `git ls-files` call."""
    return _links(run_git(root, "ls-files", "-s", "-z", "--", *pathspecs))


def _links(listing: str) -> list[str]:
    """The link paths of `ls-tree -z` or `ls-files -s -z` output (`<mode> ...\t<path>`)."""
    links = []
    for record in listing.split("\0"):
        info, _, path = record.partition("\t")
        if path and info.split(" ", 1)[0] == LINK_MODE:
            links.append(path)
    return links


def files_at(root: Path, ref: str, paths: list[str]) -> dict[str, bytes | None]:
    """Several files as they were at `ref` (None when absent), in one `cat-file` call."""
    if not paths:
        return {}
    commit = resolve_ref(root, ref)
    request = "".join(f"{commit}:{path}\n" for path in paths).encode()
    return _parse_batch(_git(root, "cat-file", "--batch", stdin=request), paths)


def _parse_batch(output: bytes, paths: list[str]) -> dict[str, bytes | None]:
    found: dict[str, bytes | None] = {}
    position = 0
    for path in paths:
        end = output.index(b"\n", position)
        header = output[position:end].split()
        position = end + 1
        if header[-1] == b"missing" or len(header) != 3:
            found[path] = None
            continue
        size = int(header[2])
        found[path] = output[position : position + size] if header[1] == b"blob" else None
        position += size + 1
    return found


def current_branch(root: Path) -> str | None:
    """The checked-out branch's short name, or None on a detached HEAD."""
    try:
        return run_git(root, "symbolic-ref", "--short", "-q", "HEAD").strip() or None
    except ToolkitError:
        return None


def create_annotated_tag(root: Path, tag: str, message: str, ref: str = "HEAD") -> None:
    """Create an annotated tag; the message is passed on stdin, never through a shell."""
    command = ["tag", "--annotate", "--file=-", "--cleanup=verbatim", tag, ref]
    try:
        _git(root, *command, stdin=message.encode())
    except _GitFailed as error:
        raise ToolkitError(f"could not create tag {tag}: {error.stderr}") from None


def has_remote(root: Path, remote: str = "origin") -> bool:
    try:
        run_git(root, "remote", "get-url", remote)
    except ToolkitError:
        return False
    return True


def push_tags(root: Path, tags: list[str], remote: str = "origin") -> None:
    """Push the given tags (and nothing else) to `remote`."""
    if tags:
        run_git(root, "push", remote, *(f"refs/tags/{tag}" for tag in tags))


def grep_files(root: Path, pattern: str, *pathspecs: str) -> list[str]:
    """Tracked files (in the working tree) whose content matches the extended regex."""
    try:
        output = run_git(root, "grep", "-l", "-E", "-e", pattern, "--", *pathspecs)
    except _GitFailed as error:
        if error.status == 1:  # no match
            return []
        raise
    return [line for line in output.splitlines() if line]


def grep_files_naming(root: Path, words: Iterable[str], *pathspecs: str) -> list[str]:
    """Committed (index) files that hold any of `words` as plain text: a fixed-string
    search, several times faster than a regular expression; callers read the files to
    see how each word is used."""
    patterns = [arg for word in sorted(set(words)) for arg in ("-e", word)]
    if not patterns:
        return []
    command = ["grep", "--cached", "--threads=1", "-l", "-F", *patterns, "--", *pathspecs]
    try:
        output = run_git(root, *command)
    except _GitFailed as error:
        if error.status == 1:  # no match
            return []
        raise
    return [line for line in output.splitlines() if line]


class CommitInfo(NamedTuple):
    """One commit of `history`: who wrote it, when, and which paths it touched."""

    sha: str
    author: str
    email: str
    date: str  # ISO 8601, author date
    paths: tuple[str, ...]


def history(root: Path, pathspec: str = ".") -> list[CommitInfo]:
    """Every commit touching `pathspec`, newest first, from ONE `git log --name-only` pass.

    Authors are named as `.mailmap` names them (`%aN`, `%aE`), so a person's commits from
    two addresses are one person's; Git skips a `.mailmap` line it cannot read.
    Merge commits list no paths (their changes are in the commits they merge).
    """
    output = run_git(
        root,
        "log",
        "-z",
        "--no-renames",
        "--use-mailmap",
        "--name-only",
        "--format=%x01%H%x00%aN%x00%aE%x00%aI",
        "--",
        pathspec,
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


# The run ledger's branch (`toolkit.ledger`): commits are made straight into Git's object
# store and pushed by id, so the work tree, the index and the checked-out branch of the
# person's clone are never touched.

LEDGER_IDENTITY = "autokit <ledger@autokit.invalid>"


def refs_matching(root: Path, *patterns: str) -> dict[str, str]:
    """The refs matching any of `patterns` (`git for-each-ref` globs): name -> commit."""
    output = run_git(root, "for-each-ref", "--format=%(objectname) %(refname)", *patterns)
    pairs = (line.split(" ", 1) for line in output.splitlines() if " " in line)
    return {name: commit for commit, name in pairs}


def read_blobs(root: Path, ids: list[str]) -> list[bytes | None]:
    """The content of each blob in `ids` (None for one that is missing), in one call."""
    if not ids:
        return []
    output = _git(root, "cat-file", "--batch", stdin="".join(f"{i}\n" for i in ids).encode())
    found = _parse_batch(output, ids)
    return [found[i] for i in ids]


def list_files(root: Path, commit: str, *paths: str) -> list[tuple[str, str]]:
    """(path, blob id) of every file under `paths` in `commit`, in one `ls-tree`."""
    output = _git(root, "ls-tree", "-r", "-z", "--full-tree", commit, "--", *paths)
    files = []
    for entry in output.split(b"\0"):
        info, _, name = entry.partition(b"\t")
        fields = info.split()
        if len(fields) == 3 and fields[1] == b"blob":
            files.append((name.decode("utf-8", "surrogateescape"), fields[2].decode()))
    return files


def commit_files(
    root: Path,
    parent: str | None,
    message: str,
    added: Mapping[str, bytes],
    removed: tuple[str, ...] = (),
) -> str:
    """A new commit on `parent` (None: a first commit with no history) that adds the files
    `added` (path -> bytes) and removes the paths `removed`; returns its id.

    Made by one `git fast-import`, which writes the blobs, trees and commit in one go.
    """
    ref = f"refs/autokit/building/{os.getpid()}-{os.urandom(4).hex()}"
    stamp = f"{LEDGER_IDENTITY} {int(time.time())} +0000"
    text = message.encode()
    header = b"commit %s\ncommitter %s\n" % (ref.encode(), stamp.encode())
    stream = [header + b"data %d\n%s\n" % (len(text), text)]
    if parent:
        stream.append(b"from %s\n" % parent.encode())
    stream += [b"D %s\n" % path.encode() for path in removed]
    for path, data in added.items():
        stream.append(b"M 100644 inline %s\ndata %d\n%s\n" % (path.encode(), len(data), data))
    stream.append(b"\ndone\n")
    _git(root, "fast-import", "--quiet", "--done", stdin=b"".join(stream))
    try:
        return run_git(root, "rev-parse", "--verify", ref).strip()
    finally:
        delete_ref(root, ref)


def delete_ref(root: Path, ref: str) -> None:
    with contextlib.suppress(ToolkitError):
        _git(root, "update-ref", "-d", ref)


def set_ref(root: Path, ref: str, commit: str) -> None:
    """Point `ref` at `commit`; another process updating it at the same moment wins."""
    with contextlib.suppress(ToolkitError):
        _git(root, "update-ref", ref, commit)


def remote_url(root: Path, remote: str) -> str | None:
    try:
        return run_git(root, "remote", "get-url", remote).strip() or None
    except ToolkitError:
        return None


def fetch_branch(root: Path, remote: str, branch: str) -> str | None:
    """The commit `branch` has on `remote` now, fetched; None when the remote has no such
    branch. Fetched into a ref of this process's own, so concurrent fetches never clash."""
    private = f"refs/autokit/fetched/{os.getpid()}-{os.urandom(4).hex()}"
    try:
        _git(
            root,
            "fetch",
            "--quiet",
            "--no-tags",
            "--no-write-fetch-head",
            "--refmap=",  # not the remote-tracking refs too: another process may hold them
            remote,
            f"+refs/heads/{branch}:{private}",
        )
    except _GitFailed as error:
        if "couldn't find remote ref" in error.stderr:
            return None
        raise ToolkitError(
            f"could not fetch {branch} from {remote}: {_last_line(error.stderr)}",
            "check the network and your access to the remote (`git fetch` shows more)",
        ) from None
    try:
        return run_git(root, "rev-parse", "--verify", private).strip()
    finally:
        delete_ref(root, private)


class PushRefused(ToolkitError):
    """The remote refused a push for a reason other than being behind (no access, a
    protected branch, a hook, no network): trying again will not help."""


# What Git says when another push reached the branch first: fetch, rebuild, try again.
_LOST_RACE = (
    "[rejected]",
    "(fetch first)",
    "non-fast-forward",
    "cannot lock ref",
    "failed to update ref",
    "reference already exists",
    "incorrect old value",
)


def push_commit(root: Path, remote: str, commit: str, branch: str) -> bool:
    """Push `commit` as `branch` on `remote`: True when it landed, False when another push
    reached the branch first (fetch, rebuild, try again); PushRefused otherwise."""
    try:
        _git(root, "push", remote, f"{commit}:refs/heads/{branch}")
    except _GitFailed as error:
        if any(sign in error.stderr for sign in _LOST_RACE):
            return False
        raise PushRefused(
            f"{remote} refused the push to {branch}: {_refusal(error.stderr)}",
            "check your access to the remote and that the branch accepts pushes",
        ) from None
    return True


def _refusal(stderr: str) -> str:
    """Why the remote refused a push: its reason, and what its hooks said."""
    lines = [line.strip() for line in stderr.splitlines() if line.strip()]
    reasons = [line.rsplit("(", 1)[-1].rstrip(")") for line in lines if "[remote rejected]" in line]
    said = [line.removeprefix("remote:").strip() for line in lines if line.startswith("remote:")]
    said = [line for line in said if line]
    if reasons:
        return reasons[0] + (f" ({'; '.join(said[:3])})" if said else "")
    return _last_line(stderr)


def _last_line(text: str) -> str:
    """The line of Git's complaint that says what went wrong."""
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    for prefix in ("fatal:", "error:", "remote: error:"):
        found = [line for line in lines if line.startswith(prefix)]
        if found:
            return found[0].removeprefix(prefix).strip()
    useful = [line for line in lines if not line.startswith(("hint:", "To "))]
    return (useful or lines or ["no message"])[-1]


def user_name(root: Path) -> str | None:
    """The name Git would sign a commit with here (`user.name`, or GIT_AUTHOR_NAME), or
    None when it has none."""
    try:
        ident = run_git(root, "var", "GIT_AUTHOR_IDENT")
    except ToolkitError:
        return None
    name = ident.split(" <", 1)[0].strip()
    return name or None


class Author(NamedTuple):
    """Someone who committed to the repository, as `.mailmap` names them, and when last."""

    name: str
    email: str
    last_commit: str  # ISO 8601 author date of their newest commit


def authors(root: Path) -> list[Author]:
    """Everyone who authored a commit reachable from HEAD, from ONE `git log`, with
    `.mailmap` applied (`%aN`, `%aE`): a shop joins a person's addresses there."""
    try:
        output = run_git(root, "log", "-z", "--use-mailmap", "--format=%aN%x00%aE%x00%aI")
    except _GitFailed:
        return []  # no commit yet
    newest: dict[tuple[str, str], datetime] = {}
    fields = output.split("\0")
    for at in range(0, len(fields) - 2, 3):
        name, email, date = (field.strip("\n") for field in fields[at : at + 3])
        moment = datetime.fromisoformat(date)
        if (name, email) not in newest or moment > newest[(name, email)]:
            newest[(name, email)] = moment
    return [Author(name, email, date.isoformat()) for (name, email), date in newest.items()]


def toplevel(folder: Path) -> Path | None:
    """The root of the Git work tree holding `folder`, or None when it is in none."""
    try:
        return Path(run_git(folder, "rev-parse", "--show-toplevel").strip())
    except ToolkitError:
        return None


def first_parent_commits(root: Path, pathspec: str) -> list[str]:
    """The commits on HEAD's first-parent history that changed `pathspec`, newest first
    (one `git log`); [] in a repository without commits."""
    try:
        output = run_git(root, "log", "--first-parent", "--format=%H", "HEAD", "--", pathspec)
    except _GitFailed:
        return []
    return output.split()


def objects(root: Path, names: list[str]) -> dict[str, bytes | None]:
    """Blobs by name (`<commit>:<path>`, a blob id), None for those missing, in one
    `git cat-file --batch`."""
    if not names:
        return {}
    request = "".join(f"{name}\n" for name in names).encode()
    return _parse_batch(_git(root, "cat-file", "--batch", stdin=request), names)


def tree_contents(root: Path, tree: str) -> dict[str, bytes]:
    """Every regular file of `tree` (`<commit>:<folder>`): relative path -> its bytes, read
    with one `git ls-tree` and one `git cat-file --batch`, never by checking out."""
    entries = _regular_files(_git(root, "ls-tree", "-r", "-z", "--full-tree", tree))
    blobs = objects(root, sorted({blob for _mode, blob, _path in entries}))
    return {path: blobs[blob] or b"" for _mode, blob, path in entries}


def uncommitted(root: Path, pathspecs: list[str]) -> list[str]:
    """The paths under `pathspecs` with uncommitted or untracked changes, in one call."""
    if not pathspecs:
        return []
    output = _git(root, "status", "--porcelain", "-z", "--untracked-files=all", "--", *pathspecs)
    # Porcelain paths are relative to the work tree's top, which may be above `root`.
    prefix = run_git(root, "rev-parse", "--show-prefix").strip()
    paths, records = [], output.decode("utf-8", "surrogateescape").split("\0")
    index = 0
    while index < len(records):
        record = records[index]
        index += 1
        if len(record) > 3:
            paths.append(record[3:].removeprefix(prefix))
            if record[0] in "RC":  # a rename names its old path next
                index += 1
    return paths


def merge_file(ours: bytes, base: bytes, theirs: bytes, labels: tuple[str, str, str]) -> bytes:
    """`git merge-file -p` of three versions of a file: the merged bytes, with conflict
    markers labelled `labels` (ours, base, theirs) where both sides changed the same lines.

    Run directly rather than through `_git`: its exit status is the number of conflicts,
    not a failure, and it needs no repository.
    """
    import tempfile

    with tempfile.TemporaryDirectory(prefix="autokit-merge-") as folder:
        paths = []
        for name, data in (("ours", ours), ("base", base), ("theirs", theirs)):
            path = Path(folder, name)
            path.write_bytes(data)
            paths.append(str(path))
        label_args = [arg for label in labels for arg in ("-L", label)]
        result = subprocess.run(
            ["git", "merge-file", "-p", *label_args, *paths],
            capture_output=True,
            env={**os.environ, "LC_ALL": "C", "LANGUAGE": "C"},
            check=False,
        )
    if result.returncode < 0 or result.returncode > 127:
        stderr = result.stderr.decode("utf-8", "replace").strip()
        raise ToolkitError(f"git merge-file failed: {stderr or result.returncode}")
    return result.stdout
