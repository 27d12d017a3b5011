"""Building real autokit repositories in temporary folders."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import yaml


def build_tree(root: Path, files: dict[str, str | bytes]) -> None:
    """Write `files` (relative path -> text or bytes) under `root`."""
    for relative, content in files.items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(textwrap.dedent(content), encoding="utf-8")


SNAPSHOTS = Path(__file__).parent / "snapshots"


def assert_matches_snapshot(actual: str, snapshot: str) -> None:
    """`actual` equals tests/snapshots/`snapshot`; AUTOKIT_UPDATE_SNAPSHOTS=1 rewrites it."""
    expected_file = SNAPSHOTS / snapshot
    if os.environ.get("AUTOKIT_UPDATE_SNAPSHOTS"):
        expected_file.write_text(actual, encoding="utf-8")
    assert actual == expected_file.read_text(encoding="utf-8")


def git(root: Path, *args: str) -> str:
    result = subprocess.run(["git", *args], cwd=root, check=True, capture_output=True, text=True)
    return result.stdout


def commit_all(root: Path, message: str = "change") -> str:
    git(root, "add", "-A")
    git(root, "commit", "-q", "--allow-empty", "-m", message)
    return git(root, "rev-parse", "HEAD").strip()


def metadata(name: str, **overrides: Any) -> dict[str, Any]:
    """A valid automation.yaml as data; `overrides` replace or add fields (None removes)."""
    data: dict[str, Any] = {
        "name": name,
        "title": name.replace("-", " ").title(),
        "summary": f"Does the {name} job.",
        "version": "1.0.0",
        "owners": ["@alice"],
        "department": "operations",
        "tags": ["example"],
        "status": "stable",
        "runtime": "python",
        "entrypoint": "main.py",
        "classification": "internal",
        "time_saved_minutes": 10,
        "inputs": {
            "greeting": {"type": "string", "description": "Who to greet", "default": "world"}
        },
        "examples": [{"title": "Greet the world", "inputs": {"greeting": "world"}}],
    }
    for key, value in overrides.items():
        if value is None:
            data.pop(key, None)
        else:
            data[key] = value
    return data


def automation_files(name: str, **overrides: Any) -> dict[str, str]:
    """Every file of a complete, valid python automation folder."""
    data = metadata(name, **overrides)
    prefix = f"automations/{name}/"
    return {
        prefix + "automation.yaml": yaml.safe_dump(data, sort_keys=False),
        prefix + "README.md": f"# {data['title']}\n\n{data['summary']}\n",
        prefix + "CHANGELOG.md": f"# Changelog\n\n## {data['version']}\n\n- First version.\n",
        prefix + "main.py": (
            "def main(greeting: str = 'world') -> dict[str, str]:\n"
            "    return {'message': f'hello {greeting}'}\n"
        ),
        prefix + "tests/test_main.py": (
            "from main import main\n\n\ndef test_greets():\n"
            "    assert main(greeting='x') == {'message': 'hello x'}\n"
        ),
    }


class TouchedRealUserFiles(AssertionError):
    """A test wrote where the real user's autokit state, cache or Git config lives."""


# audit event -> the positions of its arguments that are paths written to
_WRITTEN_PATHS = {
    "open": (0,),  # only when the mode or flags write: see `_writes`
    "os.mkdir": (0,),
    "os.remove": (0,),
    "os.rmdir": (0,),
    "os.rename": (0, 1),
    "os.replace": (0, 1),
    "os.symlink": (1,),
    "os.link": (1,),
    "os.truncate": (0,),
    "os.chmod": (0,),
    "shutil.rmtree": (0,),
    "shutil.copyfile": (1,),
    "shutil.copytree": (1,),
    "shutil.move": (0, 1),
    "sqlite3.connect": (0,),  # SQLite opens its files in C, past the "open" event
}
_WRITE_FLAGS = os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_APPEND | os.O_TRUNC


