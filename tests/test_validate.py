from __future__ import annotations

import json

import yaml
from helpers import automation_files, metadata


def test_valid_repository_passes(make_repo, cli):
    root = make_repo(automation_files("greeter"))
    result = cli("validate", "--repo", str(root))
    assert result.code == 0, result
    assert "all valid" in result.err


def test_empty_owners_names_file_line_and_field(make_repo, cli):
    files = automation_files("greeter")
    files["automations/greeter/automation.yaml"] = yaml.safe_dump(
        metadata("greeter", owners=[]), sort_keys=False
    )
    root = make_repo(files)
    result = cli("validate", "--repo", str(root))
    assert result.code == 1
    line = next(x for x in result.out.splitlines() if "owners" in x)
    assert line.startswith("automations/greeter/automation.yaml:")
    assert "owners: must not be empty (add at least one '@user' or '@org/team')" in line
    assert "Traceback" not in result.out + result.err


def test_json_format_lists_findings(make_repo, cli):
    files = automation_files("greeter")
    files["automations/greeter/automation.yaml"] = yaml.safe_dump(
        metadata("greeter", version="1.0"), sort_keys=False
    )
    root = make_repo(files)
    result = cli("validate", "--repo", str(root), "--format", "json")
    assert result.code == 1
    findings = json.loads(result.out)["findings"]
    assert [f["field"] for f in findings] == ["version"]
