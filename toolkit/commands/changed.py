"""`autokit changed`: the automations a change adds, modifies, renames or deletes, and
the libraries it changes with the automations that import them.

The commits from the merge base of `--base` and HEAD are compared (uncommitted changes
are not: CI checks out commits).

`--format json` prints one object for GitHub Actions:

```json
{"base": "<merge base sha>",
 "automations": ["a", "b", "c"],     # exist now and changed, or use a changed library
 "libraries": ["shopkit"],           # changed libraries that exist now
 "uses_changed_libraries": {"c": ["shopkit"]},  # automations tested for a library
 "tests": ["shopkit", "a", "b", "c"],  # what `autokit test` runs: libraries, automations
 "added": ["a"], "modified": ["b"], "renamed": [{"name": "b", "from": "old-b"}],
 "deleted": ["gone"],
 "include": [{"name": "a"}, {"name": "b"}],   # for `strategy.matrix`
 "any": true,                        # false: skip the matrix job (an empty matrix fails)
 "other_paths": ["toolkit/cli.py"],  # changed paths outside automations/ and libraries/
 "toolkit_changed": true}            # toolkit/ or pyproject.toml changed
```

In a workflow: `matrix: ${{ fromJSON(needs.changed.outputs.json) }}` with
`if: fromJSON(needs.changed.outputs.json).any`, and `autokit test ${{ matrix.name }}`.
"""

from __future__ import annotations

import argparse
import json
from typing import TypedDict

from toolkit import git
from toolkit.commands.formats import add_format_argument
from toolkit.libraries import automations_using, library_dirs, library_of
from toolkit.policy import scope_of_changes
from toolkit.repo import Repository, repository_from_args

# `from` is a keyword, so this record is declared by the functional syntax.
Renamed = TypedDict("Renamed", {"name": str, "from": str})


class MatrixEntry(TypedDict):
    name: str


class ChangedReport(TypedDict):
    """What `--format json` prints (see the module docstring)."""

    base: str
    automations: list[str]
    libraries: list[str]
    uses_changed_libraries: dict[str, list[str]]
    tests: list[str]
    added: list[str]
    modified: list[str]
    renamed: list[Renamed]
    deleted: list[str]
    include: list[MatrixEntry]
    any: bool
    other_paths: list[str]
    toolkit_changed: bool


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--base",
        metavar="REF",
        required=True,
        help="compare with the merge base of REF and HEAD (e.g. origin/main)",
    )
    add_format_argument(parser, "text", "json")


def run(args: argparse.Namespace) -> int:
    repo = repository_from_args(args)
    report = changed_report(repo, args.base)
    if args.format == "json":
        print(json.dumps(report, separators=(",", ":")))
    else:
        print(render_text(report))
    return 0


def changed_report(repo: Repository, base: str) -> ChangedReport:
    start = git.merge_base(repo.root, base, "HEAD")
    scope = scope_of_changes(repo, git.changed_files(repo.root, base, "HEAD"), start)
    libraries = sorted(
        {name for p in scope.other_paths if (name := library_of(p))}
        & {folder.name for folder in library_dirs(repo.root)}
    )
    users = automations_using(repo.root, libraries)
    names = sorted({*scope.names, *users})
    outside = [p for p in scope.other_paths if library_of(p) is None]
    return {
        "base": start,
        "automations": names,
        "libraries": libraries,
        "uses_changed_libraries": users,
        "tests": [*libraries, *names],
        "added": sorted(scope.added),
        "modified": sorted(scope.modified),
        "renamed": [{"name": new, "from": old} for new, old in sorted(scope.renamed.items())],
        "deleted": sorted(scope.deleted),
        "include": [{"name": name} for name in names],
        "any": bool(names or libraries),
        "other_paths": sorted(outside),
        "toolkit_changed": any(p.startswith("toolkit/") or p == "pyproject.toml" for p in outside),
    }


def render_text(report: ChangedReport) -> str:
    lines = [f"added     {name}" for name in report["added"]]
    lines += [f"modified  {name}" for name in report["modified"]]
    lines += [f"renamed   {r['from']} -> {r['name']}" for r in report["renamed"]]
    lines += [f"deleted   {name}" for name in report["deleted"]]
    lines += [f"library   {name}" for name in report["libraries"]]
    lines += [
        f"uses      {name} (imports the changed {', '.join(libs)})"
        for name, libs in report["uses_changed_libraries"].items()
    ]
    if not lines:
        lines.append("no automation changed")
    if report["other_paths"]:
        lines.append(
            f"({len(report['other_paths'])} other path(s) changed outside automations/ "
            "and libraries/)"
        )
    return "\n".join(lines)
