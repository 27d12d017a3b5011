"""`autokit policy` end to end on real Git repositories: scope, edge cases, config."""

from __future__ import annotations

import datetime as dt
import json
import shutil

import pytest
from helpers import automation_files, build_tree, commit_all, git
from policy_support import (
    base_repo,
    bumped,
    by_check,
    codeowners_text,
    metadata_yaml,
    open_pr,
    policy_json,
)

from toolkit.checks import CHECKS, check_ids, documentation
from toolkit.findings import Finding
from toolkit.reporters import github_annotation, render_grouped_text, render_step_summary


def test_clean_pull_request_passes(make_repo, cli):
    root = base_repo(make_repo, "greeter", "other")
    open_pr(root, bumped("greeter"))
    code, report = policy_json(cli, root, "--base", "main")
    assert report["findings"] == [], report
    assert code == 0
    assert report["automations"] == ["greeter"]


def test_only_changed_automations_are_reviewed(make_repo, cli):
    root = base_repo(make_repo, "greeter", "other")
    (root / "automations/other/README.md").unlink()  # broken, but untouched by the PR
    commit_all(root, "break other on main")
    open_pr(root, bumped("greeter"))
    code, report = policy_json(cli, root, "--base", "main")
    assert code == 0, report
    code_all, report_all = policy_json(cli, root, "--all")
    assert code_all == 1
    assert [f["path"] for f in by_check(report_all, "folder-layout")] == [
        "automations/other/README.md"
    ]


def test_nonexistent_base_ref_is_a_clear_error(make_repo, cli):
    root = base_repo(make_repo, "greeter")
    result = cli("policy", "--repo", str(root), "--base", "origin/nope")
    assert result.code == 1
    assert "the ref 'origin/nope' does not exist" in result.err
    assert "git fetch" in result.err
    assert "Traceback" not in result.err


def test_shallow_clone_without_merge_base_says_fetch_depth_0(make_repo, cli, tmp_path):
    origin = base_repo(make_repo, "greeter")
    git(origin, "checkout", "-q", "-b", "feature")
    for number in range(3):
        (origin / "automations/greeter/notes.txt").write_text(f"note {number}\n")
        commit_all(origin, f"feature {number}")
    git(origin, "checkout", "-q", "main")
    (origin / "automations/greeter/README.md").write_text("# Greeter\n\nMoved on.\n")
    commit_all(origin, "main moves on")
    clone = tmp_path / "clone"
    git(
        tmp_path,
        "clone",
        "-q",
        "--depth",
        "1",
        "--no-single-branch",
        f"file://{origin}",
        str(clone),
    )
    git(clone, "checkout", "-q", "feature")
    result = cli("policy", "--repo", str(clone), "--base", "origin/main")
    assert result.code == 1
    assert "no merge base" in result.err
    assert "fetch-depth: 0" in result.err


def test_detached_head_is_reviewed(make_repo, cli):
    root = base_repo(make_repo, "greeter")
    open_pr(root, {"automations/greeter/main.py": "def main(greeting='world'):\n    return 1\n"})
    git(root, "checkout", "-q", "--detach", "HEAD")
    code, report = policy_json(cli, root, "--base", "main")
    assert code == 1
    assert [f["check"] for f in report["findings"]] == ["version-bump"]


def test_uncommitted_files_are_reviewed_only_with_uncommitted(make_repo, cli):
    root = base_repo(make_repo, "greeter", "other")
    open_pr(root, bumped("greeter"))
    (root / "automations/greeter/main.py").write_text(
        "import os\n\nTOKEN = os.environ['UNDECLARED']\n\n\n"
        "def main(greeting='world'):\n    return 1\n"
    )  # uncommitted
    (root / "automations/greeter/extra.py").write_text("import os\nos.getenv('ALSO')\n")
    (root / "automations/other/main.py").write_text(
        "x = 'AKIAIOSFODNN7EXAMPLE'\n\n\n\ndef main(greeting='world'):\n    return 1\n"
    )
    code, report = policy_json(cli, root, "--base", "main")
    assert (code, report["automations"], report["findings"]) == (0, ["greeter"], [])
    _, report = policy_json(cli, root, "--base", "main", "--uncommitted")
    assert report["automations"] == ["greeter", "other"]
    found = {(f["path"], f["line"]) for f in by_check(report, "declared-secrets")}
    assert found == {("automations/greeter/main.py", 3), ("automations/greeter/extra.py", 2)}
    assert [f["path"] for f in by_check(report, "hardcoded-secrets")] == [
        "automations/other/main.py"
    ]
    assert {f["check"] for f in report["findings"] if "/other/" in f["path"]} == {
        "version-bump",
        "hardcoded-secrets",
    }


