"""The workflow-safety check: pull requests that add or change GitHub workflows.

Each test opens a pull request on a real repository and runs `autokit policy` on it, with
the real zizmor binary autokit depends on.
"""

from __future__ import annotations

import os
import shutil
import time
from pathlib import Path

from helpers import git
from policy_support import base_repo, by_check, open_pr, policy_json

from toolkit.checks import workflow_safety

PROJECT = Path(__file__).resolve().parent.parent
CHECK = "workflow-safety"
CHECKOUT = "actions/checkout@3d3c42e5aac5ba805825da76410c181273ba90b1  # v7.0.1"
WORKFLOW = ".github/workflows/greet.yml"

CLEAN = f"""\
name: greet
on:
  pull_request:
permissions:
  contents: read
jobs:
  greet:
    runs-on: ubuntu-latest
    steps:
      - uses: {CHECKOUT}
        with:
          persist-credentials: false
      - env:
          TITLE: ${{{{ github.event.pull_request.title }}}}
        run: echo "$TITLE"
"""


def _audit(make_repo, cli, workflows: dict[str, str], *args: str):
    """Policy's verdict and workflow-safety findings on a PR adding `workflows`."""
    root = base_repo(make_repo, "greeter")
    open_pr(root, dict(workflows))
    code, report = policy_json(cli, root, "--base", "main", *args)
    return root, code, by_check(report, CHECK)


def _own(findings):
    """autokit's own findings (zizmor's start with `zizmor <audit>:`)."""
    return [f for f in findings if not f["message"].startswith("zizmor ")]


def _zizmor(findings, audit: str):
    return [f for f in findings if f["message"].startswith(f"zizmor {audit}:")]


def _line_text(root: Path, finding) -> str:
    return (root / finding["path"]).read_text().splitlines()[finding["line"] - 1]


def test_a_clean_workflow_passes(make_repo, cli):
    _root, code, findings = _audit(make_repo, cli, {WORKFLOW: CLEAN})
    assert findings == []
    assert code == 0


def test_the_hostile_workflow_of_the_issue_fails_at_each_line(make_repo, cli):
    hostile = f"""\
name: greet
on:
  pull_request_target:
permissions:
  contents: read
jobs:
  greet:
    runs-on: ubuntu-latest
    steps:
      - uses: {CHECKOUT}
        with:
          persist-credentials: false
      - run: |
          echo "checking"
          echo "${{{{ github.event.pull_request.title }}}}"
      - env:
          ALL: ${{{{ ToJson( secrets ) }}}}
        run: echo "$ALL" | base64
"""
    root, code, findings = _audit(make_repo, cli, {WORKFLOW: hostile})
    assert code == 1
    own = {f["message"].split(" ", 1)[0]: f for f in _own(findings)}
    assert set(own) == {"`pull_request_target`", "`${{", "`toJSON(secrets)`"}
    assert all(f["severity"] == "error" and f["path"] == WORKFLOW for f in own.values())
    assert [own[k]["line"] for k in ("`pull_request_target`", "`${{", "`toJSON(secrets)`")] == [
        3,
        15,
        17,
    ]
    injection = own["`${{"]
    assert "github.event.pull_request.title" in _line_text(root, injection)
    assert "env:" in injection["hint"] and '"$VALUE"' in injection["hint"]
    assert "ToJson( secrets )" in _line_text(root, own["`toJSON(secrets)`"])


def test_pull_request_target_in_each_way_of_writing_on(make_repo, cli):
    as_list = CLEAN.replace("on:\n  pull_request:\n", "on: [push, pull_request_target]\n")
    as_word = CLEAN.replace("on:\n  pull_request:\n", "'on': pull_request_target\n")
    _root, code, findings = _audit(
        make_repo, cli, {".github/workflows/a.yml": as_list, ".github/workflows/b.yaml": as_word}
    )
    assert code == 1
    flagged = [(f["path"], f["line"]) for f in _own(findings)]
    assert flagged == [(".github/workflows/a.yml", 2), (".github/workflows/b.yaml", 2)]