def _writes(event: str, args: tuple[Any, ...]) -> bool:
    if event != "open":
        return True
    mode, flags = args[1], args[2]
    if isinstance(mode, str):
        return any(letter in mode for letter in "wax+")
    return bool(isinstance(flags, int) and flags & _WRITE_FLAGS)


class RealUserFiles:
    """Stops, and records, this process's writes into the real user's folders.

    An audit hook sees every write however its path was made, including paths computed
    before the tests pointed HOME into a temporary folder. Child processes are kept away
    by the environment instead (HOME, XDG_*, AUTOKIT_HOME and AUTOKIT_CACHE_DIR).
    """

    def __init__(self, paths: list[Path]) -> None:
        self.folders = paths
        spellings = {str(path.absolute()) for path in paths}
        spellings |= {os.path.realpath(path) for path in paths}
        self.paths = tuple(sorted(spellings))
        self.violations: list[str] = []
        self.active = False

    def install(self) -> None:
        """Start watching; an audit hook cannot be removed, so `active` turns it off."""
        self.active = True
        sys.addaudithook(self._audit)

    def _audit(self, event: str, args: tuple[Any, ...]) -> None:
        positions = _WRITTEN_PATHS.get(event)
        if positions is None or not self.active or not _writes(event, args):
            return
        for position in positions:
            path = args[position] if position < len(args) else None
            if isinstance(path, str | bytes | os.PathLike) and self._guarded(path):
                message = f"{event} {os.fsdecode(path)}: a test touched the real user's files"
                self.violations.append(message)
                raise TouchedRealUserFiles(message)

    def _guarded(self, path: str | bytes | os.PathLike[str] | os.PathLike[bytes]) -> bool:
        absolute = os.path.abspath(os.fsdecode(path))
        return any(absolute == p or absolute.startswith(p + os.sep) for p in self.paths)


def shell_commands(block: str) -> list[list[str]]:
    """A shell block from a page as its commands, split as the shell would: lines ending
    in a backslash joined, comments dropped, `a && b` as two commands."""
    import shlex

    found: list[list[str]] = []
    for line in block.replace("\\\n", " ").splitlines():
        words = shlex.split(line, comments=True)
        while "&&" in words:
            cut = words.index("&&")
            found.append(words[:cut])
            words = words[cut + 1 :]
        if words:
            found.append(words)
    return found


