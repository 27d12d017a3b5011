"""`autokit schedule render` and `autokit schedule due`, on real repositories."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
import yaml
from helpers import assert_matches_snapshot, automation_files

from toolkit import schedule
from toolkit.inventory import load_inventory
from toolkit.repo import Repository

PROJECT = Path(__file__).resolve().parent.parent
WEEKDAYS = "0 8 * * 1-5"
DAILY = "0 7 * * *"


def _scheduled_repo(make_repo, **extra_files: str) -> Path:
    files = {
        **automation_files(
            "invoice-reminders",
            schedule=WEEKDAYS,
            secrets=[{"name": "SMTP_PASSWORD", "description": "SMTP login"}],
        ),
        # The same expression written with other spacing is the same entry.
        **automation_files("timesheet-summary", schedule="0  8 * *   1-5"),
        **automation_files(
            "low-stock-alert",
            schedule=DAILY,
            secrets=[{"name": "WEBHOOK_URL", "description": "chat webhook"}],
        ),
        **automation_files("contacts-dedupe"),
        **extra_files,
    }
    return make_repo(files)


def _triggers(text: str) -> dict:
    data = yaml.safe_load(text)
    return data.get("on", data.get(True))


def _render(root: Path) -> str:
    repo = Repository(root)
    return schedule.render_scheduled_workflow(repo, load_inventory(repo).automations)


# --- the library --------------------------------------------------------------------


def test_scheduled_workflow_matches_snapshot(make_repo) -> None:
    """The whole generated file, for two automations on two schedules, one with a secret."""
    root = make_repo(
        {
            **automation_files(
                "invoice-reminders",
                schedule=WEEKDAYS,
                secrets=[{"name": "SMTP_PASSWORD", "description": "SMTP login"}],
            ),
            **automation_files("low-stock-alert", schedule=DAILY),
        }
    )
    assert_matches_snapshot(_render(root), "scheduled.yml")


def test_one_cron_entry_per_distinct_expression(make_repo) -> None:
    root = _scheduled_repo(make_repo)
    text = _render(root)
    assert _triggers(text)["schedule"] == [{"cron": DAILY}, {"cron": WEEKDAYS}]
    assert f"- cron: '{WEEKDAYS}'  # invoice-reminders, timesheet-summary" in text
    assert "contacts-dedupe" not in text


def _job_secrets(job: dict) -> dict[str, str]:
    """The secrets a job's run step maps, and the names it tells the script about."""
    env = next(s for s in job["steps"] if s.get("id") == "run")["env"]
    mapped = {k: v for k, v in env.items() if str(v).startswith("${{ secrets.")}
    assert env["AUTOKIT_MAPPED_SECRETS"].split() == sorted(mapped)
    return mapped


def test_each_scheduled_job_maps_only_its_automations_secrets(make_repo) -> None:
    text = _render(_scheduled_repo(make_repo))
    jobs = yaml.safe_load(text)["jobs"]
    assert list(jobs) == [
        "due",
        "run-invoice-reminders",
        "notify-invoice-reminders",
        "run-low-stock-alert",
        "notify-low-stock-alert",
        "run-timesheet-summary",
        "notify-timesheet-summary",
        "ledger",
    ]  # contacts-dedupe has no schedule
    assert jobs["ledger"]["needs"] == [
        "run-invoice-reminders",
        "run-low-stock-alert",
        "run-timesheet-summary",
    ]
    assert _job_secrets(jobs["run-invoice-reminders"]) == {
        "SMTP_PASSWORD": "${{ secrets.SMTP_PASSWORD }}"
    }
    assert _job_secrets(jobs["run-low-stock-alert"]) == {
        "WEBHOOK_URL": "${{ secrets.WEBHOOK_URL }}"
    }
    assert _job_secrets(jobs["run-timesheet-summary"]) == {}
    for name in ("invoice-reminders", "low-stock-alert", "timesheet-summary"):
        job = jobs[f"run-{name}"]
        assert job["environment"] == name
        assert job["if"] == f"contains(fromJSON(needs.due.outputs.automations), '{name}')"
        _assert_sandboxed(job)
    assert "toJSON(secrets)" not in text and "secrets[" not in text


def _assert_sandboxed(job: dict) -> None:
    """bubblewrap installed, AppArmor's restriction lifted, and the run refusing without it."""
    steps = {step.get("id"): step for step in job["steps"]}
    assert "sudo apt-get install -y bubblewrap" in steps["sandbox"]["run"]
    assert "kernel.apparmor_restrict_unprivileged_userns=0" in steps["sandbox"]["run"]
    assert list(steps).index("sandbox") < list(steps).index("run")
    assert steps["run"]["env"]["AUTOKIT_SANDBOX"] == "required"


