"""What a policy run looks at, and running the checks over it.

- `toolkit.policy.scope`: which automations a change touches (`Scope`, `scope_of_changes`).
- `toolkit.policy.context`: `PolicyContext`, everything a check may read, each read once.
- `toolkit.policy.run`: `build_context` and `run_checks`, with configuration and waivers.

The checks themselves are in `toolkit.checks`; they see the context only as a type, so
importing either package first works and neither imports the other back.
"""

from __future__ import annotations

from toolkit.policy.context import Key, PolicyContext, parse_loosely
from toolkit.policy.run import PolicyResult, build_context, policy_config, run_checks
from toolkit.policy.scope import Scope, automation_of, full_scope, metadata_path, scope_of_changes

__all__ = [
    "Key",
    "PolicyContext",
    "PolicyResult",
    "Scope",
    "automation_of",
    "build_context",
    "full_scope",
    "metadata_path",
    "parse_loosely",
    "policy_config",
    "run_checks",
    "scope_of_changes",
]
