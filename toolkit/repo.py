"""Finding the autokit repository and reading its configuration."""

from __future__ import annotations

import argparse
import os
import re
import tomllib
from collections.abc import Callable
from functools import cached_property
from pathlib import Path
from typing import Any

from toolkit.errors import ToolkitError

AUTOMATIONS_DIR = "automations"


class Repository:
    """An autokit repository: a folder holding `automations/`."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Repository) and other.root == self.root

    def __hash__(self) -> int:
        return hash(self.root)

    def __repr__(self) -> str:
        return f"Repository(root={self.root!r})"

    @property
    def automations_dir(self) -> Path:
        return self.root / AUTOMATIONS_DIR

    def automation_dirs(self) -> list[Path]:
        """Every folder directly under `automations/`, sorted by name.

        A symbolic link to a folder is not an automation: its files would come from
        elsewhere (`linked_automation_dirs` lists them, so they can be reported).
        """
        return self._entries(lambda entry: entry.is_dir(follow_symlinks=False))

    def linked_automation_dirs(self) -> list[Path]:
        """The symbolic links directly under `automations/` (to folders or not), sorted."""
        return self._entries(lambda entry: entry.is_symlink())

    def _entries(self, wanted: Callable[[os.DirEntry[str]], bool]) -> list[Path]:
        try:
            entries = os.scandir(self.automations_dir)
        except FileNotFoundError:
            return []
        with entries:
            names = sorted(
                entry.name
                for entry in entries
                if wanted(entry) and not entry.name.startswith((".", "_"))
            )
        # Sorting names, not Paths: Path comparisons are slow with thousands of folders.
        return [self.automations_dir / name for name in names]

    def relative(self, path: Path) -> str:
        """`path` relative to the root, POSIX style (as shown in messages)."""
        try:
            return path.resolve().relative_to(self.root.resolve()).as_posix()
        except ValueError:
            return path.as_posix()

    @cached_property
    def config(self) -> dict[str, Any]:
        """`[tool.autokit]` of pyproject.toml, or an empty mapping."""
        pyproject = self.root / "pyproject.toml"
        if not pyproject.is_file():
            return {}
        return autokit_table(pyproject.read_bytes(), "pyproject.toml")


def setting_line(pyproject: Path, key: str) -> int | None:
    """The line of pyproject.toml that sets `key` (for an error pointing at it), if any."""
    try:
        lines = pyproject.read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError:
        return None
    pattern = re.compile(rf"^\s*{re.escape(key)}\s*=")
    return next((number for number, line in enumerate(lines, 1) if pattern.match(line)), None)


def setting_error(pyproject: Path, key: str, problem: str, hint: str) -> ToolkitError:
    """The error of a `[tool.autokit]` value it cannot have, at the line that sets it."""
    line = setting_line(pyproject, key)
    where = f"{pyproject.name}:{line}" if line else pyproject.name
    return ToolkitError(f"{where}: [tool.autokit] {key}: {problem}", hint)


def autokit_table(pyproject: bytes, where: str) -> dict[str, Any]:
    """`[tool.autokit]` of a pyproject.toml's bytes (`where` names it in errors), or {}."""
    found = autokit_table_if_any(pyproject, where)
    return {} if found is None else found


def autokit_table_if_any(pyproject: bytes, where: str) -> dict[str, Any] | None:
    """`[tool.autokit]` of a pyproject.toml's bytes, or None when the file has none."""
    try:
        data = tomllib.loads(pyproject.decode("utf-8", errors="replace"))
    except tomllib.TOMLDecodeError as error:
        raise ToolkitError(f"{where}: not valid TOML: {error}", "fix the TOML syntax") from None
    tool = data.get("tool", {})
    if not isinstance(tool, dict) or "autokit" not in tool:
        return None
    config = tool["autokit"]
    if not isinstance(config, dict):
        raise ToolkitError(f"{where}: [tool.autokit] must be a table", "write it as [tool.autokit]")
    return config


def find_repository(explicit: str | os.PathLike[str] | None = None) -> Repository:
    """The repository named by `--repo`, else the nearest one from the current folder up."""
    if explicit is not None:
        root = Path(explicit).expanduser().resolve()
        if not root.is_dir():
            raise ToolkitError(f"--repo {explicit}: no such folder", "check the path")
        if not (root / AUTOMATIONS_DIR).is_dir():
            raise ToolkitError(
                f"{root} is not an autokit repository: it has no '{AUTOMATIONS_DIR}/' folder",
                "pass --repo the folder that holds automations/",
            )
        return Repository(root)
    start = Path.cwd().resolve()
    for folder in (start, *start.parents):
        if (folder / AUTOMATIONS_DIR).is_dir():
            return Repository(folder)
    raise ToolkitError(
        f"no autokit repository found at {start} or above it",
        "run autokit inside the repository (the folder holding automations/), or pass --repo PATH",
    )


def repository_from_args(args: argparse.Namespace) -> Repository:
    """The repository of `--repo`, which a command's parser may leave unset."""
    return find_repository(getattr(args, "repo", None))
