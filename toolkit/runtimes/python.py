"""The python runtime: a cached virtual environment, `main(**inputs)` called by the bootstrap.

The environment is built from `requirements` (see `toolkit.environments`). The process
is the environment's Python running `toolkit/bootstrap.py` with a request file (JSON)
that names the entrypoint, the inputs and their types, and where the result goes.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from pathlib import Path

from toolkit import environments
from toolkit.environments import Environment
from toolkit.inputs import jsonable
from toolkit.metadata import Automation
from toolkit.runtimes.base import Progress, describe_exit

BOOTSTRAP = Path(__file__).parent.with_name("bootstrap.py")

__all__ = [
    "command_line",
    "describe_exit",
    "pass_inputs",
    "planned_environment",
    "prepare_environment",
    "test_environment",
]


def planned_environment(automation: Automation) -> tuple[Environment, bool]:
    return environments.planned_environment(automation)


def prepare_environment(automation: Automation, progress: Progress | None = None) -> Environment:
    return environments.ensure_environment(automation, progress=progress)


def test_environment(
    automation: Automation, test_requirements: Sequence[str], progress: Progress | None = None
) -> Environment:
    """The run's environment plus the test requirements (a separate, cached environment)."""
    return environments.ensure_environment(automation, test_requirements, progress=progress)


def command_line(automation: Automation, environment: Environment, request: Path) -> list[str]:
    assert environment.python is not None, "a python automation runs in a virtualenv"
    # -I: no user site, no PYTHON* variables, no bootstrap folder on sys.path; -B: no
    # __pycache__ written into the automation folder (it would make the tree dirty).
    return [str(environment.python), "-I", "-B", "-u", "-X", "utf8", str(BOOTSTRAP), str(request)]


def pass_inputs(
    automation: Automation,
    inputs: Mapping[str, object],
    request: Path,
    result_file: Path,
    import_paths: Sequence[Path] = (),
) -> dict[str, str]:
    """Keyword arguments of `main`, through the request file the bootstrap reads (with the
    folders of the libraries it imports, for `sys.path`)."""
    payload = {
        "entrypoint": str(automation.entrypoint_path.resolve()),
        "inputs": jsonable(inputs),
        "types": {name: spec.type for name, spec in automation.inputs.items()},
        "result_file": str(result_file),
        "paths": [str(path) for path in import_paths],  # the shared libraries it imports
    }
    request.write_text(json.dumps(payload), encoding="utf-8")
    return {}
