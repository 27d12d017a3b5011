"""The notify jobs: after each automation's run job, one that tells its owners of a failure.

The generated workflows are read as YAML for what they promise (the notify job writes
issues and nothing else, runs no automation code, reads the default branch's autokit, and
sees only the secrets the automation's `notify:` names), then the notify step's script is
run with bash against the GitHub API of tests/github_api.py on loopback.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml
from github_api import REPOSITORY, TOKEN, FakeGitHub, serving
from helpers import automation_files, bare_origin, commit_all, ledger_record, publish_ledger
from workflow_jobs import (
    PROJECT,
    RUNS_AN_AUTOMATION,
    automation_run_jobs,
    default_branch_checkout,
    load_workflow,
    run_workflows,
)

from toolkit import forms

EXPRESSION = re.compile(r"\$\{\{\s*(.*?)\s*\}\}")
SECRETS = [
    {"name": "API_KEY", "description": "The shop's API key"},
    {"name": "CHAT_WEBHOOK", "description": "The chat webhook's URL"},
    {"name": "SMTP_PASSWORD", "description": "The mail account's password"},
]


def _notify_id(run_id: str) -> str:
    return "notify" if run_id == "run" else f"notify-{run_id.removeprefix('run-')}"


def _step(job: dict[str, Any], step_id: str) -> dict[str, Any]:
    return next(step for step in job["steps"] if step.get("id") == step_id)


def _uploaded_record(run_job: dict[str, Any]) -> str:
    """The name of the artifact the run job uploads its ledger record as."""
    uploads = [s for s in run_job["steps"] if s.get("uses", "").startswith("actions/upload-")]
    names = [s["with"]["name"] for s in uploads if s["with"]["name"].startswith("ledger-record-")]
    assert len(names) == 1, names
    return names[0]


# --- what the workflows promise --------------------------------------------------------


@pytest.mark.parametrize("path", run_workflows(), ids=lambda p: p.name)
def test_a_notify_job_follows_each_run_job_and_may_only_write_issues(path: Path) -> None:
    jobs = load_workflow(path)["jobs"]
    run_jobs = automation_run_jobs({"jobs": jobs})
    assert run_jobs, path.name
    notify_ids = [job_id for job_id in jobs if job_id.startswith("notify")]
    assert sorted(notify_ids) == sorted(_notify_id(run_id) for run_id in run_jobs)
    for run_id, run_job in run_jobs.items():
        job = jobs[_notify_id(run_id)]
        assert job["needs"] == run_id
        assert job["if"] == f"${{{{ !cancelled() && needs.{run_id}.result != 'skipped' }}}}"
        assert job["permissions"] == {"contents": "read", "issues": "write"}
        # No shipped automation names notify secrets: no environment, no secret.
        assert "environment" not in job and "secrets" not in job
        assert _step(job, "notify")["env"] == {"GITHUB_TOKEN": "${{ github.token }}"}
        for step in job["steps"]:
            assert not RUNS_AN_AUTOMATION.search(step.get("run", "")), step
        checkout = job["steps"][0]
        assert checkout["uses"].startswith("actions/checkout@")
        assert checkout["with"]["ref"] == "${{ github.event.repository.default_branch }}"
        assert checkout["with"]["persist-credentials"] is False
        download = _step(job, "download")
        assert download["uses"].startswith("actions/download-artifact@")
        # The exact name the run job uploads (a pattern, so that none is no error).
        assert download["with"]["pattern"] == _uploaded_record(run_job)
        assert not set("*?[]") & set(download["with"]["pattern"])
        assert download["with"]["path"] == "${{ runner.temp }}/record"
        assert 'autokit notify --record "${found[0]}"' in _step(job, "notify")["run"]


@pytest.fixture
def notified_repo(make_repo, cli) -> Path:
    """`chatty` names a chat webhook and an SMTP password in `notify:`, `quiet` nothing;
    both declare secrets and run on a schedule; the workflows rendered."""
    notify = {
        "webhook_secret": "CHAT_WEBHOOK",
        "email": {
            "to": ["owners@example.com"],
            "smtp_host": "smtp.example.com",
            "username": "autokit",
            "password_secret": "SMTP_PASSWORD",
        },
    }
    root = make_repo(
        {
            **automation_files("chatty", secrets=SECRETS, notify=notify, schedule="0 8 * * *"),
            **automation_files("quiet", secrets=SECRETS[:1], schedule="0 9 * * *"),
            ".github/workflows/run.yml": "# rendered below\n",  # render writes it when present
        }
    )
    result = cli("schedule", "render", "--repo", str(root))
    assert result.code == 0, result
    return root


def test_the_notify_secrets_and_no_other_reach_the_notify_job(notified_repo: Path) -> None:
    folder = notified_repo / ".github" / "workflows"
    assert (folder / Path(forms.form_path("chatty")).name).is_file()
    for path in run_workflows(folder):
        jobs = load_workflow(path)["jobs"]
        for run_id in automation_run_jobs({"jobs": jobs}):
            name = jobs[run_id]["environment"]
            job = jobs[_notify_id(run_id)]
            env = _step(job, "notify")["env"]
            if name == "chatty":
                assert job["environment"] == "chatty", path.name
                assert env == {
                    "GITHUB_TOKEN": "${{ github.token }}",
                    "CHAT_WEBHOOK": "${{ secrets.CHAT_WEBHOOK }}",
                    "SMTP_PASSWORD": "${{ secrets.SMTP_PASSWORD }}",
                }  # not API_KEY, which only the run needs
            else:
                assert "environment" not in job, path.name
                assert env == {"GITHUB_TOKEN": "${{ github.token }}"}
            assert job["permissions"] == {"contents": "read", "issues": "write"}
        text = path.read_text(encoding="utf-8")
        notify_text = yaml.safe_dump({k: v for k, v in jobs.items() if k.startswith("notify")})
        assert "API_KEY" not in notify_text and "API_KEY" in text


# --- the notify step, run for real --------------------------------------------------------


def _step_env(step: dict[str, Any], runner_temp: Path, secrets: dict[str, str]) -> dict[str, str]:
    """A step's `env:` as the runner gives it: the token, the secrets given (others empty)."""

    def value(match: re.Match[str]) -> str:
        expression = match[1]
        if expression == "github.token":
            return TOKEN
        if expression == "runner.temp":
            return str(runner_temp)
        assert expression.startswith("secrets."), expression
        return secrets.get(expression.removeprefix("secrets."), "")

    return {key: EXPRESSION.sub(value, str(text)) for key, text in step.get("env", {}).items()}


