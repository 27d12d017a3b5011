"""No executable caches: every cache is JSON, and a damaged one is ignored and rebuilt.

The caches autokit keeps under `cache_home()`: the metadata cache (`metadata/*.json`),
each environment's ready marker (`environments/<key>/.autokit-ready`), and the extracted
trees of pinned versions and of the base's rules (`versions/`, `rules/`, verified against
Git before each use: tests/test_pinned_verify.py and tests/test_base_rules.py). Here each
file cache gets garbage, wrong shapes and a pickle that would run code if it were ever
unpickled, and the next command must work, not run it, and write a good cache again.
"""

from __future__ import annotations

import json
import os
import pickle
import re
from pathlib import Path

import pytest
from helpers import automation_files

from toolkit.environments import READY_MARKER, planned_environment
from toolkit.metadata import load_automation
from toolkit.metadata.cache import cache_version
from toolkit.metadata.load import content_key
from toolkit.paths import cache_home

TOOLKIT = Path(__file__).resolve().parent.parent / "toolkit"
CODE_RUNNING_MODULES = re.compile(
    r"^\s*(import\s+(pickle|marshal|shelve|dill|cloudpickle)\b"
    r"|from\s+(pickle|marshal|shelve|dill|cloudpickle)\s+import\b)",
    re.MULTILINE,
)


def test_no_module_of_autokit_imports_a_serializer_that_runs_code() -> None:
    sources = sorted(TOOLKIT.rglob("*.py"))
    assert len(sources) > 50
    found = [
        f"{path.relative_to(TOOLKIT.parent)}: {match.group(0).strip()}"
        for path in sources
        for match in CODE_RUNNING_MODULES.finditer(path.read_text(encoding="utf-8"))
    ]
    assert found == []
    # the pattern does find what it looks for
    assert CODE_RUNNING_MODULES.search("x = 1\nimport pickle\n")
    assert CODE_RUNNING_MODULES.search("    from marshal import loads\n")


class _RunsCode:
    """Unpickling this writes a file: proof that a cache was unpickled."""

    def __init__(self, witness: Path) -> None:
        self.witness = witness

    def __reduce__(self) -> tuple[object, tuple[object, ...]]:
        return (Path.write_text, (self.witness, "unpickled"))


def bad_metadata_caches(key: str, witness: Path) -> dict[str, bytes]:
    """Contents for the metadata cache file; `key` is the entry of the automation's file."""
    version = cache_version()

    def current(entries: object) -> bytes:
        return json.dumps({"version": version, "entries": entries}).encode()

    valid_data = {"name": "greeter"}
    return {
        "garbage": b"\x00\xffnot json at all",
        "pickle": pickle.dumps({"version": version, "entries": _RunsCode(witness)}),
        "truncated": current({key: [valid_data, []]})[:-7],
        "a-list": b"[1, 2, 3]",
        "no-entries": json.dumps({"version": version}).encode(),
        "entries-a-number": current(5),
        "entries-a-list": current([1, 2]),
        "entry-a-string": current({key: "verdict"}),
        "entry-too-short": current({key: [None]}),
        "findings-not-rows": current({key: [None, ["abcdefgh"]]}),
        "finding-row-wrong-types": current({key: [None, [[1, 2, 3, 4, 5, 6, 7, 8]]]}),
        "data-a-list": current({key: [[1], []]}),
        "data-missing-fields": current({key: [valid_data, []]}),
        "data-wrong-types": current({key: [{"name": 5, "inputs": "x"}, []]}),
        "unknown-tag": current({key: [{"\u0000": "code", "x": 1}, []]}),
        "deeply-nested": b'{"version": "' + version.encode() + b'", "entries": ' + b"[" * 100_000,
        "old-version": json.dumps({"version": "0:0.0.0", "entries": {key: "x"}}).encode(),
    }


SHAPES = list(bad_metadata_caches("k", Path("w")))


def _metadata_cache_file(root: Path) -> Path:
    (cache,) = (cache_home() / "metadata").iterdir()
    return cache


