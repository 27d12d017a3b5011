"""No symbolic links in contributor folders.

Everything under `automations/`, `docs/`, `templates/` and `libraries/` is published by
the catalog, run by `autokit run` and `autokit test`, and read by these checks. A symbolic
link there would let a pull request publish or run something nobody reviewed: a README
that links to `/etc/passwd` or `/proc/self/environ` would put the build machine's files,
or its environment with its secrets, on the catalog site; a linked `main.py` or `tests/`
folder would run code from outside the folder. autokit never follows such a link (it
treats the file as missing and says so), and this check fails the pull request that adds
one, even a link to a file in the same folder, so that what was reviewed is what is used.
A linked folder counts too.

With `--base`, every path the change adds or modifies is checked, by its mode in Git and
in the working tree; with `--all`, every tracked path in those folders (and, outside Git,
every link in them on disk).

Fix: replace the link with the file it points to
(`cp --remove-destination "$(readlink PATH)" PATH`), or remove it.
"""

from __future__ import annotations

import os
from pathlib import Path

from toolkit import git
from toolkit.files import CONTRIBUTOR_FOLDERS, LINK_HINT, LINK_REASON, linked_part, links_under
from toolkit.findings import Finding
from toolkit.policy.context import PolicyContext


def check(ctx: PolicyContext) -> list[Finding]:
    links = _changed_links(ctx) if ctx.scope.changes is not None else _every_link(ctx)
    return [ctx.finding(link, _message(ctx, link), LINK_HINT) for link in sorted(links)]


def _changed_links(ctx: PolicyContext) -> set[str]:
    """Links among the paths the change adds or modifies (or the folders above them)."""
    assert ctx.base is not None and ctx.scope.changes is not None
    links = set(git.links_added(ctx.root, ctx.base, "HEAD", CONTRIBUTOR_FOLDERS))
    for change in ctx.scope.changes:
        if change.status != "D" and _in_contributor_folder(change.path):
            link = linked_part(ctx.root / change.path, ctx.root)
            if link is not None:
                links.add(_relative(ctx, link))
    return links


def _every_link(ctx: PolicyContext) -> set[str]:
    if git.is_git_repository(ctx.root):
        return set(git.tracked_links(ctx.root, CONTRIBUTOR_FOLDERS))
    found = (links_under(ctx.root / folder) for folder in CONTRIBUTOR_FOLDERS)
    return {_relative(ctx, link) for links in found for link in links}


def _relative(ctx: PolicyContext, link: Path) -> str:
    # Not `ctx.relative`: that resolves the path, which would name the link's target.
    return Path(os.path.relpath(link, ctx.root)).as_posix()


def _in_contributor_folder(path: str) -> bool:
    top = path.split("/", 1)[0]
    return top in CONTRIBUTOR_FOLDERS


def _message(ctx: PolicyContext, link: str) -> str:
    try:
        target = f" (to {os.readlink(ctx.root / link)})"
    except OSError:  # not on disk here: Git alone says it is a link
        target = ""
    return f"{link} is a symbolic link{target}; {LINK_REASON}"
