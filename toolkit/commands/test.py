"""`autokit test`: each automation's tests and examples, in its own environment.

For every automation named (or changed since `--base` with `--changed`), its pytest
tests run in a Python environment and each example is checked as a dry run (see
`toolkit.run.testing`). A summary table follows (tests passed, failed and skipped;
examples that passed; time), then one line naming what failed; the exit code is 1 when
anything failed.
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import asdict

from toolkit.commands.changed import changed_report
from toolkit.commands.formats import add_format_argument
from toolkit.console import StatusLine, table
from toolkit.errors import ToolkitError
from toolkit.libraries import library_dirs
from toolkit.repo import Repository, repository_from_args
from toolkit.run.testing import TestResult, test_automation, test_library
from toolkit.suggest import did_you_mean


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "names", nargs="*", metavar="NAME", help="automations (or libraries) to test"
    )
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


def run(args: argparse.Namespace) -> int:
    repo = repository_from_args(args)
    names = _selected_names(repo, args)
    if not names:
        print("no automation to test", file=sys.stderr)
        if args.format == "json":
            print(json.dumps({"ok": True, "results": []}))
        return 0
    _require_known(repo, names)
    with StatusLine(sys.stderr) as progress:
        libraries = {folder.name for folder in library_dirs(repo.root)}
        results = [
            (test_library if name in libraries else test_automation)(
                repo, name, args.timeout, progress
            )
            for name in names
        ]
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
        report = changed_report(repo, args.base)
        return list(dict.fromkeys([*args.names, *report["libraries"], *report["automations"]]))
    if args.base:
        raise ToolkitError("--base is used only with --changed", "add --changed")
    if args.names:
        return list(dict.fromkeys(args.names))
    return [folder.name for folder in repo.automation_dirs()]


def _require_known(repo: Repository, names: list[str]) -> None:
    """Stop before testing anything when a name is not an automation or library folder."""
    existing = [folder.name for folder in repo.automation_dirs()]
    existing += [folder.name for folder in library_dirs(repo.root)]
    for name in names:
        if name not in existing:
            hint = did_you_mean(name, existing, "`autokit list` shows the automations")
            raise ToolkitError(f"no automation or library named '{name}'", hint)


def render_table(results: list[TestResult]) -> str:
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
