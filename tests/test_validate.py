from __future__ import annotations

import datetime as dt
import json
import math
import os
import subprocess
import sys

import pytest
import yaml
from helpers import automation_files, metadata

from toolkit.errors import ToolkitError
from toolkit.findings import Finding
from toolkit.metadata.cache import MetadataCache, cache_version, load_valid


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


def test_github_format_prints_annotations(make_repo, cli):
    files = automation_files("greeter")
    files["automations/greeter/automation.yaml"] = yaml.safe_dump(
        metadata("greeter", owners=["alice"]), sort_keys=False
    )
    root = make_repo(files)
    result = cli("validate", "--repo", str(root), "--format", "github")
    assert result.code == 1
    (annotation,) = result.out.splitlines()
    assert annotation.startswith(
        "::error file=automations/greeter/automation.yaml,line=6,col=3,title=metadata-schema::"
    )
    assert "owners[0]: 'alice' must be a GitHub handle" in annotation


def test_paths_select_automations_by_folder_or_file(make_repo, cli, monkeypatch):
    files = {**automation_files("good"), **automation_files("bad")}
    files["automations/bad/automation.yaml"] = ""
    root = make_repo(files)
    monkeypatch.chdir(root)
    assert cli("validate", "automations/good/README.md", "automations/good").code == 0
    result = cli("validate", "automations/bad/tests/test_main.py")
    assert result.code == 1
    assert "automations/bad/automation.yaml:1:1: file is empty" in result.out
    assert "1 automation(s) checked" in result.err


def test_a_path_outside_automations_is_refused(make_repo, cli, monkeypatch):
    root = make_repo({**automation_files("good"), "docs/index.md": "# Docs\n"})
    monkeypatch.chdir(root)
    result = cli("validate", "docs/index.md")
    assert result.code == 1
    assert "docs/index.md is not inside automations/<name>/" in result.err


def test_a_deleted_automation_folder_passed_by_name(make_repo, cli, monkeypatch):
    root = make_repo(automation_files("good"))
    monkeypatch.chdir(root)
    result = cli("validate", "automations/gone/automation.yaml")
    assert result.code == 1
    assert "no such automation folder" in result.err


def test_parallel_cold_run_reports_the_same_as_a_serial_one(make_repo, cli, monkeypatch):
    import os

    import toolkit.inventory

    files = {}
    for index in range(6):
        files |= automation_files(f"auto-{index}")
    files["automations/auto-1/automation.yaml"] = "name: [\n"
    files["automations/auto-4/automation.yaml"] = yaml.safe_dump(
        metadata("auto-4", owners=["nobody"]), sort_keys=False
    )
    root = make_repo(files)
    monkeypatch.setenv("AUTOKIT_NO_CACHE", "1")
    serial = cli("validate", "--repo", str(root), "--format", "json")
    monkeypatch.setattr(toolkit.inventory, "PARALLEL_MIN_FILES", 2)
    monkeypatch.setattr(os, "cpu_count", lambda: 2)
    parallel = cli("validate", "--repo", str(root), "--format", "json")
    assert parallel.code == serial.code == 1
    assert parallel.out == serial.out
    assert len(json.loads(parallel.out)["findings"]) == 2


def test_the_automations_folder_itself_means_all(make_repo, cli, monkeypatch):
    root = make_repo({**automation_files("one"), **automation_files("two")})
    monkeypatch.chdir(root)
    result = cli("validate", "automations")
    assert result.code == 0
    assert "2 automation(s) checked" in result.err


def test_a_symlinked_file_is_checked_with_its_folder(make_repo, cli, monkeypatch, tmp_path):
    import os

    outside = tmp_path / "shared.py"
    outside.write_text("x = 1\n", encoding="utf-8")
    root = make_repo(automation_files("one"))
    os.symlink(outside, root / "automations/one/shared.py")
    monkeypatch.chdir(root)
    result = cli("validate", "automations/one/shared.py")
    assert result.code == 0, result
    assert "1 automation(s) checked" in result.err


def test_a_missing_file_in_an_existing_folder_is_refused(make_repo, cli, monkeypatch):
    root = make_repo(automation_files("good"))
    monkeypatch.chdir(root / "automations/good")
    result = cli("validate", "automaton.yaml")
    assert result.code == 1
    assert "automaton.yaml: no such file or folder" in result.err


def test_the_repository_root_means_all(make_repo, cli, monkeypatch):
    root = make_repo({**automation_files("one"), **automation_files("two")})
    monkeypatch.chdir(root / "automations/one")
    result = cli("validate", "../..")
    assert result.code == 0, result
    assert "2 automation(s) checked" in result.err


# The one metadata cache: JSON on disk, the same verdicts as a cold run.

YAML_VALUES = {
    "date": dt.date(2024, 5, 31),
    "datetime": dt.datetime(2024, 5, 31, 8, 30, tzinfo=dt.timezone(dt.timedelta(hours=2))),
    "keys": {1: "one", 2.5: "float", None: "null", False: "no", dt.date(2024, 1, 1): "new year"},
    "reserved key": {"\0": "looks like a tag"},
    "set": {1, 2},
    "pairs": [("a", 1), ("b", [2])],
    "binary": b"\x00\xff",
    "special floats": [math.inf, -0.0],
    "nested": [{"inputs": {"day": dt.date(2025, 1, 2)}}],
}