def _notify_step(
    root: Path, workflow: str, job_id: str, runner_temp: Path, api: str, **secrets: str
) -> tuple[subprocess.CompletedProcess[str], str]:
    """The notify step's script in `root` (the default branch's checkout), as GitHub runs
    it with `shell: bash`; its result and the job summary."""
    step = _step(load_workflow(root / ".github" / "workflows" / workflow)["jobs"][job_id], "notify")
    summary = runner_temp / "summary.md"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GITHUB_", "RUNNER_"))}
    env.update(
        PATH=f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}",
        PYTHONPATH=str(PROJECT),
        GITHUB_STEP_SUMMARY=str(summary),
        GITHUB_API_URL=api,
        GITHUB_REPOSITORY=REPOSITORY,
        GITHUB_SERVER_URL="http://github.invalid",
        RUNNER_TEMP=str(runner_temp),
        **_step_env(step, runner_temp, secrets),
    )
    command = ["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", step["run"]]
    result = subprocess.run(
        command, cwd=root, env=env, capture_output=True, text=True, check=False, timeout=120
    )
    return result, summary.read_text() if summary.exists() else ""


def _downloaded(runner_temp: Path, **overrides: Any) -> Path:
    """The run's record where the download step puts it."""
    overrides.setdefault("automation", "quiet")
    record = ledger_record(1, **overrides)
    folder = runner_temp / "record"
    folder.mkdir(parents=True)
    path = folder / f"{record.id}.json"
    path.write_text(record.to_json(), encoding="utf-8")
    return path


