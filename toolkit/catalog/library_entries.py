"""The shared libraries as the catalog shows them: metadata, public API, README, versions,
and who declares them.

A repository without `libraries/` pays one directory listing for all of this. A library's
public API is read with `ast` from its working tree (`toolkit.libraries.api`): its code is
never imported or run, and a file behind a symbolic link is never read. Who uses a library
is what the automations (and other libraries) declare in `libraries:`, pinned or not; a
library whose `library.yaml` is invalid is left out with a note, like an automation.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from toolkit.catalog.model import Entry, History, LibraryEntry, Use, documents_of
from toolkit.libraries import (
    LIBRARIES_DIR,
    LibraryInventory,
    library_dirs,
    load_libraries,
    split_reference,
)
from toolkit.libraries.api import package_reader, public_api


def library_inventory(root: Path) -> LibraryInventory | None:
    """Every library of the working tree, validated; None when there is no `libraries/`
    folder with any library in it (nothing about libraries is shown then)."""
    if not library_dirs(root):
        return None
    return load_libraries(root)


def current_versions(inventory: LibraryInventory | None) -> dict[str, str]:
    """Valid library name -> its current version: what automation pages link to."""
    if inventory is None:
        return {}
    return {library.name: library.version for library in inventory.libraries}


def broken_libraries(inventory: LibraryInventory | None) -> list[str]:
    """The library folders left out because their `library.yaml` is invalid."""
    if inventory is None:
        return []
    valid = {library.name for library in inventory.libraries}
    return [f"{LIBRARIES_DIR}/{name}" for name in inventory.folders if name not in valid]


def broken_library_notes(broken: list[str]) -> list[str]:
    """The note about library folders left out of the catalog."""
    if not broken:
        return []
    return [
        f"{len(broken)} library(ies) left out because their library.yaml is invalid "
        f"({', '.join(broken[:5])}{'...' if len(broken) > 5 else ''}); "
        "`autokit validate` explains why."
    ]


def library_entries(
    root: Path,
    inventory: LibraryInventory | None,
    automations: list[Entry],
    history: History,
    blob_url: str | None,
) -> list[LibraryEntry]:
    """Each valid library's entry, sorted by name; `automations` are the catalog's."""
    if inventory is None:
        return []
    by_automation = _declared((e.name, e.automation.libraries) for e in automations)
    by_library = _declared((lib.name, lib.libraries) for lib in inventory.libraries)
    entries = []
    for library in sorted(inventory.libraries, key=lambda lib: lib.name):
        documents = documents_of(
            library.folder,
            f"{LIBRARIES_DIR}/{library.name}",
            (library.title, library.summary, library.version),
            history.tags.get(library.name, []),
            blob_url,
        )
        entries.append(
            LibraryEntry(
                library,
                documents.versions,
                documents.readme_html,
                list(
                    public_api(package_reader(library.package_dir, root), library.module).values()
                ),
                by_automation.get(library.name, []),
                by_library.get(library.name, []),
                documents.notes,
                documents.images,
            )
        )
    return entries


def _declared(declarations: Iterable[tuple[str, Iterable[str]]]) -> dict[str, list[Use]]:
    """Library name -> who declares it (by name), from (declarer, references) pairs."""
    uses: dict[str, list[Use]] = {}
    for declarer, references in sorted(declarations, key=lambda pair: pair[0]):
        for reference in references:
            name, pin = split_reference(reference)
            uses.setdefault(name, []).append(Use(declarer, pin))
    return uses
