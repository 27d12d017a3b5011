"""The `autokit` command line: it parses arguments and dispatches, nothing more.

Each subcommand lives in `toolkit/commands/<name>.py` and provides
`add_arguments(parser)` and `run(args) -> int`. Only the module of the command being run
is imported, so `autokit --help` stays fast.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
import time
from collections.abc import Sequence
from pathlib import Path

from toolkit import __version__
from toolkit.console import style
from toolkit.errors import ToolkitError
from toolkit.paths import state_home

# name -> one-line help. The module is toolkit.commands.<name>.
COMMANDS: dict[str, str] = {
    "new": "scaffold a new automation from a template",
    "adopt": "make an automation of an existing Python script (read, never run)",
    "upgrade": "merge a template's later versions into the automations made from it",
    "validate": "check automation.yaml files against the metadata contract",
    "list": "list automations, filtered by tag, owner, department or status",
    "show": "show one automation: metadata, inputs, versions, how to run it",
    "search": "search automations by name, title, summary, tags and README",
    "run": "run an automation, or a pinned version of it",
    "runs": "list past runs, or show one run with its log",
    "policy": "run the governance checks on what a pull request changes",
    "changed": "list the automations changed since a base ref",
    "test": "run automations' tests in their own environments",
    "release": "tag every automation version that has no tag yet",
    "codeowners": "generate .github/CODEOWNERS from the owners in metadata",
    "catalog": "build or serve the searchable catalog site",
    "schedule": "render the scheduled workflow, or name the automations due for a cron",
    "report": "report runs and time saved",
    "ideas": "fetch the idea issues from GitHub into the file the catalog shows",
    "notify": "tell an automation's owners that a run failed, or that it recovered",
    "doctor": "show which protections of a run work on this machine",
    "scan-secrets": "scan files for hard-coded secrets, as policy does (the pre-commit hook)",
}

EXIT_OK = 0
EXIT_USER_ERROR = 1
EXIT_USAGE = 2
EXIT_BUG = 3
EXIT_INTERRUPTED = 130
EXIT_BROKEN_PIPE = 141


TYPE_CHECKING = False  # as typing.TYPE_CHECKING, without importing typing at start-up
if TYPE_CHECKING:  # `typing` costs `autokit --help` a few milliseconds at run time
    from typing import Protocol

    class Command(Protocol):
        """What every module in `toolkit/commands/` provides."""

        def add_arguments(self, parser: argparse.ArgumentParser) -> None: ...

        def run(self, args: argparse.Namespace) -> int: ...


def _command_module(name: str) -> Command:
    # Imported by name, and only the selected one: `autokit --help` imports no command.
    module: Command = importlib.import_module(f"toolkit.commands.{name.replace('-', '_')}")
    return module


def _selected_command(argv: Sequence[str]) -> str | None:
    """The first argument that names a command, skipping global options."""
    skip_next = False
    for arg in argv:
        if skip_next:
            skip_next = False
            continue
        if arg == "--repo":
            skip_next = True
            continue
        if arg.startswith("-"):
            continue
        return arg if arg in COMMANDS else None
    return None


def build_parser(selected: str | None) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="autokit",
        description="Reviewed, versioned business automations in one Git repository.",
    )
    parser.add_argument("--version", action="version", version=f"autokit {__version__}")
    parser.add_argument(
        "--repo", metavar="PATH", help="the autokit repository (default: found from the cwd)"
    )
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--repo", metavar="PATH", default=argparse.SUPPRESS, help=argparse.SUPPRESS)
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    # With a command named, only its parser is built: the others would never be used.
    names = [selected] if selected is not None else list(COMMANDS)
    for name in names:
        help_text = COMMANDS[name]
        sub = subparsers.add_parser(name, help=help_text, description=help_text, parents=[common])
        if name == selected:
            module = _command_module(name)
            module.add_arguments(sub)
            sub.set_defaults(handler=module.run)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    try:
        parser = build_parser(_selected_command(argv))
        args = parser.parse_args(argv)
    except SystemExit as exit_:
        return exit_.code if isinstance(exit_.code, int) else EXIT_USAGE
    except Exception:  # a command module that fails to import is a bug too
        return _report_crash()
    return run_with_error_boundary(args)


def run_with_error_boundary(args: argparse.Namespace) -> int:
    """Run the handler; turn expected errors into exit 1 and anything else into exit 3."""
    try:
        return int(args.handler(args))
    except ToolkitError as error:
        _print_error(error)
        return error.exit_code
    except KeyboardInterrupt:
        print("autokit: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except BrokenPipeError:
        # Output piped into `head` or similar: stop quietly, with the shell's code for
        # SIGPIPE rather than 0, since the output (and a verdict) was cut short.
        sys.stderr.close()
        return EXIT_BROKEN_PIPE
    except Exception:
        return _report_crash()


def _report_crash() -> int:
    crash_file = _write_crash_report()
    print(
        "autokit: internal error: this is a bug in autokit, not in your repository.\n"
        f"The traceback was written to {crash_file}; please attach it to a bug report.",
        file=sys.stderr,
    )
    return EXIT_BUG


def _print_error(error: ToolkitError) -> None:
    print(f"{style('error:', 'red', sys.stderr)} {error.message}", file=sys.stderr)
    if error.hint:
        print(f"  hint: {error.hint}", file=sys.stderr)


def _write_crash_report() -> Path:
    import traceback  # only after a crash, off every command's start-up

    folder = state_home() / "crash-reports"
    stamp = _utc_stamp()
    try:
        folder.mkdir(parents=True, exist_ok=True)
        crash_file = folder / f"crash-{stamp}-{os.getpid()}.txt"
        crash_file.write_text(
            f"autokit {__version__}\nargv: {sys.argv!r}\n\n{traceback.format_exc()}",
            encoding="utf-8",
        )
    except OSError:
        crash_file = Path("(could not write a crash report)")
        traceback.print_exc()
    return crash_file


def _utc_stamp() -> str:
    """The time in UTC to the microsecond, e.g. 20260102T030405123456Z.

    Written with `time`, which every Python has loaded, so start-up does not pay for
    importing `datetime` that only a crash would use.
    """
    seconds, nanoseconds = divmod(time.time_ns(), 1_000_000_000)
    return time.strftime("%Y%m%dT%H%M%S", time.gmtime(seconds)) + f"{nanoseconds // 1000:06d}Z"
