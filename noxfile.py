"""Developer sessions: `nox -s tests`, `nox -s lint`, `nox -s validate`, `nox -s bench`."""

from __future__ import annotations

from pathlib import Path

import nox

nox.options.sessions = ["lint", "validate", "tests"]
nox.options.reuse_existing_virtualenvs = True

ROOT = Path(__file__).parent


@nox.session
def tests(session: nox.Session) -> None:
    """The whole test suite."""
    session.install("-e", ".[dev]")
    session.run("pytest", *session.posargs)


@nox.session
def lint(session: nox.Session) -> None:
    """Every pre-commit hook over every file."""
    session.install("-e", ".[dev]")
    session.run("pre-commit", "run", "--all-files", "--show-diff-on-failure")


@nox.session
def validate(session: nox.Session) -> None:
    """The shipped automations against the metadata contract."""
    session.install("-e", ".")
    session.run("autokit", "validate")


@nox.session
def bench(session: nox.Session) -> None:
    """Every benchmark in benchmarks/; results are printed and written to benchmarks/results/."""
    session.install("-e", ".[dev]")
    scripts = sorted((ROOT / "benchmarks").glob("bench_*.py"))
    selected = [s for s in scripts if not session.posargs or s.stem in session.posargs]
    for script in selected:
        session.run("python", str(script))
