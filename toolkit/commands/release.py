"""`autokit release`: tag every automation and library version that has no tag yet.

On the release branch (`main`, or `release_branch` of `[tool.autokit]`) with a clean
working tree, each automation (and each shared library in `libraries/`) whose current
`version` has no `<name>@<version>` tag gets
an annotated tag at HEAD whose message is that version's CHANGELOG section. Every
automation is checked before any tag is made, so a problem leaves no partial release.
Running it again tags nothing new: it is safe to run on every push to main. With
`--push`, the tags of every current version (only tags) go to `origin`, so a run whose
push failed after tagging is completed by the next run.
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass

from toolkit import git
from toolkit.changelog import section
from toolkit.commands.valid_inventory import load_valid_inventory
from toolkit.errors import ToolkitError
from toolkit.files import LinkedFile, read_contributor_text
from toolkit.inventory import load_inventory
from toolkit.libraries import Library, load_libraries, load_valid_libraries
from toolkit.metadata import Automation
from toolkit.policy import policy_config
from toolkit.repo import Repository, repository_from_args
from toolkit.versions import version_key


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--dry-run", action="store_true", help="print the tags that would be created; create none"
    )
    parser.add_argument(
        "--push", action="store_true", help="push the new tags to origin (the tags only)"
    )


@dataclass(frozen=True)
class PlannedTag:
    name: str
    version: str
    message: str

    @property
    def tag(self) -> str:
        return f"{self.name}@{self.version}"


def run(args: argparse.Namespace) -> int:
    repo = repository_from_args(args)
    return release(repo, dry_run=args.dry_run, push=args.push)


def release(repo: Repository, dry_run: bool = False, push: bool = False) -> int:
    _require_release_state(repo)
    if push and not git.has_remote(repo.root, "origin"):
        raise ToolkitError(
            "--push needs a remote named 'origin', and there is none; nothing was tagged",
            "add it (`git remote add origin URL`) or leave out --push",
        )
    planned = plan_tags(repo)
    if not planned:
        print("every automation version is already tagged", file=sys.stderr)
    for tag in planned:
        if not dry_run:
            git.create_annotated_tag(repo.root, tag.tag, tag.message)
        print(f"{'would tag' if dry_run else 'tagged'} {tag.tag}")
    if push and not dry_run:
        # Every current version's tag, not only the new ones: a run whose push failed
        # after tagging is completed by the next run (tags already there are no-ops).
        current = current_tags(repo)
        try:
            git.push_tags(repo.root, current)
        except ToolkitError as error:
            raise ToolkitError(
                error.message,
                "the tags exist locally; run `autokit release --push` again once origin "
                "accepts the push",
            ) from None
        print(f"pushed the {len(current)} current version tag(s) to origin", file=sys.stderr)
    return 0


def current_tags(repo: Repository) -> list[str]:
    """`<name>@<version>` of every automation's and library's current version."""
    units: list[Automation | Library] = [*load_inventory(repo).automations]
    units += load_libraries(repo.root).libraries
    return [f"{unit.name}@{unit.version}" for unit in units]


def _require_release_state(repo: Repository) -> None:
    branch_name = policy_config(repo).release_branch
    if git.head_commit(repo.root) is None:
        raise ToolkitError("the repository has no commits yet", "commit something first")
    branch = git.current_branch(repo.root)
    if branch is None:
        raise ToolkitError(
            f"HEAD is detached; releases are tagged only on '{branch_name}'",
            f"run `git checkout {branch_name}` (in CI, check out the branch, not a commit)",
        )
    if branch != branch_name:
        raise ToolkitError(
            f"the current branch is '{branch}'; releases are tagged only on '{branch_name}'",
            "merge your branch through a pull request; CI releases from main after merge",
        )
    if git.is_shallow(repo.root):
        raise ToolkitError(
            "this is a shallow clone: tags already released may be missing from it",
            "fetch the full history and tags (actions/checkout with `fetch-depth: 0`, "
            "or `git fetch --unshallow --tags`)",
        )
    if git.is_dirty(repo.root, "."):
        raise ToolkitError(
            "the working tree has uncommitted changes; a tag must name exactly what is committed",
            "commit or stash them (`git status` lists them), then run it again",
        )


def plan_tags(repo: Repository) -> list[PlannedTag]:
    """The tags to create; raises listing every problem before anything is tagged."""
    inventory = load_valid_inventory(
        repo,
        "invalid metadata, nothing was tagged",
        "fix it (`autokit validate`) and release again",
    )
    libraries = load_valid_libraries(
        repo.root,
        "invalid library metadata, nothing was tagged",
        "fix it (`autokit validate`) and release again",
    )
    released = git.version_tags(repo.root)
    planned: list[PlannedTag] = []
    problems: list[str] = []
    units: list[Automation | Library] = [*inventory.automations, *libraries.libraries]
    for automation in units:
        tags = released.get(automation.name, [])
        if any(t.version == automation.version for t in tags):
            continue
        outcome = _plan(automation, tags)
        if isinstance(outcome, str):
            problems.append(outcome)
        else:
            planned.append(outcome)
    if problems:
        raise ToolkitError(
            "nothing was tagged:\n" + "\n".join(problems), "fix these on main, then release again"
        )
    return planned


def _release_notes(automation: Automation | Library) -> str | None:
    """The CHANGELOG section of the automation's current version, if it has one."""
    changelog = automation.folder / "CHANGELOG.md"
    try:  # a link is refused: its target would become the tag's message
        text = read_contributor_text(changelog, automation.folder.parent.parent)
    except LinkedFile:
        raise
    except OSError:
        text = ""
    return section(text, automation.version)


def _plan(automation: Automation | Library, tags: list[git.VersionTag]) -> PlannedTag | str:
    """The tag of the automation's current version, or why it cannot be made."""
    if tags and version_key(automation.version) < version_key(tags[-1].version):
        return (
            f"{automation.name}: version {automation.version} is lower than the released "
            f"{tags[-1].version}"
        )
    try:
        notes = _release_notes(automation)
    except LinkedFile as link:
        return f"{automation.name}: {link}"
    if notes is None:
        return f"{automation.name}: CHANGELOG.md has no '## {automation.version}' section"
    message = f"{automation.name} {automation.version}\n\n{notes}\n".rstrip() + "\n"
    return PlannedTag(automation.name, automation.version, message)
