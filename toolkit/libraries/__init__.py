"""Shared libraries: versioned Python packages in `libraries/<name>/` that automations use.

    libraries/<name>/
      library.yaml   name, title, summary, version, owners, requirements, libraries
      README.md      what it offers, for people who write automations
      CHANGELOG.md   one `## <version>` section per version, like an automation's
      <module>/      the import package: the name with dashes as underscores
      tests/         its own pytest tests (`autokit test <name>`)

An automation lists `libraries: [shopkit]` (the library as in the same commit as the
automation) or `libraries: ["shopkit@1.2.0"]` (as at the tag `shopkit@1.2.0`). Names are
unique across automations and libraries, so every tag `<name>@<version>` names one thing.
`library.yaml` is checked like `automation.yaml`: every problem at its file and line, the
verdict on unchanged content taken from a cache (`toolkit.metadata.cache`), so a run does
not import the validator.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from toolkit.errors import ToolkitError
from toolkit.files import LINK_HINT, LinkedFile, read_contributor_file, refuse_links
from toolkit.findings import ERROR, Finding
from toolkit.metadata.cache import MetadataCache, cache_for
from toolkit.metadata.load import (
    ContentVerdict,
    content_key,
    display_path,
    to_findings,
    yaml_finding,
)
from toolkit.metadata.problems import Problem
from toolkit.metadata.yamlfile import YamlProblem, decode, parse_mapping, read_bytes
from toolkit.suggest import did_you_mean

LIBRARIES_DIR = "libraries"
LIBRARY_FILE = "library.yaml"
CHECK_ID = "metadata-schema"

# Built from the automation schema's own rules, so a field means the same in both files.
_SHARED_FIELDS = ("name", "title", "summary", "version", "owners", "requirements", "libraries")


def library_schema() -> dict[str, Any]:
    from toolkit.metadata.schema import SCHEMA

    schema = {key: dict(SCHEMA[key]) for key in _SHARED_FIELDS}
    schema["title"]["required"] = False
    return schema


@dataclass(frozen=True)
class Library:
    """A valid library: its metadata and where its folder is."""

    name: str
    summary: str
    version: str
    owners: tuple[str, ...]
    folder: Path
    title: str = ""
    requirements: tuple[str, ...] = ()
    libraries: tuple[str, ...] = ()
    data: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)

    @property
    def module(self) -> str:
        return module_name(self.name)

    @property
    def package_dir(self) -> Path:
        return self.folder / self.module

    @property
    def metadata_path(self) -> Path:
        return self.folder / LIBRARY_FILE


def module_name(name: str) -> str:
    """The import name of the library `name`: `order-tools` -> `order_tools`."""
    return name.replace("-", "_")


def project_of(requirement: str) -> str:
    """The canonical project name of a pinned requirement (PEP 503), without packaging."""
    name = re.split(r"[\[=<>!~ ;@]", requirement.strip(), maxsplit=1)[0]
    return re.sub(r"[-_.]+", "-", name).lower()


def split_reference(reference: str) -> tuple[str, str | None]:
    """`"shopkit@1.2.0"` -> `("shopkit", "1.2.0")`; `"shopkit"` -> `("shopkit", None)`."""
    name, _, version = reference.partition("@")
    return name, version or None


def library_dirs(root: Path) -> list[Path]:
    """Every folder directly under `libraries/` (links left out), sorted by name."""
    try:
        entries = os.scandir(root / LIBRARIES_DIR)
    except (FileNotFoundError, NotADirectoryError):
        return []
    with entries:
        names = sorted(
            e.name
            for e in entries
            if e.is_dir(follow_symlinks=False) and not e.name.startswith((".", "_"))
        )
    return [root / LIBRARIES_DIR / name for name in names]


def check_library(
    folder: Path, root: Path, cache: MetadataCache | None = None
) -> tuple[list[Finding], Library | None]:
    """Validate one library folder: every finding, and the library when there are none."""
    path = folder / LIBRARY_FILE
    display = display_path(path, root)
    try:
        refuse_links(path, root)
        raw = read_bytes(path)
    except LinkedFile as error:
        return [_finding(display, error.message, LINK_HINT)], None
    except YamlProblem as problem:
        return [yaml_finding(display, problem)], None
    except FileNotFoundError:
        hint = f"add {LIBRARY_FILE} (name, summary, version, owners), or remove the folder"
        return [
            _finding(display, f"{LIBRARIES_DIR}/{folder.name}/ has no {LIBRARY_FILE}", hint)
        ], None
    except OSError as error:
        return [_finding(display, f"cannot be read: {error.strerror}", "check the file")], None
    data, findings = _content_verdict(raw, display, cache)
    if data is None:
        return findings, None
    findings = findings + to_findings(_folder_problems(data, folder), decode(raw), display)
    return findings, (None if findings else library_from_data(data, folder))


def _finding(display: str, message: str, hint: str) -> Finding:
    return Finding(display, None, None, CHECK_ID, ERROR, message, hint)


def _content_verdict(raw: bytes, display: str, cache: MetadataCache | None) -> ContentVerdict:
    if cache is None:
        return check_library_content(raw, display)
    key = content_key(display, raw)
    verdict = cache.get(key)
    if verdict is None:
        verdict = cache[key] = check_library_content(raw, display)
    return verdict


def check_library_content(raw: bytes, display: str) -> ContentVerdict:
    """Parse and check `library.yaml`'s content: its data (None if unreadable), findings."""
    try:
        text = decode(raw)
        data = parse_mapping(text)
    except YamlProblem as problem:
        return None, [yaml_finding(display, problem)]
    return data, to_findings(library_content_problems(data), text, display)