def test_no_schedules_leaves_only_the_manual_trigger(make_repo) -> None:
    text = _render(make_repo(automation_files("contacts-dedupe")))
    assert list(_triggers(text)) == ["workflow_dispatch"]


def test_due_automations_library(make_repo) -> None:
    automations = load_inventory(Repository(_scheduled_repo(make_repo))).automations
    assert schedule.due_automations(automations, WEEKDAYS) == [
        "invoice-reminders",
        "timesheet-summary",
    ]
    assert schedule.due_automations(automations, " 0 7 * *  * ") == ["low-stock-alert"]
    assert schedule.due_automations(automations, "30 6 * * *") == []


# --- autokit schedule render -----------------------------------------------------------


def test_render_writes_then_check_passes(make_repo, cli) -> None:
    root = _scheduled_repo(make_repo)
    first = cli("schedule", "render", "--repo", str(root))
    assert first.code == 0, first
    assert "wrote .github/workflows/scheduled.yml" in first.out
    assert (root / schedule.SCHEDULED_WORKFLOW).read_text() == _render(root)
    checked = cli("schedule", "render", "--check", "--repo", str(root))
    assert checked.code == 0, checked
    again = cli("schedule", "render", "--repo", str(root))
    assert "up to date" in again.out


REQUIRED_GREETING = {
    "greeting": {"type": "string", "description": "Who to greet", "required": True}
}


def test_render_names_scheduled_inputs_that_need_setting(make_repo, cli) -> None:
    root = _scheduled_repo(
        make_repo,
        # Scheduled with a required input: the scheduled run has nobody to type it.
        **automation_files("greeter", schedule=DAILY, inputs=REQUIRED_GREETING),
        # The same input, but nobody schedules it: runs by hand give it.
        **automation_files("hand-greeter", inputs=REQUIRED_GREETING),
    )
    result = cli("schedule", "render", "--repo", str(root))
    assert result.code == 0, result
    assert result.err.splitlines() == [
        "note: greeter runs on schedule and needs greeting: set them as the variable "
        "SCHEDULED_INPUTS (a JSON object) of the GitHub environment 'greeter' "
        "(see docs/administrators.md)"
    ]
    run_job = yaml.safe_load((root / schedule.SCHEDULED_WORKFLOW).read_text())["jobs"][
        "run-greeter"
    ]
    steps = {step.get("id"): step for step in run_job["steps"]}
    assert steps["inputs"]["env"]["INPUTS_JSON"] == "${{ vars.SCHEDULED_INPUTS }}"
    assert '--inputs-file "$RUNNER_TEMP/inputs.json"' in steps["run"]["run"]


def test_render_notes_a_schedule_more_frequent_than_github_runs(make_repo, cli) -> None:
    root = _scheduled_repo(
        make_repo,
        **automation_files("queue-poller", schedule="*/2 * * * *"),
        **automation_files("edge-poller", schedule="58 * * * *"),  # hourly: fine
        **automation_files("wrap-poller", schedule="1,58 * * * *"),  # 3 minutes apart
    )
    result = cli("schedule", "render", "--repo", str(root))
    assert result.code == 0, result
    notes = [line for line in result.err.splitlines() if "every 5 minutes" in line]
    assert len(notes) == 2, result.err
    assert notes[0].startswith("note: '*/2 * * * *' fires more often than every 5 minutes")
    assert notes[1].startswith("note: '1,58 * * * *' fires")


def test_check_fails_when_a_schedule_changed(make_repo, cli) -> None:
    root = _scheduled_repo(make_repo)
    assert cli("schedule", "render", "--repo", str(root)).code == 0
    metadata = root / "automations/contacts-dedupe/automation.yaml"
    metadata.write_text(metadata.read_text() + "schedule: 15 3 * * 0\n")
    before = (root / schedule.SCHEDULED_WORKFLOW).read_text()
    result = cli("schedule", "render", "--check", "--repo", str(root))
    assert result.code == 1
    assert ".github/workflows/scheduled.yml is out of date" in result.err
    assert "run `autokit schedule render`" in result.err
    # The difference is shown, so that CI's log says what is stale.
    assert "  +    - cron: '15 3 * * 0'  # contacts-dedupe" in result.err.splitlines()
    assert (root / schedule.SCHEDULED_WORKFLOW).read_text() == before  # --check writes nothing
    assert cli("schedule", "render", "--repo", str(root)).code == 0
    assert {"cron": "15 3 * * 0"} in _triggers((root / schedule.SCHEDULED_WORKFLOW).read_text())[
        "schedule"
    ]


