"""The runtime contract: what differs between running a python and a shell automation.

Each runtime is a module of plain functions that satisfies `Runtime` (as pre-commit's
languages do); `toolkit.runtimes.RUNTIMES` lists them by the name `runtime:` takes in
automation.yaml. What is the same for every runtime (the allowlisted environment, the
timeout, masking, the history) stays in the run pipeline.
"""

from __future__ import annotations

import signal
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Protocol

from toolkit.environments import Environment, Progress
from toolkit.metadata import Automation

__all__ = ["Progress", "Runtime", "describe_exit"]


class Runtime(Protocol):
    def planned_environment(self, automation: Automation) -> tuple[Environment, bool]:
        """The environment a run would use, and whether it exists (nothing is built)."""
        ...

    def prepare_environment(
        self, automation: Automation, progress: Progress | None = None
    ) -> Environment:
        """The environment a run uses, built first when it does not exist yet."""
        ...

    def test_environment(
        self,
        automation: Automation,
        test_requirements: Sequence[str],
        progress: Progress | None = None,
    ) -> Environment:
        """A Python environment (`python` set) that runs the automation's pytest tests."""
        ...

    def command_line(
        self, automation: Automation, environment: Environment, request: Path
    ) -> list[str]:
        """The argv of the automation's process; inputs never pass through a shell."""
        ...

    def pass_inputs(
        self,
        automation: Automation,
        inputs: Mapping[str, object],
        request: Path,
        result_file: Path,
        import_paths: Sequence[Path] = (),
    ) -> dict[str, str]:
        """Hand the inputs over: write `request` and/or return variables for the process."""
        ...

    def describe_exit(self, automation: Automation, returncode: int) -> str:
        """Why the run failed, when the process said nothing itself."""
        ...


def describe_exit(automation: Automation, returncode: int) -> str:
    """`main.py exited with code 2`, `run.sh was killed by SIGKILL`."""
    if returncode < 0:
        return f"{automation.entrypoint} was killed by {signal.Signals(-returncode).name}"
    return f"{automation.entrypoint} exited with code {returncode}"
