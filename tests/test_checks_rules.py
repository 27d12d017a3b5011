"""The metadata, layout, versioning and repository checks, one pull request each."""

from __future__ import annotations

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

GREETING = {"type": "string", "description": "Who to greet", "default": "world"}


def _line(root, path, number):
    return (root / path).read_text().splitlines()[number - 1]


def test_missing_readme_changelog_tests_and_entrypoint(make_repo, cli):
    root = base_repo(make_repo, "greeter")
    open_pr(
        root,
        bumped("greeter", entrypoint="run.py"),
        delete=("automations/greeter/README.md", "automations/greeter/tests"),
    )
    _, report = policy_json(cli, root, "--base", "main")
    layout = sorted(f["path"] for f in by_check(report, "folder-layout"))
    assert layout == ["automations/greeter/README.md", "automations/greeter/tests"]
    # the missing entrypoint is reported once, by metadata-schema
    schema = by_check(report, "metadata-schema")
    assert [f["field"] for f in schema] == ["entrypoint"]


def test_unchanged_version_is_an_error(make_repo, cli):
    root = base_repo(make_repo, "greeter")
    open_pr(root, {"automations/greeter/README.md": "# Greeter\n\nNow friendlier.\n"})
    _code, report = policy_json(cli, root, "--base", "main")
    (finding,) = by_check(report, "version-bump")
    assert "still 1.0.0" in finding["message"] and "1.0.1" in finding["hint"]
    assert _line(root, finding["path"], finding["line"]).startswith("version:")


def test_without_base_version_below_released_tag_is_an_error(make_repo, cli):
    root = base_repo(make_repo, "greeter")
    git(root, "tag", "-a", "greeter@2.0.0", "-m", "greeter 2.0.0")
    _code, report = policy_json(cli, root, "--all")
    (finding,) = by_check(report, "version-bump")
    assert "lower than the released 2.0.0" in finding["message"]


def test_changelog_needs_a_section_for_the_new_version(make_repo, cli):
    root = base_repo(make_repo, "greeter")
    files = bumped("greeter", version="1.2.0")
    files["automations/greeter/CHANGELOG.md"] = "# Changelog\n\n## 1.1.0\n\n## 1.0.0\n"
    open_pr(root, files)
    _, report = policy_json(cli, root, "--base", "main")
    (finding,) = by_check(report, "changelog-entry")
    assert "no '## 1.2.0' section" in finding["message"]


def test_changelog_headings_with_brackets_and_dates_count(make_repo, cli):
    root = base_repo(make_repo, "greeter")
    files = bumped("greeter", version="1.2.0")
    files["automations/greeter/CHANGELOG.md"] = "# Changelog\n\n## [1.2.0] - 2026-11-26\n\n- x\n"
    open_pr(root, files)
    _, report = policy_json(cli, root, "--base", "main")
    assert by_check(report, "changelog-entry") == []


def test_removed_retyped_and_newly_required_inputs_need_a_major_bump(make_repo, cli):
    inputs = {
        "greeting": GREETING,
        "count": {"type": "integer", "description": "How many", "default": 1},
        "loud": {"type": "boolean", "description": "Shout", "default": False},
    }
    files = automation_files("greeter", inputs=inputs, examples=[])
    files[".github/CODEOWNERS"] = codeowners_text({"greeter": ["@alice"]})
    root = make_repo(files)
    new_inputs = {
        "greeting": {**GREETING, "default": None, "required": True},
        "count": {"type": "string", "description": "How many"},
        "target": {"type": "string", "description": "Where", "required": True},
    }
    open_pr(root, bumped("greeter", version="1.1.0", inputs=new_inputs, examples=[]))
    code, report = policy_json(cli, root, "--base", "main")
    messages = sorted(f["message"].split(",")[0] for f in by_check(report, "breaking-inputs"))
    assert messages == [
        "input 'count' changed type from integer to string",
        "input 'greeting' became required",
        "input 'loud' was removed",
        "new input 'target' is required",
    ]
    assert code == 1
    # a major bump makes the same change acceptable
    files = bumped("greeter", version="2.0.0", inputs=new_inputs, examples=[])
    files["automations/greeter/CHANGELOG.md"] = "## 2.0.0\n\n- Breaking: inputs changed.\n"
    open_pr(root, files, branch="major")
    _, report = policy_json(cli, root, "--base", "main")
    assert by_check(report, "breaking-inputs") == []


