"""Shared libraries follow the automations' rules, and their users can trust a version.

A library in `libraries/<name>/` is code other automations import, so a change to it
reaches every automation that uses it. For each library the change touches:

- `library.yaml` follows its contract (name, summary, version, owners, pinned
  requirements, the libraries it uses), every problem at its line;
- the version rises above the base's, and `CHANGELOG.md` has a `## <version>` section;
- a breaking change to its public API (the names in `__all__` of its package, read with
  `ast`: a function or class removed or renamed, a required parameter added, a parameter
  removed) needs a new MAJOR version, because automations that use it unpinned get it at
  once;
- names are unique across automations and libraries, every `libraries:` entry names a
  library (and a pinned one a tagged version), libraries use each other in no cycle, and
  an automation and its libraries never pin two versions of one package.

Fix: raise `version` in `library.yaml` (MAJOR for a breaking change) and add its section
to `CHANGELOG.md`; for the others, follow the finding's hint.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from toolkit import git
from toolkit.changelog import section
from toolkit.findings import ERROR, Finding
from toolkit.libraries import LIBRARIES_DIR, LIBRARY_FILE, Library, module_name
from toolkit.libraries.api import breaking_changes, public_api
from toolkit.libraries.rules import library_findings
from toolkit.policy.context import parse_loosely
from toolkit.versions import format_version, parse_version

if TYPE_CHECKING:
    from toolkit.libraries.api import PublicName
    from toolkit.policy.context import PolicyContext


def check(ctx: PolicyContext) -> list[Finding]:
    inventory = ctx.libraries
    names = set(ctx.library_names)
    findings = [
        f._replace(check=ctx.check_id)
        for f in inventory.findings
        if f.path.split("/")[1:2] and f.path.split("/")[1] in names
    ]
    libraries = inventory.by_name()
    for name in sorted(names):
        library = libraries.get(name)
        if library is not None:
            findings += _versioning(ctx, library)
    users = [a for a in ctx.automations if a.libraries]
    if users or names:
        tags = None
        if git.is_git_repository(ctx.root):
            tags = {
                n: [t.version for t in found]
                for n, found in ctx.released.items()
                if n in inventory.folders
            }
        rules = library_findings(ctx.root, users, inventory, tags)
        reviewed = {f"automations/{a.name}/" for a in users}
        reviewed |= {f"{LIBRARIES_DIR}/{n}/" for n in names}
        findings += [
            f._replace(check=ctx.check_id)
            for f in rules
            if any(f.path.startswith(prefix) for prefix in reviewed)
        ]
    return findings


def _versioning(ctx: PolicyContext, library: Library) -> list[Finding]:
    findings: list[Finding] = []
    metadata = f"{LIBRARIES_DIR}/{library.name}/{LIBRARY_FILE}"
    now = parse_version(library.version)
    changelog = library.folder / "CHANGELOG.md"
    raw = ctx.read(changelog)
    if raw is None:
        findings.append(
            ctx.finding(changelog, "CHANGELOG.md is missing", f"add it with '## {library.version}'")
        )
    elif section(raw.decode("utf-8", errors="replace"), library.version) is None:
        findings.append(
            ctx.finding(
                changelog,
                f"no '## {library.version}' section for the current version",
                f"add '## {library.version}' with what changed, above the older sections",
                line=1,
            )
        )
    if ctx.base is None or now is None:
        return findings
    base_raw = git.files_at(ctx.root, ctx.base, [metadata])[metadata]
    before_data = parse_loosely(base_raw) or {}
    before = parse_version(before_data.get("version"))
    if before is None:
        return findings  # a new library
    line = _line_of_version(ctx, library)
    if now <= before:
        old = format_version(before)
        message = (
            f"the library changed but version is still {old}, as at the base"
            if now == before
            else f"version {format_version(now)} is lower than {old}, the version at the base"
        )
        next_patch = format_version((before[0], before[1], before[2] + 1))
        findings.append(
            ctx.finding(
                metadata,
                message,
                f"raise it above {old}, e.g. to {next_patch}",
                line=line,
                field="version",
            )
        )
        return findings
    if now[0] > before[0]:
        return findings  # a major version may break anything
    broken = breaking_changes(_base_api(ctx, library), _current_api(library))
    if broken:
        major = format_version((before[0] + 1, 0, 0))
        findings.append(
            ctx.finding(
                metadata,
                f"a breaking change needs a major version, not {format_version(now)}: "
                + "; ".join(broken),
                f"set version: {major} and say in CHANGELOG.md what users must change, "
                "or keep the old name or parameter working",
                line=line,
                severity=ERROR,
                field="version",
            )
        )
    return findings


def _line_of_version(ctx: PolicyContext, library: Library) -> int:
    from toolkit.metadata.yamlfile import LineIndex

    raw = ctx.read(library.metadata_path)
    if raw is None:
        return 1
    return LineIndex(raw.decode("utf-8", errors="replace")).locate(("version",)).line


def _module_paths(folder: str, dotted: str) -> list[str]:
    base = f"{folder}/{dotted.replace('.', '/')}" if dotted else folder
    return [f"{base}/__init__.py"] if not dotted else [f"{base}.py", f"{base}/__init__.py"]


def _current_api(library: Library) -> dict[str, PublicName]:
    def read(dotted: str) -> str | None:
        package = library.package_dir
        for relative in _module_paths(".", dotted):
            path = package / relative
            if path.is_file() and not path.is_symlink():
                try:
                    return path.read_text(encoding="utf-8", errors="replace")
                except OSError:
                    return None
        return None

    return public_api(read, library.module)


def _base_api(ctx: PolicyContext, library: Library) -> dict[str, PublicName]:
    assert ctx.base is not None
    package = f"{LIBRARIES_DIR}/{library.name}/{module_name(library.name)}"

    def read(dotted: str) -> str | None:
        paths = _module_paths(package, dotted)
        found = git.files_at(ctx.root, ctx.base or "", paths)
        for path in paths:
            blob = found.get(path)
            if blob is not None:
                return blob.decode("utf-8", errors="replace")
        return None

    return public_api(read, library.module)
