"""Steps 2 to 4 of a run: the inputs, the dry-run plan, and how the process is started.

Inputs come from an example, an inputs file and `--input` values (later ones win). The
process sees only an allowlist of the caller's variables, its declared secrets and the
run's own variables; its argv and the way inputs reach it are the runtime's business
(`toolkit.runtimes`).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import NamedTuple, TypedDict

from toolkit.environments import Environment
from toolkit.errors import ToolkitError
from toolkit.inputs import jsonable, load_inputs_file
from toolkit.metadata import Automation
from toolkit.repo import Repository
from toolkit.run.record import RunFolder
from toolkit.run.sandbox import (
    Confinement,
    planned_sandbox,
    python_home,
    sandbox_environment,
    sandbox_mode,
    wrap,
)
from toolkit.run.target import Target
from toolkit.runtimes import runtime_of
from toolkit.runtimes.python import BOOTSTRAP
from toolkit.savings import UNITS_FILE_VARIABLE
from toolkit.secrets import Masker, present_secrets

# The only variables of the caller's environment an automation sees (plus its secrets).
ALLOWED_ENVIRONMENT = (
    "PATH",
    "HOME",
    "USER",
    "LOGNAME",
    "LANG",
    "LANGUAGE",
    "LC_ALL",
    "LC_CTYPE",
    "LC_MESSAGES",
    "TZ",
    "TMPDIR",
    "TERM",
    "NO_COLOR",
    "SSL_CERT_FILE",
    "SSL_CERT_DIR",
    "HTTP_PROXY",
    "HTTPS_PROXY",
    "NO_PROXY",
    "http_proxy",
    "https_proxy",
    "no_proxy",
)
RUN_VARIABLES = ("AUTOKIT_OUTPUT_DIR", "AUTOKIT_RUN_ID", UNITS_FILE_VARIABLE)


class PreparedRun(NamedTuple):
    """Everything a run needs once nothing stands in its way any more."""

    target: Target
    inputs: Mapping[str, object]
    secrets: Mapping[str, str]
    environment: Environment
    timeout: float
    masker: Masker
    sandboxed: bool = False  # inside bubblewrap (toolkit.run.sandbox)
    example: int | None = None  # the example whose inputs it uses (`--example N`)
    repository: Path | None = None  # the root of the clone it was started in


class EnvironmentPlan(TypedDict):
    path: str | None
    exists: bool
    requirements: list[str]


class Plan(TypedDict):
    """What a dry run reports (`autokit run --dry-run --format json` prints it as `plan`)."""

    folder: str
    pinned: bool
    commit: str | None
    dirty: bool | None
    command: str
    environment: EnvironmentPlan
    libraries: list[dict[str, str]]  # name, version, source (working tree, tag, commit)
    variables: list[str]
    inputs: dict[str, object]
    secrets: dict[str, bool]
    required_secrets: list[str]
    timeout: float
    sandbox: str  # how the run would be confined, in words
    refused: str | None  # why the run would not start, if it would not


def gather_inputs(
    automation: Automation,
    raw_inputs: Mapping[str, object],
    inputs_file: Path | None,
    example: int | None,
) -> dict[str, object]:
    """Example inputs, overridden by the inputs file, overridden by `--input` values."""
    merged: dict[str, object] = {}
    if example is not None:
        merged.update(example_inputs(automation, example))
    if inputs_file is not None:
        merged.update(load_inputs_file(inputs_file))
    merged.update(raw_inputs)
    return merged


def example_inputs(automation: Automation, number: int) -> dict[str, object]:
    """The inputs of the automation's `number`th example (counting from 1)."""
    examples = automation.examples
    if not examples:
        raise ToolkitError(
            f"{automation.name} has no examples", "pass its inputs with --input NAME=VALUE instead"
        )
    if not 1 <= number <= len(examples):
        listing = "; ".join(f"{i}: {e.title}" for i, e in enumerate(examples, start=1))
        raise ToolkitError(
            f"{automation.name} has no example {number}", f"its examples are {listing}"
        )
    return dict(examples[number - 1].inputs)