def test_check_fails_when_the_workflow_is_missing(make_repo, cli) -> None:
    root = _scheduled_repo(make_repo)
    result = cli("schedule", "render", "--check", "--repo", str(root))
    assert result.code == 1
    assert "error: .github/workflows/scheduled.yml is missing" in result.err
    assert "run `autokit schedule render`" in result.err
    assert not (root / schedule.SCHEDULED_WORKFLOW).exists()


@pytest.mark.parametrize("check", [False, True], ids=["render", "check"])
def test_unreadable_workflow_is_a_clear_error(make_repo, cli, check: bool) -> None:
    root = _scheduled_repo(make_repo)
    (root / schedule.SCHEDULED_WORKFLOW).mkdir(parents=True)  # a folder where the file goes
    (root / schedule.RUN_WORKFLOW).write_bytes(b"\xff\xfe not UTF-8")
    flags = ["--check"] if check else []
    result = cli("schedule", "render", *flags, "--repo", str(root))
    assert result.code == 1, result
    assert "error: cannot read .github/workflows/run.yml: 'utf-8' codec" in result.err
    assert "restore it with `git checkout -- .github/workflows/run.yml`" in result.err
    (root / schedule.RUN_WORKFLOW).unlink()
    result = cli("schedule", "render", *flags, "--repo", str(root))
    assert result.code == 1, result
    assert "error: cannot read .github/workflows/scheduled.yml: Is a directory" in result.err


def test_unwritable_workflow_folder_is_a_clear_error(make_repo, cli, tmp_path: Path) -> None:
    root = _scheduled_repo(make_repo)
    (root / ".github").mkdir()
    (root / ".github" / "workflows").symlink_to(tmp_path / "nowhere")  # dangling
    result = cli("schedule", "render", "--repo", str(root))
    assert result.code == 1, result
    assert "error: cannot write .github/workflows/scheduled.yml" in result.err
    assert "make sure .github/workflows/ is a folder you can write to" in result.err
    assert not (tmp_path / "nowhere").exists()


def test_render_refuses_invalid_metadata(make_repo, cli) -> None:
    root = _scheduled_repo(make_repo)
    metadata = root / "automations/low-stock-alert/automation.yaml"
    metadata.write_text(metadata.read_text().replace(f"schedule: {DAILY}", "schedule: 0 25 * * *"))
    result = cli("schedule", "render", "--repo", str(root))
    assert result.code == 1
    assert "automations/low-stock-alert/automation.yaml:" in result.err
    assert "schedule" in result.err and "Traceback" not in result.err
    assert not (root / schedule.SCHEDULED_WORKFLOW).exists()


def test_render_generates_run_workflow_with_a_job_per_automation(make_repo, cli) -> None:
    root = _scheduled_repo(make_repo, **{schedule.RUN_WORKFLOW: "# an old run.yml\n"})
    assert cli("schedule", "render", "--check", "--repo", str(root)).code == 1
    result = cli("schedule", "render", "--repo", str(root))
    assert "wrote .github/workflows/run.yml" in result.out
    jobs = yaml.safe_load((root / schedule.RUN_WORKFLOW).read_text())["jobs"]
    names = ["contacts-dedupe", "invoice-reminders", "low-stock-alert", "timesheet-summary"]
    each = [job for name in names for job in (f"run-{name}", f"notify-{name}")]
    assert list(jobs) == ["check", *each, "ledger"]
    assert jobs["ledger"]["needs"] == [f"run-{name}" for name in names]
    secrets = {name: _job_secrets(jobs[f"run-{name}"]) for name in names}
    assert secrets == {
        "contacts-dedupe": {},
        "invoice-reminders": {"SMTP_PASSWORD": "${{ secrets.SMTP_PASSWORD }}"},
        "low-stock-alert": {"WEBHOOK_URL": "${{ secrets.WEBHOOK_URL }}"},
        "timesheet-summary": {},
    }
    for name in names:
        job = jobs[f"run-{name}"]
        # Only the job of the automation asked for runs, in that automation's environment.
        assert job["if"] == f"inputs.automation == '{name}'"
        assert (job["environment"], job["needs"]) == (name, "check")
        _assert_sandboxed(job)
    assert cli("schedule", "render", "--check", "--repo", str(root)).code == 0


def test_a_repository_without_run_workflow_does_not_get_one(make_repo, cli) -> None:
    root = _scheduled_repo(make_repo)
    assert cli("schedule", "render", "--repo", str(root)).code == 0
    assert not (root / schedule.RUN_WORKFLOW).exists()


