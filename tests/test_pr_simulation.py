"""A pull request's life on real Git repositories, running the workflows' own scripts.

GitHub cannot be reached here, so GitHub's part is played by Git: a bare repository is
"origin" with `main` and a feature branch; CI's checkout is a clone at the merge commit of
the pull request, as `actions/checkout` makes it. The commands are never copied by hand:
each step's `run:` script is read from the workflow file, its `env:` is evaluated the way
Actions would, and it runs with bash as Actions runs it, with GITHUB_BASE_REF,
GITHUB_OUTPUT, GITHUB_STEP_SUMMARY and RUNNER_TEMP set. Steps that need GitHub itself
(`uses:` actions, the Pages deployment) are skipped; `autokit release --push` pushes to the
bare origin.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import yaml
from github_api import REPOSITORY, TOKEN, FakeGitHub, serving
from helpers import automation_files, build_tree, commit_all, git, library_files

PROJECT = Path(__file__).resolve().parent.parent
WORKFLOWS = PROJECT / ".github" / "workflows"

pytestmark = pytest.mark.slow

# Where `autokit` works without GitHub: a pre-commit configuration with local hooks only
# (the project's own hooks are exercised by its lint session).
PRE_COMMIT_CONFIG = """\
repos:
  - repo: local
    hooks:
      - id: autokit-validate
        name: autokit validate
        entry: autokit validate
        language: system
        files: ^automations/
        pass_filenames: true
