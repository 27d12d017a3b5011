"""The runtimes an automation can declare (`runtime:` in automation.yaml), by name.

`toolkit.metadata.RUNTIMES` (the schema's allowed values) lists the same names; a test
keeps the two in step.
"""

from __future__ import annotations

from toolkit.metadata import Automation
from toolkit.runtimes import python, shell
from toolkit.runtimes.base import Runtime

RUNTIMES: dict[str, Runtime] = {"python": python, "shell": shell}

__all__ = ["RUNTIMES", "Runtime", "runtime_of"]


def runtime_of(automation: Automation) -> Runtime:
    """The runtime `automation` declares (metadata validation allows only known names)."""
    return RUNTIMES[automation.runtime]
