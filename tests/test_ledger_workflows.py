"""Every run on GitHub Actions reaches the run ledger: the workflows' side of it.

The generated workflows are read as YAML for what they promise (the ledger job may write
and runs no automation, the run jobs stay read-only), then their steps are run for real:
the run job's `run` and `collect` scripts on a clone with a bare origin, the records
handed over as the artifacts would hand them, and the ledger job's push script in a
shallow clone of the default branch, pushing to the bare origin.
"""

from __future__ import annotations

import fnmatch
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from helpers import automation_files, bare_origin, commit_all, git
from workflow_jobs import (
    RUNS_AN_AUTOMATION,
    automation_run_jobs,
    default_branch_checkout,
    load_workflow,
    run_workflows,
)

from toolkit.ledger.record import RECORD_BYTES

PROJECT = Path(__file__).resolve().parent.parent
WORKFLOWS = PROJECT / ".github" / "workflows"
LEDGER_BRANCH = "autokit/runs"
SERVER = "http://github.invalid"
REPOSITORY = "shop/automations"
EXPRESSION = re.compile(r"\$\{\{\s*(.*?)\s*\}\}")


def _step(job: dict[str, Any], step_id: str) -> dict[str, Any]:
    return next(step for step in job["steps"] if step.get("id") == step_id)


# --- what the workflows promise --------------------------------------------------------


@pytest.mark.parametrize("path", run_workflows(), ids=lambda p: p.name)
def test_the_ledger_job_may_write_and_runs_no_automation(path: Path) -> None:
    workflow = load_workflow(path)
    ledger = workflow["jobs"]["ledger"]
    assert ledger["permissions"] == {"contents": "write"}
    assert "environment" not in ledger and "secrets" not in ledger
    assert ledger["if"] == "${{ !cancelled() }}"
    run_jobs = automation_run_jobs(workflow)
    assert run_jobs, path.name
    needs = ledger["needs"] if isinstance(ledger["needs"], list) else [ledger["needs"]]
    assert sorted(needs) == sorted(run_jobs)
    checkout = ledger["steps"][0]
    assert checkout["uses"].startswith("actions/checkout@")
    assert checkout["with"] == {
        "ref": "${{ github.event.repository.default_branch }}",
        "fetch-depth": 1,
        "persist-credentials": False,
    }
    for step in ledger["steps"]:
        assert not RUNS_AN_AUTOMATION.search(step.get("run", "")), step
        assert "secrets." not in json.dumps(step)
    push = _step(ledger, "push")
    assert push["env"] == {"GITHUB_TOKEN": "${{ github.token }}"}
    assert 'autokit runs push --records "$records"' in push["run"]


@pytest.mark.parametrize("path", run_workflows(), ids=lambda p: p.name)
def test_run_jobs_stay_read_only_and_upload_their_record_apart(path: Path) -> None:
    workflow = load_workflow(path)
    assert workflow["permissions"] == {"contents": "read"}
    trigger = "schedule" if path.name == "scheduled.yml" else "dispatch"
    download = _step(workflow["jobs"]["ledger"], "download")["with"]
    for job in automation_run_jobs(workflow).values():
        assert job.get("permissions", workflow["permissions"]) == {"contents": "read"}
        assert _step(job, "run")["env"]["AUTOKIT_TRIGGER"] == trigger
        collect = _step(job, "collect")
        assert 'autokit runs export "$run_id" > "$record/$run_id.json"' in collect["run"]
        uploads = {
            step["with"]["name"]: step
            for step in job["steps"]
            if step.get("uses", "").startswith("actions/upload-artifact@")
        }
        [record] = [name for name in uploads if name.startswith("ledger-record-")]
        [outputs] = [name for name in uploads if name.startswith("run-")]
        # The ledger job downloads the records and never the outputs.
        assert fnmatch.fnmatchcase(record, download["pattern"])
        assert not fnmatch.fnmatchcase(outputs, download["pattern"])
        assert record.endswith("-${{ github.run_id }}")
        assert uploads[record]["with"]["path"] == "${{ runner.temp }}/ledger-record"
        assert uploads[record]["if"] == "always()"
        assert uploads[record]["with"]["retention-days"] <= 7
    assert download["merge-multiple"] is True
    assert download["path"] == "${{ runner.temp }}/ledger-records"


