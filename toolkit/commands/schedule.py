"""`autokit schedule`: render the scheduled workflow, or name the automations due for a cron.

autokit schedule render [--check]
autokit schedule due --cron "0 8 * * 1-5" [--format text|json]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

from toolkit import forms, schedule
from toolkit.commands.formats import add_format_argument
from toolkit.errors import ToolkitError
from toolkit.fileio import atomic_write
from toolkit.inventory import load_inventory
from toolkit.metadata import Automation
from toolkit.repo import Repository, repository_from_args


def add_arguments(parser: argparse.ArgumentParser) -> None:
    # `--repo` is accepted after the action too (`autokit schedule due --repo PATH`).
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--repo", metavar="PATH", default=argparse.SUPPRESS, help=argparse.SUPPRESS)
    actions = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    render = actions.add_parser(
        "render",
        parents=[common],
        help="write .github/workflows/scheduled.yml, the Run forms run-NAME.yml (and run.yml, "
        "when the repository has it)",
        description="Generate the scheduled workflow from the `schedule` fields, and the "
        "run workflow, each with one job per automation mapping its declared secrets, and a "
        "Run form per automation (`[tool.autokit] run_forms`: all, stable or none).",
    )
    render.add_argument(
        "--check",
        action="store_true",
        help="write nothing; exit 1 when the files are out of date",
    )
    due = actions.add_parser(
        "due",
        parents=[common],
        help="name the automations whose schedule is a cron expression",
        description="Name the automations whose `schedule` is exactly this expression "
        "(the scheduled workflow passes the expression of the entry that fired).",
    )
    due.add_argument("--cron", required=True, metavar="EXPRESSION", help="five fields, UTC")
    add_format_argument(due, "text", "json", json="one line, a list of names")


def run(args: argparse.Namespace) -> int:
    repo = repository_from_args(args)
    if args.action == "render":
        return render(repo, check=args.check)
    return due(repo, args.cron, args.format)


def _valid_automations(repo: Repository) -> list[Automation]:
    """Every automation, refusing to go on when some metadata is invalid."""
    inventory = load_inventory(repo)
    if inventory.findings:
        lines = "\n".join(f.as_line() for f in inventory.findings)
        raise ToolkitError(
            f"invalid metadata:\n{lines}",
            "fix these first (`autokit validate` lists them); schedules are read from metadata",
        )
    return inventory.automations


def stale_workflows(repo: Repository) -> tuple[dict[str, str], list[str]]:
    """What `autokit schedule render` would change: {path: the content it would write},
    and the generated files it would remove. For the job summary of a pull request made
    without a terminal (see `toolkit.commands.policy`)."""
    automations = _valid_automations(repo)
    expected, current = _expected_and_current(repo, automations)
    stale = {
        path: text
        for path, text in expected.items()
        if current.get(path) != text and (path in current or not (repo.root / path).exists())
    }  # a hand-written workflow where a form goes is never offered for replacing
    removed = sorted(path for path in current if path not in expected and current[path])
    return stale, removed


def _expected_and_current(
    repo: Repository, automations: list[Automation]
) -> tuple[dict[str, str], dict[str, str | None]]:
    expected = {
        schedule.SCHEDULED_WORKFLOW: schedule.render_scheduled_workflow(repo, automations),
    }
    run_workflow = _read(repo.root, schedule.RUN_WORKFLOW)
    if run_workflow is not None:  # a repository without run.yml does not get one
        expected[schedule.RUN_WORKFLOW] = schedule.render_run_workflow(repo, automations)
    expected.update(schedule.render_run_forms(repo, automations))
    current: dict[str, str | None] = {
        schedule.RUN_WORKFLOW: run_workflow,
        schedule.SCHEDULED_WORKFLOW: _read(repo.root, schedule.SCHEDULED_WORKFLOW),
        **schedule.generated_forms(repo.root),
    }
    return expected, current


def render(repo: Repository, *, check: bool) -> int:
    automations = _valid_automations(repo)
    expected, current = _expected_and_current(repo, automations)
    listed = _listed(repo.root / schedule.FORMS_FOLDER)
    for path in sorted(expected.keys() - current.keys()):  # not rendered yet, or by hand
        if path.rsplit("/", 1)[-1] in listed:
            raise ToolkitError(
                f"{path} is a workflow autokit did not write, where it writes the Run form "
                f"of the automation '{forms.automation_of(path)}'",
                "rename that workflow (e.g. to manual-....yml), then run "
                "`autokit schedule render` again; or set run_forms in [tool.autokit]",
            )
        current[path] = None
    stale = [path for path, text in expected.items() if current[path] != text]
    # Forms of removed automations, or of ones `run_forms` no longer gives a form.
    removed = sorted(path for path in current if path not in expected and current[path])
    if check:
        changed = {path: (current[path], expected[path]) for path in stale}
        return _report_check(changed, removed)
    for path in stale:
        _write_atomically(repo.root, path, expected[path])
        print(f"wrote {path}")
    for path in removed:
        _remove(repo.root, path)
        print(f"removed {path} (no automation has this form any more)")
    if not stale and not removed:
        print("the workflows are up to date")
    _note_scheduled_inputs(schedule.inputs_without_default(automations))
    _note_too_frequent(schedule.too_frequent(schedule.cron_entries(automations)))
    return 0


def _listed(folder: Path) -> set[str]:
    """The names in the folder: 2,000 forms are not opened one by one to learn they are new."""
    try:
        return {entry.name for entry in os.scandir(folder)}
    except OSError:
        return set()


def _remove(root: Path, relative: str) -> None:
    try:
        (root / relative).unlink(missing_ok=True)
    except OSError as error:
        raise ToolkitError(
            f"cannot remove {relative}: {_reason(error)}",
            f"remove it by hand (`git rm {relative}`); no automation has this form any more",
        ) from None


def _note_too_frequent(expressions: list[str]) -> None:
    for expression in expressions:
        print(
            f"note: '{expression}' fires more often than every 5 minutes; GitHub runs "
            "scheduled workflows at most every 5 minutes, so it will run less often",
            file=sys.stderr,
        )


def _note_scheduled_inputs(needed: dict[str, list[str]]) -> None:
    """Say which scheduled runs need their inputs set on GitHub, or they fail every time."""
    for name, inputs in needed.items():
        print(
            f"note: {name} runs on schedule and needs {', '.join(inputs)}: set them as the "
            f"variable SCHEDULED_INPUTS (a JSON object) of the GitHub environment '{name}' "
            "(see docs/administrators.md)",
            file=sys.stderr,
        )


def _report_check(stale: dict[str, tuple[str | None, str]], removed: list[str]) -> int:
    """Name each file that differs from what metadata gives, and show how it differs."""
    # Only an out-of-date file needs difflib: `schedule due`, which every scheduled run
    # starts with, does not pay for it.
    import difflib

    if not stale and not removed:
        print("the workflows match the schedules, inputs and secrets in metadata")
        return 0
    for path in removed:
        print(
            f"error: {path} is a Run form of no automation (removed, or `run_forms` leaves it out)",
            file=sys.stderr,
        )
    for path, (current, expected) in stale.items():
        if current is None:
            print(f"error: {path} is missing", file=sys.stderr)
            continue
        print(
            f"error: {path} is out of date with the schedules and secrets in metadata",
            file=sys.stderr,
        )
        diff = difflib.unified_diff(
            current.splitlines(), expected.splitlines(), path, f"{path} (rendered)", lineterm=""
        )
        print("\n".join(f"  {line}" for line in diff), file=sys.stderr)
    print("  hint: run `autokit schedule render` and commit the result", file=sys.stderr)
    return 1


def _read(root: Path, relative: str) -> str | None:
    """The file's text, None when it does not exist; an error when it cannot be read."""
    try:
        return (root / relative).read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    except (OSError, UnicodeDecodeError) as error:
        raise ToolkitError(
            f"cannot read {relative}: {_reason(error)}",
            f"it must be a UTF-8 text file; restore it with `git checkout -- {relative}`",
        ) from None


