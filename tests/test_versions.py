"""Versions are plain MAJOR.MINOR.PATCH in ASCII digits, in metadata, tags and changelogs."""

from __future__ import annotations

import pytest
from helpers import git
from policy_support import base_repo, bumped, by_check, open_pr, policy_json
from test_metadata import BASE, METADATA, repo_with

from toolkit import changelog
from toolkit.git import version_tags
from toolkit.versions import parse_version

NOT_VERSIONS = [
    "1.0.0\n",  # `$` would match before the newline
    "1.0.0\r\n",
    " 1.0.0",
    "1\u0663.0.0",  # an Arabic-Indic three
    "\uff11.0.0",  # a full-width one
    "1.0.\u00b2",  # a superscript two
    "01.2.3",
    "1.02.3",
    "1.2.03",
    "1.2",
    "1.2.3.4",
    "v1.2.3",
    "1.2.3-rc.1",
    "",
]


@pytest.mark.parametrize("text", NOT_VERSIONS)
def test_only_plain_ascii_versions_parse(text: str) -> None:
    assert parse_version(text) is None


def test_plain_versions_parse() -> None:
    assert parse_version("0.0.0") == (0, 0, 0)
    assert parse_version("10.20.300") == (10, 20, 300)


@pytest.mark.parametrize(
    "written",
    ['"1.0.0\\n"', '"1\\u0663.0.0"', '"\\uff11.0.0"', '"01.0.0"'],
    ids=["newline", "arabic-indic", "full-width", "leading-zero"],
)
def test_validate_refuses_the_version_naming_its_line(make_repo, cli, written: str) -> None:
    root = repo_with(make_repo, BASE.replace("version: 1.0.0\n", f"version: {written}\n"))
    result = cli("validate", "--repo", str(root))
    assert result.code == 1, result
    assert "Traceback" not in result.out + result.err
    (line,) = [x for x in result.out.splitlines() if ": version: " in x]
    assert line.startswith(f"{METADATA}:4:")
    assert "must be a semantic version MAJOR.MINOR.PATCH" in line and "e.g. '1.4.0'" in line


@pytest.mark.parametrize("version", ["1.1.0\n", "1\u0663.1.0"], ids=["newline", "arabic-indic"])
def test_a_pull_request_with_such_a_version_fails_policy(make_repo, cli, version: str) -> None:
    root = base_repo(make_repo, "greeter")
    open_pr(root, bumped("greeter", version=version))
    code, report = policy_json(cli, root, "--base", "main")
    assert code == 1, report
    (finding,) = [f for f in by_check(report, "metadata-schema") if f["field"] == "version"]
    assert finding["path"] == "automations/greeter/automation.yaml" and finding["hint"]
    assert by_check(report, "version-bump") == []  # not passed as a raise: not read at all


def test_tags_with_leading_zeros_are_not_versions(make_repo, cli) -> None:
    root = base_repo(make_repo, "greeter")
    for tag in ("greeter@1.0.0", "greeter@01.2.3", "greeter@1.2.03", "greeter@1.2.3x"):
        git(root, "tag", "-a", tag, "-m", tag)
    assert [t.version for t in version_tags(root)["greeter"]] == ["1.0.0"]
    result = cli("run", "--repo", str(root), "greeter@01.2.3")
    assert result.code == 1 and "Traceback" not in result.out + result.err, result


def test_changelog_headings_are_plain_versions() -> None:
    text = "# Changelog\n\n## 01.2.0\n\nnot a version\n\n## [1.2.0] - 2026-12-01\n\nreal\n"
    assert changelog.sections(text) == {"1.2.0": "real"}