def dry_run_plan(
    repo: Repository, target: Target, inputs: Mapping[str, object], masker: Masker, timeout: float
) -> Plan:
    """What a run would do: nothing is built, started or recorded."""
    automation = target.automation
    environment, exists = runtime_of(automation).planned_environment(automation)
    sandbox, refused = planned_sandbox(sandbox_mode(repo.config), automation.network)
    return {
        "folder": str(automation.folder),
        "pinned": target.pinned,
        "commit": target.commit,
        "dirty": target.dirty,
        "command": " ".join(command_line(automation, environment, Path("<request.json>"))),
        "environment": {
            "path": str(environment.path) if environment.path else None,
            "exists": exists,
            "requirements": list(automation.requirements),
        },
        "libraries": [
            {"name": lib.name, "version": lib.version, "source": lib.source}
            for lib in target.libraries
        ],
        "variables": [*sorted(ALLOWED_ENVIRONMENT), *RUN_VARIABLES],
        "inputs": masker.mask_mapping(jsonable(inputs)),
        "secrets": present_secrets(automation, repo.root),
        "required_secrets": [s.name for s in automation.secrets if s.required],
        "timeout": timeout,
        "sandbox": sandbox,
        "refused": "the sandbox is required and bwrap does not work here" if refused else None,
    }


def missing_secrets(plan: Plan) -> list[str]:
    """The required secrets a dry run found no value for."""
    return [name for name in plan["required_secrets"] if not plan["secrets"][name]]


def command_line(automation: Automation, environment: Environment, request: Path) -> list[str]:
    """The argv of the automation's process; inputs never pass through a shell."""
    return runtime_of(automation).command_line(automation, environment, request)


def child_process(run: PreparedRun, folder: RunFolder) -> tuple[list[str], dict[str, str]]:
    """The argv and the environment of the run's process (the runtime's request written)."""
    automation = run.target.automation
    runtime = runtime_of(automation)
    extra = {
        "AUTOKIT_OUTPUT_DIR": str(folder.output),
        "AUTOKIT_RUN_ID": folder.run_id,
        UNITS_FILE_VARIABLE: str(folder.units),
    }
    imports = [library.import_root for library in run.target.libraries]
    extra.update(
        runtime.pass_inputs(
            automation, run.inputs, folder.request, folder.report / "result.json", imports
        )
    )
    command = runtime.command_line(automation, run.environment, folder.request)
    env = child_environment(run.environment, run.secrets, extra)
    if run.sandboxed:
        return wrap(command, run_confinement(run, folder)), sandbox_environment(env)
    return command, env


def run_confinement(run: PreparedRun, folder: RunFolder) -> Confinement:
    """What a sandboxed run may read and write (see `toolkit.run.sandbox`)."""
    automation = run.target.automation
    confinement = Confinement(network=automation.network, cwd=folder.output)
    confinement.read(automation.folder, run.environment.path, BOOTSTRAP, folder.request)
    confinement.read(*(library.import_root for library in run.target.libraries))
    confinement.read(*python_home(run.environment.python))
    confinement.write(folder.output, folder.report)
    for name, spec in automation.inputs.items():
        value = run.inputs.get(name)
        if spec.type == "path" and isinstance(value, str) and value:
            if spec.access == "write":
                confinement.write(Path(value))
            else:
                confinement.read(Path(value))
    return confinement


def refuse_missing_writable_inputs(automation: Automation, inputs: Mapping[str, object]) -> None:
    """A `path` input with `access: write` must exist before the run: the automation may
    update what it was given, not create files beside it (new files go to its output
    folder). The same with and without the sandbox, so a run behaves alike everywhere."""
    missing = [
        f"{name}: {value}"
        for name, spec in automation.inputs.items()
        if spec.type == "path"
        and spec.access == "write"
        and isinstance(value := inputs.get(name), str)
        and value
        and not os.path.lexists(value)
    ]
    if missing:
        raise ToolkitError(
            f"{automation.name} updates a file that does not exist ({'; '.join(missing)})",
            "create it first (or give the file it should update); an automation may update "
            "the files it is given with `access: write` but not create files beside them: "
            "new files belong in its output folder, $AUTOKIT_OUTPUT_DIR",
        )


def child_environment(
    environment: Environment,
    secrets: Mapping[str, str],
    extra: Mapping[str, str],
) -> dict[str, str]:
    """The allowlisted variables, the environment's bin folder first on PATH, the secrets."""
    env = {name: os.environ[name] for name in ALLOWED_ENVIRONMENT if name in os.environ}
    env.setdefault("PATH", os.defpath)
    if environment.bin_dir is not None:
        env["PATH"] = f"{environment.bin_dir}{os.pathsep}{env['PATH']}"
        env["VIRTUAL_ENV"] = str(environment.path)
    env.update(secrets)
    env.update(extra)
    return env