def _write_atomically(root: Path, relative: str, text: str) -> None:
    """Write through a temporary file, so an interrupted write never leaves half a file."""
    try:
        atomic_write(root / relative, text)
    except OSError as error:
        raise ToolkitError(
            f"cannot write {relative}: {_reason(error)}",
            f"make sure {Path(relative).parent.as_posix()}/ is a folder you can write to",
        ) from None


def _reason(error: Exception) -> str:
    return error.strerror if isinstance(error, OSError) and error.strerror else str(error)


def due(repo: Repository, expression: str, output_format: str) -> int:
    wanted = schedule.normalize(expression)
    inventory = load_inventory(repo)
    for finding in inventory.findings:
        # One broken automation must not stop the others' scheduled runs.
        print(f"warning: skipped: {finding.as_line()}", file=sys.stderr)
    names = schedule.due_automations(inventory.automations, wanted)
    _explain_due(repo, wanted, names)
    if output_format == "json":
        print(json.dumps(names, separators=(",", ":")))
    elif names:
        print("\n".join(names))
    return 0


def _explain_due(repo: Repository, wanted: str, names: list[str]) -> None:
    """Say on stderr when nothing is due, or when the workflow disagrees with metadata."""
    in_workflow = wanted in schedule.workflow_crons(repo)
    if names and not in_workflow:
        print(
            f"warning: {schedule.SCHEDULED_WORKFLOW} has no entry '{wanted}', so GitHub "
            "never runs these on schedule; run `autokit schedule render` and commit it",
            file=sys.stderr,
        )
    elif not names:
        where = (
            f"{schedule.SCHEDULED_WORKFLOW} still lists it: run `autokit schedule render`"
            if in_workflow
            else f"it is not an entry of {schedule.SCHEDULED_WORKFLOW} either"
        )
        print(
            f"notice: no automation is scheduled at '{wanted}', nothing is due; {where}",
            file=sys.stderr,
        )