"""

# An AWS access key pair in the shape detect-secrets knows (the documented example key).
LEAKED_LINE = 'AWS_SECRET_ACCESS_KEY = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"\n'


# --- running workflow steps ---------------------------------------------------------------


def _load(name: str) -> dict[str, Any]:
    data = yaml.safe_load((WORKFLOWS / name).read_text(encoding="utf-8"))
    data["on"] = data.pop(True, data.get("on"))
    return data


def _workflow_from(root: Path, name: str) -> dict[str, Any]:
    """A workflow as committed in the simulated repository (generated ones differ there)."""
    data = yaml.safe_load((root / ".github" / "workflows" / name).read_text(encoding="utf-8"))
    data["on"] = data.pop(True, data.get("on"))
    return data


@dataclass
class StepResult:
    code: int
    out: str
    err: str
    outputs: dict[str, str]
    summary: str

    def __repr__(self) -> str:
        return f"StepResult(code={self.code}, out={self.out[-3000:]!r}, err={self.err[-3000:]!r})"


@dataclass
class Runner:
    """Plays the GitHub-hosted runner: a temp folder, a PATH, the default variables."""

    base: Path
    shims: Path
    context: dict[str, str] = field(default_factory=dict)
    secrets: dict[str, str] = field(default_factory=dict)
    executed: set[tuple[str, str]] = field(default_factory=set)  # (job, step id)
    variables: dict[str, str] = field(default_factory=dict)  # more of GitHub's, e.g. its API

    @property
    def temp(self) -> Path:
        return self.base / "runner-temp"

    def step(
        self, workflow: dict[str, Any], job: str, step_id: str, cwd: Path, **context: str
    ) -> StepResult:
        """Run one `run:` step of the workflow, by its id, as Actions would."""
        steps = workflow["jobs"][job]["steps"]
        step = next(s for s in steps if s.get("id") == step_id)
        assert "run" in step, f"{job}.{step_id} is not a run step"
        self.executed.add((job, step_id))
        values = {**self.context, **context}
        env = self._environment(cwd)
        scopes = (
            workflow.get("env", {}),
            workflow["jobs"][job].get("env", {}),
            step.get("env", {}),
        )
        for scope in scopes:
            env.update({k: self._evaluate(str(v), values) for k, v in scope.items()})
        return self._bash(step["run"], cwd, env)

    def _environment(self, cwd: Path) -> dict[str, str]:
        self.temp.mkdir(parents=True, exist_ok=True)
        for name in ("output", "summary"):
            (self.base / name).write_text("")
        env = {k: v for k, v in os.environ.items() if not k.startswith(("GITHUB_", "RUNNER_"))}
        env.update(
            PATH=f"{self.shims}{os.pathsep}{env['PATH']}",
            CI="true",
            GITHUB_ACTIONS="true",
            GITHUB_WORKSPACE=str(cwd),
            GITHUB_SERVER_URL="https://github.com",
            GITHUB_OUTPUT=str(self.base / "output"),
            GITHUB_STEP_SUMMARY=str(self.base / "summary"),
            RUNNER_TEMP=str(self.temp),
            NO_COLOR="1",
        )
        if "base_ref" in self.context:
            env["GITHUB_BASE_REF"] = self.context["base_ref"]
        env.update(self.variables)
        return env

    def _evaluate(self, value: str, values: dict[str, str]) -> str:
        """`${{ ... }}` in env values: context lookups and `a || b`, nothing more."""

        def lookup(match: re.Match[str]) -> str:
            for alternative in match.group(1).split("||"):
                name = alternative.strip()
                if name.startswith("secrets."):
                    found = self.secrets.get(name.removeprefix("secrets."), "")
                elif name == "runner.temp":
                    found = str(self.temp)
                else:
                    assert name in values, f"the simulation has no value for {name}"
                    found = values[name]
                if found:
                    return found
            return ""

        return re.sub(r"\$\{\{\s*(.+?)\s*\}\}", lookup, value)

    def _bash(self, script: str, cwd: Path, env: dict[str, str]) -> StepResult:
        path = self.base / "step.sh"
        path.write_text(script)
        # What `shell: bash` runs on Actions.
        result = subprocess.run(
            ["bash", "--noprofile", "--norc", "-eo", "pipefail", str(path)],
            cwd=cwd,
            env=env,
            capture_output=True,
            text=True,
            check=False,
            timeout=600,
        )
        lines = (self.base / "output").read_text().splitlines()
        outputs = dict(line.split("=", 1) for line in lines if "=" in line)
        summary = (self.base / "summary").read_text()
        return StepResult(result.returncode, result.stdout, result.stderr, outputs, summary)


def _make_shims(folder: Path) -> Path:
    """`autokit`, `pre-commit` and `python3` on PATH, from the Python running the tests."""
    folder.mkdir()
    # -P: the checkout's own folders never shadow the installed packages, as with the
    # console scripts that `pip install` writes.
    commands = {
        "autokit": f'exec "{sys.executable}" -P -m toolkit "$@"',
        "pre-commit": f'exec "{sys.executable}" -P -m pre_commit "$@"',
        "python3": f'exec "{sys.executable}" "$@"',
        "python": f'exec "{sys.executable}" "$@"',
    }
    for name, line in commands.items():
        shim = folder / name
        shim.write_text(f"#!/bin/sh\n{line}\n")
        shim.chmod(0o755)
    return folder


# --- the repositories -----------------------------------------------------------------------


def _product_files() -> dict[str, str | bytes]:
    """What the repository holds besides automations: config, workflows, catalog pages."""
    files: dict[str, str | bytes] = {
        ".pre-commit-config.yaml": PRE_COMMIT_CONFIG,
        ".gitignore": (PROJECT / ".gitignore").read_text(),
        "pyproject.toml": (PROJECT / "pyproject.toml").read_text(),
    }
    for relative in (".github", "docs", "templates", "mkdocs.yml"):
        source = PROJECT / relative
        paths = [source] if source.is_file() else sorted(source.rglob("*"))
        for path in (p for p in paths if p.is_file()):
            files[path.relative_to(PROJECT).as_posix()] = path.read_bytes()
    return files


def _autokit(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-P", "-m", "toolkit", *args],
        cwd=root,
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, "NO_COLOR": "1"},
    )


def _generate(root: Path) -> None:
    """What a contributor runs before committing: the generated files, up to date."""
    for command in (("schedule", "render"), ("codeowners",)):
        result = _autokit(root, *command)
        assert result.returncode == 0, result.stderr


@dataclass
class Origin:
    """The bare "origin" and a contributor's clone of it."""

    bare: Path
    work: Path
    base: Path

    def push_branch(
        self, branch: str, files: dict[str, str], message: str, *, generate: bool = False
    ) -> None:
        git(self.work, "checkout", "-q", "-B", branch, "origin/main")
        build_tree(self.work, files)
        if generate:
            _generate(self.work)
        commit_all(self.work, message)
        git(self.work, "push", "-q", "origin", branch)

    def ci_checkout(self, branch: str) -> Path:
        """What actions/checkout gives a pull_request job: the merge commit, full history."""
        clone = self.base / f"ci-{branch}"
        git(self.base, "clone", "-q", str(self.bare), str(clone))
        git(clone, "checkout", "-q", "--detach", "origin/main")
        git(clone, "merge", "-q", "--no-ff", "-m", f"Merge {branch} into main", f"origin/{branch}")
        return clone

    def merge(self, branch: str) -> None:
        git(self.work, "checkout", "-q", "main")
        git(self.work, "pull", "-q", "origin", "main")
        git(self.work, "merge", "-q", "--no-ff", "-m", f"Merge {branch}", f"origin/{branch}")
        git(self.work, "push", "-q", "origin", "main")

    def main_checkout(self, name: str) -> Path:
        clone = self.base / name
        git(self.base, "clone", "-q", "--branch", "main", str(self.bare), str(clone))
        return clone


@pytest.fixture
def origin(tmp_path: Path) -> Origin:
    bare = tmp_path / "origin.git"
    git(tmp_path, "init", "-q", "--bare", "-b", "main", str(bare))
    work = tmp_path / "work"
    work.mkdir()
    git(work, "init", "-q", "-b", "main")
    build_tree(work, {**_product_files(), **automation_files("greeter", schedule="0 7 * * *")})
    _generate(work)
    commit_all(work, "An autokit repository with one automation")
    git(work, "remote", "add", "origin", str(bare))
    git(work, "push", "-q", "origin", "main")
    git(work, "fetch", "-q", "origin")
    return Origin(bare, work, tmp_path)


@pytest.fixture
def runner(tmp_path: Path) -> Runner:
    return Runner(tmp_path / "runner", _make_shims(tmp_path / "shims"), {"base_ref": "main"})


def _bumped(name: str, version: str, **overrides: Any) -> dict[str, str]:
    """A new version of the automation: metadata, changelog and a code change."""
    files = automation_files(name, version=version, **overrides)
    files[f"automations/{name}/CHANGELOG.md"] = (
        f"# Changelog\n\n## {version}\n\n- Greets louder.\n\n## 1.0.0\n\n- First version.\n"
    )
    files[f"automations/{name}/main.py"] += "\n\nLOUD = True\n"
    return files