def library_content_problems(data: Mapping[str, object]) -> list[Problem]:
    from toolkit.metadata.validate import validator_class
    from toolkit.metadata.wording import leaf_errors, problem_from_cerberus

    if not all(isinstance(key, str) for key in data):
        return [Problem((), "every key must be a field name", "quote keys YAML reads otherwise")]
    validator = validator_class()(library_schema())
    validator.validate(dict(data), normalize=False)
    problems = []
    for error in leaf_errors(validator._errors):
        problem = problem_from_cerberus(error)
        if problem.message == "is not a known field":
            known = ", ".join(_SHARED_FIELDS)
            hint = did_you_mean(str(problem.keys[-1]), _SHARED_FIELDS, f"known fields: {known}")
            problem = problem._replace(hint=hint)
        problems.append(problem)
    libraries = data.get("libraries")
    if isinstance(libraries, list):
        from toolkit.metadata.validate import library_list_problems

        problems += library_list_problems(libraries)
    return problems


def _folder_problems(data: Mapping[str, object], folder: Path) -> list[Problem]:
    name = data.get("name")
    if not isinstance(name, str):
        return []
    if name != folder.name:
        return [
            Problem(
                ("name",),
                f"'{name}' differs from the folder name '{folder.name}'",
                f"rename the folder or set `name: {folder.name}`",
            )
        ]
    package = folder / module_name(name) / "__init__.py"
    if package.is_symlink() or not package.is_file():
        shown = f"{module_name(name)}/__init__.py"
        return [
            Problem(
                ("name",),
                f"the library's package {shown} is missing",
                f"put the library's code in {LIBRARIES_DIR}/{name}/{module_name(name)}/",
            )
        ]
    return []


def library_from_data(data: Mapping[str, Any], folder: Path) -> Library:
    return Library(
        name=data["name"],
        summary=data["summary"],
        version=data["version"],
        owners=tuple(data["owners"]),
        folder=folder,
        title=data.get("title") or data["name"],
        requirements=tuple(data.get("requirements") or ()),
        libraries=tuple(data.get("libraries") or ()),
        data=dict(data),
    )


