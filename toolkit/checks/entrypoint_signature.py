"""A python automation's `main()` accepts the inputs its `automation.yaml` declares.

`autokit run` calls `main(**inputs)`. An input `main()` has no parameter for (and no
`**kwargs` to take it), or a parameter without a default that no declared input fills,
passes review and then fails every run with `TypeError: main() got an unexpected keyword
argument`. The entrypoint is read with Python's `ast`, never imported or run: errors are
an input `main()` cannot accept (at the input's line), a required parameter no input
declares (at the `def` line), a file that does not parse, has no `main`, or an `async def
main`; a parameter default that differs from the declared default is a warning, since
`main()` always receives the declared one.

Fix: rename the input or the parameter so they match, declare the missing input, or give
the parameter a default. `autokit validate` shows the same findings locally.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from toolkit.metadata.signature import signature_findings

if TYPE_CHECKING:
    from toolkit.findings import Finding
    from toolkit.policy.context import PolicyContext


def check(ctx: PolicyContext) -> list[Finding]:
    """The automations under review whose metadata is valid, each entrypoint read once."""
    return signature_findings(ctx.root, ctx.automations, every=False)
