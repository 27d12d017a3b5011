"""What a policy run looks at, and running the checks over it.

- `toolkit.policy.scope`: which automations a change touches (`Scope`, `scope_of_changes`).
- `toolkit.policy.context`: `PolicyContext`, everything a check may read, each read once.
- `toolkit.policy.run`: `build_context` and `run_checks`, with configuration and waivers.
- `toolkit.policy.secret_patterns`: the secret formats `hardcoded-secrets` adds to detect-secrets.

The checks themselves are in `toolkit.checks`; they see the context only as a type.

The names below are re-exported on first use (PEP 562), not imported here: `autokit
changed` needs only the scope, and importing `toolkit.policy.scope` runs this file first,
which must not load every check and the metadata cache with it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from toolkit.lazy import lazy_exports

if TYPE_CHECKING:  # the same names as _EXPORTS, for type checkers
    from toolkit.policy.context import Key as Key
    from toolkit.policy.context import PolicyContext as PolicyContext
    from toolkit.policy.context import parse_loosely as parse_loosely
    from toolkit.policy.run import PolicyResult as PolicyResult
    from toolkit.policy.run import build_context as build_context
    from toolkit.policy.run import policy_config as policy_config
    from toolkit.policy.run import run_checks as run_checks
    from toolkit.policy.scope import Scope as Scope
    from toolkit.policy.scope import automation_of as automation_of
    from toolkit.policy.scope import full_scope as full_scope
    from toolkit.policy.scope import metadata_path as metadata_path
    from toolkit.policy.scope import scope_of_changes as scope_of_changes

_EXPORTS = {
    "toolkit.policy.context": ("Key", "PolicyContext", "parse_loosely"),
    "toolkit.policy.run": ("PolicyResult", "build_context", "policy_config", "run_checks"),
    "toolkit.policy.scope": (
        "Scope",
        "automation_of",
        "full_scope",
        "metadata_path",
        "scope_of_changes",
    ),
}
__all__ = sorted(name for names in _EXPORTS.values() for name in names)
__getattr__ = lazy_exports(__name__, _EXPORTS, globals())