# --- pull requests ---------------------------------------------------------------------------


def _run_ci(runner: Runner, clone: Path) -> dict[str, StepResult]:
    """Every shell step of ci.yml that needs no GitHub, in job order."""
    ci = _load("ci.yml")
    results = {
        "pre-commit": runner.step(ci, "pre-commit", "pre-commit", clone),
        "policy": runner.step(ci, "policy", "policy", clone),
        "workflows-sync": runner.step(ci, "policy", "workflows-sync", clone),
        "changed": runner.step(ci, "changed", "changed", clone),
        "template-upgrades": runner.step(ci, "changed", "template-upgrades", clone),
    }
    names = json.loads(results["changed"].outputs.get("tests", "[]"))
    for name in names:
        results[f"test {name}"] = runner.step(ci, "test", "test", clone, **{"matrix.name": name})
    failed = any(r.code for key, r in results.items() if key.startswith("test "))
    results["tests"] = runner.step(
        ci,
        "tests",
        "verdict",
        clone,
        **{
            "needs.changed.result": "success" if results["changed"].code == 0 else "failure",
            "needs.test.result": "skipped" if not names else ("failure" if failed else "success"),
            # The toolkit's own suite is not run here (it is this very test suite).
            "needs.toolkit.result": "skipped",
        },
    )
    results["catalog"] = runner.step(ci, "catalog", "catalog", clone)
    return results


def test_good_pull_request_adding_an_automation(origin: Origin, runner: Runner) -> None:
    origin.push_branch(
        "add-invoice-reminders",
        automation_files("invoice-reminders"),
        "Add invoice-reminders",
        generate=True,
    )
    clone = origin.ci_checkout("add-invoice-reminders")
    results = _run_ci(runner, clone)
    for key, result in results.items():
        assert result.code == 0, f"{key}: {result}"
    # Every shell step of ci.yml ran, except installing (the tests run installed) and the
    # toolkit's own suite (this very suite).
    run_steps = {(job, step["id"]) for job, step in _run_steps(_load("ci.yml"))}
    skipped = {(job, "install") for job, _ in run_steps} | {("toolkit", "pytest")}
    assert runner.executed == run_steps - skipped
    assert json.loads(results["changed"].outputs["tests"]) == ["invoice-reminders"]
    assert results["changed"].outputs["toolkit"] == "false"
    assert "test invoice-reminders" in results
    assert "::error" not in results["policy"].out
    assert (runner.temp / "site" / "index.html").is_file()
    site = "\n".join(p.read_text(errors="replace") for p in (runner.temp / "site").rglob("*.html"))
    assert "Invoice Reminders" in site


def test_change_without_version_bump_fails_policy(origin: Origin, runner: Runner) -> None:
    files = automation_files("greeter", schedule="0 7 * * *")
    files["automations/greeter/main.py"] += "\n\nLOUD = True\n"
    origin.push_branch("louder-greeter", files, "Greet louder, forgetting the version")
    clone = origin.ci_checkout("louder-greeter")
    ci = _load("ci.yml")
    result = runner.step(ci, "policy", "policy", clone)
    assert result.code == 1, result
    annotations = [line for line in result.out.splitlines() if line.startswith("::error ")]
    version_bump = [a for a in annotations if "title=version-bump" in a]
    assert version_bump, result
    assert "file=automations/greeter/automation.yaml" in version_bump[0]
    version_line = _line_of(clone / "automations/greeter/automation.yaml", "version:")
    assert f"line={version_line}," in version_bump[0]
    assert "version-bump" in result.summary  # the job summary lists it too


def test_pull_request_adding_a_secret_fails_at_its_line(origin: Origin, runner: Runner) -> None:
    files = _bumped("greeter", "1.1.0", schedule="0 7 * * *")
    files["automations/greeter/main.py"] += "\n" + LEAKED_LINE
    origin.push_branch("greeter-with-key", files, "Greet with a cloud key")
    clone = origin.ci_checkout("greeter-with-key")
    result = runner.step(_load("ci.yml"), "policy", "policy", clone)
    assert result.code == 1, result
    leaked = [
        a
        for a in result.out.splitlines()
        if a.startswith("::error ") and "title=hardcoded-secrets" in a
    ]
    assert leaked, result
    line = _line_of(clone / "automations/greeter/main.py", "AWS_SECRET_ACCESS_KEY")
    assert "file=automations/greeter/main.py" in leaked[0]
    assert f"line={line}," in leaked[0]
    secret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
    assert secret not in result.out + result.err + result.summary


def test_schedule_added_without_rendering_fails(origin: Origin, runner: Runner) -> None:
    origin.push_branch(
        "schedule-reminders",
        automation_files("invoice-reminders", schedule="0 8 * * 1-5"),
        "Add invoice-reminders on weekdays, forgetting to render the workflow",
    )
    clone = origin.ci_checkout("schedule-reminders")
    ci = _load("ci.yml")
    sync = runner.step(ci, "policy", "workflows-sync", clone)
    assert sync.code == 1, sync
    assert ".github/workflows/scheduled.yml is out of date" in sync.err
    assert "run `autokit schedule render`" in sync.err
    policy = runner.step(ci, "policy", "policy", clone)
    assert policy.code == 1, policy
    assert "title=schedule-sync" in policy.out, policy
    assert "file=.github/workflows/scheduled.yml" in policy.out, policy