def test_an_uncommitted_metadata_edit_is_not_read_when_reviewing_commits(make_repo, cli):
    root = base_repo(make_repo, "greeter")
    open_pr(root, bumped("greeter"))
    metadata = root / "automations/greeter/automation.yaml"
    metadata.write_text(metadata.read_text().replace("status: stable", "status: shiny"))
    (root / "automations/greeter/notes.txt").write_text("untracked\n")
    result = cli("policy", "--repo", str(root), "--base", "main")
    assert result.code == 0, result
    first = result.err.splitlines()[0]
    assert first.startswith("policy: 2 uncommitted or untracked file(s) NOT reviewed"), first
    assert "automations/greeter/automation.yaml, automations/greeter/notes.txt" in first
    assert "1 changed automation(s)" in result.err and "no findings" in result.err
    code, report = policy_json(cli, root, "--base", "main", "--uncommitted")
    assert code == 1 and "metadata-schema" in {f["check"] for f in report["findings"]}
    # the review's checkout is gone, and the working tree is as it was
    assert git(root, "worktree", "list").strip().count("\n") == 0
    assert "status: shiny" in metadata.read_text()
    commit_all(root, "everything committed")
    assert "NOT reviewed" not in cli("policy", "--repo", str(root), "--base", "main").err


def test_only_uncommitted_changes_are_not_a_pass(make_repo, cli):
    root = base_repo(make_repo, "greeter")
    git(root, "checkout", "-q", "-b", "pr")
    build_tree(root, bumped("greeter"))  # nothing committed on the branch
    result = cli("policy", "--repo", str(root), "--base", "main")
    assert result.code == 1, result
    first = result.err.splitlines()[0]
    assert "nothing to review: no commit since the merge base with main" in first, first
    assert "2 file(s) are uncommitted" in first
    assert "--uncommitted" in result.err and "Traceback" not in result.err
    code, report = policy_json(cli, root, "--base", "main", "--uncommitted")
    assert (code, report["automations"], report["findings"]) == (0, ["greeter"], [])
    git(root, "stash", "-q", "--include-untracked")
    result = cli("policy", "--repo", str(root), "--base", "main")
    assert result.code == 0 and "0 changed automation(s)" in result.err  # nothing at all


def test_head_other_than_the_checkout_is_refused(make_repo, cli):
    root = base_repo(make_repo, "greeter")
    open_pr(root, bumped("greeter"))
    result = cli("policy", "--repo", str(root), "--base", "main", "--head", "main")
    assert result.code == 1
    assert "is not the commit checked out" in result.err


def test_deleted_automation_is_not_reviewed_but_reported(make_repo, cli):
    root = base_repo(make_repo, "greeter", "other")
    open_pr(root, delete=("automations/other",))
    code, report = policy_json(cli, root, "--base", "main")
    assert report["automations"] == [] and report["deleted"] == ["other"]
    # CODEOWNERS still names it: the only finding
    assert [(f["check"], f["path"]) for f in report["findings"]] == [
        ("codeowners-sync", ".github/CODEOWNERS")
    ]
    assert "other" in report["findings"][0]["message"]
    assert code == 1


def test_deleting_a_replacement_is_reported_where_it_is_named(make_repo, cli):
    root = base_repo(make_repo, "greeter", "other")
    (root / "automations/other/automation.yaml").write_text(
        metadata_yaml(
            "other",
            status="deprecated",
            deprecation={"reason": "use greeter", "replaced_by": "greeter"},
        )
    )
    commit_all(root, "deprecate other")
    open_pr(root, delete=("automations/greeter",))
    _, report = policy_json(cli, root, "--base", "main")
    assert [f["path"] for f in by_check(report, "deprecation")] == [
        "automations/other/automation.yaml"
    ]


