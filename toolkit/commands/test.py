"""`autokit test`: each automation's tests and examples, in its own environment.

For every automation named (or changed since `--base` with `--changed`):

1. its `tests/` run with pytest inside the automation's isolated environment (the one
   `autokit run` uses, built from `requirements`), plus `pytest` and the pinned lines of
   `tests/requirements.txt`; the command is, from the repository root,
   `PYTHONPATH=<folder> <env python> -m pytest <folder>/tests -p no:cacheprovider`;
2. each of its `examples` is checked with `autokit run NAME --example N --dry-run`: the
   example's inputs must be valid (secrets missing on this machine are noted, not failed).

A summary table follows (tests passed, failed and skipped, read from pytest's JUnit XML; examples
that passed; time), then one line naming what failed; the exit code is 1 when anything
failed.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

from toolkit.commands.formats import add_format_argument
from toolkit.errors import ToolkitError
from toolkit.repo import Repository, repository_from_args

NO_TESTS_COLLECTED = 5  # pytest's exit code when it found no test


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("names", nargs="*", metavar="NAME", help="automations to test")
    parser.add_argument(
        "--changed", action="store_true", help="test the automations changed since --base"
    )
    parser.add_argument("--base", metavar="REF", help="with --changed: the base ref")
    add_format_argument(parser, "text", "json")
    parser.add_argument(
        "--timeout",
        type=float,
        default=1800,
        help="seconds allowed for one automation's tests (default 1800)",
    )


@dataclass
class ExampleResult:
    title: str
    status: str  # ok | failed
    note: str | None = None


@dataclass
class TestResult:
    name: str
    version: str
    tests: str  # passed | failed | no tests | error
    detail: str | None = None
    duration: float = 0.0
    examples: list[ExampleResult] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)  # passed, failed, skipped

    @property
    def ok(self) -> bool:
        return self.tests == "passed" and all(e.status == "ok" for e in self.examples)

    def tests_cell(self) -> str:
        """`12 passed`, `1 failed, 11 passed`: the status with pytest's counts."""
        counted = [f"{n} {what}" for what, n in self.counts.items() if n]
        return ", ".join(counted) if counted and self.tests != "error" else self.tests


def run(args: argparse.Namespace) -> int:
    repo = repository_from_args(args)
    names = _selected_names(repo, args)
    if not names:
        print("no automation to test", file=sys.stderr)
        if args.format == "json":
            print(json.dumps({"ok": True, "results": []}))
        return 0
    _require_known(repo, names)
    results = [test_automation(repo, name, args.timeout) for name in names]
    if args.format == "json":
        print(
            json.dumps(
                {
                    "ok": all(r.ok for r in results),
                    "results": [{**asdict(r), "ok": r.ok} for r in results],
                },
                indent=2,
            )
        )
    else:
        print(render_table(results))
    return 0 if all(r.ok for r in results) else 1


def _selected_names(repo: Repository, args: argparse.Namespace) -> list[str]:
    if args.changed:
        if not args.base:
            raise ToolkitError("--changed needs --base REF", "e.g. --changed --base origin/main")
        from toolkit.commands.changed import changed_report

        return list(dict.fromkeys([*args.names, *changed_report(repo, args.base)["automations"]]))
    if args.base:
        raise ToolkitError("--base is used only with --changed", "add --changed")
    if args.names:
        return list(dict.fromkeys(args.names))
    return [folder.name for folder in repo.automation_dirs()]


def _require_known(repo: Repository, names: list[str]) -> None:
    """Stop before testing anything when a name is not an automation folder."""
    import difflib

    existing = [folder.name for folder in repo.automation_dirs()]
    for name in names:
        if name not in existing:
            close = difflib.get_close_matches(name, existing, n=1)
            hint = f"did you mean '{close[0]}'?" if close else "`autokit list` shows them"
            raise ToolkitError(f"no automation named '{name}'", hint)


def test_automation(repo: Repository, name: str, timeout: float) -> TestResult:
    """Run one automation's tests, then its examples as dry runs."""
    from toolkit.inventory import load_inventory

    try:
        automation = load_inventory(repo, [repo.automations_dir / name]).get(name)
    except ToolkitError as error:  # invalid metadata: report it, test the others
        return TestResult(name, "?", "error", error.message)
    print(f"autokit: testing {name} {automation.version}", file=sys.stderr, flush=True)
    started = time.perf_counter()
    result = TestResult(name, automation.version, "passed")
    try:
        result.tests, result.detail, result.counts = run_pytest(repo, automation, timeout)
    except ToolkitError as error:
        result.tests, result.detail = "error", error.message
    result.duration = time.perf_counter() - started
    result.examples = check_examples(repo, automation)
    return result