def test_expressions_of_each_untrusted_context_in_run_scripts(make_repo, cli):
    workflow = CLEAN.replace(
        'run: echo "$TITLE"',
        'run: echo "$TITLE ${{ github.head_ref }}"\n'
        "      - run: >-\n"
        "          echo ${{ inputs.name }}\n"
        "          ${{ github['event']['comment']['body'] }}\n"
        "      - run: echo ${{ github.event_name }} ${{ steps.inputs.outputs.value }}",
    )
    root, code, findings = _audit(make_repo, cli, {WORKFLOW: workflow})
    assert code == 1
    flagged = [(f["line"], f["message"].split("`")[1]) for f in _own(findings)]
    assert flagged == [
        (15, "${{ github.head_ref }}"),
        (17, "${{ inputs.name }}"),
        (18, "${{ github['event']['comment']['body'] }}"),
    ]
    # the same expression in env: (the safe way) is not a finding
    assert "github.event.pull_request.title" in (root / WORKFLOW).read_text().splitlines()[13]


def test_secrets_inherit_and_unpinned_uses(make_repo, cli):
    workflow = """\
on: pull_request
permissions: {}
jobs:
  build:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - uses: ./.github/actions/local
      - uses: docker://alpine:3.20
      - uses: docker://alpine@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef
      - uses: actions/setup-python@5fda3b95a4ea91299a34e894583c3862153e4b9
  call:
    uses: example/shared/.github/workflows/build.yml@main
    secrets: inherit
  local:
    uses: ./.github/workflows/local.yml
"""
    _root, code, findings = _audit(make_repo, cli, {WORKFLOW: workflow})
    assert code == 1
    own = [(f["line"], f["message"]) for f in _own(findings)]
    assert [line for line, _ in own] == [7, 9, 11, 13, 14]
    assert "`uses: actions/checkout@v4` is not pinned to a commit" in own[0][1]
    assert "not pinned to a digest" in own[1][1]
    assert "5fda3b95a4ea91299a34e894583c3862153e4b9`" in own[2][1]  # 39 hex digits
    assert own[4][1].startswith("`secrets: inherit` gives the called workflow every secret")


def test_a_workflow_without_permissions(make_repo, cli):
    workflow = CLEAN.replace("permissions:\n  contents: read\n", "").replace(
        "jobs:\n",
        "jobs:\n  lint:\n    permissions: {}\n    runs-on: ubuntu-latest\n"
        "    steps:\n      - run: echo lint\n",
    )
    root, code, findings = _audit(make_repo, cli, {WORKFLOW: workflow})
    assert code == 1
    (missing,) = _own(findings)
    assert missing["message"].startswith("job 'greet' has no `permissions:`")
    assert _line_text(root, missing) == "  greet:"
    assert "contents: read" in missing["hint"]


def test_workflow_run_that_checks_out_the_pull_request_head(make_repo, cli):
    workflow = f"""\
on:
  workflow_run:
    workflows: [ci]
    types: [completed]
permissions:
  contents: read
jobs:
  report:
    runs-on: ubuntu-latest
    steps:
      - uses: {CHECKOUT}
        with:
          persist-credentials: false
      - uses: {CHECKOUT}
        with:
          persist-credentials: false
          ref: ${{{{ github.event.workflow_run.head_sha }}}}
"""
    root, code, findings = _audit(make_repo, cli, {WORKFLOW: workflow})
    assert code == 1
    (head,) = _own(findings)
    assert "checks out the pull request's head" in head["message"]
    assert _line_text(root, head).strip().startswith("ref:")
    # The same workflow checking out only the default branch is not a finding of ours.
    git(root, "checkout", "-q", "main")
    open_pr(root, {WORKFLOW: workflow.rsplit("      - uses:", 1)[0]}, branch="safe")
    _code, report = policy_json(cli, root, "--base", "main")
    assert _own(by_check(report, CHECK)) == []


def test_a_malformed_workflow_is_one_error_at_its_line(make_repo, cli):
    broken = CLEAN.replace("    runs-on: ubuntu-latest\n", "    runs-on: [ubuntu-latest\n")
    not_a_mapping = "- on: push\n"
    _root, code, findings = _audit(
        make_repo,
        cli,
        {WORKFLOW: broken, ".github/workflows/list.yaml": not_a_mapping},
    )
    assert code == 1
    by_path = {f["path"]: f for f in findings}
    assert len(findings) == 2 and set(by_path) == {WORKFLOW, ".github/workflows/list.yaml"}
    assert by_path[WORKFLOW]["message"].startswith("the workflow is not valid YAML")
    assert 8 <= by_path[WORKFLOW]["line"] <= len(broken.splitlines())
    assert "not a mapping" in by_path[".github/workflows/list.yaml"]["message"]
    assert by_path[".github/workflows/list.yaml"]["line"] == 1