def test_renamed_automation_is_compared_with_its_old_version(make_repo, cli):
    root = base_repo(make_repo, "greeter")
    git(root, "checkout", "-q", "-b", "pr")
    git(root, "mv", "automations/greeter", "automations/welcomer")

    (root / "automations/welcomer/automation.yaml").write_text(metadata_yaml("welcomer"))
    (root / ".github/CODEOWNERS").write_text(codeowners_text({"welcomer": ["@alice"]}))
    commit_all(root, "rename")
    _code, report = policy_json(cli, root, "--base", "main")
    assert report["automations"] == ["welcomer"] and report["deleted"] == []
    bump = by_check(report, "version-bump")
    assert len(bump) == 1 and bump[0]["path"] == "automations/welcomer/automation.yaml"
    assert "as at the base" in bump[0]["message"]
    result = cli("changed", "--repo", str(root), "--base", "main", "--format", "json")
    assert json.loads(result.out)["renamed"] == [{"name": "welcomer", "from": "greeter"}]


def test_lowered_version_is_an_error_at_the_version_line(make_repo, cli):
    root = base_repo(make_repo, "greeter")
    open_pr(root, bumped("greeter", version="0.9.0"))
    code, report = policy_json(cli, root, "--base", "main")
    (finding,) = by_check(report, "version-bump")
    assert code == 1
    assert "0.9.0 is lower than 1.0.0" in finding["message"]
    text = (root / "automations/greeter/automation.yaml").read_text().splitlines()
    assert text[finding["line"] - 1].startswith("version:")


def test_pull_request_touching_only_toolkit_reviews_no_automation(make_repo, cli):
    root = base_repo(make_repo, "greeter", extra={"toolkit/__init__.py": ""})
    (root / "automations/greeter/README.md").unlink()  # broken on main: not this PR's doing
    commit_all(root, "main")
    open_pr(root, {"toolkit/__init__.py": "VERSION = 2\n"})
    code, report = policy_json(cli, root, "--base", "main")
    assert (code, report["automations"]) == (0, [])
    assert [(f["check"], f["path"]) for f in report["findings"]] == [
        ("governance-change", "toolkit/__init__.py")
    ]


def _pyproject(body: str) -> dict[str, str]:
    if "security_reviewers" not in body:
        body = 'security_reviewers = ["@shop/security"]\n' + body
    return {"pyproject.toml": "[project]\nname = 'x'\n\n[tool.autokit]\n" + body}


def test_waiver_with_bad_date_is_an_error_naming_the_line(make_repo, cli):
    body = (
        'security_reviewers = ["@shop/security"]\n\n[[tool.autokit.waivers]]\n'
        'check = "file-size"\nautomation = "greeter"\nreason = "sample data is large"\n'
        'expires = "31/12/2027"\n'
    )
    root = base_repo(make_repo, "greeter", extra=_pyproject(body))
    code, report = policy_json(cli, root, "--all")
    (finding,) = by_check(report, "policy-config")
    assert code == 1
    assert finding["path"] == "pyproject.toml"
    assert "'31/12/2027' is not a date" in finding["message"]
    lines = (root / "pyproject.toml").read_text().splitlines()
    assert lines[finding["line"] - 1] == 'expires = "31/12/2027"'


def _days_ahead(days: int) -> str:
    return (dt.date.today() + dt.timedelta(days=days)).isoformat()


def test_each_waiver_problem_points_at_its_own_line(make_repo, cli):
    soon = _days_ahead(30)
    body = (
        '[tool.autokit.checks]\nowners = "no"\n\n'
        '[[tool.autokit.waivers]]\ncheck = "file-size"\nautomation = "greeter"\n'
        f'reason = "sample data is large"\nexpires = {soon}\n\n'
        '[[tool.autokit.waivers]]\ncheck = "owners"\nautomation = "greeter"\n'
        'reason = ""\nexpires = 20991231\n\n'
        '[[tool.autokit.waivers]]\ncheck = "owners"\nautomation = "greter"\n'
        f'reason = "typo in the name"\nexpires = {soon}\n'
    )
    root = base_repo(make_repo, "greeter", extra=_pyproject(body))
    _code, report = policy_json(cli, root, "--all")
    lines = (root / "pyproject.toml").read_text().splitlines()
    found = {(f["field"], lines[f["line"] - 1]) for f in by_check(report, "policy-config")}
    assert found == {
        ("tool.autokit.checks.owners", 'owners = "no"'),
        ("tool.autokit.waivers[1].reason", 'reason = ""'),
        ("tool.autokit.waivers[1].expires", "expires = 20991231"),
        ("tool.autokit.waivers.automation", 'automation = "greter"'),
    }
    assert "did you mean 'greeter'?" in json.dumps(report)


