"""The shell runtime: the system's bash runs the script, inputs arrive as `INPUT_<NAME>`.

A shell automation has no environment of its own. Its pytest tests still need a Python:
they get a virtual environment of the automation's requirements plus the test ones.
"""

from __future__ import annotations

import shutil
from collections.abc import Mapping, Sequence
from pathlib import Path

from toolkit import environments
from toolkit.environments import Environment
from toolkit.inputs import as_environment
from toolkit.metadata import Automation
from toolkit.runtimes.base import Progress, describe_exit

SYSTEM = Environment("system", None, None)

__all__ = [
    "command_line",
    "describe_exit",
    "pass_inputs",
    "planned_environment",
    "prepare_environment",
    "test_environment",
]


def planned_environment(automation: Automation) -> tuple[Environment, bool]:
    return SYSTEM, True


def prepare_environment(automation: Automation, progress: Progress | None = None) -> Environment:
    return SYSTEM


def test_environment(
    automation: Automation, test_requirements: Sequence[str], progress: Progress | None = None
) -> Environment:
    return environments.ensure_environment(automation, test_requirements, progress=progress)


def command_line(automation: Automation, environment: Environment, request: Path) -> list[str]:
    return [shutil.which("bash") or "/bin/sh", str(automation.entrypoint_path)]


def pass_inputs(
    automation: Automation,
    inputs: Mapping[str, object],
    request: Path,
    result_file: Path,
    import_paths: Sequence[Path] = (),
) -> dict[str, str]:
    """`INPUT_<NAME>` variables: booleans as true/false, dates in ISO form (a shell
    automation has no libraries: validation refuses them)."""
    return as_environment(inputs)