def test_the_cache_round_trips_whatever_yaml_gives(tmp_path):
    path = tmp_path / "cache.json"
    finding = Finding("automations/a/automation.yaml", 3, 5, "metadata-schema", "error", "m", "h")
    cache = MetadataCache(path)
    cache["k"] = (YAML_VALUES, [finding])
    cache["nan"] = ({"x": math.nan}, [])
    cache.save()
    assert path.read_bytes().startswith(b"{")  # JSON, never an executable format
    again = MetadataCache(path)
    assert again["k"] == (YAML_VALUES, [finding])
    assert math.isnan(again["nan"][0]["x"])


def test_a_value_json_cannot_hold_stays_out_of_the_cache(tmp_path):
    cache = MetadataCache(tmp_path / "cache.json")
    cache["odd"] = ({"x": object()}, [])
    cache["fine"] = ({"x": 1}, [])
    cache.save()
    assert dict(MetadataCache(tmp_path / "cache.json")) == {"fine": ({"x": 1}, [])}


@pytest.mark.parametrize(
    "stored",
    [
        "[1, 2]",
        '{"version": "%s", "entries": 5}',
        '{"version": "%s", "entries": {"k": 5}}',
        '{"version": "%s", "entries": {"k": [{"\\u0000": "nonsense"}, []]}}',
        '{"version": "%s", "entries": {"k": [{}, [["too", "few"]]]}}',
        '{"version": "%s", "entries": {"k": [{"\\u0000": "map", "pairs": [[[1], 2]]}, []]}}',
        '{"version": "old", "entries": {"k": [{}, []]}}',
        "[" * 100_000,
    ],
)
def test_an_unreadable_cache_is_an_empty_one(tmp_path, stored):
    path = tmp_path / "cache.json"
    path.write_text(stored.replace("%s", cache_version()), encoding="utf-8")
    assert dict(MetadataCache(path)) == {}


def test_load_valid_shares_the_cache_with_validate(make_repo, cli, tmp_path, monkeypatch):
    monkeypatch.setenv("AUTOKIT_CACHE_DIR", str(tmp_path / "cache"))
    root = make_repo({**automation_files("greeter"), **automation_files("other")})
    assert cli("validate", "--repo", str(root)).code == 0
    folder = root / "automations" / "greeter"
    assert load_valid(root, folder).name == "greeter"
    (cache_file,) = (tmp_path / "cache" / "metadata").iterdir()
    assert len(json.loads(cache_file.read_text())["entries"]) == 2  # the run kept both
    code = (
        "import sys\nfrom pathlib import Path\nfrom toolkit.metadata.cache import load_valid\n"
        "load_valid(Path(sys.argv[1]), Path(sys.argv[2]))\n"
        "print(sorted(m for m in ('cerberus', 'yaml') if m in sys.modules))"
    )
    warm = subprocess.run(
        [sys.executable, "-c", code, str(root), str(folder)],
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "AUTOKIT_CACHE_DIR": str(tmp_path / "cache")},
    )
    assert warm.stdout.strip() == "[]"


def test_load_valid_reports_every_problem_and_checks_the_folder_every_time(
    make_repo, tmp_path, monkeypatch
):
    monkeypatch.setenv("AUTOKIT_CACHE_DIR", str(tmp_path / "cache"))
    files = automation_files("greeter")
    root = make_repo(files)
    folder = root / "automations" / "greeter"
    load_valid(root, folder)
    (folder / "main.py").unlink()  # cached content, but the folder changed
    with pytest.raises(ToolkitError) as raised:
        load_valid(root, folder)
    assert raised.value.message.startswith("greeter has invalid metadata:\n")
    assert "automations/greeter/automation.yaml:12:13: entrypoint: 'main.py' does not exist" in (
        raised.value.message
    )
    assert raised.value.hint == "fix it (`autokit validate` checks it) and run again"
    (folder / "automation.yaml").write_text(
        files["automations/greeter/automation.yaml"].replace("@alice", "alice")
    )
    with pytest.raises(ToolkitError, match=r"owners\[0\]: 'alice' must be a GitHub handle"):
        load_valid(root, folder)


@pytest.mark.parametrize(
    ("field", "value", "hint"),
    [
        ("department", "Operations " * 27 + "and more", "short name"),
        ("owners", ["@example-shop/" + "team-" * 58], "'@org/team'"),
    ],
)
def test_values_that_become_page_names_have_a_length_limit(make_repo, cli, field, value, hint):
    """The catalog makes file names of these; 300 characters would stop its build."""
    files = automation_files("greeter")
    files["automations/greeter/automation.yaml"] = yaml.safe_dump(
        metadata("greeter", **{field: value}), sort_keys=False
    )
    root = make_repo(files)
    result = cli("validate", "--repo", str(root))
    assert result.code == 1
    (line,) = [x for x in result.out.splitlines() if "over the limit" in x]
    assert line.startswith("automations/greeter/automation.yaml:")
    assert "characters long, over the limit of 100" in line and hint in line
    text = files["automations/greeter/automation.yaml"]
    expected_line = next(
        i for i, x in enumerate(text.splitlines(), 1) if "Operations" in x or "team-" in x
    )
    assert line.split(":")[1] == str(expected_line)
    assert "Traceback" not in result.out + result.err