def test_expired_waiver_and_unknown_check_are_errors(make_repo, cli):
    body = (
        "[tool.autokit.checks]\nfile-sise = false\n\n[[tool.autokit.waivers]]\n"
        'check = "folder-layout"\nautomation = "greeter"\nreason = "legacy"\n'
        "expires = 2020-01-01\n"
    )
    root = base_repo(make_repo, "greeter", extra=_pyproject(body))
    (root / "automations/greeter/README.md").unlink()
    commit_all(root, "no readme")
    _code, report = policy_json(cli, root, "--all")
    messages = [f["message"] for f in by_check(report, "policy-config")]
    assert "unknown check id 'file-sise'" in messages
    assert "the waiver expired on 2020-01-01" in messages
    assert by_check(report, "folder-layout"), "an expired waiver must not hide findings"
    assert "did you mean 'file-size'?" in json.dumps(report)


@pytest.mark.parametrize(
    ("reason", "expires", "field", "says"),
    [
        ("the fixtures are revoked keys", "9999-12-31", "expires", "more than 90 days ahead"),
        ("the fixtures are revoked keys", _days_ahead(91), "expires", "more than 90 days"),
        ("x", _days_ahead(30), "reason", "'x' does not say why"),
        ("typo", _days_ahead(30), "reason", "write at least 3 words"),
        ("a b c", _days_ahead(30), "reason", "does not say why"),
    ],
)
def test_waivers_are_bounded_in_time_and_explained(make_repo, cli, reason, expires, field, says):
    body = (
        '[[tool.autokit.waivers]]\ncheck = "file-size"\nautomation = "greeter"\n'
        f'reason = "{reason}"\nexpires = {expires}\n'
    )
    root = base_repo(make_repo, "greeter", extra=_pyproject(body))
    code, report = policy_json(cli, root, "--all")
    (finding,) = by_check(report, "policy-config")
    assert code == 1 and says in finding["message"], finding
    assert finding["field"] == f"tool.autokit.waivers[0].{field}"
    lines = (root / "pyproject.toml").read_text().splitlines()
    assert lines[finding["line"] - 1].startswith(f"{field} = ")


def test_max_waiver_days_is_configurable_within_a_year(make_repo, cli):
    body = (
        "max_waiver_days = 180\n\n"
        '[[tool.autokit.waivers]]\ncheck = "file-size"\nautomation = "greeter"\n'
        f'reason = "sample data is being replaced"\nexpires = {_days_ahead(150)}\n'
    )
    root = base_repo(make_repo, "greeter", extra=_pyproject(body))
    code, report = policy_json(cli, root, "--all")
    assert (code, by_check(report, "policy-config")) == (0, [])
    (root / "pyproject.toml").write_text(
        (root / "pyproject.toml").read_text().replace("= 180", "= 5000")
    )
    code, report = policy_json(cli, root, "--all")
    messages = [f["message"] for f in by_check(report, "policy-config")]
    assert code == 1 and any("from 1 to 366, not 5000" in m for m in messages), messages


def test_valid_waiver_hides_only_its_check_and_automation(make_repo, cli):
    expires = (dt.date.today() + dt.timedelta(days=30)).isoformat()
    body = (
        f'[[tool.autokit.waivers]]\ncheck = "folder-layout"\nautomation = "greeter"\n'
        f'reason = "README is being written"\nexpires = {expires}\n'
    )
    root = base_repo(make_repo, "greeter", "other", extra=_pyproject(body))
    for name in ("greeter", "other"):
        (root / f"automations/{name}/README.md").unlink()
    commit_all(root, "no readmes")
    _code, report = policy_json(cli, root, "--all")
    assert [f["path"] for f in by_check(report, "folder-layout")] == ["automations/other/README.md"]
    assert [w["path"] for w in report["waived"]] == ["automations/greeter/README.md"]
    assert report["waived"][0]["waiver"]["reason"] == "README is being written"
    text = cli("policy", "--repo", str(root), "--all")
    assert "waived folder-layout at automations/greeter/README.md" in text.err