def _run_steps(workflow: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    return [
        (job_id, step)
        for job_id, job in workflow["jobs"].items()
        for step in job.get("steps", [])
        if "run" in step
    ]


def _line_of(path: Path, needle: str) -> int:
    for number, line in enumerate(path.read_text().splitlines(), start=1):
        if needle in line:
            return number
    raise AssertionError(f"{needle!r} not in {path}")


# --- after merging ---------------------------------------------------------------------------


def test_publish_tags_new_versions_and_builds_the_catalog(origin: Origin, runner: Runner) -> None:
    origin.push_branch(
        "add-invoice-reminders",
        automation_files("invoice-reminders"),
        "Add invoice-reminders",
        generate=True,
    )
    origin.merge("add-invoice-reminders")
    checkout = origin.main_checkout("publish")
    publish = _load("publish.yml")
    released = runner.step(
        publish, "release", "release", checkout, **{"github.token": "not-a-real-token"}
    )
    assert released.code == 0, released
    tags = git(origin.bare, "tag", "--list")
    assert set(tags.split()) >= {"invoice-reminders@1.0.0", "greeter@1.0.0"}
    assert git(origin.bare, "cat-file", "-t", "invoice-reminders@1.0.0").strip() == "tag"
    # The token went to that one push, never into the checkout's configuration.
    assert "not-a-real-token" not in (checkout / ".git" / "config").read_text()
    again = runner.step(
        publish, "release", "release", checkout, **{"github.token": "not-a-real-token"}
    )
    assert again.code == 0, again  # nothing new to tag: idempotent

    catalog_checkout = origin.main_checkout("catalog")  # a new job, a new checkout
    ledger = runner.step(publish, "catalog", "ledger", catalog_checkout)
    assert ledger.code == 0, ledger  # no run has reached the ledger yet: not an error
    assert "No run ledger (branch `autokit/runs`) yet" in ledger.summary
    github = FakeGitHub()
    github.issues[1] = {
        "number": 1,
        "title": "Idea: Chase unpaid invoices",
        "body": "### How often\n\nWeekly\n\n### Minutes each time\n\n30\n\n"
        "### People who do it\n\n2",
        "labels": [{"name": "idea"}],
        "state": "open",
        "html_url": f"https://github.com/{REPOSITORY}/issues/1",
    }
    with serving(github) as api:
        runner.variables.update(GITHUB_API_URL=api, GITHUB_REPOSITORY=REPOSITORY)
        ideas = runner.step(
            publish, "catalog", "ideas", catalog_checkout, **{"github.token": TOKEN}
        )
    assert ideas.code == 0, ideas
    assert "fetched 1 ideas" in ideas.out
    built = runner.step(publish, "catalog", "catalog", catalog_checkout)
    assert built.code == 0, built
    site = runner.temp / "site"
    page = (site / "ideas" / "index.html").read_text()
    assert "Idea: Chase unpaid invoices" in page and "4.3" in page  # 4.33 x 30 min x 2 / 60
    assert (site / "index.html").is_file()
    catalog = json.loads((site / "catalog.json").read_text())
    entry = next(a for a in catalog["automations"] if a["name"] == "invoice-reminders")
    # The version the release job just tagged, with its tag, as the catalog lists it.
    assert [v["tag"] for v in entry["versions"]] == ["invoice-reminders@1.0.0"]
    # Every shell step of publish.yml ran but the installs (deploying needs GitHub itself).
    run_steps = {(job, step["id"]) for job, step in _run_steps(publish)}
    assert runner.executed == {step for step in run_steps if step[1] != "install"}


# --- running on Actions ------------------------------------------------------------------------


def _collect_artifact(runner: Runner) -> Path:
    return runner.temp / "run-artifact"


def test_run_workflow_runs_an_automation_and_keeps_its_record(
    origin: Origin, runner: Runner
) -> None:
    checkout = origin.main_checkout("run")
    workflow = _workflow_from(checkout, "run.yml")
    context = {
        "inputs.automation": "greeter",
        "inputs.version": "",
        "inputs.inputs": json.dumps({"greeting": 'it\'s $(whoami); "quoted"\nnext'}),
    }
    assert runner.step(workflow, "check", "check", checkout, **context).code == 0
    assert runner.step(workflow, "run-greeter", "inputs", checkout, **context).code == 0
    ran = runner.step(workflow, "run-greeter", "run", checkout, **context)
    assert ran.code == 0, ran
    collected = runner.step(workflow, "run-greeter", "collect", checkout, **context)
    assert collected.code == 0, collected
    artifact = _collect_artifact(runner)
    record = json.loads((artifact / "run-record.json").read_text())
    assert record["automation"] == "greeter" and record["status"] == "success"
    # The inputs arrived literally: no shell ever read them.
    assert record["inputs"]["greeting"] == 'it\'s $(whoami); "quoted"\nnext'
    assert (artifact / "log.txt").is_file()
    assert json.loads((artifact / "result.json").read_text())["result"] == {
        "message": 'hello it\'s $(whoami); "quoted"\nnext'
    }
    assert (artifact / "output").is_dir()
    assert "### greeter 1.0.0: success" in collected.summary


def test_run_workflow_runs_a_pinned_version(origin: Origin, runner: Runner) -> None:
    git(origin.work, "tag", "-a", "-m", "greeter 1.0.0", "greeter@1.0.0")
    git(origin.work, "push", "-q", "origin", "greeter@1.0.0")
    louder = _bumped("greeter", "1.1.0", schedule="0 7 * * *")
    louder["automations/greeter/main.py"] = louder["automations/greeter/main.py"].replace(
        "f'hello {greeting}'", "f'HELLO {greeting}'"
    )
    origin.push_branch("louder", louder, "Greet louder", generate=True)
    origin.merge("louder")
    checkout = origin.main_checkout("run-pinned")
    workflow = _workflow_from(checkout, "run.yml")
    context = {"inputs.automation": "greeter", "inputs.version": "1.0.0", "inputs.inputs": "{}"}
    assert runner.step(workflow, "check", "check", checkout, **context).code == 0
    assert runner.step(workflow, "run-greeter", "inputs", checkout, **context).code == 0
    ran = runner.step(workflow, "run-greeter", "run", checkout, **context)
    assert ran.code == 0, ran
    assert runner.step(workflow, "run-greeter", "collect", checkout, **context).code == 0
    record = json.loads((_collect_artifact(runner) / "run-record.json").read_text())
    assert (record["version"], record["result"]) == ("1.0.0", {"message": "hello world"})

    unknown = runner.step(
        workflow, "run-greeter", "run", checkout, **{**context, "inputs.version": "9.9.9"}
    )
    assert unknown.code == 1, unknown
    assert "9.9.9" in unknown.err and "Traceback" not in unknown.err


MAILER = {
    "automations/mailer/main.py": (
        "import base64, os\n\n\ndef main(greeting: str = 'world') -> dict[str, object]:\n"
        "    password = os.environ['SMTP_PASSWORD']\n"
        "    print('logging in with', password)\n"
        "    output = os.environ['AUTOKIT_OUTPUT_DIR']\n"
        "    with open(os.path.join(output, 'auth.txt'), 'w') as f:\n"
        "        auth = base64.b64encode(b'\\0me\\0' + password.encode()).decode()\n"
        "        f.write('AUTH PLAIN ' + auth)\n"
        "    with open(os.path.join(output, 'sent.txt'), 'w') as f:\n"
        "        f.write('3 reminders sent\\n')\n"
        "    return {'others_visible': 'WEBHOOK_URL' in os.environ}\n"
    ),
}


def _merge_mailer(origin: Origin) -> Path:
    """A merged automation that declares SMTP_PASSWORD, with the mapping rendered."""
    files = automation_files(
        "mailer", secrets=[{"name": "SMTP_PASSWORD", "description": "mail login"}]
    )
    files.update(MAILER)
    origin.push_branch("add-mailer", files, "Add mailer", generate=True)
    origin.merge("add-mailer")
    return origin.main_checkout("run-mailer")


def test_run_workflow_maps_declared_secrets_only(origin: Origin, runner: Runner) -> None:
    checkout = _merge_mailer(origin)
    workflow = _workflow_from(checkout, "run.yml")

    def run_step_env(job: str) -> dict[str, str]:
        return next(s for s in workflow["jobs"][job]["steps"] if s.get("id") == "run")["env"]

    assert run_step_env("run-mailer")["SMTP_PASSWORD"] == "${{ secrets.SMTP_PASSWORD }}"
    assert "SMTP_PASSWORD" not in run_step_env("run-greeter")  # not greeter's secret
    context = {"inputs.automation": "mailer", "inputs.version": "", "inputs.inputs": "{}"}
    runner.secrets = {"SMTP_PASSWORD": "hunter2-very-secret", "WEBHOOK_URL": "https://hook"}
    assert runner.step(workflow, "run-mailer", "inputs", checkout, **context).code == 0
    ran = runner.step(workflow, "run-mailer", "run", checkout, **context)
    assert ran.code == 0, ran
    collected = runner.step(workflow, "run-mailer", "collect", checkout, **context)
    assert collected.code == 0, collected
    artifact = _collect_artifact(runner)
    record = json.loads((artifact / "run-record.json").read_text())
    assert record["status"] == "success"
    # The file holding the password, base64-encoded, is named and kept out of the upload.
    assert record["leaks"] == ["auth.txt"]
    assert (runner.temp / "leaks.txt").read_text() == "output/auth.txt\n"
    assert not (artifact / "output" / "auth.txt").exists()
    assert (artifact / "output" / "sent.txt").read_text() == "3 reminders sent\n"
    assert "**Not uploaded:** `output/auth.txt`" in collected.summary
    assert record["result"] == {"others_visible": False}  # another automation's secret
    everything = (
        ran.out
        + ran.err
        + "".join(p.read_text(errors="replace") for p in artifact.rglob("*") if p.is_file())
    )
    assert "hunter2-very-secret" not in everything


def test_run_workflow_names_a_secret_the_environment_lacks(origin: Origin, runner: Runner) -> None:
    checkout = _merge_mailer(origin)
    workflow = _workflow_from(checkout, "run.yml")
    context = {"inputs.automation": "mailer", "inputs.version": "", "inputs.inputs": "{}"}
    runner.secrets = {}  # GitHub gives an unknown secret as an empty string
    assert runner.step(workflow, "run-mailer", "inputs", checkout, **context).code == 0
    ran = runner.step(workflow, "run-mailer", "run", checkout, **context)
    assert ran.code == 1, ran
    assert "SMTP_PASSWORD" in ran.err
    collected = runner.step(workflow, "run-mailer", "collect", checkout, **context)
    assert collected.code == 0, collected  # the record step never hides the real failure


def test_run_workflow_refuses_inputs_that_are_not_a_json_object(
    origin: Origin, runner: Runner
) -> None:
    checkout = origin.main_checkout("run-bad-inputs")
    workflow = _workflow_from(checkout, "run.yml")
    for given in ('{"greeting": ', '["world"]', "greeting=world"):
        context = {"inputs.automation": "greeter", "inputs.version": "", "inputs.inputs": given}
        result = runner.step(workflow, "run-greeter", "inputs", checkout, **context)
        assert result.code == 1, result
        assert "::error title=inputs::the inputs must be a JSON object" in result.out
    # An emptied field means no inputs.
    context = {"inputs.automation": "greeter", "inputs.version": "", "inputs.inputs": ""}
    assert runner.step(workflow, "run-greeter", "inputs", checkout, **context).code == 0
    assert runner.step(workflow, "run-greeter", "run", checkout, **context).code == 0


def test_run_workflow_refuses_an_unknown_automation(origin: Origin, runner: Runner) -> None:
    checkout = origin.main_checkout("run")
    workflow = _workflow_from(checkout, "run.yml")
    for name in ("gretter", "../greeter", "greeter; rm -rf /"):
        result = runner.step(
            workflow,
            "check",
            "check",
            checkout,
            **{"inputs.automation": name, "inputs.version": ""},
        )
        assert result.code == 1, result
        assert "::error title=run::no automation with that name" in result.out
    bad_version = runner.step(
        workflow,
        "check",
        "check",
        checkout,
        **{"inputs.automation": "greeter", "inputs.version": "v1"},
    )
    assert bad_version.code == 1
    assert "MAJOR.MINOR.PATCH" in bad_version.out


def test_scheduled_workflow_runs_what_is_due(origin: Origin, runner: Runner) -> None:
    checkout = origin.main_checkout("scheduled")
    workflow = _workflow_from(checkout, "scheduled.yml")
    assert {"cron": "0 7 * * *"} in workflow["on"]["schedule"]
    due = runner.step(
        workflow,
        "due",
        "due",
        checkout,
        **{"github.event.schedule": "0 7 * * *", "inputs.cron": ""},
    )
    assert due.code == 0, due
    assert json.loads(due.outputs["automations"]) == ["greeter"]
    nothing = runner.step(
        workflow,
        "due",
        "due",
        checkout,
        **{"github.event.schedule": "", "inputs.cron": "5 4 * * *"},
    )
    assert nothing.code == 0 and json.loads(nothing.outputs["automations"]) == []
    assert "not an entry of .github/workflows/scheduled.yml" in nothing.err
    context = {"vars.SCHEDULED_INPUTS": ""}
    assert runner.step(workflow, "run-greeter", "inputs", checkout, **context).code == 0
    ran = runner.step(workflow, "run-greeter", "run", checkout, **context)
    assert ran.code == 0, ran
    collected = runner.step(workflow, "run-greeter", "collect", checkout)
    assert collected.code == 0, collected
    record = json.loads((_collect_artifact(runner) / "run-record.json").read_text())
    assert (record["automation"], record["status"]) == ("greeter", "success")


def test_scheduled_run_takes_its_inputs_from_the_environment_variable(
    origin: Origin, runner: Runner
) -> None:
    required = {"greeting": {"type": "string", "description": "Who", "required": True}}
    origin.push_branch(
        "schedule-welcome",
        automation_files("welcome", schedule="30 6 * * 1", inputs=required),
        "Add welcome, every Monday",
        generate=True,
    )
    origin.merge("schedule-welcome")
    checkout = origin.main_checkout("scheduled-inputs")
    workflow = _workflow_from(checkout, "scheduled.yml")
    context: dict[str, str] = {}
    # The environment has no SCHEDULED_INPUTS variable yet: the run names what is missing.
    assert (
        runner.step(
            workflow, "run-welcome", "inputs", checkout, **context, **{"vars.SCHEDULED_INPUTS": ""}
        ).code
        == 0
    )
    missing = runner.step(workflow, "run-welcome", "run", checkout, **context)
    assert missing.code == 1, missing
    assert "greeting: is required" in missing.err
    broken = runner.step(
        workflow, "run-welcome", "inputs", checkout, **context, **{"vars.SCHEDULED_INPUTS": "[1]"}
    )
    assert broken.code == 1, broken
    assert (
        "::error title=inputs::the variable SCHEDULED_INPUTS of the environment 'welcome' "
        "must be a JSON object"
    ) in broken.out
    given = json.dumps({"greeting": "team; $(date)"})
    assert (
        runner.step(
            workflow,
            "run-welcome",
            "inputs",
            checkout,
            **context,
            **{"vars.SCHEDULED_INPUTS": given},
        ).code
        == 0
    )
    ran = runner.step(workflow, "run-welcome", "run", checkout, **context)
    assert ran.code == 0, ran
    assert runner.step(workflow, "run-welcome", "collect", checkout, **context).code == 0
    record = json.loads((_collect_artifact(runner) / "run-record.json").read_text())
    assert record["status"] == "success"
    assert record["inputs"] == {"greeting": "team; $(date)"}


# --- the Run form of one automation ---------------------------------------------------------

COUNTER = {
    "automations/counter/main.py": (
        "import os\n\n\ndef main(days: int, loud: bool = False, mode: str = 'a',"
        " note: str = '') -> dict[str, object]:\n"
        "    return {'days': days, 'loud': loud, 'mode': mode, 'note': note,"
        " 'secret_seen': bool(os.environ.get('SMTP_PASSWORD'))}\n"
    ),
}
COUNTER_INPUTS = {
    "days": {"type": "integer", "description": "Days overdue", "required": True, "min": 0},
    "loud": {"type": "boolean", "description": "Shout"},
    "mode": {"type": "choice", "description": "How", "choices": ["a", "b: c"], "default": "a"},
    "note": {"type": "string", "description": "A note", "default": ""},
}


def _merge_counter(origin: Origin) -> Path:
    files = automation_files(
        "counter",
        inputs=COUNTER_INPUTS,
        examples=None,
        secrets=[{"name": "SMTP_PASSWORD", "description": "mail login"}],
    )
    files["automations/counter/tests/test_main.py"] = (
        "from main import main\n\n\ndef test_counts():\n    assert main(days=1)['days'] == 1\n"
    )
    files.update(COUNTER)
    origin.push_branch("add-counter", files, "Add counter", generate=True)
    origin.merge("add-counter")
    return origin.main_checkout("run-form")


def _form_context(**fields: str) -> dict[str, str]:
    given = {"days": "", "loud": "false", "mode": "a", "note": "", "version": "", **fields}
    return {f"inputs.{name}": value for name, value in given.items()}


def test_run_form_checks_the_inputs_then_runs_with_its_secret(
    origin: Origin, runner: Runner
) -> None:
    checkout = _merge_counter(origin)
    workflow = _workflow_from(checkout, "run-counter.yml")
    runner.secrets = {"SMTP_PASSWORD": "hunter2-very-secret"}
    context = _form_context(days="14", loud="true", mode="b: c", note="it's $(whoami)\n`x`")
    assert runner.step(workflow, "check", "inputs", checkout, **context).code == 0
    checked = runner.step(workflow, "check", "check", checkout, **context)
    assert checked.code == 0, checked
    assert "the inputs of counter 1.0.0 are valid" in checked.out
    assert runner.step(workflow, "run", "inputs", checkout, **context).code == 0
    ran = runner.step(workflow, "run", "run", checkout, **context)
    assert ran.code == 0, ran
    collected = runner.step(workflow, "run", "collect", checkout, **context)
    assert collected.code == 0, collected
    record = json.loads((_collect_artifact(runner) / "run-record.json").read_text())
    assert record["status"] == "success"
    # Typed as declared, and the text arrived literally: no shell read it.
    assert record["result"] == {
        "days": 14,
        "loud": True,
        "mode": "b: c",
        "note": "it's $(whoami)\n`x`",
        "secret_seen": True,
    }
    assert "### counter 1.0.0: success" in collected.summary


def test_run_form_refuses_a_value_that_does_not_fit_before_any_secret(
    origin: Origin, runner: Runner
) -> None:
    checkout = _merge_counter(origin)
    workflow = _workflow_from(checkout, "run-counter.yml")
    runner.secrets = {"SMTP_PASSWORD": "hunter2-very-secret"}
    context = _form_context(days="abc")
    assert runner.step(workflow, "check", "inputs", checkout, **context).code == 0
    refused = runner.step(workflow, "check", "check", checkout, **context)
    assert refused.code == 1, refused
    usual = "invalid inputs for counter:\n  - days: 'abc' is not a whole number (e.g. 42)"
    assert usual in refused.err  # the job log
    assert "### The inputs were refused" in refused.summary and usual in refused.summary
    # The check job maps no secret and runs in no environment: none could have been read.
    assert "secrets." not in json.dumps(workflow["jobs"]["check"])
    assert "environment" not in workflow["jobs"]["check"]
    assert workflow["jobs"]["run"]["needs"] == "check"
    assert runner.step(workflow, "check", "inputs", checkout, **_form_context()).code == 0
    missing = runner.step(workflow, "check", "check", checkout, **_form_context())
    assert missing.code == 1 and "days: is required (Days overdue)" in missing.err
    bad_version = runner.step(workflow, "check", "check", checkout, **_form_context(version="v1"))
    assert bad_version.code == 1 and "MAJOR.MINOR.PATCH" in bad_version.out


def test_a_form_without_its_automation_is_reported_and_removed(
    origin: Origin, runner: Runner
) -> None:
    origin.push_branch("add-keeper", automation_files("keeper"), "Add keeper", generate=True)
    origin.merge("add-keeper")
    git(origin.work, "checkout", "-q", "-B", "drop-greeter", "origin/main")
    git(origin.work, "rm", "-q", "-r", "automations/greeter")
    commit_all(origin.work, "Remove greeter, forgetting its form")
    git(origin.work, "push", "-q", "origin", "drop-greeter")
    clone = origin.ci_checkout("drop-greeter")
    results = _run_ci(runner, clone)
    assert results["workflows-sync"].code == 1
    assert ".github/workflows/run-greeter.yml is a Run form of no automation" in (
        results["workflows-sync"].err
    )
    assert "file=.github/workflows/run-greeter.yml" in results["policy"].out
    _generate(origin.work)
    assert not (origin.work / ".github/workflows/run-greeter.yml").exists()
    assert (origin.work / ".github/workflows/run-keeper.yml").is_file()


def test_pre_commit_checks_the_changed_files_only(origin: Origin, runner: Runner) -> None:
    # main already holds a broken automation that this pull request does not touch.
    broken = automation_files("legacy-report")
    path = "automations/legacy-report/automation.yaml"
    broken[path] = broken[path].replace("owners:", "ownerz:")
    origin.push_branch("main", broken, "A broken automation from before the checks")
    origin.push_branch("add-reminders", automation_files("invoice-reminders"), "Add")
    ci = _load("ci.yml")
    clean = runner.step(ci, "pre-commit", "pre-commit", origin.ci_checkout("add-reminders"))
    assert clean.code == 0, clean
    assert "autokit validate" in clean.out and "Passed" in clean.out

    bad = automation_files("contacts-dedupe")
    bad["automations/contacts-dedupe/automation.yaml"] += "colour: blue\n"
    origin.push_branch("add-dedupe", bad, "Add contacts-dedupe with a typo")
    failed = runner.step(ci, "pre-commit", "pre-commit", origin.ci_checkout("add-dedupe"))
    assert failed.code == 1, failed
    assert "automations/contacts-dedupe/automation.yaml" in failed.out
    assert "legacy-report" not in failed.out


def test_a_toolkit_change_tests_the_toolkit_and_no_automation(
    origin: Origin, runner: Runner
) -> None:
    origin.push_branch("faster-cli", {"toolkit/speedups.py": "FAST = True\n"}, "Faster CLI")
    clone = origin.ci_checkout("faster-cli")
    ci = _load("ci.yml")
    changed = runner.step(ci, "changed", "changed", clone)
    assert changed.code == 0, changed
    assert changed.outputs == {"tests": "[]", "toolkit": "true"}
    # The matrix job is skipped (an empty matrix is an error on Actions); the verdict holds.
    assert ci["jobs"]["test"]["if"] == "needs.changed.outputs.tests != '[]'"
    assert ci["jobs"]["toolkit"]["if"] == "needs.changed.outputs.toolkit == 'true'"
    context = {"needs.changed.result": "success", "needs.test.result": "skipped"}
    passed = runner.step(
        ci, "tests", "verdict", clone, **context, **{"needs.toolkit.result": "success"}
    )
    assert passed.code == 0, passed
    failed = runner.step(
        ci, "tests", "verdict", clone, **context, **{"needs.toolkit.result": "failure"}
    )
    assert failed.code == 1


LIBRARY_TEST = (
    "from textkit import greet\n\n\ndef test_greets():\n    assert greet('x') == 'hello x'\n"
)


def test_a_library_change_tests_the_library_and_the_automations_using_it(
    origin: Origin, runner: Runner
) -> None:
    greeter = automation_files(
        "greeter", schedule="0 7 * * *", version="1.1.0", libraries=["textkit"]
    )
    greeter["automations/greeter/main.py"] = (
        "from textkit import greet\n\n\ndef main(greeting: str = 'world') -> dict[str, str]:\n"
        "    return {'message': greet(greeting)}\n"
    )
    origin.push_branch(
        "add-textkit",
        {**library_files("textkit", tests=LIBRARY_TEST), **greeter},
        "Share textkit",
        generate=True,
    )
    origin.merge("add-textkit")
    louder = (
        '"""Greetings shared between automations."""\n\n__all__ = ["greet"]\n\n\n'
        'def greet(who: str, punctuation: str = "") -> str:\n'
        '    """A friendly greeting for `who`."""\n    return f"hello {who}{punctuation}"\n'
    )
    origin.push_branch(
        "louder-textkit",
        library_files("textkit", louder, tests=LIBRARY_TEST, version="1.1.0"),
        "Optional punctuation",
    )
    clone = origin.ci_checkout("louder-textkit")

    results = _run_ci(runner, clone)

    for key, result in results.items():
        assert result.code == 0, f"{key}: {result}"
    assert json.loads(results["changed"].outputs["tests"]) == ["textkit", "greeter"]
    assert {"test textkit", "test greeter"} <= set(results)
    assert "1 passed" in results["test greeter"].out + results["test greeter"].err


def test_an_automation_behind_its_template_is_a_notice_never_a_failure(
    origin: Origin, runner: Runner
) -> None:
    made = _autokit(
        origin.work, "new", "weekly-sales", "--template", "csv-report", "--title", "Weekly sales",
        "--summary", "Sums the week's sales.", "--owner", "@alice", "--department", "sales",
    )  # fmt: skip
    assert made.returncode == 0, made.stderr
    _generate(origin.work)
    commit_all(origin.work, "Add weekly-sales")
    git(origin.work, "push", "-q", "origin", "main")
    template = origin.work / "templates" / "automation" / "csv-report" / "template.yaml"
    improved = template.read_text().replace("version: 1", "version: 2")
    origin.push_branch(
        "csv-report-v2", {"templates/automation/csv-report/template.yaml": improved}, "v2"
    )
    clone = origin.ci_checkout("csv-report-v2")
    ci = _load("ci.yml")

    notices = runner.step(ci, "changed", "template-upgrades", clone)

    assert notices.code == 0, notices
    assert "::notice" in notices.out and "weekly-sales" in notices.out
    assert "csv-report v1" in notices.out and "v2" in notices.out
    step = next(s for s in ci["jobs"]["changed"]["steps"] if s.get("id") == "template-upgrades")
    assert step["continue-on-error"] is True
