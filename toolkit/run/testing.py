"""What `autokit test` does for one automation: its pytest tests, then its examples.

1. Its `tests/` run with pytest inside a Python environment the runtime provides (for a
   python automation, the one `autokit run` uses plus `pytest` and the pinned lines of
   `tests/requirements.txt`); the command is, from the repository root,
   `PYTHONPATH=<folder> <env python> -m pytest <folder>/tests -p no:cacheprovider`, with
   the allowlisted variables only and, where bwrap works, in the sandbox
   (`toolkit.run.sandbox`): the folder and the environment read-only, a writable
   temporary folder (pytest's `tmp_path`), nothing else of the caller's.
   The passed, failed and skipped counts come from pytest's JUnit XML.
2. Each of its `examples` is checked as `autokit run NAME --example N --dry-run`: the
   example's inputs must be valid (secrets missing on this machine are noted, not failed).
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from importlib import metadata as package_metadata
from pathlib import Path

from toolkit.environments import Progress
from toolkit.errors import ToolkitError
from toolkit.files import read_contributor_text
from toolkit.inventory import load_inventory
from toolkit.libraries import Library, load_libraries
from toolkit.metadata import Automation
from toolkit.metadata.requirements import requirement_lines
from toolkit.repo import Repository
from toolkit.run import run_automation
from toolkit.run.copies import refuse_linked_files
from toolkit.run.libraries import ResolvedLibrary, merged_requirements, resolve_libraries
from toolkit.run.plan import ALLOWED_ENVIRONMENT
from toolkit.run.sandbox import (
    Confinement,
    python_home,
    sandbox_environment,
    sandbox_mode,
    use_sandbox,
    wrap,
)
from toolkit.runtimes import runtime_of
from toolkit.savings import RUN_KIND_VARIABLE

NO_TESTS_COLLECTED = 5  # pytest's exit code when it found no test
_JUNIT_KEYS = ("tests", "failures", "errors", "skipped")

Outcome = tuple[str, str | None, dict[str, int]]  # status, detail, pytest's counts


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


def test_automation(repo: Repository, name: str, timeout: float, progress: Progress) -> TestResult:
    """Run one automation's tests, then its examples as dry runs."""
    try:
        automation = load_inventory(repo, [repo.automations_dir / name]).get(name)
    except ToolkitError as error:  # invalid metadata: report it, test the others
        return TestResult(name, "?", "error", error.message)
    progress(f"testing {name} {automation.version}")
    started = time.perf_counter()
    result = TestResult(name, automation.version, "passed")
    try:
        automation, libraries = with_libraries(repo, automation)
        outcome = run_pytest(repo, automation, timeout, progress, libraries)
        result.tests, result.detail, result.counts = outcome
    except ToolkitError as error:
        result.tests, result.detail = "error", error.message
    result.duration = time.perf_counter() - started
    result.examples = check_examples(repo, automation)
    return result


def with_libraries(
    repo: Repository, automation: Automation
) -> tuple[Automation, tuple[ResolvedLibrary, ...]]:
    """The automation with its working tree's libraries' requirements, and the libraries."""
    if not automation.libraries:
        return automation, ()
    libraries = resolve_libraries(repo.root, automation.name, automation.libraries, None)
    requirements = merged_requirements(automation.name, automation.requirements, libraries)
    return replace(automation, requirements=requirements), libraries


def test_library(repo: Repository, name: str, timeout: float, progress: Progress) -> TestResult:
    """Run one library's tests, with the library and the libraries it uses importable."""
    try:
        library = load_libraries(repo.root, [name]).get(name)
    except ToolkitError as error:
        return TestResult(name, "?", "error", error.message)
    progress(f"testing the library {name} {library.version}")
    started = time.perf_counter()
    result = TestResult(name, library.version, "passed")
    try:
        # The library's own package is the first library on the path, like in a run.
        shim = library_test_subject(library)
        references = (name, *library.libraries)
        owner = f"the tests of {name}"
        libraries = resolve_libraries(repo.root, owner, references, None)
        shim = replace(shim, requirements=merged_requirements(owner, (), libraries))
        result.tests, result.detail, result.counts = run_pytest(
            repo, shim, timeout, progress, libraries
        )
    except ToolkitError as error:
        result.tests, result.detail = "error", error.message
    result.duration = time.perf_counter() - started
    return result


def library_test_subject(library: Library) -> Automation:
    """What the environments are built for, standing in for an automation: its name
    holds a dot, which no automation's can, so the two never share an environment."""
    return Automation(
        name=f"library.{library.name}",
        title=library.title,
        summary=library.summary,
        version=library.version,
        owners=library.owners,
        department="libraries",
        status="stable",
        runtime="python",
        entrypoint=f"{library.module}/__init__.py",
        classification="internal",
        folder=library.folder,
        network=True,
    )


