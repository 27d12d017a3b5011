"""The policy part of `[tool.autokit]` in pyproject.toml, validated into `PolicyConfig`.

```toml
[tool.autokit]
security_reviewers = ["@example-shop/security"]   # added to restricted automations
release_branch = "main"                           # `autokit release` runs only there
env_allowlist = ["REQUESTS_CA_BUNDLE"]            # extra names code may read (declared-secrets)
data_extensions = [".parquet"]                    # extra binary data types (file-size)
max_waiver_days = 90                              # the longest a waiver may run (default 90)

[tool.autokit.checks]
file-size = false                                 # switch a check off for everyone

[[tool.autokit.waivers]]                          # waive one check for one automation
check = "hardcoded-secrets"
automation = "order-parser"
reason = "test fixtures hold revoked sample keys"
expires = 2027-03-31                              # a TOML date or "YYYY-MM-DD"
```

Problems in this configuration are findings (check id `policy-config`) pointing at the
line of pyproject.toml, not crashes: an unknown check id, a waiver whose reason does not
say why in a few words, or a waiver whose expiry date is malformed, in the past or more
than `max_waiver_days` ahead are errors. A waiver is an exception with an end: it is
renewed by a new review, never left to run for years.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, TypeGuard, TypeVar

from toolkit.findings import ERROR, Finding
from toolkit.suggest import did_you_mean

CONFIG_CHECK = "policy-config"
DEFAULT_MAX_WAIVER_DAYS = 90
# A reason a reviewer can weigh: "x" or "typo" says nothing about why the exception is safe.
MIN_REASON_WORDS = 3
MIN_REASON_LETTERS = 12
_T = TypeVar("_T")
PYPROJECT = "pyproject.toml"


@dataclass(frozen=True)
class Waiver:
    check: str
    automation: str
    reason: str
    expires: dt.date
    line: int | None = None  # of its table in pyproject.toml


@dataclass
class PolicyConfig:
    disabled: set[str] = field(default_factory=set)
    waivers: list[Waiver] = field(default_factory=list)
    security_reviewers: tuple[str, ...] = ()
    release_branch: str = "main"
    env_allowlist: tuple[str, ...] = ()
    data_extensions: tuple[str, ...] = ()
    default_owners: tuple[str, ...] = ()
    max_waiver_days: int = DEFAULT_MAX_WAIVER_DAYS
    findings: list[Finding] = field(default_factory=list)

    def waiver_for(self, check: str, automation: str | None) -> Waiver | None:
        for waiver in self.waivers:
            if waiver.check == check and waiver.automation == automation:
                return waiver
        return None


def load_policy_config(
    raw: dict[str, Any],
    check_ids: Iterable[str],
    pyproject_text: str = "",
    today: dt.date | None = None,
) -> PolicyConfig:
    """Validate `[tool.autokit]`, collecting every problem as a finding."""
    reader = _Reader(pyproject_text, set(check_ids), today or dt.date.today())
    config = PolicyConfig(
        security_reviewers=reader.strings(raw, "security_reviewers"),
        release_branch=str(raw.get("release_branch", "main")),
        env_allowlist=reader.strings(raw, "env_allowlist"),
        data_extensions=tuple(e.lower() for e in reader.strings(raw, "data_extensions")),
        default_owners=reader.strings(raw, "default_owners"),
    )
    config.max_waiver_days = reader.max_waiver_days(raw)
    reader.max_days = config.max_waiver_days
    config.disabled = reader.disabled_checks(raw.get("checks", {}))
    config.waivers = reader.waivers(raw.get("waivers", []))
    config.findings = reader.findings
    return config


class _Reader:
    """Reads config values, turning each problem into a finding at its line."""

    def __init__(self, text: str, check_ids: set[str], today: dt.date) -> None:
        self.lines = text.splitlines()
        self.check_ids = check_ids
        self.today = today
        self.max_days = DEFAULT_MAX_WAIVER_DAYS
        self.findings: list[Finding] = []

    def error(self, message: str, hint: str, near: str | int | None, field_: str) -> None:
        """A finding at line `near`, or at the first line mentioning the text `near`."""
        line = self.line_of(near) if isinstance(near, str) else near
        self.findings.append(
            Finding(PYPROJECT, line, None, CONFIG_CHECK, ERROR, message, hint, field_)
        )

    def table_line(self, table: str, index: int, key: str) -> int | None:
        """The line of `key` in the index-th `[table]` or `[[table]]` (else its header)."""
        headers = [n for n, line in enumerate(self.lines) if _table_name(line) == table]
        if index >= len(headers):
            return None
        assignment = re.compile(rf"^\s*[\"']?{re.escape(key)}[\"']?\s*=")
        for number in range(headers[index] + 1, len(self.lines)):
            if _table_name(self.lines[number]) is not None:
                break
            if assignment.match(self.lines[number]):
                return number + 1
        return headers[index] + 1

    def line_of(self, text: str) -> int | None:
        """The first line mentioning `text` after [tool.autokit], for the annotation."""
        return line_mentioning(self.lines, text)

    def strings(self, raw: dict[str, Any], key: str) -> tuple[str, ...]:
        value = raw.get(key, [])
        if isinstance(value, list) and all(isinstance(v, str) for v in value):
            return tuple(value)
        self.error(
            f"`{key}` must be a list of strings",
            f'write {key} = ["..."]',
            key,
            f"tool.autokit.{key}",
        )
        return ()

    def max_waiver_days(self, raw: dict[str, Any]) -> int:
        value = raw.get("max_waiver_days", DEFAULT_MAX_WAIVER_DAYS)
        if isinstance(value, int) and not isinstance(value, bool) and 1 <= value <= 366:
            return value
        self.error(
            f"`max_waiver_days` must be a whole number of days from 1 to 366, not {value!r}",
            f"write max_waiver_days = {DEFAULT_MAX_WAIVER_DAYS} (the default)",
            "max_waiver_days",
            "tool.autokit.max_waiver_days",
        )
        return DEFAULT_MAX_WAIVER_DAYS

    def known_check(self, check: object, near: str | int | None, field_: str) -> bool:
        if check in self.check_ids:
            return True
        hint = did_you_mean(str(check), sorted(self.check_ids), "see `autokit policy --list`")
        self.error(f"unknown check id '{check}'", hint, near, field_)
        return False

    def is_a(
        self, value: object, kind: type[_T], key: str, message: str, hint: str
    ) -> TypeGuard[_T]:
        """Whether `[tool.autokit] key` holds a `kind`; when not, a finding says so."""
        if isinstance(value, kind):
            return True
        self.error(message, hint, key, f"tool.autokit.{key}")
        return False

    def disabled_checks(self, table: object) -> set[str]:
        message = "[tool.autokit.checks] must be a table of check = true/false"
        if not self.is_a(table, dict, "checks", message, "write e.g. `file-size = false`"):
            return set()
        disabled = set()
        for check, enabled in table.items():
            field_ = f"tool.autokit.checks.{check}"
            near = self.table_line("tool.autokit.checks", 0, check) or check
            if not self.known_check(check, near, field_):
                continue
            if not isinstance(enabled, bool):
                self.error(
                    f"`{check}` must be true or false",
                    "write `= false` to switch it off",
                    near,
                    field_,
                )
            elif not enabled:
                disabled.add(check)
        return disabled

    def waivers(self, entries: object) -> list[Waiver]:
        message = "waivers must be an array of tables"
        if not self.is_a(entries, list, "waivers", message, "write [[tool.autokit.waivers]]"):
            return []
        waivers = [self.waiver(index, entry) for index, entry in enumerate(entries)]
        return [w for w in waivers if w is not None]

    def waiver(self, index: int, entry: object) -> Waiver | None:
        field_ = f"tool.autokit.waivers[{index}]"
        if not isinstance(entry, dict):
            self.error(
                "a waiver must be a table", "use [[tool.autokit.waivers]]", "waivers", field_
            )
            return None
        check, automation = entry.get("check"), entry.get("automation")

        def near(key: str) -> str | int | None:
            return self.table_line("tool.autokit.waivers", index, key) or str(check or "waivers")

        problems = len(self.findings)
        if not isinstance(automation, str) or not automation:
            self.error(
                "a waiver needs `automation`, the name it applies to",
                'add automation = "<name>"',
                near("automation"),
                field_,
            )
        self.known_check(check, near("check"), f"{field_}.check")
        reason = entry.get("reason")
        if not isinstance(reason, str) or not reason.strip():
            self.error(
                "a waiver needs a `reason`",
                'add reason = "why this is acceptable"',
                near("reason"),
                f"{field_}.reason",
            )
        elif not _says_something(reason):
            self.error(
                f"the waiver's reason {reason.strip()!r} does not say why; "
                f"write at least {MIN_REASON_WORDS} words",
                'e.g. reason = "test fixtures hold revoked sample keys"',
                near("reason"),
                f"{field_}.reason",
            )
        expires = self.expiry(entry.get("expires"), near("expires"), f"{field_}.expires")
        if len(self.findings) > problems or expires is None:
            return None
        line = self.table_line("tool.autokit.waivers", index, "automation")
        return Waiver(str(check), str(automation), str(reason), expires, line)

    def expiry(self, value: object, near: str | int | None, field_: str) -> dt.date | None:
        hint = "write a date such as expires = 2027-01-31 (YYYY-MM-DD)"
        if isinstance(value, dt.datetime):
            value = value.date()
        if isinstance(value, str):
            try:
                value = dt.date.fromisoformat(value)
            except ValueError:
                self.error(f"expires {value!r} is not a date", hint, near, field_)
                return None
        if not isinstance(value, dt.date):
            self.error(
                "a waiver needs `expires`, a date"
                if value is None
                else f"expires {value!r} is not a date",
                hint,
                near,
                field_,
            )
            return None
        if value < self.today:
            self.error(
                f"the waiver expired on {value.isoformat()}",
                "fix the findings it hid, or renew it with a new reason and date",
                near,
                field_,
            )
            return None
        latest = self.today + dt.timedelta(days=self.max_days)
        if value > latest:
            self.error(
                f"the waiver runs until {value.isoformat()}, more than {self.max_days} days "
                f"ahead (max_waiver_days); the latest allowed today is {latest.isoformat()}",
                f"set expires = {latest.isoformat()} or earlier, and renew it when it ends",
                near,
                field_,
            )
            return None
        return value


def line_mentioning(lines: list[str], text: str) -> int | None:
    """The first line mentioning `text` after [tool.autokit] (else that header's line)."""
    start = next((i for i, line in enumerate(lines) if "tool.autokit" in line), 0)
    pattern = re.compile(rf"(^|[^\w-]){re.escape(text)}([^\w-]|$)")
    for number in range(start, len(lines)):
        if pattern.search(lines[number]):
            return number + 1
    return start + 1 if lines else None


def _says_something(reason: str) -> bool:
    words = re.findall(r"\w+", reason)
    return len(words) >= MIN_REASON_WORDS and sum(len(w) for w in words) >= MIN_REASON_LETTERS


def _table_name(line: str) -> str | None:
    """`tool.autokit.waivers` for a `[[tool.autokit.waivers]]` header line, else None."""
    match = re.match(r"^\s*\[\[?\s*([^\[\]]+?)\s*\]\]?\s*(#.*)?$", line)
    return match.group(1).replace('"', "").replace(" ", "") if match else None
