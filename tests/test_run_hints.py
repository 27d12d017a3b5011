"""What a local run says beyond its result: whom a failure goes to, and that an automation
is deprecated. Real runs of real automations in real repositories."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from collections.abc import Callable
from pathlib import Path
from typing import Any

from helpers import automation_files

URL = "https://github.com/example-shop/ops"
WITH_URL = {"pyproject.toml": f'[tool.autokit]\nrepository_url = "{URL}/"\n'}


def failing(
    name: str = "broken", body: str = "raise RuntimeError('the API said no')"
) -> dict[str, str]:
    files = automation_files(name, owners=["@alice", "@shop/ops"], version="1.4.2")
    files[f"automations/{name}/main.py"] = f"def main(greeting: str = 'x') -> None:\n    {body}\n"
    return files


def deprecated(replaced_by: str | None = "hello") -> dict[str, str]:
    deprecation = {"reason": "The shop moved to the new till."}
    if replaced_by:
        deprecation["replaced_by"] = replaced_by
    files = automation_files("old-hello", status="deprecated", deprecation=deprecation)
    files["automations/old-hello/main.py"] = textwrap.dedent(
        """\
        import sys

        def main(greeting: str = 'world') -> dict[str, str]:
            print('old-hello speaking', file=sys.stderr)
            return {'message': greeting}
        """
    )
    return {**files, **automation_files("hello")}


def test_a_failed_run_names_the_owners_and_links_the_bug_report_form(
    make_repo: Callable[..., Path], cli: Callable[..., Any]
) -> None:
    root = make_repo({**failing(), **WITH_URL})
    result = cli("run", "broken", "--repo", str(root))
    assert result.code == 1, result
    lines = [line.strip() for line in result.err.splitlines()]
    assert "owners:     @alice, @shop/ops" in lines
    link = f"{URL}/issues/new?template=bug-report.yml&automation=broken%401.4.2"
    assert f"report it:  {link}" in lines
    assert lines.index(f"report it:  {link}") > next(
        i for i, line in enumerate(lines) if line.startswith("broken 1.4.2: failed")
    )


def test_without_a_repository_url_the_owners_are_found_with_show(
    make_repo: Callable[..., Path], cli: Callable[..., Any]
) -> None:
    root = make_repo(failing())
    result = cli("run", "broken", "--repo", str(root))
    assert result.code == 1, result
    assert "owners:     @alice, @shop/ops" in result.err
    assert "report it:  tell an owner; `autokit show broken` shows who owns it" in result.err
    assert "issues/new" not in result.err


def test_a_timeout_says_it_too_and_json_stays_clean(
    make_repo: Callable[..., Path], cli: Callable[..., Any]
) -> None:
    root = make_repo({**failing(body="import time; time.sleep(60)"), **WITH_URL})
    result = cli("run", "broken", "--repo", str(root), "--timeout", "1", "--format", "json")
    record = json.loads(result.out)
    assert record["status"] == "timeout"
    assert "automation=broken%401.4.2" in result.err
    assert "owners:     @alice, @shop/ops" not in result.out


def test_a_successful_run_names_nobody(
    make_repo: Callable[..., Path], cli: Callable[..., Any]
) -> None:
    root = make_repo({**automation_files("hello"), **WITH_URL})
    result = cli("run", "hello", "--repo", str(root))
    assert result.code == 0, result
    assert "owners:" not in result.err
    assert "report it:" not in result.err


def test_a_deprecated_automation_warns_before_it_runs(
    make_repo: Callable[..., Path], cli: Callable[..., Any]
) -> None:
    root = make_repo(deprecated())
    result = cli("run", "old-hello", "--repo", str(root), "--format", "json")
    assert result.code == 0, result
    assert json.loads(result.out)["status"] == "success"  # stdout holds the record only
    warning = (
        "warning: old-hello is deprecated: The shop moved to the new till.\n"
        "  use hello instead: autokit run hello (`autokit show hello` lists its inputs)\n"
    )
    assert warning in result.err
    assert result.err.index(warning) < result.err.index("old-hello speaking")


def test_a_deprecated_automation_without_a_replacement_still_warns(
    make_repo: Callable[..., Path], cli: Callable[..., Any]
) -> None:
    root = make_repo(deprecated(replaced_by=None))
    result = cli("run", "old-hello", "--repo", str(root), "--dry-run")
    assert result.code == 0, result
    assert "warning: old-hello is deprecated: The shop moved to the new till.\n" in result.err
    assert "instead" not in result.err


def test_a_stable_automation_runs_without_a_warning(
    make_repo: Callable[..., Path], cli: Callable[..., Any]
) -> None:
    root = make_repo(deprecated())
    result = cli("run", "hello", "--repo", str(root))
    assert "deprecated" not in result.err


def test_the_run_path_imports_nothing_new(make_repo: Callable[..., Path]) -> None:
    """The hints add only the tiny modules of this feature to what `autokit run` imports."""
    root = make_repo({**failing(), **WITH_URL})
    command = [sys.executable, "-X", "importtime", "-m", "toolkit", "--repo", str(root)]
    done = subprocess.run([*command, "run", "broken"], capture_output=True, text=True)
    imported = {line.split("|")[-1].strip() for line in done.stderr.splitlines() if "|" in line}
    assert "report it:" in done.stderr
    assert {"toolkit.feedback", "urllib.parse"} <= imported
    assert not imported & {"jinja2", "git", "mkdocs", "markdown", "toolkit.hygiene"}
