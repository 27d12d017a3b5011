"""Which automations are behind their template, and what upgrading each one writes.

`behind` compares recorded versions with the templates' current ones and renders nothing
(`autokit upgrade --check`); `plan_upgrade` renders the template at the recorded version
and at the current one, both with the recorded answers, and merges them into the
automation's files; `write_upgrade` writes the result. The recorded version moves on only
when every file merged cleanly.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from toolkit.errors import ToolkitError
from toolkit.files import LINK_HINT, LinkedFile, read_contributor_file
from toolkit.gallery import LIST_COMMAND, Template, rendered, shown_folder, template_sources
from toolkit.metadata import METADATA_FILE, Automation
from toolkit.repo import Repository
from toolkit.suggest import did_you_mean
from toolkit.upgrade.history import Histories, TemplateHistory, last_commit_of
from toolkit.upgrade.merge import CONFLICT, MERGED, REMOVED, FileChange, merge_folder
from toolkit.upgrade.record import Record, record_of, with_record, with_version

EXECUTABLE = {"run.sh"}  # as `autokit new` writes them


@dataclass(frozen=True)
class Behind:
    """An automation whose template has moved on since it was made (or last upgraded)."""

    automation: Automation
    record: Record
    current: int


@dataclass(frozen=True)
class Upgrade:
    """What upgrading one automation writes, file by file."""

    automation: Automation
    record: Record
    target: int
    changes: list[FileChange]

    @property
    def conflicts(self) -> list[FileChange]:
        return [change for change in self.changes if change.action == CONFLICT]

    @property
    def clean(self) -> bool:
        return not self.conflicts


def no_record_error(automation: Automation) -> ToolkitError:
    return ToolkitError(
        f"{automation.name} has no `template:` record in its {METADATA_FILE} (it was made "
        "before templates were versioned, or not from a template), so there is nothing to "
        "upgrade from",
        f"if it was made from a template, adopt the version it matches as its baseline: "
        f"`autokit upgrade {automation.name} --baseline TEMPLATE@VERSION` (e.g. "
        f"csv-report@1) writes the record and touches no other file; `{LIST_COMMAND}` "
        "lists the templates",
    )


def current_template(
    repo: Repository, automation: Automation, record: Record, templates: Mapping[str, Template]
) -> Template:
    """The template a record names, as it is now; an error when it is unknown or deleted,
    or has no version."""
    template = templates.get(record.template)
    where = f"automations/{automation.name}/{METADATA_FILE}"
    if template is None:
        folder = f"templates/automation/{record.template}"
        deleted = last_commit_of(repo.root, folder) if repo.root.is_dir() else None
        if deleted is not None:
            raise ToolkitError(
                f"{where}: it was made from the template '{record.template}', which was "
                f"deleted ({folder}/ was last changed in commit {deleted[:12]})",
                "it can no longer be upgraded: remove its `template:` record, or adopt "
                f"another template as its baseline: `autokit upgrade {automation.name} "
                "--baseline TEMPLATE@VERSION`",
            )
        hint = did_you_mean(record.template, templates, f"`{LIST_COMMAND}` lists them")
        raise ToolkitError(
            f"{where}: template: name: there is no template '{record.template}'",
            f"{hint}; correct the record's name, or remove the record",
        )
    if template.version is None:
        raise ToolkitError(
            f"{shown_folder(template.folder)}/template.yaml has no `version`, so "
            f"{automation.name} cannot be upgraded from it",
            "add `version: N` to template.yaml (one more than the version the automations "
            "record), and raise it with every change to the template",
        )
    if record.version > template.version:
        raise ToolkitError(
            f"{where}: template: version: records {record.spec}, but the template is at "
            f"version {template.version}",
            f"correct the record, or adopt a baseline: `autokit upgrade {automation.name} "
            f"--baseline {record.template}@{template.version}`",
        )
    return template


def behind(
    repo: Repository, automations: list[Automation], templates: Mapping[str, Template]
) -> tuple[list[Behind], int, list[tuple[Automation, ToolkitError]]]:
    """The automations behind their template, how many are up to date, and the records
    that cannot be judged; nothing is rendered."""
    found: list[Behind] = []
    current, problems = 0, []
    for automation in automations:
        record = record_of(automation)
        if record is None:
            continue
        try:
            template = current_template(repo, automation, record, templates)
        except ToolkitError as error:
            problems.append((automation, error))
            continue
        assert template.version is not None  # current_template refuses unversioned ones
        if record.version < template.version:
            found.append(Behind(automation, record, template.version))
        else:
            current += 1
    return found, current, problems


def plan_upgrade(
    repo: Repository,
    automation: Automation,
    templates: Mapping[str, Template],
    histories: Histories | None = None,
) -> Upgrade | None:
    """What upgrading `automation` to its template's current version writes; None when it
    is up to date. `histories` keeps each template's history for the next automation."""
    record = record_of(automation)
    if record is None:
        raise no_record_error(automation)
    template = current_template(repo, automation, record, templates)
    if template.version is None or record.version >= template.version:
        return None
    history = (histories if histories is not None else Histories()).of(template.folder)
    base_sources = _base_sources(automation, record, history)
    values = {"name": automation.name, **record.answers}
    base = _as_bytes(rendered(base_sources, values, history.shown(record.version)))
    theirs_sources = template_sources(template.folder)
    theirs = _as_bytes(rendered(theirs_sources, values, shown_folder(template.folder)))
    for files in (base, theirs):  # the record as `autokit new` appended it: common ground
        if METADATA_FILE in files:
            text = files[METADATA_FILE].decode("utf-8", "replace")
            record_text = with_record(text, record.template, record.version, record.answers)
            files[METADATA_FILE] = record_text.encode("utf-8")
    ours = _read_ours(automation.folder, {*base, *theirs})
    labels = ("yours", f"template v{record.version}", f"template v{template.version}")
    changes = merge_folder(base, theirs, ours, labels)
    upgrade = Upgrade(automation, record, template.version, changes)
    return _with_record_moved_on(upgrade, ours) if upgrade.clean else upgrade