def test_the_catalog_job_says_whether_the_ledger_was_found(tmp_path: Path) -> None:
    catalog = load_workflow(WORKFLOWS / "publish.yml")["jobs"]["catalog"]
    assert catalog["steps"][0]["with"]["fetch-depth"] == 0  # every branch, the ledger's too
    ids = [step.get("id") for step in catalog["steps"]]
    assert ids.index("ledger") < ids.index("catalog")
    script = _step(catalog, "ledger")["run"]
    clone = tmp_path / "clone"
    clone.mkdir()
    (clone / "automations").mkdir()
    git(clone, "init", "-q", "-b", "main")
    commit_all(clone, "initial")
    summary = tmp_path / "summary.md"
    missing = _bash(script, clone, _environment(tmp_path, summary=summary))
    assert missing.returncode == 0, missing.stderr
    assert "No run ledger (branch `autokit/runs`) yet" in summary.read_text()
    git(clone, "update-ref", f"refs/remotes/origin/{LEDGER_BRANCH}", "HEAD")
    summary.unlink()
    found = _bash(script, clone, _environment(tmp_path, summary=summary))
    assert found.returncode == 0, found.stderr
    assert "The run ledger (branch `autokit/runs`) was found" in summary.read_text()


# --- the jobs, run for real --------------------------------------------------------------


def _environment(base: Path, summary: Path, **github: str) -> dict[str, str]:
    """A runner's environment: this test's isolated one, none of the GitHub variables of
    whatever machine runs the tests, autokit from this checkout first on PATH."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GITHUB_", "RUNNER_"))}
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    env["PYTHONPATH"] = str(PROJECT)
    env["GITHUB_STEP_SUMMARY"] = str(summary)
    return {**env, **github}


def _step_env(step: dict[str, Any], runner_temp: Path) -> dict[str, str]:
    """A step's `env:` as the runner gives it: `runner.temp` filled in, inputs, variables
    and secrets that nobody set empty."""

    def value(match: re.Match[str]) -> str:
        return str(runner_temp) if match[1] == "runner.temp" else ""

    return {key: EXPRESSION.sub(value, str(text)) for key, text in step.get("env", {}).items()}


def _bash(script: str, cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """A `run:` script as GitHub runs it with `shell: bash`."""
    command = ["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", script]
    return subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True, check=False)


@pytest.fixture
def shop(make_repo) -> tuple[Path, Path]:
    """A repository with `hello` (scheduled) and its generated workflows, and its bare origin."""
    from toolkit.cli import main

    root = make_repo(
        {
            **automation_files("hello", schedule="0 8 * * *"),
            ".github/workflows/run.yml": "# rendered below\n",
        }
    )
    assert main(["--repo", str(root), "schedule", "render"]) == 0
    commit_all(root, "workflows")
    return root, bare_origin(root)


def _run_job(root: Path, workflow: str, runner_temp: Path, run_id: str, actor: str) -> Path:
    """Run the `hello` job's inputs, run and collect steps in workflow run `run_id` that
    `actor` started by hand; the ledger record it left."""
    job = load_workflow(root / ".github" / "workflows" / workflow)["jobs"]["run-hello"]
    runner_temp.mkdir()
    github = {
        "GITHUB_RUN_ID": run_id,
        "GITHUB_REPOSITORY": REPOSITORY,
        "GITHUB_SERVER_URL": SERVER,
        "GITHUB_ACTOR": actor,
        "GITHUB_EVENT_NAME": "workflow_dispatch",
    }
    env = _environment(runner_temp, runner_temp / "summary.md", **github)
    env.update(RUNNER_TEMP=str(runner_temp), GITHUB_ACTIONS="true")
    for step_id in ("inputs", "run", "collect"):
        step_env = _step_env(_step(job, step_id), runner_temp)
        # The sandbox as this machine allows (the workflow requires it on GitHub's).
        step_env.pop("AUTOKIT_SANDBOX", None)
        result = _bash(_step(job, step_id)["run"], root, {**env, **step_env})
        assert result.returncode == 0, (step_id, result.stdout, result.stderr)
    [record] = (runner_temp / "ledger-record").iterdir()
    return record


def _hand_over(records: list[Path], runner_temp: Path) -> Path:
    """What download-artifact with merge-multiple leaves: every record in one folder."""
    folder = runner_temp / "ledger-records"
    folder.mkdir(parents=True, exist_ok=True)
    for record in records:
        shutil.copy(record, folder / record.name)
    return folder


def _ledger_job(
    origin: Path, workflow: str, runner_temp: Path
) -> tuple[subprocess.CompletedProcess[str], str, Path]:
    """The ledger job's push step in a shallow clone of the default branch (as its
    checkout makes it); its result, the job summary, and the clone."""
    clone = default_branch_checkout(origin, runner_temp)
    job = load_workflow(clone / ".github" / "workflows" / workflow)["jobs"]["ledger"]
    summary = runner_temp / "summary.md"
    env = _environment(runner_temp, summary, GITHUB_SERVER_URL=SERVER, GITHUB_ACTIONS="true")
    env.update(RUNNER_TEMP=str(runner_temp), GITHUB_TOKEN="dummy-token-for-the-test")
    result = _bash(_step(job, "push")["run"], clone, env)
    return result, summary.read_text() if summary.exists() else "", clone


def _ledger_on(origin: Path) -> dict[str, dict[str, Any]]:
    """The records on origin's ledger branch, by run id."""
    names = git(origin, "ls-tree", "-r", "--name-only", LEDGER_BRANCH).split()
    records = [
        json.loads(git(origin, "show", f"{LEDGER_BRANCH}:{name}"))
        for name in names
        if name.endswith(".json")
    ]
    return {record["id"]: record for record in records}