def test_a_breaking_change_below_1_0_0_asks_for_a_minor_bump_in_message_and_hint(make_repo, cli):
    files = automation_files("greeter", version="0.2.0", inputs={"greeting": GREETING})
    files[".github/CODEOWNERS"] = codeowners_text({"greeter": ["@alice"]})
    root = make_repo(files)
    open_pr(root, bumped("greeter", version="0.2.1", inputs={}))
    _, report = policy_json(cli, root, "--base", "main")
    (finding,) = by_check(report, "breaking-inputs")
    assert "without a minor version bump (the breaking bump for 0.x versions)" in finding["message"]
    assert "major" not in finding["message"]
    assert finding["hint"].startswith("raise version to 0.3.0 (for 0.x versions")
    git(root, "checkout", "-q", "main")
    # from 1.x the rule is a major bump, in the message and the hint
    files = automation_files("greeter", version="1.2.0", inputs={"greeting": GREETING})
    build_tree(root, files)
    commit_all(root, "1.2.0")
    open_pr(root, bumped("greeter", version="1.3.0", inputs={}), branch="two")
    _, report = policy_json(cli, root, "--base", "main")
    (finding,) = by_check(report, "breaking-inputs")
    assert finding["message"].endswith("without a major version bump")
    assert finding["hint"] == "raise version to 2.0.0, or keep the input compatible"


def test_optional_new_input_is_not_breaking(make_repo, cli):
    root = base_repo(make_repo, "greeter")
    inputs = {"greeting": GREETING, "extra": {"type": "string", "description": "x"}}
    open_pr(root, bumped("greeter", inputs=inputs))
    _, report = policy_json(cli, root, "--base", "main")
    assert by_check(report, "breaking-inputs") == []


def test_owners_duplicates_and_handles(make_repo, cli):
    root = base_repo(make_repo, "greeter")
    open_pr(root, bumped("greeter", owners=["@alice", "@Alice", "bob"]))
    _, report = policy_json(cli, root, "--base", "main")
    found = sorted((f["line"], f["message"]) for f in by_check(report, "owners"))
    path = "automations/greeter/automation.yaml"
    assert found == [(_find_line(root, path, "'@Alice'"), "@Alice is listed twice")]
    # The bad handle is reported once, by metadata-schema, not twice.
    bob = _find_line(root, path, "- bob")
    at_bob = [f for f in report["findings"] if f["line"] == bob]
    assert [f["check"] for f in at_bob] == ["metadata-schema"], at_bob


def test_empty_owners_is_one_finding_and_owners_reports_it_without_the_schema(make_repo, cli):
    root = base_repo(make_repo, "greeter")
    open_pr(root, bumped("greeter", owners=[]))
    _, report = policy_json(cli, root, "--base", "main")
    about_owners = [f["check"] for f in report["findings"] if f["field"] == "owners"]
    assert about_owners == ["metadata-schema"], report
    (root / "pyproject.toml").write_text("[tool.autokit.checks]\nmetadata-schema = false\n")
    # The working tree's configuration applies to a review of everything, not of a change.
    _, report = policy_json(cli, root, "--all")
    owners = by_check(report, "owners")
    assert [f["message"] for f in owners] == ["there must be at least one owner"]


def test_unpinned_and_stray_requirements(make_repo, cli):
    root = base_repo(make_repo, "greeter")
    files = bumped("greeter", requirements=["openpyxl==3.1.5", "OpenPyXL==3.1.4"])
    files["automations/greeter/tests/requirements.txt"] = (
        "# test deps\nfreezegun==1.5.1\nrequests>=2\n"
    )
    files["automations/greeter/requirements.txt"] = "requests==2.32.3\n"
    open_pr(root, files)
    _, report = policy_json(cli, root, "--base", "main")
    found = sorted(
        (f["path"], f["line"], f["message"]) for f in by_check(report, "pinned-requirements")
    )
    assert found == sorted(
        [
            (
                "automations/greeter/automation.yaml",
                _find_line(root, "automations/greeter/automation.yaml", "OpenPyXL"),
                "openpyxl is listed twice",
            ),
            (
                "automations/greeter/requirements.txt",
                None,
                "requirements.txt here is never installed",
            ),
            (
                "automations/greeter/tests/requirements.txt",
                3,
                "'requests>=2' is not pinned to an exact version",
            ),
        ]
    )


def _find_line(root, path, text):
    lines = (root / path).read_text().splitlines()
    return next(i for i, line in enumerate(lines, start=1) if text in line)


def test_confidential_needs_two_owners_restricted_needs_security_reviewers(make_repo, cli):
    root = base_repo(make_repo, "greeter", "other", extra={"pyproject.toml": "[tool.autokit]\n"})
    files = bumped("greeter", classification="confidential")
    files.update(bumped("other", classification="restricted", owners=["@alice", "@bob"]))
    open_pr(root, files)
    _, report = policy_json(cli, root, "--base", "main")
    found = sorted(
        (f["path"].split("/")[1], f["message"]) for f in by_check(report, "classification")
    )
    assert found == [
        ("greeter", "a confidential automation needs at least two owners"),
        ("other", "a restricted automation needs security reviewers, and none are configured"),
    ]


def test_lowered_classification_is_a_warning(make_repo, cli):
    root = base_repo(make_repo, "greeter")
    open_pr(root, bumped("greeter", classification="public"))
    code, report = policy_json(cli, root, "--base", "main")
    (finding,) = by_check(report, "classification")
    assert finding["severity"] == "warning" and code == 0


