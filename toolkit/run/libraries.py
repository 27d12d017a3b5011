"""Which files of which libraries a run or a test imports, and the requirements they add.

An automation run from the working tree imports the working tree's libraries; one run at
a tag (`NAME@VERSION`) imports each `libraries: [name]` as it was in the tag's commit; a
`name@1.2.0` reference is always the tag `name@1.2.0`. A library's own `libraries:` are
resolved the same way from where the library came from. Files read from Git are
materialized once per tree in the cache and checked against the tree before every use (as
pinned automations are: `toolkit.run.copies.verified_copy`); the sandbox mounts them
read-only. The closure must hold each library once (two versions of one package cannot
both be imported), no cycle, and no two pins of the same project.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import NamedTuple

from toolkit.errors import ToolkitError
from toolkit.files import LINK_HINT, LinkedFile
from toolkit.libraries import (
    LIBRARIES_DIR,
    LIBRARY_FILE,
    Library,
    check_library,
    library_dirs,
    load_libraries,
    project_of,
    split_reference,
)
from toolkit.suggest import did_you_mean


class ResolvedLibrary(NamedTuple):
    """One library a run imports: `import_root` goes on `sys.path`."""

    name: str
    version: str
    import_root: Path
    requirements: tuple[str, ...]
    source: str  # "working tree", or the tag or commit it was read from
    commit: str | None  # the commit its files come from (None: the working tree)


def resolve_libraries(
    root: Path, owner: str, references: Sequence[str], commit: str | None
) -> tuple[ResolvedLibrary, ...]:
    """The libraries `owner` (an automation's name) reaches through `references`, in the
    order they are found; `commit` None means the working tree."""
    found: dict[str, ResolvedLibrary] = {}
    _visit(root, owner, list(references), commit, found, chain=[owner])
    return tuple(found.values())


def _visit(
    root: Path,
    owner: str,
    references: list[str],
    commit: str | None,
    found: dict[str, ResolvedLibrary],
    chain: list[str],
) -> None:
    for reference in references:
        name, version = split_reference(reference)
        if name in chain:
            cycle = " -> ".join([*chain[chain.index(name) :], name])
            raise ToolkitError(
                f"the libraries use each other in a cycle: {cycle}",
                f"remove one of these from a library's `libraries:` in its {LIBRARY_FILE}",
            )
        library, where, at = _library(root, owner, name, version, commit)
        previous = found.get(name)
        if previous is not None:
            if previous.version != library.version or previous.commit != at:
                raise ToolkitError(
                    f"{owner} would import two versions of the library {name}: "
                    f"{previous.version} ({previous.source}) and {library.version} ({where})",
                    f"make every `libraries:` entry for {name} name the same version",
                )
            continue
        import_root = library.folder
        found[name] = ResolvedLibrary(
            name, library.version, import_root, library.requirements, where, at
        )
        _visit(root, name, list(library.libraries), at, found, [*chain, name])


def _library(
    root: Path, owner: str, name: str, version: str | None, commit: str | None
) -> tuple[Library, str, str | None]:
    """The library, a description of where it came from, and the commit of its files."""
    if version is not None:
        from toolkit.git import version_tags

        tags = version_tags(root, name).get(name, [])
        tag = next((t for t in tags if t.version == version), None)
        if tag is None:
            existing = ", ".join(t.version for t in reversed(tags))
            hint = (
                f"versions of {name} that exist: {existing}"
                if existing
                else f"no version of {name} is tagged yet: use `{name}` (the library as in "
                "the same commit), or ask its owners to release it"
            )
            raise ToolkitError(
                f"{owner} uses {name}@{version}, but {name} has no version {version} "
                f"(no Git tag {name}@{version})",
                hint,
            )
        return _from_commit(root, owner, name, tag.commit, tag.tag), tag.tag, tag.commit
    if commit is None:
        return _from_working_tree(root, owner, name), "working tree", None
    return (
        _from_commit(root, owner, name, commit, f"commit {commit[:12]}"),
        f"commit {commit[:12]}",
        commit,
    )


def _from_working_tree(root: Path, owner: str, name: str) -> Library:
    from toolkit.repo import Repository
    from toolkit.run.copies import refuse_linked_files

    folder = root / LIBRARIES_DIR / name
    if not folder.is_dir() or folder.is_symlink():
        names = [f.name for f in library_dirs(root)]
        listed = f"the libraries are: {', '.join(names)}" if names else "there are no libraries yet"
        raise ToolkitError(
            f"{owner} uses the library '{name}', but there is no {LIBRARIES_DIR}/{name}/",
            did_you_mean(name, names, listed),
        )
    refuse_linked_files(Repository(root), folder)
    return load_libraries(root, [name]).get(name, wanted_by=owner)


def _from_commit(root: Path, owner: str, name: str, commit: str, source: str) -> Library:
    """The library's files at `commit`, materialized in the cache and validated."""
    from toolkit.git import tree_entries, tree_id
    from toolkit.paths import cache_home
    from toolkit.run.copies import verified_copy

    folder_in_git = f"{LIBRARIES_DIR}/{name}"
    tree = tree_id(root, commit, folder_in_git)
    if tree is None:
        raise ToolkitError(
            f"{owner} uses the library '{name}', but {source} has no {folder_in_git}/",
            f"add the library to that commit, or name a tagged version: `{name}@x.y.z`",
        )
    files, links = tree_entries(root, tree)
    if links:
        shown = f"{folder_in_git}/{links[0]}"
        raise ToolkitError(f"{source}: {LinkedFile(shown)}; it is not imported", LINK_HINT)
    base = cache_home() / "versions" / tree
    copy = verified_copy(root, tree, files, base / LIBRARIES_DIR / name)
    findings, library = check_library(copy, base)
    if library is None:
        lines = "\n".join(f.as_line() for f in findings)
        raise ToolkitError(f"the library {name} at {source} has invalid metadata:\n{lines}")
    return library


def merged_requirements(
    owner: str, requirements: Sequence[str], libraries: Sequence[ResolvedLibrary]
) -> tuple[str, ...]:
    """The automation's requirements plus its libraries', each project once; two
    different pins of one project are an error naming both."""
    pinned: dict[str, tuple[str, str]] = {}  # project -> (requirement, who needs it)
    merged: list[str] = []
    wanted = [(owner, r) for r in requirements]
    wanted += [
        (f"the library {lib.name} {lib.version}", r) for lib in libraries for r in lib.requirements
    ]
    for who, requirement in wanted:
        project = project_of(requirement)
        if project in pinned:
            earlier, earlier_who = pinned[project]
            if earlier.replace(" ", "") != requirement.replace(" ", ""):
                raise ToolkitError(
                    f"{earlier_who} needs {earlier} but {who} needs {requirement}",
                    f"pin the same version of {project} in both (one environment holds one "
                    "version of each package)",
                )
            continue
        pinned[project] = (requirement, who)
        merged.append(requirement)
    return tuple(merged)
