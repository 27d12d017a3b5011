"""Runs inside an automation's environment: import the entrypoint, call `main(**inputs)`.

Started by autokit as `python bootstrap.py REQUEST_FILE`. It imports nothing from
autokit (the environment does not have it) and only the standard library. The request
file (JSON) names the entrypoint, the inputs and their types, and the result file. The
outcome goes to the result file, never through stdout, which belongs to the automation:
`{"ok": true, "result": ...}` or `{"ok": false, "error": "..."}`.
"""

from __future__ import annotations

import importlib.util
import json
import os
import sys

TYPE_CHECKING = False  # not `typing`'s: importing it costs every run's start-up
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import TypedDict

    class Request(TypedDict):
        """The request file autokit writes (toolkit/runtimes/python.py)."""

        entrypoint: str
        inputs: dict[str, object]
        types: dict[str, str]
        result_file: str
        paths: list[str]


def _write(path: str, outcome: dict[str, object]) -> None:
    """Write the result atomically (toolkit.fileio's idea; this file cannot import it)."""
    temporary = path + ".tmp"
    with open(temporary, "w", encoding="utf-8") as file:
        json.dump(outcome, file)
    os.replace(temporary, path)


def _inputs(request: Request) -> dict[str, object]:
    values = dict(request["inputs"])
    for name, kind in request["types"].items():
        if kind == "date" and name in values:
            import datetime  # only for date inputs: this file's start-up is the run's

            values[name] = datetime.date.fromisoformat(str(values[name]))
    return values


def _load_main(entrypoint: str, library_paths: list[str]) -> Callable[..., object]:
    folder = os.path.dirname(entrypoint)
    # The automation's folder first, then the shared libraries it declared, then its
    # environment: its own modules win over a library's, a library's over a package.
    sys.path[0:0] = [folder, *library_paths]
    module_name = os.path.splitext(os.path.basename(entrypoint))[0]
    spec = importlib.util.spec_from_file_location(module_name, entrypoint)
    if spec is None or spec.loader is None:
        raise LookupError(f"{entrypoint} cannot be imported as a Python module")
    module = importlib.util.module_from_spec(spec)
    sys.modules[module_name] = module
    spec.loader.exec_module(module)
    main: object = getattr(module, "main", None)
    if not callable(main):
        raise LookupError(
            f"{os.path.basename(entrypoint)} defines no function `main`; "
            "add `def main(**inputs):` that does the work"
        )
    return main


def _print_traceback(error: BaseException) -> None:
    """The automation's traceback, without the frames of this file and of importlib."""
    import traceback  # only on failure: it costs start-up time

    report = traceback.TracebackException.from_exception(error)
    ours = os.path.abspath(__file__)
    frames = [f for f in report.stack if f.filename != ours and not f.filename.startswith("<")]
    report.stack = traceback.StackSummary.from_list(frames)
    sys.stderr.write("".join(report.format()))


def run(request_file: str) -> int:
    with open(request_file, encoding="utf-8") as file:
        request: Request = json.load(file)
    result_file = request["result_file"]
    try:
        main = _load_main(request["entrypoint"], request.get("paths", []))
    except LookupError as error:
        _write(result_file, {"ok": False, "error": str(error)})
        return 1
    except BaseException as error:
        _print_traceback(error)
        _write(
            result_file,
            {
                "ok": False,
                "error": f"importing the entrypoint failed: {type(error).__name__}: {error}",
            },
        )
        return 1
    try:
        value = main(**_inputs(request))
    except SystemExit:
        raise
    except KeyboardInterrupt:  # autokit cancelled the run and says so: no traceback
        _write(result_file, {"ok": False, "error": "cancelled"})
        return 130
    except BaseException as error:
        # An automation marks the failures it expects (bad input, a server that cannot be
        # reached) with `autokit_expected = True`: their message says it all, and a
        # traceback would only bury it.
        if getattr(error, "autokit_expected", False):
            _write(result_file, {"ok": False, "error": str(error)})
            return 1
        _print_traceback(error)
        _write(result_file, {"ok": False, "error": f"{type(error).__name__}: {error}"})
        return 1
    try:
        _write(result_file, {"ok": True, "result": value})
    except (TypeError, ValueError) as error:
        _write(
            result_file,
            {"ok": False, "error": f"main returned a value that is not JSON-serializable: {error}"},
        )
        return 1
    return 0


if __name__ == "__main__":
    # Never let the modules beside this file shadow the automation's imports.
    _here = os.path.dirname(os.path.abspath(__file__))
    sys.path[:] = [p for p in sys.path if os.path.abspath(p or ".") != _here]
    sys.exit(run(sys.argv[1]))