@dataclass
class LibraryInventory:
    """Every library of a working tree, validated, with every finding."""

    libraries: list[Library] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    folders: list[str] = field(default_factory=list)  # every folder's name, valid or not

    def by_name(self) -> dict[str, Library]:
        return {library.name: library for library in self.libraries}

    def get(self, name: str, *, wanted_by: str | None = None) -> Library:
        """The library `name`, or a clear error (invalid, or the closest name)."""
        found = self.by_name().get(name)
        if found is not None:
            return found
        who = f"{wanted_by} uses " if wanted_by else ""
        if name in self.folders:
            lines = "\n".join(f.as_line() for f in self.findings if f"/{name}/" in f.path)
            raise ToolkitError(f"{who}library '{name}', which has invalid metadata:\n{lines}")
        raise ToolkitError(
            f"{who}the library '{name}', but there is no {LIBRARIES_DIR}/{name}/",
            did_you_mean(
                name, self.folders, f"the libraries are: {', '.join(self.folders) or 'none yet'}"
            ),
        )


def load_valid_libraries(root: Path, refusal: str, hint: str) -> LibraryInventory:
    """Every library, or a ToolkitError `refusal:` listing the problems (for commands that
    write from metadata: CODEOWNERS, release tags)."""
    inventory = load_libraries(root)
    if inventory.findings:
        listing = "\n".join(f.as_line() for f in inventory.findings)
        raise ToolkitError(f"{refusal}:\n{listing}", hint)
    return inventory


def load_libraries(root: Path, names: Iterable[str] | None = None) -> LibraryInventory:
    """Validate the libraries of the working tree at `root` (all, or those in `names`)."""
    cache = cache_for(root, "libraries")
    inventory = LibraryInventory()
    folders = library_dirs(root)
    inventory.folders = [folder.name for folder in folders]
    wanted = None if names is None else set(names)
    for folder in folders:
        if wanted is not None and folder.name not in wanted:
            continue
        findings, library = check_library(folder, root, cache)
        inventory.findings += findings
        if library is not None:
            inventory.libraries.append(library)
    cache.save(prune=wanted is None)
    return inventory


def users_of(automations: Sequence[Any], libraries: Mapping[str, Library]) -> dict[str, set[str]]:
    """Library name -> the automations that use it, directly or through other libraries
    (as the working tree declares them)."""
    users: dict[str, set[str]] = {name: set() for name in libraries}
    for automation in automations:
        for name in closure(automation.libraries, libraries):
            users.setdefault(name, set()).add(automation.name)
    return users


def closure(references: Iterable[str], libraries: Mapping[str, Library]) -> list[str]:
    """The names of the libraries `references` reach, through each library's own
    `libraries:` (a cycle is not followed twice; `library_findings` reports it)."""
    seen: list[str] = []
    pending = [split_reference(r)[0] for r in references]
    while pending:
        name = pending.pop(0)
        if name in seen:
            continue
        seen.append(name)
        library = libraries.get(name)
        if library is not None:
            pending += [split_reference(r)[0] for r in library.libraries]
    return seen


def library_of(path: str) -> str | None:
    """The library a repository path belongs to, or None for paths outside them."""
    parts = path.split("/")
    if len(parts) >= 3 and parts[0] == LIBRARIES_DIR:
        return parts[1]
    return None