def test_waiver_for_an_unknown_automation_is_an_error(make_repo, cli):
    expires = (dt.date.today() + dt.timedelta(days=30)).isoformat()
    body = (
        f'[[tool.autokit.waivers]]\ncheck = "file-size"\nautomation = "greter"\n'
        f'reason = "typo in the name"\nexpires = {expires}\n'
    )
    root = base_repo(make_repo, "greeter", extra=_pyproject(body))
    code, report = policy_json(cli, root, "--all")
    (finding,) = by_check(report, "policy-config")
    assert code == 1 and "names 'greter', which does not exist" in finding["message"]


def test_policy_all_works_outside_git(make_repo, cli):
    root = base_repo(make_repo, "greeter")

    shutil.rmtree(root / ".git")
    code, report = policy_json(cli, root, "--all")
    assert (code, report["findings"]) == (0, [])
    result = cli("policy", "--repo", str(root), "--base", "main")
    assert result.code == 1 and "not inside a Git repository" in result.err


def test_check_switched_off_does_not_run(make_repo, cli):
    root = base_repo(
        make_repo, "greeter", extra=_pyproject("[tool.autokit.checks]\nfolder-layout = false\n")
    )
    (root / "automations/greeter/README.md").unlink()
    commit_all(root, "no readme")
    code, report = policy_json(cli, root, "--all")
    assert code == 0, report
    assert "folder-layout" not in report["checks"]


def test_text_report_groups_by_automation_with_hints(make_repo, cli):
    root = base_repo(make_repo, "greeter", "other")
    for name in ("greeter", "other"):
        (root / f"automations/{name}/CHANGELOG.md").write_text("# Changelog\n")
    commit_all(root, "empty changelogs")
    result = cli("policy", "--repo", str(root))
    assert result.code == 1
    blocks = result.out.split("\n\n")
    assert blocks[0].startswith("greeter (1 error)")
    assert blocks[1].startswith("other (1 error)")
    assert "hint: add '## 1.0.0'" in blocks[0]
    assert "2 finding(s)" in result.err


def test_list_shows_every_check_with_its_documentation(cli):
    result = cli("policy", "--list")
    assert result.code == 0
    listed = [line.split()[0] for line in result.out.splitlines()]
    assert listed == check_ids()


def test_every_check_is_documented_for_reviewers():
    for check_id, check in CHECKS.items():
        # A one-line rule, then what it enforces and why, then how to fix a finding.
        summary, *body = documentation(check).split("\n\n")
        assert "\n" not in summary and summary.endswith("."), check_id
        assert len(body) >= 2, check_id
        assert any(p.startswith("Fix: ") for p in body), check_id


def test_new_automation_in_pr_needs_its_codeowners_line(make_repo, cli):
    root = base_repo(make_repo, "greeter")
    open_pr(root, automation_files("newcomer"))
    _code, report = policy_json(cli, root, "--base", "main")
    (finding,) = report["findings"]
    assert finding["check"] == "codeowners-sync"
    assert "newcomer has no line" in finding["message"]


# ---------------------------------------------------------------------------
# Reporters


def _finding(
    path="automations/greeter/main.py",
    line=3,
    message="bad",
    hint="fix it",
    check="declared-secrets",
    severity="error",
):

    return Finding(path, line, None, check, severity, message, hint)


def test_github_annotation_escapes_data_and_properties():
    finding = _finding(path="automations/a,b/x:y.py", message="50% done\nnext line\r::x", hint=None)
    annotation = github_annotation(finding)
    assert annotation == (
        "::error file=automations/a%2Cb/x%3Ay.py,line=3,title=declared-secrets"
        "::50%25 done%0Anext line%0D::x"
    )
    assert "\n" not in annotation


