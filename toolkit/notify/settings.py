"""When an automation's failures are reported: its `notify:` over `[tool.autokit]`'s defaults.

```toml
[tool.autokit]
notify_after_failures = 1   # consecutive failures before an issue opens (default 1)
notify_every_hours = 24     # hours between reminders on an open issue (default 24)
```
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from pathlib import Path
from typing import NamedTuple

from toolkit.metadata.model import EmailNotice, Notify
from toolkit.metadata.schema import MOST_FAILURES
from toolkit.repo import setting_error

DEFAULT_AFTER_FAILURES = 1
DEFAULT_EVERY_HOURS = 24.0


class NotifySettings(NamedTuple):
    after_failures: int = DEFAULT_AFTER_FAILURES
    every_hours: float = DEFAULT_EVERY_HOURS
    webhook_secret: str | None = None
    email: EmailNotice | None = None


def shop_defaults(config: Mapping[str, object], pyproject: Path) -> NotifySettings:
    """The defaults `[tool.autokit]` sets, each checked (an error names its line)."""
    after = config.get("notify_after_failures", DEFAULT_AFTER_FAILURES)
    if type(after) is not int or not 1 <= after <= MOST_FAILURES:
        raise setting_error(
            pyproject,
            "notify_after_failures",
            f"{after!r} is not a whole number from 1 to {MOST_FAILURES}",
            "write notify_after_failures = 1 (an issue at the first failure) or more",
        )
    every = config.get("notify_every_hours", DEFAULT_EVERY_HOURS)
    if not _positive_number(every):
        raise setting_error(
            pyproject,
            "notify_every_hours",
            f"{every!r} is not a number of hours greater than 0",
            "write notify_every_hours = 24 (a reminder a day at most), or another number",
        )
    return NotifySettings(after, float(every))  # type: ignore[arg-type]


def settings_for(notify: Notify | None, defaults: NotifySettings) -> NotifySettings:
    """An automation's settings: what its metadata says, else the shop's defaults."""
    if notify is None:
        return defaults
    return NotifySettings(
        notify.after_failures or defaults.after_failures,
        float(notify.every_hours or defaults.every_hours),
        notify.webhook_secret,
        notify.email,
    )


def _positive_number(value: object) -> bool:
    number = isinstance(value, int | float) and not isinstance(value, bool)
    return number and math.isfinite(value) and value > 0  # type: ignore[arg-type,operator]
