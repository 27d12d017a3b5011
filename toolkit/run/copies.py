"""Files a run uses exactly as reviewed: a working-tree folder without links, and copies
of Git trees in the cache that are checked against their tree before every use."""

from __future__ import annotations

import os
from pathlib import Path

from toolkit.errors import ToolkitError
from toolkit.files import LINK_HINT, LinkedFile, links_under
from toolkit.git import matches_tree, materialize_tree, stray_bytecode
from toolkit.paths import cache_home
from toolkit.repo import Repository


def refuse_linked_files(repo: Repository, folder: Path) -> None:
    """Refuse to run or test a folder holding a symbolic link: the code or data it would
    use could come from anywhere on this machine instead of what was reviewed."""
    links = links_under(folder)
    if links:
        shown = Path(os.path.relpath(links[0], repo.root)).as_posix()
        more = f" (and {len(links) - 1} more)" if len(links) > 1 else ""
        raise ToolkitError(f"{LinkedFile(shown)}{more}; {folder.name} is not run", LINK_HINT)


def verified_copy(root: Path, tree: str, files: dict[str, str], folder: Path) -> Path:
    """`folder` holding exactly the files of `tree`: materialized when missing, replaced
    when it differs from the tree (or is not a folder at all), without stray bytecode.

    Bytecode is left out of the comparison, so bytecode that is not the tree's is removed
    instead: the runtime runs with `-B` (writes none) and must not read what another
    process left in `__pycache__`.
    """
    for _attempt in range(2):
        try:
            materialize_tree(root, tree, folder)
        except OSError:
            pass  # e.g. a file where the folder should be: set aside below
        else:
            if matches_tree(folder, files):
                for path in stray_bytecode(folder, files):
                    path.unlink(missing_ok=True)
                return folder
        _set_aside(folder.parent)  # edited, added to or half-deleted: extract it again
    raise ToolkitError(
        f"the copy of {tree} in {folder} does not match Git's tree",
        f"check that {cache_home()} is writable by you alone, then run the command again",
    )


def _set_aside(path: Path) -> None:
    """Remove `path`, renamed first so that a concurrent run extracts a fresh copy."""
    import shutil

    aside = path.with_name(f".stale-{path.name}-{os.getpid()}")
    try:
        os.rename(path, aside)
    except OSError:
        return  # already set aside by another run
    if aside.is_dir() and not aside.is_symlink():
        shutil.rmtree(aside, ignore_errors=True)
    else:
        aside.unlink(missing_ok=True)
