"""The rules a change is judged by: the checks' code and configuration of the base.

A pull request can edit `toolkit/` and `[tool.autokit]`. If its own copy judged it, one
commit could switch a check off and break it. So `autokit policy --base REF` judges with
the rules as they are at REF:

- the checks' code is REF's `toolkit/`. When the code running is byte for byte that tree
  (compared by Git blob ids), it judges in this process. Otherwise REF's tree is
  materialized once in the cache, named by its tree hash and verified against Git on
  every use, and policy runs again from there, in the same Python environment;
- the configuration is REF's `[tool.autokit]`: checks switched off, waivers and the
  other settings apply only once they are merged. The change's own configuration is still
  validated, so a bad waiver in it is an error at its line.

Only when REF has no `toolkit/` does the running code judge, and only when REF's
pyproject.toml has no `[tool.autokit]` does the working tree's configuration apply.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from toolkit import git
from toolkit.errors import ToolkitError
from toolkit.paths import cache_home
from toolkit.repo import autokit_table_if_any

TOOLKIT_DIR = "toolkit"
PYPROJECT = "pyproject.toml"
# Bytecode of a materialized tree lives beside it, never in `__pycache__` inside it, so
# the verified sources are the only files the tree holds.
_BYTECODE_DIR = "bytecode"

# Started with `python -I`: no PYTHONPATH, no user site, no current folder on the path.
# The rules' folder goes first, and the import is checked to have come from it.
_BOOTSTRAP = """\
import sys
rules = sys.argv[1]
sys.path.insert(0, rules)
try:
    import toolkit
    from toolkit.cli import main
except Exception as error:
    sys.exit(f"autokit: the base's rules in {rules} do not load: {error!r}")
if not toolkit.__file__.startswith(rules):
    sys.exit(f"autokit: the base's rules did not load (toolkit came from {toolkit.__file__})")
sys.exit(main(sys.argv[2:]))
"""


@dataclass(frozen=True)
class Rules:
    """The rules at a ref: its commit, and the Git files of its `toolkit/` (if any)."""

    ref: str
    commit: str
    code: dict[str, str]  # path inside toolkit/ -> blob id; empty when REF has no autokit
    code_tree: str | None

    @property
    def has_code(self) -> bool:
        """Whether REF holds an autokit to run (a package with its command line)."""
        return self.code_tree is not None and {"__init__.py", "cli.py"} <= self.code.keys()


def rules_at(root: Path, ref: str) -> Rules:
    commit = git.resolve_ref(root, ref)
    tree = git.tree_id(root, commit, TOOLKIT_DIR)
    code = git.tree_files(root, tree) if tree else {}
    return Rules(ref, commit, code, tree)


def running_code() -> Path:
    """The folder of the `toolkit` package this process runs."""
    import toolkit

    return Path(toolkit.__file__).resolve().parent


def materialized(root: Path, rules: Rules) -> Path:
    """A verified copy of the rules' `toolkit/`, in a folder to put first on sys.path."""
    assert rules.code_tree is not None
    home = cache_home() / "rules" / rules.code_tree
    package = home / TOOLKIT_DIR
    for _attempt in range(2):
        git.materialize_tree(root, rules.code_tree, package)
        if git.matches_tree(package, rules.code):
            return home
        shutil.rmtree(home, ignore_errors=True)  # edited or half-written: build it again
    raise ToolkitError(
        f"the copy of the base's rules in {home} does not match Git's tree {rules.code_tree}",
        f"check that {cache_home()} is writable by you alone, then run the command again",
    )


def run_under(root: Path, rules: Rules, argv: list[str]) -> int:
    """Run `autokit ARGV` with the rules' code, in the same Python environment."""
    home = materialized(root, rules)
    command = [
        sys.executable,
        "-I",
        "-X",
        f"pycache_prefix={home / _BYTECODE_DIR}",
        "-c",
        _BOOTSTRAP,
        str(home) + os.sep,  # the separator: a prefix test cannot match a sibling folder
        *argv,
    ]
    try:
        return subprocess.run(command, check=False).returncode
    except KeyboardInterrupt:
        return 130


def config_at(root: Path, commit: str) -> dict[str, Any] | None:
    """`[tool.autokit]` at `commit`, or None when its pyproject.toml has none (or is broken:
    the base's rules cannot be read from it)."""
    text = git.files_at(root, commit, [PYPROJECT])[PYPROJECT]
    if text is None:
        return None
    try:
        return autokit_table_if_any(text, f"{PYPROJECT} at {commit[:12]}")
    except ToolkitError:
        return None