def _base_sources(
    automation: Automation, record: Record, history: TemplateHistory
) -> dict[str, bytes]:
    if record.version in history.versions:
        return history.sources(record.version)
    where = f"automations/{automation.name}/{METADATA_FILE}"
    found = ", ".join(f"v{version}" for version in sorted(history.versions)) or "none"
    if history.root is None:
        why = f"{history.folder} is not in a Git repository"
    else:
        why = (
            f"no commit on the first-parent history of HEAD has {history.folder}/"
            f"template.yaml saying `version: {record.version}` (versions found: {found}; "
            "a shallow clone may lack it: `git fetch --unshallow`)"
        )
    raise ToolkitError(
        f"{where}: template: version: {record.spec} cannot be read from Git: {why}",
        "if you know which version of the template the automation matches, adopt it as "
        f"the baseline: `autokit upgrade {automation.name} --baseline "
        f"{record.template}@VERSION` (it rewrites the record only), commit, then run "
        f"`autokit upgrade {automation.name}`",
    )


def _as_bytes(files: Mapping[str, str | bytes]) -> dict[str, bytes]:
    return {
        path: content.encode("utf-8") if isinstance(content, str) else content
        for path, content in files.items()
    }


def _read_ours(folder: Path, paths: set[str]) -> dict[str, bytes | None]:
    """The person's bytes of each path (None where there is no such file); a link is
    refused, never followed."""
    ours: dict[str, bytes | None] = {}
    for path in sorted(paths):
        try:
            ours[path] = read_contributor_file(folder / path, folder)
        except FileNotFoundError:
            ours[path] = None
        except LinkedFile as link:
            raise ToolkitError(f"automations/{folder.name}: {link}", LINK_HINT) from None
        except IsADirectoryError:
            raise ToolkitError(
                f"automations/{folder.name}/{path} is a folder, where the template has a file",
                "rename the folder, then upgrade again",
            ) from None
    return ours


def _with_record_moved_on(upgrade: Upgrade, ours: Mapping[str, bytes | None]) -> Upgrade:
    """The upgrade with automation.yaml's record set to the template's current version."""
    where = f"automations/{upgrade.automation.name}/{METADATA_FILE}"
    changes = [c for c in upgrade.changes if c.path != METADATA_FILE]
    merged = next((c for c in upgrade.changes if c.path == METADATA_FILE), None)
    current = merged.content if merged is not None else ours.get(METADATA_FILE)
    if current is None:
        current = read_contributor_file(upgrade.automation.metadata_path, upgrade.automation.folder)
    text = with_version(current.decode("utf-8"), upgrade.target, where)
    changes.append(FileChange(METADATA_FILE, MERGED, text.encode("utf-8")))
    return Upgrade(upgrade.automation, upgrade.record, upgrade.target, sorted_changes(changes))


def sorted_changes(changes: list[FileChange]) -> list[FileChange]:
    return sorted(changes, key=lambda change: change.path)


def write_upgrade(upgrade: Upgrade) -> None:
    """Write every merged, added and conflicting file; remove the dropped ones."""
    folder = upgrade.automation.folder
    for change in upgrade.changes:
        path = folder / change.path
        if change.action == REMOVED:
            path.unlink()
            _remove_empty_folders(path.parent, folder)
        elif change.content is not None:
            existed = path.exists()
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(change.content)
            if not existed:
                path.chmod(0o755 if path.name in EXECUTABLE else 0o644)


def _remove_empty_folders(folder: Path, top: Path) -> None:
    while folder != top and folder.is_dir() and not any(folder.iterdir()):
        os.rmdir(folder)
        folder = folder.parent