def test_an_alias_bomb_costs_nothing_and_deep_nesting_is_refused(make_repo, cli):
    """Nodes are composed, never expanded: 10**12 aliased scalars are read in an instant."""
    bomb = "x: &a0 [x, x, x, x, x, x, x, x, x, x]\n"
    for level in range(1, 12):
        bomb += f"x{level}: &a{level} [{', '.join([f'*a{level - 1}'] * 10)}]\n"
    bomb += CLEAN
    deep = "on: " + "[" * 5000 + "]" * 5000 + "\n"
    started = time.monotonic()
    _root, code, findings = _audit(
        make_repo, cli, {WORKFLOW: bomb, ".github/workflows/deep.yml": deep}
    )
    assert time.monotonic() - started < 20
    assert code == 1
    (refused,) = findings
    assert refused["path"] == ".github/workflows/deep.yml"
    assert refused["message"] == "the workflow is nested too deeply to read"


def test_zizmor_high_findings_our_rules_do_not_cover(make_repo, cli):
    """zizmor's audit is part of the check: it fails a PR that autokit's own rules pass."""
    workflow = CLEAN.replace(
        "    runs-on: ubuntu-latest\n",
        "    runs-on: ubuntu-latest\n    env:\n      ACTIONS_ALLOW_UNSECURE_COMMANDS: true\n",
    )
    root, code, findings = _audit(make_repo, cli, {WORKFLOW: workflow})
    assert code == 1
    assert _own(findings) == []
    (insecure,) = _zizmor(findings, "insecure-commands")
    assert insecure["severity"] == "error"
    assert _line_text(root, insecure) == "    env:"  # the job's env, which holds the switch
    assert insecure["hint"].startswith("see https://docs.zizmor.sh/audits/")


def test_zizmor_also_reports_what_our_rules_report(make_repo, cli):
    workflow = CLEAN.replace(f"uses: {CHECKOUT}", "uses: actions/checkout@v4")
    _root, _code, findings = _audit(make_repo, cli, {WORKFLOW: workflow})
    (unpinned,) = _zizmor(findings, "unpinned-uses")
    (ours,) = _own(findings)
    assert unpinned["line"] == ours["line"] == 10 and unpinned["severity"] == "error"


def test_a_pull_request_cannot_switch_zizmor_off(make_repo, cli):
    """zizmor's config files and ignore comments come from the PR, so they are ignored."""
    workflow = CLEAN.replace(
        "    runs-on: ubuntu-latest\n",
        "    runs-on: ubuntu-latest\n    env:\n"
        "      ACTIONS_ALLOW_UNSECURE_COMMANDS: true  # zizmor: ignore[insecure-commands]\n",
    )
    config = "rules:\n  insecure-commands:\n    disable: true\n"
    _root, code, findings = _audit(
        make_repo,
        cli,
        {WORKFLOW: workflow, "zizmor.yml": config, ".github/zizmor.yml": config},
    )
    assert code == 1
    assert len(_zizmor(findings, "insecure-commands")) == 1


def test_lower_zizmor_findings_are_warnings(make_repo, cli):
    workflow = CLEAN.replace("          persist-credentials: false\n", "          fetch-depth: 1\n")
    _root, code, findings = _audit(make_repo, cli, {WORKFLOW: workflow})
    (artipacked,) = _zizmor(findings, "artipacked")
    assert artipacked["severity"] == "warning"
    assert code == 0


def test_a_workflow_zizmor_cannot_read_is_an_error(make_repo, cli):
    """Valid YAML that is no workflow: zizmor skips it, so the check says so."""
    root, code, findings = _audit(
        make_repo, cli, {WORKFLOW: CLEAN, ".github/workflows/odd.yml": "on: push\nfoo: 1\n"}
    )
    assert code == 1
    (skipped,) = findings
    assert skipped["path"] == ".github/workflows/odd.yml"
    assert skipped["message"].startswith("zizmor could not audit this workflow")
    # Alone, it leaves zizmor nothing to audit at all: still that finding, not a failure.
    git(root, "checkout", "-q", "main")
    open_pr(root, {".github/workflows/odd.yml": "on: push\nfoo: 1\n"}, branch="odd")
    code, report = policy_json(cli, root, "--base", "main")
    assert [f["message"] for f in by_check(report, CHECK)] == [skipped["message"]]


