"""The run ledger's part of `[tool.autokit]`, each value checked, each error at its line.

```toml
[tool.autokit]
ledger_branch = "autokit/runs"  # the branch that holds the shared ledger
share_runs = true               # `autokit run` sends its record when it ends (default false)
ledger_who = "name"             # who started a run: the Git identity's name, or "none"
```
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path
from typing import NamedTuple

from toolkit.repo import setting_error

DEFAULT_BRANCH = "autokit/runs"
DEFAULT_REMOTE = "origin"
WHO_CHOICES = ("name", "none")
# A branch name Git accepts (`git check-ref-format --branch`), kept to plain characters.
_BRANCH = re.compile(r"^(?!.*(\.\.|//|@\{|\.lock$|/$|\.$))[A-Za-z0-9][A-Za-z0-9._/-]{0,99}$")


class LedgerSettings(NamedTuple):
    branch: str = DEFAULT_BRANCH
    share_runs: bool = False
    who: str = "name"


def ledger_settings(config: Mapping[str, object], pyproject: Path) -> LedgerSettings:
    """The settings of `[tool.autokit]` (defaults for what it leaves out)."""
    branch = config.get("ledger_branch", DEFAULT_BRANCH)
    if not isinstance(branch, str) or not _BRANCH.match(branch):
        raise setting_error(
            pyproject,
            "ledger_branch",
            f"{branch!r} is not a branch name",
            f'write ledger_branch = "{DEFAULT_BRANCH}" (the default), or another plain name',
        )
    share = config.get("share_runs", False)
    if not isinstance(share, bool):
        raise setting_error(
            pyproject, "share_runs", f"{share!r} is not true or false", "write share_runs = true"
        )
    who = config.get("ledger_who", "name")
    if who not in WHO_CHOICES:
        raise setting_error(
            pyproject,
            "ledger_who",
            f'{who!r} is not "name" or "none"',
            'write ledger_who = "name" (the Git identity\'s name) or "none" (nobody recorded)',
        )
    return LedgerSettings(branch, share, str(who))