def test_repository_template_takes_precedence(make_repo, cli) -> None:
    root = _scheduled_repo(make_repo)
    own = root / "templates" / schedule.TEMPLATE
    own.parent.mkdir(parents=True)
    shutil.copy(PROJECT / "templates" / schedule.TEMPLATE, own)
    own.write_text(own.read_text().replace("name: scheduled\n", "name: nightly\n"))
    assert cli("schedule", "render", "--repo", str(root)).code == 0
    assert yaml.safe_load((root / schedule.SCHEDULED_WORKFLOW).read_text())["name"] == "nightly"


def test_template_undefined_variable_is_an_error(make_repo) -> None:
    from jinja2 import UndefinedError

    root = _scheduled_repo(make_repo)
    own = root / "templates" / schedule.TEMPLATE
    own.parent.mkdir(parents=True)
    own.write_text("name: {{ no_such_variable }}\n")
    with pytest.raises(UndefinedError):
        _render(root)


# --- autokit schedule due --------------------------------------------------------------


@pytest.fixture
def rendered_repo(make_repo, cli) -> Path:
    root = _scheduled_repo(make_repo)
    assert cli("schedule", "render", "--repo", str(root)).code == 0
    return root


def test_due_several_automations(rendered_repo: Path, cli) -> None:
    result = cli(
        "schedule", "due", "--cron", WEEKDAYS, "--format", "json", "--repo", str(rendered_repo)
    )
    assert result.code == 0, result
    assert result.out == '["invoice-reminders","timesheet-summary"]\n'  # one line: GITHUB_OUTPUT
    assert result.err == ""
    text = cli("schedule", "due", "--cron", WEEKDAYS, "--repo", str(rendered_repo))
    assert text.out.splitlines() == ["invoice-reminders", "timesheet-summary"]


def test_due_one_automation(rendered_repo: Path, cli) -> None:
    result = cli(
        "schedule", "due", "--cron", DAILY, "--format", "json", "--repo", str(rendered_repo)
    )
    assert json.loads(result.out) == ["low-stock-alert"]


def test_due_none_for_an_expression_still_in_the_workflow(rendered_repo: Path, cli) -> None:
    # The automation lost its schedule, but the workflow was not rendered again.
    metadata = rendered_repo / "automations/low-stock-alert/automation.yaml"
    metadata.write_text(metadata.read_text().replace(f"schedule: {DAILY}\n", ""))
    result = cli(
        "schedule", "due", "--cron", DAILY, "--format", "json", "--repo", str(rendered_repo)
    )
    assert result.code == 0
    assert json.loads(result.out) == []
    assert f"no automation is scheduled at '{DAILY}'" in result.err
    assert "still lists it: run `autokit schedule render`" in result.err


def test_due_expression_not_in_the_file(rendered_repo: Path, cli) -> None:
    result = cli(
        "schedule", "due", "--cron", "30 6 * * *", "--format", "json", "--repo", str(rendered_repo)
    )
    assert result.code == 0
    assert json.loads(result.out) == []
    assert "notice: no automation is scheduled at '30 6 * * *'" in result.err
    assert "not an entry of .github/workflows/scheduled.yml" in result.err
    text = cli("schedule", "due", "--cron", "30 6 * * *", "--repo", str(rendered_repo))
    assert text.code == 0 and text.out == ""


def test_due_warns_when_the_workflow_lacks_the_expression(make_repo, cli) -> None:
    root = _scheduled_repo(make_repo)  # scheduled.yml never rendered
    result = cli("schedule", "due", "--cron", DAILY, "--format", "json", "--repo", str(root))
    assert json.loads(result.out) == ["low-stock-alert"]
    assert "GitHub never runs these on schedule" in result.err


def test_due_rejects_an_invalid_expression(rendered_repo: Path, cli) -> None:
    result = cli("schedule", "due", "--cron", "0 8 * *", "--repo", str(rendered_repo))
    assert result.code == 1
    assert "'0 8 * *' is not a valid cron expression: has 4 fields" in result.err
    assert "Traceback" not in result.err


def test_due_skips_a_broken_automation_but_runs_the_others(rendered_repo: Path, cli) -> None:
    metadata = rendered_repo / "automations/timesheet-summary/automation.yaml"
    metadata.write_text(metadata.read_text().replace("owners:", "owner:"))
    result = cli(
        "schedule", "due", "--cron", WEEKDAYS, "--format", "json", "--repo", str(rendered_repo)
    )
    assert result.code == 0
    assert json.loads(result.out) == ["invoice-reminders"]
    assert "warning: skipped: automations/timesheet-summary/automation.yaml" in result.err


def test_due_requires_cron(rendered_repo: Path, cli) -> None:
    assert cli("schedule", "due", "--repo", str(rendered_repo)).code == 2
