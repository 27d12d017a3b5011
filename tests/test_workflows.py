"""The GitHub side as files: audited by zizmor, valid against GitHub's schemas, least privilege.

GitHub cannot be reached from the test machines, so the workflows are checked the ways that
need no GitHub: zizmor's static audit (offline), check-jsonschema's vendored copies of
GitHub's workflow and issue-form schemas, and assertions on the parsed YAML.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from helpers import automation_files

PROJECT = Path(__file__).resolve().parent.parent
WORKFLOWS = PROJECT / ".github" / "workflows"
ISSUE_FORMS = PROJECT / ".github" / "ISSUE_TEMPLATE"

# The commit of each action's release tag; every `uses:` must be pinned to exactly these.
PINS = {
    "actions/checkout": ("3d3c42e5aac5ba805825da76410c181273ba90b1", "v7.0.1"),
    "actions/setup-python": ("5fda3b95a4ea91299a34e894583c3862153e4b97", "v7.0.0"),
    "actions/cache": ("27d5ce7f107fe9357f9df03efb73ab90386fccae", "v5.0.5"),
    "actions/upload-artifact": ("bbbca2ddaa5d8feaa63e36b76fdaad77386f024f", "v7.0.0"),
    "actions/download-artifact": ("3e5f45b2cfb9172054b4087a40e8e0b5a5461e7c", "v8.0.1"),
    "actions/configure-pages": ("983d7736d9b0ae728b81ab479565c72886d7745b", "v5.0.0"),
    "actions/upload-pages-artifact": ("fc324d3547104276b827a68afc52ff2a11cc49c9", "v5.0.0"),
    "actions/deploy-pages": ("cd2ce8fcbc39b97be8ca5fce6e763baed58fa128", "v5.0.0"),
}


def _tool(name: str) -> str:
    """A console script of the test environment (beside this Python, else on PATH)."""
    beside = Path(sys.executable).parent / name
    found = str(beside) if beside.exists() else shutil.which(name)
    assert found, f"{name} is not installed: pip install -e '.[dev]'"
    return found


def _load(path: Path) -> dict[str, Any]:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    if True in data:  # YAML 1.1 reads the key `on` as true
        data["on"] = data.pop(True)
    return data


def _workflow_files() -> list[Path]:
    return sorted(WORKFLOWS.glob("*.yml"))


def _steps(workflow: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    for job_id, job in workflow["jobs"].items():
        for step in job.get("steps", []):
            yield job_id, step


@pytest.fixture(scope="module")
def rendered_workflows(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A repository whose scheduled.yml and run.yml map schedules and secrets."""
    from helpers import build_tree

    from toolkit.cli import main

    root = tmp_path_factory.mktemp("rendered")
    build_tree(
        root,
        {
            **automation_files(
                "invoice-reminders",
                schedule="0 8 * * 1-5",
                secrets=[{"name": "SMTP_PASSWORD", "description": "SMTP login"}],
            ),
            **automation_files(
                "low-stock-alert",
                schedule="0 7 * * *",
                secrets=[{"name": "WEBHOOK_URL", "description": "chat webhook"}],
            ),
            ".github/workflows/run.yml": (WORKFLOWS / "run.yml").read_text(),
        },
    )
    assert main(["--repo", str(root), "schedule", "render"]) == 0
    return root / ".github" / "workflows"


