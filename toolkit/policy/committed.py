"""Reviewing commits reads committed content only.

`autokit policy --base REF` judges what the branch's commits change. Its checks read the
files of a repository folder (metadata, code, CODEOWNERS, workflows, pyproject.toml), so
when the working tree holds uncommitted edits or untracked files, a review of that folder
would mix them in: an uncommitted `status: shiny` would then fail metadata-schema and,
through the invalid metadata, codeowners-sync and schedule-sync too, for a commit that
holds none of it. So such a review runs in a clean checkout of HEAD (a detached Git
worktree sharing the repository's objects and refs, removed afterwards), and every read
any check makes sees the commit. `--uncommitted` reviews the working tree as it is.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

from toolkit import git
from toolkit.errors import ToolkitError

# Shown before the list is cut short, so a tree with thousands of new files stays readable.
SHOWN_PATHS = 3


def uncommitted_paths(root: Path) -> list[str]:
    """Files with uncommitted changes or untracked (ignored ones left out), sorted."""
    output = git.run_git(root, "status", "--porcelain", "-z", "--untracked-files=all")
    paths: set[str] = set()
    fields = iter(output.split("\0"))
    for entry in fields:
        if len(entry) < 4:
            continue
        paths.add(entry[3:])
        if entry[0] in "RC":  # a rename or copy is followed by its source path
            next(fields, None)
    return sorted(paths)


def describe_paths(paths: list[str]) -> str:
    """`a, b, c and 4 more`: the first few paths of a list."""
    shown = ", ".join(paths[:SHOWN_PATHS])
    rest = len(paths) - SHOWN_PATHS
    return f"{shown} and {rest} more" if rest > 0 else shown


@contextmanager
def committed_checkout(root: Path) -> Iterator[Path]:
    """A clean checkout of HEAD in a temporary folder, for as long as the block runs.

    A detached worktree: checks that ask Git (merge base, tags, history) see the same
    repository, and a checkout of HEAD holds exactly the committed files. Hooks are
    switched off for it (a `post-checkout` hook must not run for a review).
    """
    holder = Path(tempfile.mkdtemp(prefix="autokit-review-"))
    checkout = holder / "checkout"
    try:
        git.run_git(
            root,
            "-c",
            "core.hooksPath=/dev/null",
            "worktree",
            "add",
            "--quiet",
            "--detach",
            str(checkout),
            "HEAD",
        )
    except ToolkitError as error:
        shutil.rmtree(holder, ignore_errors=True)
        raise ToolkitError(
            f"could not check out HEAD to review the committed files only: {error.message}",
            "commit or stash your changes and run it again, or add --uncommitted to review "
            "the working tree as it is",
        ) from None
    try:
        yield checkout
    finally:
        _remove(root, checkout)
        shutil.rmtree(holder, ignore_errors=True)


def _remove(root: Path, checkout: Path) -> None:
    try:
        git.run_git(root, "worktree", "remove", "--force", str(checkout))
    except ToolkitError:
        # Git then forgets it once the folder is gone (`git worktree prune`).
        shutil.rmtree(checkout, ignore_errors=True)
        with suppress(ToolkitError):
            git.run_git(root, "worktree", "prune")