def test_without_zizmor_one_clear_error(make_repo, cli, monkeypatch):
    monkeypatch.setattr(workflow_safety, "zizmor_executable", lambda: None)
    _root, code, findings = _audit(make_repo, cli, {WORKFLOW: CLEAN})
    assert code == 1
    (missing,) = findings
    assert missing["message"] == "zizmor is not installed, so the workflows were not audited"
    assert "pip install -e ." in missing["hint"]


def test_a_broken_zizmor_is_one_clear_error(make_repo, cli, monkeypatch, tmp_path):
    fake = tmp_path / "zizmor"
    fake.write_text("#!/bin/sh\necho 'error: something went wrong' >&2\nexit 2\n")
    fake.chmod(0o755)
    monkeypatch.setattr(workflow_safety, "zizmor_executable", lambda: str(fake))
    _root, code, findings = _audit(make_repo, cli, {WORKFLOW: CLEAN})
    assert code == 1
    (failed,) = findings
    assert failed["message"].endswith("not audited: error: something went wrong")


def test_only_the_workflows_the_change_touches_without_all(make_repo, cli):
    unpinned = CLEAN.replace(f"uses: {CHECKOUT}", "uses: actions/checkout@v4")
    root = base_repo(make_repo, "greeter", extra={".github/workflows/old.yml": unpinned})
    open_pr(root, {WORKFLOW: CLEAN, "docs/note.md": "# Note\n"})
    code, report = policy_json(cli, root, "--base", "main")
    assert by_check(report, CHECK) == [] and code == 0
    code, report = policy_json(cli, root, "--all")
    assert {f["path"] for f in by_check(report, CHECK)} == {".github/workflows/old.yml"}
    assert code == 1
    # Deleting the bad workflow needs no audit; changing it does.
    git(root, "checkout", "-q", "main")
    open_pr(root, {".github/workflows/old.yml": unpinned + "# touched\n"}, branch="touch")
    _code, report = policy_json(cli, root, "--base", "main")
    assert {f["path"] for f in by_check(report, CHECK)} == {".github/workflows/old.yml"}
    git(root, "checkout", "-q", "main")
    open_pr(root, delete=(".github/workflows/old.yml",), branch="delete")
    code, report = policy_json(cli, root, "--base", "main")
    assert by_check(report, CHECK) == []


def test_a_symlinked_workflow_is_refused(make_repo, cli):
    root = base_repo(make_repo, "greeter")
    git(root, "checkout", "-q", "-b", "pr")
    (root / ".github" / "workflows").mkdir(parents=True)
    os.symlink("/etc/hostname", root / WORKFLOW)
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "link")
    code, report = policy_json(cli, root, "--base", "main")
    (link,) = by_check(report, CHECK)
    assert "symbolic link" in link["message"] and code == 1


def test_the_shipped_workflows_pass(cli):
    """The repository's own workflows, scheduled.yml as rendered, pass the whole check."""
    code, report = policy_json(cli, PROJECT, "--all")
    assert by_check(report, CHECK) == []
    assert code == 0


def test_the_shipped_workflows_are_audited_and_a_change_to_one_is_caught(make_repo, cli):
    shipped = sorted((PROJECT / ".github" / "workflows").glob("*.yml"))
    assert {p.name for p in shipped} >= {"ci.yml", "publish.yml", "run.yml", "scheduled.yml"}
    root = base_repo(make_repo, "greeter")
    (root / ".github" / "workflows").mkdir()
    for path in shipped:
        shutil.copy(path, root / ".github" / "workflows" / path.name)
    ci = (root / ".github" / "workflows" / "ci.yml").read_text()
    tampered = ci.replace(
        'run: autokit policy --base "origin/${GITHUB_BASE_REF}" --format github',
        "run: autokit policy --base origin/${{ github.base_ref }} --head ${{ github.head_ref }}",
    )
    assert tampered != ci
    (root / ".github" / "workflows" / "tampered.yml").write_text(tampered)
    code, report = policy_json(cli, root, "--all")
    findings = by_check(report, CHECK)
    assert {f["path"] for f in findings} == {".github/workflows/tampered.yml"}
    assert [f["message"] for f in _own(findings)] == [
        "`${{ github.head_ref }}` is pasted into the `run:` script before the shell reads it, "
        "so an attacker's text in it runs as code"
    ]
    assert code == 1
