from __future__ import annotations

import json
import os
import pickle
import subprocess
import sys

import pytest
import yaml
from helpers import automation_files, commit_all


def catalog_files() -> dict[str, str]:
    files: dict[str, str] = {}
    files |= automation_files(
        "invoice-reminders",
        title="Invoice reminders",
        owners=["@alice", "@shop/finance"],
        department="finance",
        tags=["email", "invoices"],
    )
    files |= automation_files(
        "stock-sheet", department="operations", tags=["spreadsheet"], owners=["@bob"]
    )
    files |= automation_files(
        "old-report",
        status="deprecated",
        deprecation={"reason": "replaced", "replaced_by": "stock-sheet"},
        department="finance",
        tags=["email"],
    )
    return files


def names(result) -> list[str]:
    return [row["name"] for row in json.loads(result.out)]


def test_table_lists_every_automation_sorted(make_repo, cli):
    root = make_repo(catalog_files())
    result = cli("list", "--repo", str(root))
    assert result.code == 0, result
    lines = result.out.splitlines()
    assert lines[0].split() == ["NAME", "VERSION", "STATUS", "DEPARTMENT", "OWNERS", "TITLE"]
    assert [line.split()[0] for line in lines[2:]] == [
        "invoice-reminders",
        "old-report",
        "stock-sheet",
    ]
    assert "@alice, @shop/finance  Invoice reminders" in result.out
    assert "\033[" not in result.out


def test_filters(make_repo, cli):
    root = make_repo(catalog_files())
    base = ("list", "--repo", str(root), "--format", "json")
    assert names(cli(*base, "--tag", "email")) == ["invoice-reminders", "old-report"]
    assert names(cli(*base, "--tag", "email", "--tag", "invoices")) == ["invoice-reminders"]
    assert names(cli(*base, "--owner", "shop/finance")) == ["invoice-reminders"]
    assert names(cli(*base, "--owner", "@BOB")) == ["stock-sheet"]
    assert names(cli(*base, "--department", "Finance")) == ["invoice-reminders", "old-report"]
    assert names(cli(*base, "--status", "deprecated")) == ["old-report"]
    assert names(cli(*base, "--department", "finance", "--status", "stable")) == [
        "invoice-reminders"
    ]
    assert names(cli(*base, "--tag", "nothing")) == []


def test_json_rows(make_repo, cli):
    root = make_repo(catalog_files())
    rows = json.loads(cli("list", "--repo", str(root), "--format", "json").out)
    first = rows[0]
    assert first["name"] == "invoice-reminders"
    assert first["folder"] == "automations/invoice-reminders"
    assert first["owners"] == ["@alice", "@shop/finance"]
    assert first["tags"] == ["email", "invoices"]


def test_no_match_says_so(make_repo, cli):
    root = make_repo(catalog_files())
    result = cli("list", "--repo", str(root), "--tag", "nothing")
    assert result.code == 0
    assert result.out == ""
    assert "no automation matches these filters" in result.err


def test_empty_repository_points_to_new(make_repo, cli):
    root = make_repo({})
    result = cli("list", "--repo", str(root))
    assert result.code == 0
    assert "autokit new" in result.err


def test_invalid_automations_are_left_out_with_a_warning(make_repo, cli):
    files = catalog_files()
    files["automations/stock-sheet/automation.yaml"] = "name: [\n"
    root = make_repo(files)
    result = cli("list", "--repo", str(root), "--format", "json")
    assert result.code == 0
    assert names(result) == ["invoice-reminders", "old-report"]
    assert "1 automation(s) with invalid metadata left out" in result.err
    assert "automations/stock-sheet/automation.yaml" in result.err


def test_list_sees_edits_after_a_cached_run(make_repo, cli):
    root = make_repo(catalog_files())
    assert "stock-sheet" in names(cli("list", "--repo", str(root), "--format", "json"))
    path = root / "automations/stock-sheet/automation.yaml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    data["tags"] = ["email"]
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    commit_all(root)
    result = cli("list", "--repo", str(root), "--tag", "email", "--format", "json")
    assert names(result) == ["invoice-reminders", "old-report", "stock-sheet"]


def test_list_imports_no_heavy_library_on_a_warm_cache(make_repo):
    root = make_repo(catalog_files())
    code = (
        "import sys; from toolkit.cli import main; main(['--repo', sys.argv[1], 'list']); "
        "print(sorted(m for m in ('cerberus', 'jinja2', 'git', 'yaml') if m in sys.modules))"
    )
    subprocess.run([sys.executable, "-m", "toolkit", "--repo", str(root), "list"], check=True)
    warm = subprocess.run(
        [sys.executable, "-c", code, str(root)], capture_output=True, text=True, check=True
    )
    assert warm.stdout.strip().splitlines()[-1] == "[]"
    cold_cache = {"AUTOKIT_NO_CACHE": "1"}
    cold = subprocess.run(
        [sys.executable, "-c", code, str(root)],
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, **cold_cache},
    )
    assert cold.stdout.strip().splitlines()[-1] == "['cerberus', 'yaml']"


def test_help_imports_nothing_heavy():
    code = (
        "import sys\nfrom toolkit.cli import main\n"
        "main(['--help'])\n"
        "print(sorted(m for m in ('cerberus', 'jinja2', 'git', 'yaml', 'toolkit.metadata')"
        " if m in sys.modules))"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.stdout.strip().splitlines()[-1] == "[]"


def _current(entries: object) -> bytes:
    from toolkit.metadata.cache import cache_version as _cache_version

    return json.dumps({"version": _cache_version(), "entries": entries}).encode()


@pytest.mark.parametrize(
    "content",
    [b"garbage", b'{"version": "', pickle.dumps([1, 2]), b"[1, 2]", _current(5), _current([1, 2])],
    ids=["garbage", "truncated", "a-pickle", "not-a-mapping", "entries-a-number", "entries-a-list"],
)
def test_an_unreadable_cache_is_ignored(make_repo, cli, monkeypatch, tmp_path, content):
    root = make_repo(automation_files("greeter"))
    monkeypatch.setenv("AUTOKIT_CACHE_DIR", str(tmp_path / "cache"))
    assert cli("list", "--repo", str(root)).code == 0
    (cache,) = (tmp_path / "cache" / "metadata").iterdir()
    cache.write_bytes(content)
    result = cli("list", "--repo", str(root))
    assert result.code == 0, result
    assert "greeter" in result.out
