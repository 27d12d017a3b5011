"""The generated workflows read as YAML: which run automations, and their run jobs."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml
from helpers import git

PROJECT = Path(__file__).resolve().parent.parent
WORKFLOWS = PROJECT / ".github" / "workflows"
RUNS_AN_AUTOMATION = re.compile(r"\bautokit\s+run\b(?!s)")


def load_workflow(path: Path) -> dict[str, Any]:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    data["on"] = data.pop(True, data.get("on"))  # YAML 1.1 reads the key `on` as true
    return data


def run_workflows(folder: Path = WORKFLOWS) -> list[Path]:
    """The generated workflows that run automations: run.yml, scheduled.yml, the Run forms."""
    found = [folder / "run.yml", folder / "scheduled.yml"]
    return found + sorted(folder.glob("run-*.yml"))


def automation_run_jobs(workflow: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """The jobs that run an automation (those with a step `run` that calls `autokit run`)."""
    return {
        job_id: job
        for job_id, job in workflow["jobs"].items()
        if any(
            RUNS_AN_AUTOMATION.search(s.get("run", ""))
            for s in job["steps"]
            if s.get("id") == "run"
        )
    }


def default_branch_checkout(origin: Path, runner_temp: Path) -> Path:
    """A shallow clone of origin's `main` in `runner_temp`, as a job's checkout makes it."""
    runner_temp.mkdir(exist_ok=True)
    clone = runner_temp / "checkout"
    git(
        runner_temp,
        "clone",
        "-q",
        "--depth",
        "1",
        "--branch",
        "main",
        f"file://{origin}",
        str(clone),
    )
    return clone