def test_a_failed_run_opens_one_issue(notified_repo: Path, tmp_path: Path) -> None:
    commit_all(notified_repo, "the workflows")
    runner_temp = tmp_path / "runner"
    _downloaded(
        runner_temp,
        status="failed",
        exit_code=1,
        counts=False,
        minutes_saved=0.0,
        trigger="schedule",
        where=f"https://github.com/{REPOSITORY}/actions/runs/4242",
        error="ValueError: the sheet has no rows",
    )
    fake = FakeGitHub()
    with serving(fake) as api:
        result, _summary = _notify_step(
            notified_repo, "scheduled.yml", "notify-quiet", runner_temp, api
        )
    assert result.returncode == 0, result.stdout + result.stderr
    # No origin to fetch the ledger from: this failure is the first in a row.
    assert "the run ledger could not be fetched" in result.stdout
    [issue] = fake.issues.values()
    assert issue["state"] == "open"
    assert {label["name"] for label in issue["labels"]} == {"run-failure", "automation:quiet"}
    assert "actions/runs/4242" in issue["body"]
    assert "the sheet has no rows" in issue["body"]


def test_no_record_is_nothing_to_tell(notified_repo: Path, tmp_path: Path) -> None:
    runner_temp = tmp_path / "runner"
    runner_temp.mkdir()
    fake = FakeGitHub()
    with serving(fake) as api:
        result, summary = _notify_step(notified_repo, "run.yml", "notify-quiet", runner_temp, api)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "No run record: the run was refused before it started" in summary
    assert fake.requests == [] and fake.issues == {}


def test_a_notify_secret_nobody_set_fails_the_job_after_the_issue(
    notified_repo: Path, tmp_path: Path
) -> None:
    runner_temp = tmp_path / "runner"
    _downloaded(runner_temp, automation="chatty", status="failed", exit_code=1, counts=False)
    fake = FakeGitHub()
    with serving(fake) as api:
        result, _summary = _notify_step(notified_repo, "run.yml", "notify-chatty", runner_temp, api)
    assert result.returncode == 1, result.stdout + result.stderr
    assert "CHAT_WEBHOOK is not set, so the chat webhook was not told" in result.stderr
    assert len(fake.open_issues()) == 1


@pytest.mark.parametrize("earlier", ["failed", "success"])
def test_failures_in_a_row_are_counted_from_the_ledger_branch(
    make_repo, cli, tmp_path: Path, earlier: str
) -> None:
    """`after_failures: 2`: the step fetches the ledger into the default branch's shallow
    checkout, so a second failure in a row opens the issue and a first one does not."""
    root = make_repo(automation_files("flaky", notify={"after_failures": 2}, schedule="0 8 * * *"))
    assert cli("schedule", "render", "--repo", str(root)).code == 0
    commit_all(root, "the workflows")
    origin = bare_origin(root)
    failed = {"status": "failed", "exit_code": 1, "counts": False, "minutes_saved": 0.0}
    before = failed if earlier == "failed" else {}
    publish_ledger(root, [ledger_record(1, automation="flaky", **before)])
    runner_temp = tmp_path / "runner"
    checkout = default_branch_checkout(origin, runner_temp)
    record = ledger_record(2, automation="flaky", **failed)
    (runner_temp / "record").mkdir()
    (runner_temp / "record" / f"{record.id}.json").write_text(record.to_json())
    fake = FakeGitHub()
    with serving(fake) as api:
        result, _summary = _notify_step(checkout, "scheduled.yml", "notify-flaky", runner_temp, api)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "fetched the ledger from origin" in result.stdout
    assert len(fake.open_issues()) == (1 if earlier == "failed" else 0)


def test_the_admin_page_says_how_owners_hear_of_failures() -> None:
    page = (PROJECT / "docs" / "administrators.md").read_text(encoding="utf-8")
    section = page.split("## Hearing of failures", 1)[1].split("\n## ", 1)[0]
    for told in (
        "`run-failure`",
        "`automation:<name>`",
        "`issues: write`",
        "**automation's environment**",
        "webhook_secret:",
        "password_secret:",
        "notify_every_hours",
        "notify_after_failures",
    ):
        assert told in section, told