def test_requirements(folder: Path) -> list[str]:
    """`pytest` (pinned to this autokit's when known) plus tests/requirements.txt."""
    try:
        extras = [f"pytest=={package_metadata.version('pytest')}"]
    except package_metadata.PackageNotFoundError:
        extras = ["pytest"]
    listed = folder / "tests" / "requirements.txt"
    if listed.is_file():
        # run_pytest refused links first, so only the folder's own file is read here
        text = read_contributor_text(listed, folder)
        # read as the pinned-requirements check reads it (comments, a byte-order mark)
        extras += [line for _, line in requirement_lines(text)]
    return extras


def run_pytest(
    repo: Repository,
    automation: Automation,
    timeout: float,
    progress: Progress,
    libraries: Sequence[ResolvedLibrary] = (),
) -> Outcome:
    tests = automation.folder / "tests"
    refuse_linked_files(repo, automation.folder)  # test code and data are the folder's own
    if not tests.is_dir():
        return "no tests", "tests/ is missing", {}
    requirements = test_requirements(automation.folder)
    environment = runtime_of(automation).test_environment(automation, requirements, progress)
    assert environment.python is not None, "a test environment has a Python"
    command = [str(environment.python), "-m", "pytest", repo.relative(tests)]
    command += ["-p", "no:cacheprovider", "-q"]
    with tempfile.TemporaryDirectory(prefix="autokit-test-") as folder:
        report = Path(folder) / "junit.xml"
        command += [f"--junitxml={report}", f"--basetemp={Path(folder) / 'tmp'}"]
        imports = [library.import_root for library in libraries]
        env = _test_environment(automation, imports)
        if use_sandbox(sandbox_mode(repo.config)):
            confinement = Confinement(network=automation.network, cwd=repo.root)
            confinement.read(automation.folder, environment.path, repo.root / "pyproject.toml")
            confinement.read(*imports)
            confinement.read(*python_home(environment.python))
            confinement.write(Path(folder))
            command, env = wrap(command, confinement), sandbox_environment(env)
        status, detail = _run_tests(repo.root, command, env, timeout)
        return status, detail, junit_counts(report)


def junit_counts(report: Path) -> dict[str, int]:
    """Passed, failed and skipped tests from pytest's JUnit XML (empty if unreadable)."""
    import xml.etree.ElementTree as ElementTree  # heavy; only once tests have run

    try:
        root = ElementTree.parse(report).getroot()
    except (OSError, ElementTree.ParseError):
        return {}
    suites = [root] if root.tag == "testsuite" else list(root.iter("testsuite"))
    total = {key: sum(int(s.get(key, 0)) for s in suites) for key in _JUNIT_KEYS}
    failed = total["failures"] + total["errors"]
    passed = total["tests"] - failed - total["skipped"]
    return {"failed": failed, "passed": passed, "skipped": total["skipped"]}


def _test_environment(automation: Automation, imports: Sequence[Path]) -> dict[str, str]:
    """The allowlisted variables (no secret: tests get none), the folder and its
    libraries on PYTHONPATH."""
    env = {name: os.environ[name] for name in ALLOWED_ENVIRONMENT if name in os.environ}
    env.setdefault("PATH", os.defpath)
    env["PYTHONPATH"] = os.pathsep.join(map(str, [automation.folder, *imports]))
    # A run the tests start (`autokit run` from a test) is a test run: it saves nobody time.
    env[RUN_KIND_VARIABLE] = "test"
    return env


def _run_tests(
    root: Path, command: list[str], env: dict[str, str], timeout: float
) -> tuple[str, str | None]:
    try:
        completed = subprocess.run(
            command,
            cwd=root,
            env=env,
            stdout=_report_sink(),
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


def _report_sink() -> int:
    """Where pytest's report goes: stderr, streamed when it is a real file (CI logs).

    stdout holds only the summary (or the JSON); a stderr without a file descriptor
    (captured in a test) gets the report once pytest has ended.
    """
    try:
        return sys.stderr.fileno()
    except (AttributeError, OSError, ValueError):
        return subprocess.PIPE


def check_examples(repo: Repository, automation: Automation) -> list[ExampleResult]:
    results = []
    for number, example in enumerate(automation.examples, start=1):
        try:
            outcome = run_automation(repo, automation.name, {}, example=number, dry_run=True)
        except ToolkitError as error:
            results.append(ExampleResult(example.title, "failed", error.message))
            continue
        results.append(ExampleResult(example.title, "ok", outcome.error))
    return results