def test_deprecation_needs_a_living_replacement(make_repo, cli):
    root = base_repo(make_repo, "greeter", "other", "third")
    (root / "automations/third/automation.yaml").write_text(
        metadata_yaml("third", status="deprecated", deprecation={"reason": "old"})
    )
    commit_all(root, "deprecate third")
    files = bumped(
        "greeter",
        status="deprecated",
        deprecation={"reason": "merged", "replaced_by": "missing-one"},
    )
    files.update(
        bumped(
            "other", status="deprecated", deprecation={"reason": "merged", "replaced_by": "third"}
        )
    )
    open_pr(root, files)
    _, report = policy_json(cli, root, "--base", "main")
    found = sorted((f["path"].split("/")[1], f["message"]) for f in by_check(report, "deprecation"))
    assert found == [
        ("greeter", "replaced_by names 'missing-one', which does not exist"),
        ("other", "replaced_by names 'third', which is itself deprecated"),
    ]


def test_large_files_and_binaries_outside_the_data_allowlist(make_repo, cli):
    root = base_repo(make_repo, "greeter")
    files = bumped("greeter")
    files["automations/greeter/tests/sample.xlsx"] = b"PK\x03\x04\x00binary data"
    files["automations/greeter/tool.exe"] = b"MZ\x90\x00\x03"
    files["automations/greeter/tests/big.csv"] = b"a,b\n" * 300_000
    files["automations/greeter/tests/latin1.txt"] = "Gr\xfc\xdfe\n".encode("latin-1")
    open_pr(root, files)
    _, report = policy_json(cli, root, "--base", "main")
    found = sorted((f["path"], f["message"].split(",")[0]) for f in by_check(report, "file-size"))
    assert found == [
        ("automations/greeter/tests/big.csv", "is 1.2 MB"),
        ("automations/greeter/tool.exe", "is a binary file (.exe)"),
    ]


def test_codeowners_stale_line_for_changed_owner(make_repo, cli):
    root = base_repo(make_repo, "greeter")
    open_pr(root, bumped("greeter", owners=["@alice", "@carol"]))
    _, report = policy_json(cli, root, "--base", "main")
    (finding,) = by_check(report, "codeowners-sync")
    assert "stale line; expected '/automations/greeter/ @alice @carol'" in finding["message"]
    assert _line(root, ".github/CODEOWNERS", finding["line"]).startswith("/automations/greeter/")


def test_restricted_codeowners_line_includes_security_reviewers(make_repo, cli):
    root = base_repo(
        make_repo,
        "greeter",
        extra={"pyproject.toml": '[tool.autokit]\nsecurity_reviewers = ["@shop/security"]\n'},
    )
    files = bumped("greeter", classification="restricted", owners=["@alice", "@bob"])
    files[".github/CODEOWNERS"] = codeowners_text({"greeter": ["@alice", "@bob", "@shop/security"]})
    open_pr(root, files)
    code, report = policy_json(cli, root, "--base", "main")
    assert report["findings"] == [] and code == 0


def test_schedule_sync_is_silent_without_the_workflow(make_repo, cli):
    root = base_repo(make_repo, "greeter")
    open_pr(root, bumped("greeter", schedule="0 8 * * 1-5"))
    _, report = policy_json(cli, root, "--base", "main")
    assert by_check(report, "schedule-sync") == []


def test_schedule_sync_compares_with_the_rendered_workflow(make_repo, cli):
    root = base_repo(make_repo, "greeter", "other")
    assert cli("schedule", "render", "--repo", str(root)).code == 0
    commit_all(root, "render the scheduled workflow")
    open_pr(root, bumped("greeter", schedule="0 8 * * 1-5"))
    code, report = policy_json(cli, root, "--base", "main")
    (finding,) = by_check(report, "schedule-sync")
    assert finding["path"] == ".github/workflows/scheduled.yml" and code == 1
    assert cli("schedule", "render", "--repo", str(root)).code == 0
    commit_all(root, "render again")
    _, report = policy_json(cli, root, "--base", "main")
    assert by_check(report, "schedule-sync") == []


def test_schedule_sync_skips_changes_that_cannot_affect_schedules(make_repo, cli):
    root = base_repo(make_repo, "greeter", "other")
    workflow = root / ".github/workflows/scheduled.yml"
    workflow.parent.mkdir(parents=True)
    workflow.write_text("# stale on purpose\n")
    commit_all(root, "a stale workflow")
    open_pr(root, bumped("greeter"))  # no schedule now or at the base
    _, report = policy_json(cli, root, "--base", "main")
    # The scheduled workflow is not judged; the touched automation's Run form is (missing).
    assert [f["path"] for f in by_check(report, "schedule-sync")] == [
        ".github/workflows/run-greeter.yml"
    ]
    _, everything = policy_json(cli, root, "--all")
    scheduled = [
        f
        for f in by_check(everything, "schedule-sync")
        if f["path"] == str(workflow.relative_to(root))
    ]
    assert [f["line"] for f in scheduled] == [1]