def ledger_record(number: int = 1, **overrides: Any) -> Any:
    """A valid run record of the shared ledger (`toolkit.ledger.record`): a counted success
    of automation `hello`, 30 minutes saved, started yesterday `number` seconds after
    midnight (UTC), unless `overrides` say otherwise. The same arguments give the same
    record."""
    import datetime as dt

    from toolkit.ledger.record import LedgerRecord

    midnight = dt.datetime.now(dt.UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    yesterday = midnight - dt.timedelta(days=1) + dt.timedelta(seconds=number)
    started = overrides.pop("started", None) or yesterday
    values: dict[str, Any] = {
        "id": f"{started:%Y%m%d-%H%M%S}-{number:06x}",
        "automation": "hello",
        "version": "1.0.0",
        "pinned": False,
        "commit": None,
        "dirty": False,
        "trigger": "manual",
        "who": "Ann Example",
        "where": "laptop-1",
        "started_at": started.isoformat(timespec="milliseconds"),
        "duration": 1.5,
        "status": "success",
        "exit_code": 0,
        "kind": "real",
        "counts": True,
        "units": None,
        "unit": None,
        "minutes_saved": 30.0,
        "error": None,
    }
    values.update(overrides)
    return LedgerRecord(**values)


def bare_origin(clone: Path) -> Path:
    """Give the Git repository `clone` a bare `origin` beside it, holding its branches."""
    origin = clone.parent / f"{clone.name}-origin.git"
    subprocess.run(["git", "init", "-q", "--bare", str(origin)], check=True)
    branch = git(clone, "branch", "--show-current").strip() or "main"
    git(origin, "symbolic-ref", "HEAD", f"refs/heads/{branch}")  # what a clone checks out
    git(clone, "remote", "add", "origin", str(origin))
    git(clone, "push", "-q", "origin", "--all")
    return origin


def publish_ledger(clone: Path, records: list[Any], branch: str = "autokit/runs") -> None:
    """Append `records` to the ledger branch on the clone's `origin`, as `autokit runs push`
    does, so that the clone's `origin/<branch>` holds them."""
    from toolkit.ledger.branch import append
    from toolkit.ledger.settings import LedgerSettings

    append(clone, LedgerSettings(branch=branch), "origin", records)


def commit_as(root: Path, who: str, moment: Any, files: dict[str, str]) -> None:
    """Commit `files` as `who` ("Name <email>"), authored and committed at the datetime
    `moment`."""
    name, email = who.removesuffix(">").split(" <")
    build_tree(root, files)
    env = {
        **os.environ,
        "GIT_AUTHOR_NAME": name,
        "GIT_AUTHOR_EMAIL": email,
        "GIT_AUTHOR_DATE": moment.isoformat(timespec="seconds"),
        "GIT_COMMITTER_DATE": moment.isoformat(timespec="seconds"),
    }
    subprocess.run(["git", "add", "-A"], cwd=root, check=True)
    subprocess.run(["git", "commit", "-q", "-m", f"work of {name}"], cwd=root, env=env, check=True)


def invoice_automation_files(
    name: str = "reminders", *, default: int = 1, example: int = 3, **overrides: Any
) -> dict[str, str]:
    """An automation saving 5 minutes a run plus 3 an invoice, reporting its invoices as
    units, with a `dry_run` rehearsal input; `overrides` as for `automation_files`."""
    files = automation_files(
        name,
        inputs={
            "invoices": {"type": "integer", "description": "How many to send", "default": default},
            "dry_run": {"type": "boolean", "description": "Send nothing", "default": False},
        },
        examples=[{"title": "Some invoices", "inputs": {"invoices": example}}],
        time_saved_minutes=5,
        time_saved={"minutes": 3, "per": "invoice"},
        **overrides,
    )
    files[f"automations/{name}/main.py"] = (
        f"def main(invoices: int = {default}, dry_run: bool = False):\n"
        '    return {"sent": 0 if dry_run else invoices, "units": 0 if dry_run else invoices}\n'
    )
    files[f"automations/{name}/tests/test_main.py"] = "def test_nothing():\n    pass\n"
    return files


def library_files(
    name: str, code: str | None = None, *, tests: str | None = None, **overrides: Any
) -> dict[str, str]:
    """Every file of a valid library folder; `code` is its package's __init__.py."""
    data: dict[str, Any] = {
        "name": name,
        "title": name.replace("-", " ").title(),
        "summary": f"Shared {name} helpers.",
        "version": "1.0.0",
        "owners": ["@alice"],
    }
    for key, value in overrides.items():
        if value is None:
            data.pop(key, None)
        else:
            data[key] = value
    prefix = f"libraries/{name}/"
    module = name.replace("-", "_")
    default_code = (
        '"""Greetings shared between automations."""\n\n__all__ = ["greet"]\n\n\n'
        'def greet(who: str) -> str:\n    """A friendly greeting for `who`."""\n'
        '    return f"hello {who}"\n'
    )
    files = {
        prefix + "library.yaml": yaml.safe_dump(data, sort_keys=False),
        prefix + "README.md": f"# {data.get('title', name)}\n\n{data.get('summary', '')}\n",
        prefix + "CHANGELOG.md": f"# Changelog\n\n## {data['version']}\n\n- First version.\n",
        prefix + f"{module}/__init__.py": code if code is not None else default_code,
    }
    if tests is not None:
        files[prefix + "tests/test_library.py"] = tests
    return files
