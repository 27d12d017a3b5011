"""What holds between automations and libraries, checked over the working tree.

- a library's name is not also an automation's (tags are `<name>@<version>`);
- every `libraries:` entry names a library that exists, and a pinned one (`name@1.2.0`) a
  version that was tagged;
- libraries do not use each other in a cycle;
- an automation and the libraries it imports never pin two versions of one project.

`autokit validate` and the policy check `library-rules` report these; each finding is at
the line of the entry it is about.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Protocol

from toolkit.findings import ERROR, Finding
from toolkit.libraries import (
    LIBRARIES_DIR,
    LIBRARY_FILE,
    Library,
    LibraryInventory,
    project_of,
    split_reference,
)
from toolkit.metadata import METADATA_FILE, Automation
from toolkit.metadata.yamlfile import LineIndex
from toolkit.suggest import did_you_mean

CHECK_ID = "library-rules"


class _FindingMaker(Protocol):
    def __call__(
        self, path: str, keys: tuple[str | int, ...], message: str, hint: str
    ) -> Finding: ...


class _Lines:
    """Line numbers in the files findings point at, each file read once."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.indexes: dict[str, LineIndex | None] = {}

    def of(self, path: str, *keys: str | int) -> int:
        if path not in self.indexes:
            try:
                text = (self.root / path).read_bytes().decode("utf-8", errors="replace")
                self.indexes[path] = LineIndex(text)
            except OSError:
                self.indexes[path] = None
        index = self.indexes[path]
        return index.locate(keys).line if index is not None else 1


def library_findings(
    root: Path,
    automations: Sequence[Automation],
    inventory: LibraryInventory,
    tags: Mapping[str, Sequence[str]] | None = None,
) -> list[Finding]:
    """Every problem between `automations` and the working tree's libraries.

    `tags`: library name -> its tagged versions (None: pinned references are not checked,
    outside Git)."""
    lines = _Lines(root)
    libraries = inventory.by_name()
    known = inventory.folders
    findings: list[Finding] = []

    def finding(path: str, keys: tuple[str | int, ...], message: str, hint: str) -> Finding:
        field = ".".join(str(k) if isinstance(k, str) else f"[{k}]" for k in keys)
        field = field.replace(".[", "[")
        return Finding(path, lines.of(path, *keys), None, CHECK_ID, ERROR, message, hint, field)

    automation_names = {a.name for a in automations}
    for name in sorted(automation_names & set(known)):
        path = f"{LIBRARIES_DIR}/{name}/{LIBRARY_FILE}"
        findings.append(
            finding(
                path,
                ("name",),
                f"'{name}' is also the name of an automation",
                "give the library another name: tags `<name>@<version>` must name one thing",
            )
        )

    def references(owner_path: str, declared: Sequence[str]) -> None:
        for index, reference in enumerate(declared):
            name, version = split_reference(reference)
            keys: tuple[str | int, ...] = ("libraries", index)
            if name not in known:
                listed = (
                    f"the libraries are: {', '.join(known)}"
                    if known
                    else (
                        f"there are no libraries yet: a library is a folder {LIBRARIES_DIR}/<name>/"
                    )
                )
                findings.append(
                    finding(
                        owner_path,
                        keys,
                        f"there is no library '{name}' in {LIBRARIES_DIR}/",
                        did_you_mean(name, known, listed),
                    )
                )
            elif version is not None and tags is not None and version not in tags.get(name, ()):
                existing = ", ".join(tags.get(name, ())) or "none yet"
                findings.append(
                    finding(
                        owner_path,
                        keys,
                        f"{name} has no version {version} (no Git tag {name}@{version})",
                        f"tagged versions of {name}: {existing}; or write `{name}` for the "
                        "library as in the same commit",
                    )
                )

    for automation in automations:
        if automation.libraries:
            path = f"automations/{automation.name}/{METADATA_FILE}"
            references(path, automation.libraries)
            findings += _conflicts(automation, libraries, path, finding)
    for library in inventory.libraries:
        references(f"{LIBRARIES_DIR}/{library.name}/{LIBRARY_FILE}", library.libraries)
    findings += _cycles(libraries, finding)
    return findings


def _cycles(libraries: Mapping[str, Library], finding: _FindingMaker) -> list[Finding]:
    """One finding per cycle of unpinned references, at the entry that closes it."""
    findings: list[Finding] = []
    reported: set[frozenset[str]] = set()
    for start in sorted(libraries):
        # Depth first from `start`: a path of (library, index of its next reference).
        path: list[tuple[str, int]] = [(start, 0)]
        while path:
            name, index = path[-1]
            references = libraries[name].libraries if name in libraries else ()
            if index >= len(references):
                path.pop()
                continue
            path[-1] = (name, index + 1)
            target, version = split_reference(references[index])
            names = [step for step, _ in path]
            if version is not None or target not in libraries:
                continue
            if target == start and frozenset(names) not in reported:
                reported.add(frozenset(names))
                findings.append(
                    finding(
                        f"{LIBRARIES_DIR}/{name}/{LIBRARY_FILE}",
                        ("libraries", index),
                        f"the libraries use each other in a cycle: {' -> '.join([*names, start])}",
                        "move what both need into one of them, or into a third library",
                    )
                )
            elif target not in names:
                path.append((target, 0))
    return findings


def _conflicts(
    automation: Automation,
    libraries: Mapping[str, Library],
    path: str,
    finding: _FindingMaker,
) -> list[Finding]:
    """Two pins of one project among the automation and the libraries it imports."""
    pins: dict[str, tuple[str, str]] = {
        project_of(r): (r, automation.name) for r in automation.requirements
    }
    seen: set[str] = set()
    pending = [split_reference(r) for r in automation.libraries]
    findings = []
    while pending:
        name, version = pending.pop(0)
        library = libraries.get(name)
        if version is not None or library is None or name in seen:
            continue  # a tagged version is checked when it runs; unknown: reported above
        seen.add(name)
        for requirement in library.requirements:
            project = project_of(requirement)
            earlier = pins.get(project)
            if earlier is None:
                pins[project] = (requirement, f"the library {name}")
            elif earlier[0].replace(" ", "") != requirement.replace(" ", ""):
                findings.append(
                    finding(
                        path,
                        ("libraries",),
                        f"{earlier[1]} needs {earlier[0]} but the library {name} needs "
                        f"{requirement}",
                        f"pin the same version of {project} in both: one environment holds "
                        "one version of each package",
                    )
                )
        pending += [split_reference(r) for r in library.libraries]
    return findings