def test_a_dispatched_run_reaches_the_ledger(shop: tuple[Path, Path], tmp_path: Path) -> None:
    root, origin = shop
    record = _run_job(root, "run.yml", tmp_path / "run-job", "4242", "alice")
    ledger_temp = tmp_path / "ledger-job"
    _hand_over([record], ledger_temp)
    result, summary, clone = _ledger_job(origin, "run.yml", ledger_temp)
    assert result.returncode == 0, result.stdout + result.stderr
    landed = _ledger_on(origin)
    assert list(landed) == [record.stem]
    run = landed[record.stem]
    assert (run["automation"], run["trigger"], run["who"]) == ("hello", "dispatch", "alice")
    assert run["where"] == f"{SERVER}/{REPOSITORY}/actions/runs/4242"
    assert (run["status"], run["kind"], run["counts"]) == ("success", "real", True)
    assert f"sent 1 run record to origin ({LEDGER_BRANCH})" in summary
    # The token reached git through the environment only.
    assert "dummy-token" not in (clone / ".git" / "config").read_text()
    assert "extraheader" not in git(clone, "config", "--list", "--show-origin")


def test_a_scheduled_run_reaches_the_ledger_and_hostile_files_are_refused(
    shop: tuple[Path, Path], tmp_path: Path
) -> None:
    root, origin = shop
    # A by-hand catch-up of the schedule: GitHub says workflow_dispatch, it is a schedule.
    record = _run_job(root, "scheduled.yml", tmp_path / "run-job", "77", "bob")
    ledger_temp = tmp_path / "ledger-job"
    folder = _hand_over([record], ledger_temp)
    (folder / "garbled.json").write_bytes(b"{not json")
    (folder / "huge.json").write_bytes(b" " * (RECORD_BYTES + 1))
    elsewhere = tmp_path / "elsewhere.json"
    shutil.copy(record, elsewhere)
    (folder / "linked.json").symlink_to(elsewhere)
    result, summary, _clone = _ledger_job(origin, "scheduled.yml", ledger_temp)
    assert result.returncode == 1, result.stdout + result.stderr
    for name in ("garbled.json", "huge.json", "linked.json"):
        assert f"warning: {name}: skipped, not a run record" in result.stderr
        assert name in summary
    landed = _ledger_on(origin)
    assert list(landed) == [record.stem]
    run = landed[record.stem]
    assert (run["trigger"], run["who"]) == ("schedule", None)
    assert run["where"] == f"{SERVER}/{REPOSITORY}/actions/runs/77"
    assert "4 run record file(s) downloaded" in summary
    assert f"sent 1 run record to origin ({LEDGER_BRANCH})" in summary


def test_no_record_to_send_is_said_and_pushes_nothing(
    shop: tuple[Path, Path], tmp_path: Path
) -> None:
    """A refused run uploads no record; the download then leaves no folder at all."""
    _root, origin = shop
    result, summary, _clone = _ledger_job(origin, "run.yml", tmp_path / "ledger-job")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "No run record to send to the run ledger" in summary
    branches = git(origin, "branch", "--list", LEDGER_BRANCH)
    assert branches == ""


def test_admin_page_says_how_the_ledger_is_written_and_protected() -> None:
    from toolkit.ledger.settings import DEFAULT_BRANCH

    page = (PROJECT / "docs" / "administrators.md").read_text(encoding="utf-8")
    section = page.split("\n## The run ledger\n", 1)[1].split("\n## ", 1)[0]
    section = " ".join(section.split())  # one line: phrases may wrap anywhere
    assert f"`{DEFAULT_BRANCH}`" in section
    assert "**no input value, no output and no log**" in section
    assert "`contents: write`" in section and "job `ledger`" in section
    assert "**Block force pushes**" in section and "**Restrict deletions**" in section
    assert "**Restrict updates**" in section and "`autokit runs push` is refused" in section
    assert '`ledger_who = "none"`' in section and "`autokit runs compact`" in section
    # The retention the page promises is the workflows'.
    run = load_workflow(WORKFLOWS / "run.yml")
    upload = next(
        step
        for job in automation_run_jobs(run).values()
        for step in job["steps"]
        if step.get("with", {}).get("name", "").startswith("ledger-record-")
    )
    days = upload["with"]["retention-days"]
    assert f"kept {days} days" in section