@pytest.fixture
def own_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    cache = tmp_path / "own-cache"
    monkeypatch.setenv("AUTOKIT_CACHE_DIR", str(cache))
    return cache


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("command", ["run", "list", "validate"])
def test_a_damaged_metadata_cache_is_ignored_and_rebuilt(
    make_repo, cli, own_cache, tmp_path, shape, command
) -> None:
    root = make_repo(automation_files("greeter"))
    assert cli("list", "--repo", str(root)).code == 0
    cache_file = _metadata_cache_file(root)
    metadata_file = root / "automations" / "greeter" / "automation.yaml"
    key = content_key("automations/greeter/automation.yaml", metadata_file.read_bytes())
    assert key in json.loads(cache_file.read_bytes())["entries"]
    witness = tmp_path / "witness"
    cache_file.write_bytes(bad_metadata_caches(key, witness)[shape])

    args = {"run": ["run", "greeter"], "list": ["list"], "validate": ["validate"]}[command]
    result = cli(*args, "--repo", str(root))
    assert result.code == 0, result
    assert "Traceback" not in result.err
    if command == "run":
        assert json.loads(result.out) == {"message": "hello world"}
    elif command == "list":
        assert "greeter" in result.out
    assert not witness.exists()
    if command != "validate":  # validate reads the cache only when asked to write it
        stored = json.loads(cache_file.read_bytes())
        assert stored["version"] == cache_version() and key in stored["entries"]


@pytest.mark.parametrize(
    "marker",
    [b"garbage", b"pickle", b'{"format": 1}', b"[]", b'{"format": 1, "key": 5}'],
    ids=["garbage", "pickle", "no-key", "a-list", "key-a-number"],
)
def test_a_damaged_ready_marker_means_a_rebuilt_environment(
    make_repo, cli, own_cache, tmp_path, marker
) -> None:
    root = make_repo(automation_files("greeter"))
    assert cli("run", "greeter", "--repo", str(root)).code == 0
    automation = load_automation(root / "automations" / "greeter", root)
    environment, ready = planned_environment(automation)
    assert ready and environment.path is not None
    witness = tmp_path / "witness"
    if marker == b"pickle":
        marker = pickle.dumps(_RunsCode(witness))
    (environment.path / READY_MARKER).write_bytes(marker)
    planted = environment.path / "planted.pth"
    planted.write_text("import sys; sys.stderr.write('PLANTED\\n')\n")

    result = cli("run", "greeter", "--repo", str(root))
    assert result.code == 0, result
    assert json.loads(result.out) == {"message": "hello world"}
    assert "creating the environment for greeter" in result.err
    assert not planted.exists() and not witness.exists()
    assert planned_environment(automation)[1]
    stored = json.loads((environment.path / READY_MARKER).read_text())
    assert stored["key"] == environment.key and stored["format"] == 1


def test_caches_are_written_atomically_as_json(make_repo, cli, own_cache) -> None:
    root = make_repo(automation_files("greeter"))
    assert cli("run", "greeter", "--repo", str(root)).code == 0
    for folder in ("metadata", "environments"):
        for path in (own_cache / folder).rglob("*"):
            if path.is_file() and (path.suffix == ".json" or path.name == READY_MARKER):
                json.loads(path.read_bytes())  # JSON, nothing else
    leftovers = [p for p in own_cache.rglob(".*.tmp")]
    assert leftovers == []
    assert os.listdir(own_cache / "metadata")


def test_valid_metadata_has_the_shape_cached_data_is_held_to() -> None:
    """Else every run would validate again: the shipped automations' data all fit."""
    from toolkit.metadata.model import Automation
    from toolkit.metadata.shape import fits
    from toolkit.metadata.yamlfile import parse_mapping

    shipped = sorted((TOOLKIT.parent / "automations").glob("*/automation.yaml"))
    assert shipped
    for path in shipped:
        data = parse_mapping(path.read_text(encoding="utf-8"))
        assert fits(Automation, data), path
    assert not fits(Automation, {**data, "timeout": True})
    assert not fits(Automation, {**data, "inputs": {"x": {"type": 1, "description": "d"}}})
    assert not fits(Automation, {key: value for key, value in data.items() if key != "name"})