def test_requirements(folder: Path) -> list[str]:
    """`pytest` (pinned to this autokit's when known) plus tests/requirements.txt."""
    from importlib import metadata

    try:
        extras = [f"pytest=={metadata.version('pytest')}"]
    except metadata.PackageNotFoundError:
        extras = ["pytest"]
    listed = folder / "tests" / "requirements.txt"
    if listed.is_file():
        for raw in listed.read_text(encoding="utf-8", errors="replace").splitlines():
            line = raw.split("#", 1)[0].strip()
            if line:
                extras.append(line)
    return extras


Outcome = tuple[str, str | None, dict[str, int]]  # status, detail, pytest's counts


def run_pytest(repo: Repository, automation: Any, timeout: float) -> Outcome:
    import tempfile

    from toolkit.environments import ensure_environment

    tests = automation.folder / "tests"
    if not tests.is_dir():
        return "no tests", "tests/ is missing", {}
    # A shell automation has no environment of its own; its tests still need a Python.
    testable = (
        replace(automation, runtime="python") if automation.runtime != "python" else automation
    )
    environment = ensure_environment(
        testable, test_requirements(automation.folder), progress=_progress
    )
    command = [
        str(environment.python),
        "-m",
        "pytest",
        repo.relative(tests),
        "-p",
        "no:cacheprovider",
        "-q",
    ]
    with tempfile.TemporaryDirectory(prefix="autokit-test-") as folder:
        report = Path(folder) / "junit.xml"
        status, detail = _run_tests(repo, automation, [*command, f"--junitxml={report}"], timeout)
        return status, detail, junit_counts(report)


def junit_counts(report: Path) -> dict[str, int]:
    """Passed, failed and skipped tests from pytest's JUnit XML (empty if unreadable)."""
    import xml.etree.ElementTree as ElementTree

    try:
        root = ElementTree.parse(report).getroot()
    except (OSError, ElementTree.ParseError):
        return {}
    suites = [root] if root.tag == "testsuite" else list(root.iter("testsuite"))
    total = {key: sum(int(s.get(key, 0)) for s in suites) for key in _JUNIT_KEYS}
    failed = total["failures"] + total["errors"]
    passed = total["tests"] - failed - total["skipped"]
    return {"failed": failed, "passed": passed, "skipped": total["skipped"]}


_JUNIT_KEYS = ("tests", "failures", "errors", "skipped")


def _run_tests(
    repo: Repository, automation: Any, command: list[str], timeout: float
) -> tuple[str, str | None]:
    env = {
        key: value for key, value in os.environ.items() if key not in ("VIRTUAL_ENV", "PYTHONHOME")
    }
    env["PYTHONPATH"] = str(automation.folder)
    # pytest's report goes to stderr, streamed when it is a real file (CI logs), so that
    # stdout holds only the summary (or the JSON).
    try:
        target: Any = sys.stderr.fileno()
    except (AttributeError, OSError, ValueError):
        target = subprocess.PIPE
    try:
        completed = subprocess.run(
            command,
            cwd=repo.root,
            env=env,
            stdout=target,
            stderr=subprocess.STDOUT,
            timeout=timeout,
            check=False,
            text=True,
        )
    except subprocess.TimeoutExpired:
        return "failed", f"timed out after {timeout:.0f}s"
    if completed.stdout:
        sys.stderr.write(completed.stdout)
    if completed.returncode == 0:
        return "passed", None
    if completed.returncode == NO_TESTS_COLLECTED:
        return "no tests", "pytest collected no test"
    return "failed", f"pytest exited with {completed.returncode}"


def check_examples(repo: Repository, automation: Any) -> list[ExampleResult]:
    from toolkit.runner import run_automation

    results = []
    for number, example in enumerate(automation.examples, start=1):
        try:
            outcome = run_automation(repo, automation.name, {}, example=number, dry_run=True)
        except ToolkitError as error:
            results.append(ExampleResult(example.title, "failed", error.message))
            continue
        results.append(ExampleResult(example.title, "ok", outcome.error))
    return results


def _progress(message: str) -> None:
    print(f"autokit: {message}", file=sys.stderr, flush=True)


def render_table(results: list[TestResult]) -> str:
    from toolkit.console import table

    rows = []
    for result in results:
        examples = f"{sum(e.status == 'ok' for e in result.examples)}/{len(result.examples)} ok"
        if not result.examples:
            examples = "-" if result.version == "?" else "none"  # "?": metadata unreadable
        rows.append(
            [
                result.name,
                result.version,
                result.tests_cell(),
                examples,
                f"{result.duration:.1f}s",
                "ok" if result.ok else "FAILED",
            ]
        )
    lines = [table(["automation", "version", "tests", "examples", "time", "result"], rows)]
    for result in results:
        if result.detail and result.tests != "passed":
            lines.append(f"{result.name}: {result.detail}")
        for example in result.examples:
            if example.status != "ok":
                lines.append(f"{result.name}: example '{example.title}': {example.note}")
    failed = [r.name for r in results if not r.ok]
    verdict = f"FAILED: {', '.join(failed)}" if failed else "all passed"
    lines.append(f"{len(results) - len(failed)}/{len(results)} automation(s) ok; {verdict}")
    return "\n".join(lines)