def _zizmor(*paths: Path, persona: str = "regular") -> list[dict[str, Any]]:
    """zizmor's findings as JSON; exit codes 10-14 mean findings of some severity."""
    result = subprocess.run(
        [
            _tool("zizmor"),
            "--offline",
            "--no-progress",
            "--persona",
            persona,
            "--format",
            "json",
            *map(str, paths),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode in (0, 10, 11, 12, 13, 14), result.stderr
    return json.loads(result.stdout)


# --- audits --------------------------------------------------------------------------


@pytest.mark.parametrize("persona", ["regular", "auditor"])
def test_zizmor_finds_nothing_in_the_workflows(rendered_workflows: Path, persona: str) -> None:
    """Nothing at the default persona; nothing either at the one that accepts false alarms."""
    findings = _zizmor(WORKFLOWS, rendered_workflows, persona=persona)
    assert findings == [], json.dumps(findings, indent=2)[:4000]


def test_zizmor_would_catch_an_injection_and_an_unpinned_action(tmp_path: Path) -> None:
    """The audit above can fail: the same tool flags the mistakes it guards against."""
    bad = tmp_path / "bad.yml"
    bad.write_text(
        "on: pull_request\npermissions: {}\njobs:\n  x:\n    runs-on: ubuntu-latest\n"
        "    steps:\n      - uses: actions/checkout@v4\n"
        "        with: {persist-credentials: false}\n"
        '      - run: echo "${{ github.event.pull_request.title }}"\n'
    )
    idents = {finding["ident"] for finding in _zizmor(bad)}
    assert {"template-injection", "unpinned-uses"} <= idents


def test_workflows_match_github_schema(rendered_workflows: Path) -> None:
    files = [*_workflow_files(), *sorted(rendered_workflows.glob("*.yml"))]
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "check_jsonschema",
            "--builtin-schema",
            "vendor.github-workflows",
            *map(str, files),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_issue_forms_match_github_schema() -> None:
    forms = [ISSUE_FORMS / "automation-idea.yml", ISSUE_FORMS / "bug-report.yml"]
    for schema, files in (
        ("vendor.github-issue-forms", forms),
        ("vendor.github-issue-config", [ISSUE_FORMS / "config.yml"]),
    ):
        result = subprocess.run(
            [
                sys.executable,
                "-m",
                "check_jsonschema",
                "--builtin-schema",
                schema,
                *map(str, files),
            ],
            capture_output=True,
            text=True,
            check=False,
        )
        assert result.returncode == 0, result.stdout + result.stderr


def test_schema_check_would_reject_a_broken_form(tmp_path: Path) -> None:
    broken = tmp_path / "form.yml"
    broken.write_text("name: x\ndescription: y\nbody:\n  - type: textbox\n    id: a\n")
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "check_jsonschema",
            "--builtin-schema",
            "vendor.github-issue-forms",
            str(broken),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 1


# --- least privilege and pinning ---------------------------------------------------------


@pytest.mark.parametrize("path", _workflow_files(), ids=lambda p: p.name)
def test_top_level_permissions_read_only(path: Path) -> None:
    assert _load(path)["permissions"] in ({"contents": "read"}, {})


def test_write_permissions_only_where_needed() -> None:
    granted = {
        (path.name, job_id): job["permissions"]
        for path in _workflow_files()
        for job_id, job in _load(path)["jobs"].items()
        if "permissions" in job
    }
    ledger_jobs = {
        (path.name, "ledger"): {"contents": "write"}
        for path in _workflow_files()
        if path.name == "run.yml" or path.name.startswith(("run-", "scheduled"))
    }
    # Each job that tells an automation's owners of its failures writes issues, no more.
    notify_jobs = {
        (path.name, job_id): {"contents": "read", "issues": "write"}
        for path in _workflow_files()
        for job_id in _load(path)["jobs"]
        if job_id == "notify" or job_id.startswith("notify-")
    }
    assert len(notify_jobs) >= len(ledger_jobs)
    assert granted == {
        ("publish.yml", "release"): {"contents": "write"},
        # reads the idea issues for the catalog's Ideas page (`autokit ideas fetch`)
        ("publish.yml", "catalog"): {"contents": "read", "issues": "read"},
        ("publish.yml", "deploy"): {"pages": "write", "id-token": "write"},
        **ledger_jobs,  # each appends its runs' records to the ledger branch
        **notify_jobs,
    }


@pytest.mark.parametrize("path", _workflow_files(), ids=lambda p: p.name)
def test_no_privileged_triggers(path: Path) -> None:
    triggers = _load(path)["on"]
    names = set(triggers) if isinstance(triggers, dict) else {triggers}
    assert not names & {"pull_request_target", "workflow_run", "issue_comment"}


@pytest.mark.parametrize("path", _workflow_files(), ids=lambda p: p.name)
def test_every_action_pinned_to_the_release_commit(path: Path) -> None:
    text = path.read_text()
    uses = re.findall(r"uses:\s*(\S+)@(\S+)(.*)", text)
    assert uses
    for action, ref, rest in uses:
        assert action in PINS, f"{action} is not an allowed action"
        sha, tag = PINS[action]
        assert ref == sha, f"{path.name}: {action} must be pinned to {sha}"
        assert rest.strip() == f"# {tag}", f"{path.name}: {action} needs the comment '# {tag}'"


@pytest.mark.parametrize("path", _workflow_files(), ids=lambda p: p.name)
def test_no_expression_inside_run_scripts(path: Path) -> None:
    """Event fields and inputs reach shell only through env:, never spliced into a script."""
    for job_id, step in _steps(_load(path)):
        assert "${{" not in step.get("run", ""), f"{path.name} {job_id} {step.get('id')}"


@pytest.mark.parametrize("path", _workflow_files(), ids=lambda p: p.name)
def test_checkout_never_stores_credentials(path: Path) -> None:
    for _job_id, step in _steps(_load(path)):
        if step.get("uses", "").startswith("actions/checkout@"):
            assert step["with"]["persist-credentials"] is False


def test_release_gives_the_token_to_one_process_only() -> None:
    release = _load(WORKFLOWS / "publish.yml")["jobs"]["release"]
    step = next(s for s in release["steps"] if s.get("id") == "release")
    assert step["env"] == {"GITHUB_TOKEN": "${{ github.token }}"}
    assert "autokit release --push" in step["run"]
    assert "git config --global" not in step["run"]
    assert "extraheader" not in _git_config_writes(step)


def _git_config_writes(step: dict[str, Any]) -> str:
    return "\n".join(line for line in step["run"].splitlines() if line.startswith("git config"))


# --- what each workflow promises -----------------------------------------------------------


def test_ci_shape() -> None:
    ci = _load(WORKFLOWS / "ci.yml")
    assert ci["on"] == {"pull_request": None}
    assert ci["concurrency"]["cancel-in-progress"] is True
    for job_id in ("pre-commit", "policy", "changed", "catalog"):
        checkout = ci["jobs"][job_id]["steps"][0]
        assert checkout["with"]["fetch-depth"] == 0, job_id
    for _job_id, step in _steps(ci):
        if step.get("uses", "").startswith("actions/setup-python@"):
            assert step["with"]["cache"] == "pip"
    test_job = ci["jobs"]["test"]
    assert test_job["strategy"]["matrix"]["name"] == (
        "${{ fromJSON(needs.changed.outputs.tests) }}"
    )
    assert test_job["strategy"]["fail-fast"] is False
    upload = ci["jobs"]["catalog"]["steps"][-1]
    assert upload["uses"].startswith("actions/upload-artifact@")


def test_publish_shape() -> None:
    publish = _load(WORKFLOWS / "publish.yml")
    assert publish["on"] == {"push": {"branches": ["main"]}}
    assert publish["concurrency"]["cancel-in-progress"] is False
    uses = [s.get("uses", "").split("@")[0] for _j, s in _steps(publish)]
    assert "actions/upload-pages-artifact" in uses and "actions/deploy-pages" in uses
    assert publish["jobs"]["deploy"]["environment"]["name"] == "github-pages"


def test_run_dispatch_inputs_reach_shell_only_through_env() -> None:
    run = _load(WORKFLOWS / "run.yml")
    assert set(run["on"]["workflow_dispatch"]["inputs"]) == {"automation", "version", "inputs"}
    text = (WORKFLOWS / "run.yml").read_text()
    for line in text.splitlines():
        if "inputs." in line and "${{" in line:
            assert re.match(r"\s+(name|[A-Z_]+|environment|group):", line), line
    jobs = _automation_jobs(run)
    assert jobs, "run.yml has a job for each automation"
    for name, job in jobs.items():
        steps = {s.get("id"): s for s in job["steps"]}
        assert steps["inputs"]["env"] == {"INPUTS_JSON": "${{ inputs.inputs }}"}
        assert "--inputs-file" in steps["run"]["run"]
        assert job["if"] == f"inputs.automation == '{name}'"
        assert (job["environment"], job["needs"]) == (name, "check")


def _automation_jobs(workflow: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """The generated jobs that run one automation each, by automation name."""
    jobs = workflow["jobs"].items()
    return {job_id.removeprefix("run-"): job for job_id, job in jobs if job_id.startswith("run-")}


def test_run_outputs_and_record_uploaded_even_on_failure(rendered_workflows: Path) -> None:
    for path in (WORKFLOWS / "run.yml", rendered_workflows / "scheduled.yml"):
        jobs = _automation_jobs(_load(path))
        assert jobs, path
        for name, job in jobs.items():
            assert job["environment"] == name  # the automation's own environment
            steps = job["steps"]
            collect = next(s for s in steps if s.get("id") == "collect")
            upload = next(s for s in steps if s.get("with", {}).get("name", "").startswith("run-"))
            assert collect["if"] == upload["if"] == "always()"
            assert "run-record.json" in collect["run"] and "leaks.txt" in collect["run"]
            assert upload["uses"].startswith("actions/upload-artifact@")
            assert upload["with"]["name"] == f"run-{name}-${{{{ github.run_id }}}}"


def test_committed_generated_files_are_up_to_date() -> None:
    """The repository's own scheduled.yml and run.yml mapping match its metadata."""
    if not (PROJECT / "automations").is_dir():
        pytest.skip("this checkout has no automations/ folder")
    from toolkit.cli import main

    assert main(["--repo", str(PROJECT), "schedule", "render", "--check"]) == 0


# --- the workflows call the CLI that exists ------------------------------------------------


def _autokit_command_lines(path: Path) -> list[str]:
    """Each `autokit ...` invocation in the workflow's scripts, continuation lines joined."""
    commands = []
    for _job_id, step in _steps(_load(path)):
        script = step.get("run", "").replace("\\\n", " ")
        for line in script.splitlines():
            commands += re.findall(r"(?:^\s*|\$\()autokit\s+([^)|>]*)", line)
    return commands


def test_every_autokit_command_in_the_workflows_parses(rendered_workflows: Path) -> None:
    """Commands, actions and flags in the scripts exist with exactly those spellings."""
    import shlex

    from toolkit.cli import build_parser

    paths = [*_workflow_files(), rendered_workflows / "scheduled.yml"]
    seen = set()
    for path in paths:
        for command in _autokit_command_lines(path):
            argv = shlex.split(command)
            try:
                build_parser(argv[0]).parse_args(argv)
            except SystemExit:
                pytest.fail(f"{path.name}: `autokit {command}` is not a valid command line")
            seen.add(" ".join(a for a in argv[:2] if not a.startswith(("-", '"', "$"))))
    assert seen >= {
        "policy",
        "changed",
        "test",
        "catalog build",
        "schedule render",
        "schedule due",
        "release",
        "run",
        "runs",
        "runs show",
        "runs export",
        "runs push",
    }


def test_the_command_check_would_catch_a_misspelt_flag(tmp_path: Path) -> None:
    from toolkit.cli import build_parser

    bad = tmp_path / "bad.yml"
    bad.write_text(
        "on: push\njobs:\n  x:\n    runs-on: ubuntu-latest\n    steps:\n"
        "      - run: |\n          autokit policy --bsae origin/main \\\n"
        "            --format github\n"
    )
    [command] = _autokit_command_lines(bad)
    assert command.split() == ["policy", "--bsae", "origin/main", "--format", "github"]
    with pytest.raises(SystemExit):
        build_parser("policy").parse_args(command.split())


# --- what administrators and contributors are told ------------------------------------------


def test_required_checks_in_the_admin_page_are_ci_job_names() -> None:
    """Branch protection matches checks by job name: a wrong name blocks every merge."""
    page = (PROJECT / "docs" / "administrators.md").read_text(encoding="utf-8")
    section = page.split("**Require status checks to pass**", 1)[1].split("\n4. ", 1)[0]
    required = re.findall(r"^\s+- `([^`]+)`", section, flags=re.MULTILINE)
    jobs = _load(WORKFLOWS / "ci.yml")["jobs"]
    names = {job.get("name", job_id): job for job_id, job in jobs.items()}
    assert required == ["pre-commit", "policy", "tests", "catalog preview"]
    for name in required:
        assert name in names, f"no job of ci.yml is named {name!r}"
        assert "${{" not in name and "strategy" not in names[name]  # one stable name
    # The aggregate check stands for the matrix, whatever the matrix held.
    assert names["tests"]["if"] == "always()"
    assert set(names["tests"]["needs"]) == {"changed", "test", "toolkit"}


def test_admin_page_names_the_environments_the_workflows_use() -> None:
    page = (PROJECT / "docs" / "administrators.md").read_text(encoding="utf-8")
    publish = _load(WORKFLOWS / "publish.yml")
    assert f"`{publish['jobs']['deploy']['environment']['name']}`" in page
    assert "**named after the automation**" in page
    assert "Source: GitHub Actions" in page
    assert "Require review from Code Owners" in page
    assert "**one job per automation**" in page
    assert "`AUTOKIT_SANDBOX: required`" in page
    scheduled = (PROJECT / "templates" / "workflows" / "scheduled.yml.j2").read_text()
    assert "`SCHEDULED_INPUTS`" in page and "${{ vars.SCHEDULED_INPUTS }}" in scheduled


def test_idea_form_asks_what_is_needed_to_judge_an_idea() -> None:
    form = _load(ISSUE_FORMS / "automation-idea.yml")
    fields = {item["id"]: item for item in form["body"] if "id" in item}
    labels = {item["attributes"]["label"] for item in fields.values()}
    assert {
        "The process",
        "Who does it now",
        "How often",
        "Minutes each time",
        "Systems and data involved",
    } <= labels
    for field_id in ("process", "who", "frequency", "minutes", "systems"):
        assert fields[field_id]["validations"]["required"] is True, field_id
    assert yaml.safe_load((ISSUE_FORMS / "config.yml").read_text())["blank_issues_enabled"] is False


def test_pull_request_template_has_the_review_checklist() -> None:
    text = (PROJECT / ".github" / "pull_request_template.md").read_text(encoding="utf-8")
    headings = re.findall(r"^## (.+)$", text, flags=re.MULTILINE)
    assert {"What it automates", "Data it touches", "How it was tested", "Time saved"} <= set(
        headings
    )
    assert "Classification:" in text
    assert "autokit schedule render" in text and "autokit codeowners" in text