def automations_using(root: Path, changed: Iterable[str]) -> dict[str, list[str]]:
    """Automation -> the changed libraries it imports as in its own commit (`libraries:
    [name]`, directly or through other libraries); a pinned `name@x.y.z` is not affected.

    One fixed-string `git grep` of the index finds the metadata files naming any
    candidate; only those are parsed, so the cost follows the number of users, not of
    automations. (Uncommitted metadata is not looked for: `autokit changed` compares
    commits.)
    """
    changed = set(changed)
    if not changed:
        return {}
    uses = library_references(root)
    # The libraries that reach a changed one through unpinned references, themselves too.
    reaching = {name: {name} for name in changed}
    for name, references in uses.items():
        hits = {c for c in changed if c in _reached(_unpinned(references), uses)}
        if hits:
            reaching.setdefault(name, set()).update(hits)
    from toolkit import git
    from toolkit.metadata.schema import METADATA_FILE
    from toolkit.metadata.yamlfile import MAX_FILE_BYTES

    # The checked-out commit's metadata, as `autokit changed` compares commits; a file
    # naming a library elsewhere (a summary, a longer name) is read and left out below.
    candidates = git.grep_files_naming(root, reaching, f"automations/*/{METADATA_FILE}")
    users: dict[str, list[str]] = {}
    for path in candidates:
        try:
            raw = read_contributor_file(root / path, root, MAX_FILE_BYTES + 1)
            text = decode(raw) if len(raw) <= MAX_FILE_BYTES else ""
            declared = plain_library_list(text)
            if declared is None:
                declared = parse_mapping(text).get("libraries")
        except (OSError, YamlProblem):
            continue  # metadata-schema (or symlinks) reports it
        if not isinstance(declared, list):
            continue
        hit: set[str] = set()
        for reference in _unpinned(r for r in declared if isinstance(r, str)):
            hit |= reaching.get(reference, set())
        if hit:
            users[path.split("/")[1]] = sorted(hit)
    return dict(sorted(users.items()))


def library_references(root: Path) -> dict[str, list[str]]:
    """Library name -> the `libraries:` its library.yaml declares, read with the plain
    reading where it applies (a library whose file cannot be read declares nothing here;
    `autokit validate` reports it)."""
    from toolkit.metadata.yamlfile import MAX_FILE_BYTES

    found: dict[str, list[str]] = {}
    for folder in library_dirs(root):
        try:
            raw = read_contributor_file(folder / LIBRARY_FILE, root, MAX_FILE_BYTES + 1)
            text = decode(raw) if len(raw) <= MAX_FILE_BYTES else ""
            declared = plain_library_list(text)
            if declared is None and "libraries" in text:
                declared = parse_mapping(text).get("libraries")
        except (OSError, YamlProblem):
            continue
        references = declared if isinstance(declared, list) else []
        found[folder.name] = [r for r in references if isinstance(r, str)]
    return found


def _reached(references: Iterable[str], uses: Mapping[str, list[str]]) -> set[str]:
    """The library names `references` reach through each library's own references (a
    cycle is followed once)."""
    seen: set[str] = set()
    pending = [split_reference(r)[0] for r in references]
    while pending:
        name = pending.pop()
        if name not in seen:
            seen.add(name)
            pending += [split_reference(r)[0] for r in _unpinned(uses.get(name, []))]
    return seen


_FLOW_LIST = re.compile(r"libraries:[ \t]*\[([^\]\n#'\"]*)\][ \t]*(#.*)?")
_LIST_ITEM = re.compile(r"[ \t]*([a-z0-9][a-z0-9.@-]*)[ \t]*")


def plain_library_list(text: str) -> list[str] | None:
    """The `libraries:` of metadata written the usual way, one flow list of plain names on
    one top-level line (`libraries: [shopkit, "textkit@1.2.0"]` aside, which YAML reads),
    read without a YAML parser; None for any other way of writing it, or none at all,
    which the caller then leaves to the YAML parser."""
    lines = [line for line in text.splitlines() if line.startswith("libraries")]
    if len(lines) != 1:
        return None
    match = _FLOW_LIST.fullmatch(lines[0].rstrip())
    if match is None:
        return None
    items = match[1].split(",") if match[1].strip() else []
    names = [item_match[1] for item in items if (item_match := _LIST_ITEM.fullmatch(item))]
    return names if len(names) == len(items) else None


def _unpinned(references: Iterable[str]) -> list[str]:
    return [r for r in references if "@" not in r]