def test_github_format_writes_annotations_and_a_step_summary(make_repo, cli, tmp_path, monkeypatch):
    summary = tmp_path / "summary.md"
    summary.write_text("earlier step output\n")
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(summary))
    monkeypatch.delenv("GITHUB_REPOSITORY", raising=False)  # set when CI runs these tests
    root = base_repo(make_repo, "greeter")
    open_pr(
        root,
        {
            "automations/greeter/main.py": "import os\nos.environ['A|<b>']\n\n\n"
            "def main(greeting='world'):\n    return 1\n"
        },
    )
    result = cli("policy", "--repo", str(root), "--base", "main", "--format", "github")
    assert result.code == 1
    annotations = result.out.splitlines()
    assert len(annotations) == 2
    assert all(a.startswith("::error file=automations/greeter/") for a in annotations)
    text = summary.read_text()
    assert text.startswith("earlier step output\n## autokit policy")
    assert "| error | `automations/greeter/main.py:2:1` | declared-secrets |" in text
    assert "$A\\|&lt;b&gt;" in text  # no table break, no HTML from contributor text


def test_step_summary_links_each_place_to_the_file_at_the_commit_checked(
    make_repo, cli, tmp_path, monkeypatch
):
    summary = tmp_path / "summary.md"
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(summary))
    monkeypatch.setenv("GITHUB_SERVER_URL", "https://github.example")
    monkeypatch.setenv("GITHUB_REPOSITORY", "shop/automations")
    root = base_repo(make_repo, "greeter")
    open_pr(root, {"automations/greeter/my notes.py": "import os\nos.environ['UNDECLARED']\n"})
    head = git(root, "rev-parse", "HEAD").strip()
    assert cli("policy", "--repo", str(root), "--base", "main", "--format", "github").code == 1
    link = (
        "[`automations/greeter/my notes.py:2:1`](https://github.example/shop/automations/blob/"
        f"{head}/automations/greeter/my%20notes.py#L2)"
    )
    assert f"| error | {link} | declared-secrets |" in summary.read_text()


def test_unwritable_step_summary_is_reported_and_annotations_still_printed(
    make_repo, cli, tmp_path, monkeypatch
):
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(tmp_path / "missing-folder" / "summary.md"))
    root = base_repo(make_repo, "greeter")
    open_pr(root, {"automations/greeter/main.py": "import os\nos.environ['UNDECLARED']\n"})
    result = cli("policy", "--repo", str(root), "--base", "main", "--format", "github")
    assert result.code == 1, result
    assert "::error file=automations/greeter/main.py,line=2" in result.out
    assert "could not append the job summary" in result.err
    assert "No such file or directory" in result.err


def test_grouped_text_indents_every_line_of_a_finding_under_its_automation():
    text = render_grouped_text(
        [
            _finding(message="not valid YAML\n  at position 0"),
            _finding(path=".github/CODEOWNERS", line=None, check="codeowners-sync"),
        ]
    )
    assert text.splitlines() == [
        "(repository) (1 error)",
        "  error   .github/CODEOWNERS  [codeowners-sync] bad",
        "          hint: fix it",
        "",
        "greeter (1 error)",
        "  error   automations/greeter/main.py:3  [declared-secrets] not valid YAML",
        "            at position 0",
        "          hint: fix it",
    ]


def test_step_summary_lists_everything_until_the_cap():
    findings = [_finding(line=n, message="x" * 200) for n in range(1, 8001)]
    full = render_step_summary(findings[:50], "autokit policy")
    assert full.count("| error |") == 50 and "not shown" not in full
    capped = render_step_summary(findings, "autokit policy", limit=1024 * 1024)
    size = len(capped.encode())
    assert 1024 * 1024 - 2000 < size < 1024 * 1024
    shown = capped.count("| error |")
    assert f"{8000 - shown} more finding(s) not shown" in capped
    small = render_step_summary(findings, "autokit policy", limit=10_000)
    assert len(small.encode()) < 10_000


def test_summary_puts_errors_before_warnings():
    text = render_step_summary([_finding(severity="warning", line=1), _finding(line=9)], "t")
    assert text.index("| error |") < text.index("| warning |")
