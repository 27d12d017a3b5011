"""The automations shipped in automations/: valid, consistent, their examples and tests pass.

Each automation's own tests run in a separate pytest process, as `autokit test` runs them:
every entrypoint is called main.py, so two of them cannot share one interpreter.
"""

from __future__ import annotations

import datetime as dt
import importlib.util
import inspect
import json
import os
import re
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
SHIPPED = sorted(p for p in (ROOT / "automations").iterdir() if (p / "automation.yaml").is_file())
NAMES = [folder.name for folder in SHIPPED]


def metadata(folder: Path) -> dict[str, Any]:
    return yaml.safe_load((folder / "automation.yaml").read_text(encoding="utf-8"))


def import_paths(folder: Path) -> list[str]:
    """The folder, then the roots of the libraries it declares, as a run puts them on
    sys.path (the shipped automations use the working tree's libraries, unpinned)."""
    libraries = metadata(folder).get("libraries") or []
    return [str(folder), *(str(ROOT / "libraries" / name) for name in libraries)]


def load_entrypoint(folder: Path) -> ModuleType:
    """Import a main.py under a name of its own, so several can live in this process.

    Its folder and libraries come first on sys.path while it is imported, as the bootstrap
    puts them, so that it can import the modules beside it and the libraries.
    """
    name = f"shipped_{folder.name.replace('-', '_')}"
    spec = importlib.util.spec_from_file_location(name, folder / "main.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    paths = import_paths(folder)
    sys.path[:0] = paths
    try:
        spec.loader.exec_module(module)
    finally:
        for path in paths:
            sys.path.remove(path)
    return module


def test_the_five_store_automations_are_shipped() -> None:
    assert set(NAMES) >= {
        "order-intake",
        "invoice-reminders",
        "contacts-dedupe",
        "timesheet-summary",
        "low-stock-alert",
    }


def test_autokit_validate_passes_on_the_shipped_repository(cli: Callable[..., Any]) -> None:
    result = cli("validate", "--repo", str(ROOT))

    assert result.code == 0, result.out + result.err
    assert (
        f"{len(SHIPPED)} automation(s) and 1 library checked, 0 problem(s): all valid" in result.err
    )


@pytest.mark.parametrize("folder", SHIPPED, ids=NAMES)
def test_main_signature_matches_the_declared_inputs(folder: Path) -> None:
    declared = metadata(folder)["inputs"]
    parameters = inspect.signature(load_entrypoint(folder).main).parameters

    assert sorted(parameters) == sorted(declared)
    for name, spec in declared.items():
        parameter = parameters[name]
        assert parameter.annotation is not inspect.Parameter.empty, f"{name} has no type"
        if spec.get("required"):
            assert parameter.default is inspect.Parameter.empty, f"{name} is required"
        else:
            default = spec.get("default")
            assert parameter.default == default, f"{name}: default differs from automation.yaml"


@pytest.mark.parametrize("folder", SHIPPED, ids=NAMES)
def test_folder_has_readme_changelog_samples_and_pinned_test_requirements(folder: Path) -> None:
    data = metadata(folder)

    assert f"## {data['version']}" in (folder / "CHANGELOG.md").read_text(encoding="utf-8")
    readme = (folder / "README.md").read_text(encoding="utf-8")
    assert f"autokit run {folder.name}" in readme
    requirements = (folder / "tests" / "requirements.txt").read_text(encoding="utf-8").split()
    assert "pytest" in {line.split("==")[0] for line in requirements}
    assert all("==" in line for line in requirements)
    assert any(p.is_file() for p in (folder / "sample").rglob("*"))


@pytest.mark.parametrize("folder", SHIPPED, ids=NAMES)
def test_examples_run_offline_on_the_sample_data_and_change_nothing(
    folder: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    data = metadata(folder)
    main = load_entrypoint(folder).main
    tracked = {
        p: p.read_bytes() for p in folder.rglob("*") if p.is_file() and "__pycache__" not in p.parts
    }
    for secret in data.get("secrets") or []:
        monkeypatch.delenv(secret["name"], raising=False)  # examples must not need them
    assert data["examples"], "an automation needs at least one example"
    for index, example in enumerate(data["examples"]):
        monkeypatch.setenv("AUTOKIT_OUTPUT_DIR", str(tmp_path / str(index)))
        inputs = resolve_paths(example["inputs"], data["inputs"], folder)

        result = main(**inputs)

        json.dumps(result)  # the summary is JSON-serializable
        assert any((tmp_path / str(index)).rglob("*")), "the example wrote no output"
    after = {
        p: p.read_bytes() for p in folder.rglob("*") if p.is_file() and "__pycache__" not in p.parts
    }
    assert after == tracked


def resolve_paths(given: dict[str, Any], declared: dict[str, Any], folder: Path) -> dict[str, Any]:
    """What the runner does: relative `path` inputs are relative to the automation folder."""
    inputs = {}
    for name, value in given.items():
        if declared[name]["type"] == "path" and value and not Path(value).is_absolute():
            value = str(folder / value)
        elif declared[name]["type"] == "date" and isinstance(value, dt.date):
            value = value.isoformat()
        inputs[name] = value
    return inputs


@pytest.mark.parametrize("folder", SHIPPED, ids=NAMES)
def test_the_automations_own_tests_pass(folder: Path, tmp_path: Path) -> None:
    environment = {**os.environ, "PYTHONPATH": os.pathsep.join(import_paths(folder))}
    command = [
        sys.executable,
        "-m",
        "pytest",
        str(folder.relative_to(ROOT) / "tests"),
        "-q",
        "-p",
        "no:cacheprovider",
        f"--basetemp={tmp_path / 'pytest'}",
    ]

    result = subprocess.run(
        command, cwd=ROOT, env=environment, capture_output=True, text=True, timeout=300, check=False
    )

    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    # The summary line: pytest's list of slowest tests may name a test "..._failed_...".
    summary = result.stdout.strip().splitlines()[-1]
    assert " passed" in summary and "failed" not in summary


@pytest.mark.slow
@pytest.mark.parametrize("folder", SHIPPED, ids=NAMES)
def test_autokit_run_of_each_example_succeeds_without_secrets(
    folder: Path, cli: Callable[..., Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    """What a newcomer types on a fresh clone: isolated environment, runner, real output."""
    for secret in metadata(folder).get("secrets") or []:
        monkeypatch.delenv(secret["name"], raising=False)
    for index in range(len(metadata(folder)["examples"])):
        result = cli(
            "run", folder.name, "--example", str(index + 1), "--repo", str(ROOT), "--format", "json"
        )

        assert result.code == 0, result.err
        record = json.loads(result.out)
        assert record["status"] == "success" and record["version"] == metadata(folder)["version"]
        assert isinstance(record["result"], dict) and record["result"]


# One bad input per automation, as a person would pass it: (inputs, file named in the message)
BAD_INPUTS: dict[str, tuple[dict[str, str], str]] = {
    "order-intake": (
        {
            "maildir": "sample/maildir",
            "inventory": "{tmp}/stock.csv",
            "sender": "Shop <shop@example.test>",
            "dry_run": "true",
        },
        "stock.csv is not an Excel workbook",
    ),
    "invoice-reminders": (
        {"invoices": "{tmp}/stock.csv", "sender": "Shop <shop@example.test>", "dry_run": "true"},
        "stock.csv, row 1: missing column(s)",
    ),
    "contacts-dedupe": ({"contacts": "{tmp}/stock.csv"}, "stock.csv, row 1: missing column(s)"),
    "timesheet-summary": ({"timesheet": "{tmp}/stock.csv"}, "stock.csv, row 1: missing column(s)"),
    "low-stock-alert": (
        {"inventory": "{tmp}/stock.csv", "dry_run": "true"},
        "stock.csv is not an Excel workbook",
    ),
}


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(BAD_INPUTS))
def test_autokit_run_with_a_bad_file_says_which_without_a_traceback(
    name: str, cli: Callable[..., Any], tmp_path: Path
) -> None:
    bad = tmp_path / "stock.csv"
    bad.write_text("Article;Count\nMUG-RED;3\n", encoding="utf-8")
    given, message = BAD_INPUTS[name]
    inputs = [f"--input={k}={v.format(tmp=tmp_path)}" for k, v in given.items()]

    result = cli("run", name, *inputs, "--repo", str(ROOT))

    assert result.code == 1, result.out + result.err
    assert message in result.err
    assert "Traceback" not in result.err + result.out
    assert bad.read_text(encoding="utf-8") == "Article;Count\nMUG-RED;3\n"


@pytest.mark.parametrize("folder", SHIPPED, ids=NAMES)
def test_the_shipped_automations_share_the_shipped_library(folder: Path) -> None:
    """The helpers they used to carry a copy of each live in libraries/shopkit alone."""
    assert metadata(folder).get("libraries") == ["shopkit"]
    shared = {"output_dir", "write_atomically", "save_atomically", "connect_smtp", "_send_one"}
    for module in folder.glob("*.py"):
        defined = set(re.findall(r"^def (\w+)", module.read_text(encoding="utf-8"), re.M))
        assert not defined & shared, f"{module.name} still defines {defined & shared}"
