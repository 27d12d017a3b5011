"""Pinned versions are verified: `NAME@VERSION` runs what was tagged, whatever the cache holds.

Each test tags a real automation, runs it once (which extracts the tag's tree into the
cache), tampers with the cached copy as another process of the same user could, and runs
the version again: the output is the tagged code's and the copy is the tag's again.
"""

from __future__ import annotations

import importlib.util
import json
import marshal
import os
import shutil
import struct
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from helpers import automation_files, git

from toolkit.git import matches_tree, tree_files, tree_id
from toolkit.paths import cache_home

MAIN = "from helper import word\n\n\ndef main(greeting=''):\n    return word()\n"
HELPER = "def word():\n    return 'tagged'\n"


def tagged(make_repo) -> Path:
    """A repository with `report@1.0.0` tagged: main.py imports helper.py."""
    files = automation_files("report")
    files["automations/report/main.py"] = MAIN
    files["automations/report/helper.py"] = HELPER
    root = make_repo(files)
    git(root, "tag", "report@1.0.0")
    return root


def run_pinned(cli, root: Path) -> object:
    result = cli("run", "report@1.0.0", "--repo", str(root))
    assert result.code == 0, result
    return json.loads(result.out)


def cached_copy(root: Path) -> Path:
    tree = tree_id(root, "report@1.0.0", "automations/report")
    assert tree is not None
    return cache_home() / "versions" / tree / "report"


def tag_files(root: Path) -> dict[str, str]:
    return tree_files(root, "report@1.0.0:automations/report")


def test_an_untouched_copy_is_used_as_it_is(make_repo, cli) -> None:
    root = tagged(make_repo)
    assert run_pinned(cli, root) == "tagged"
    copy = cached_copy(root)
    marker = os.stat(copy / "main.py").st_ino
    assert run_pinned(cli, root) == "tagged"
    assert os.stat(copy / "main.py").st_ino == marker  # not extracted again
    assert matches_tree(copy, tag_files(root))


@pytest.mark.parametrize(
    "tamper",
    ["edit-entrypoint", "edit-helper", "add-module", "delete-helper", "linked-folder"],
)
def test_a_tampered_copy_is_replaced_before_it_runs(make_repo, cli, tmp_path, tamper) -> None:
    root = tagged(make_repo)
    assert run_pinned(cli, root) == "tagged"
    copy = cached_copy(root)
    if tamper == "edit-entrypoint":
        (copy / "main.py").write_text("def main(greeting=''):\n    return 'edited'\n")
    elif tamper == "edit-helper":
        (copy / "helper.py").write_text("def word():\n    return 'edited'\n")
    elif tamper == "add-module":
        # a module beside main.py shadows the standard library's for the automation
        (copy / "json.py").write_text("raise SystemExit('the added module ran')\n")
        (copy / "main.py").write_text(MAIN)  # untouched: only the addition differs
    elif tamper == "delete-helper":
        (copy / "helper.py").unlink()
    else:
        elsewhere = tmp_path / "elsewhere" / "helper"
        elsewhere.mkdir(parents=True)
        (elsewhere / "__init__.py").write_text("def word():\n    return 'linked'\n")
        (copy / "helper.py").unlink()
        (copy / "helper").symlink_to(elsewhere)

    assert run_pinned(cli, root) == "tagged"
    assert matches_tree(copy, tag_files(root))
    assert not (copy / "json.py").exists() and not (copy / "helper").exists()
    assert not [name for name in os.listdir(copy.parent.parent) if name.startswith(".stale-")]


def _forged_bytecode(source: Path, code: str) -> bytes:
    """A .pyc of `code` whose header claims to be up to date with `source` (as Python
    checks it by default: the source's modification time and size)."""
    status = source.stat()
    header = importlib.util.MAGIC_NUMBER + struct.pack(
        "<III", 0, int(status.st_mtime) & 0xFFFFFFFF, status.st_size & 0xFFFFFFFF
    )
    return header + marshal.dumps(compile(code, str(source), "exec"))


def test_bytecode_left_in_the_copy_is_never_run(make_repo, cli) -> None:
    root = tagged(make_repo)
    assert run_pinned(cli, root) == "tagged"
    copy = cached_copy(root)
    cached = Path(importlib.util.cache_from_source(str(copy / "helper.py")))
    cached.parent.mkdir(exist_ok=True)
    cached.write_bytes(_forged_bytecode(copy / "helper.py", "def word():\n    return 'forged'\n"))
    assert matches_tree(copy, tag_files(root))  # bytecode is left out of the comparison...

    assert run_pinned(cli, root) == "tagged"  # ...and removed before the run
    assert not cached.exists()


def test_the_forged_bytecode_would_run_if_it_were_left(tmp_path) -> None:
    """The test above could fail: Python does read such a file, even with `-B`."""
    (tmp_path / "helper.py").write_text(HELPER)
    cached = Path(importlib.util.cache_from_source(str(tmp_path / "helper.py")))
    cached.parent.mkdir()
    cached.write_bytes(
        _forged_bytecode(tmp_path / "helper.py", "def word():\n    return 'forged'\n")
    )
    code = textwrap.dedent(
        f"""
        import sys
        sys.path.insert(0, {str(tmp_path)!r})
        from helper import word
        print(word())
        """
    )
    result = subprocess.run(
        [sys.executable, "-I", "-B", "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "forged"


def test_a_file_where_the_copy_should_be_is_replaced(make_repo, cli) -> None:
    root = tagged(make_repo)
    copy = cached_copy(root)
    shutil.rmtree(copy.parent, ignore_errors=True)  # the cache is shared by the tests
    copy.parent.parent.mkdir(parents=True, exist_ok=True)
    copy.parent.write_bytes(b"\x80\x04\x95not a folder")
    assert run_pinned(cli, root) == "tagged"
    assert matches_tree(copy, tag_files(root))


def test_git_attributes_do_not_change_the_copy(make_repo, cli) -> None:
    """`git archive` would apply these, and the copy would never match the tag's blobs."""
    files = automation_files("report")
    files["automations/report/main.py"] = MAIN
    files["automations/report/helper.py"] = HELPER
    files["automations/report/notes.txt"] = "$Format:%H$\nline\n"
    files["automations/report/.gitattributes"] = (
        "notes.txt export-subst\nREADME.md export-ignore\n*.py text eol=crlf\n"
    )
    root = make_repo(files)
    git(root, "config", "core.autocrlf", "true")
    git(root, "tag", "report@1.0.0")
    assert run_pinned(cli, root) == "tagged"
    copy = cached_copy(root)
    assert matches_tree(copy, tag_files(root))
    assert (copy / "notes.txt").read_bytes() == b"$Format:%H$\nline\n"
    assert b"\r" not in (copy / "main.py").read_bytes()
