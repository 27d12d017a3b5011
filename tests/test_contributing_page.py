"""The catalog's Contributing page (`docs/contributing.md`) checked against the tools.

The page is hand-written, so nothing regenerates it when a command changes; these tests
are what keeps it true: every command it names exists and parses, its steps come in the
order `autokit new` prints them, the version it says the first release gets is the
scaffold's, and its commands, run literally in a fresh clone whose origin is a bare
repository, end in a green `autokit policy --base origin/main`.
"""

from __future__ import annotations

import re
import shlex
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from catalog_repo import PROJECT
from helpers import git, shell_commands

from toolkit.cli import COMMANDS, build_parser

PAGE = PROJECT / "docs" / "contributing.md"
FENCE = re.compile(r"^```bash\n(.*?)^```$", re.MULTILINE | re.DOTALL)
RELEASE_TAG = re.compile(r"`my-automation@([0-9]+\.[0-9]+\.[0-9]+)`")


def page_text() -> str:
    return PAGE.read_text(encoding="utf-8")


def command_blocks(text: str) -> list[list[list[str]]]:
    """Each bash block of the page as its commands (`helpers.shell_commands`)."""
    return [shell_commands(body) for body in FENCE.findall(text)]


def setup_block() -> list[list[str]]:
    return command_blocks(page_text())[0]


def steps_block() -> list[list[str]]:
    return command_blocks(page_text())[1]


def autokit_commands(commands: list[list[str]]) -> list[list[str]]:
    return [words[1:] for words in commands if words[0] == "autokit"]


def test_the_page_has_the_setup_and_the_steps_as_commands() -> None:
    blocks = command_blocks(page_text())
    assert len(blocks) == 2, "the tests below read the first block as set-up, the second as steps"
    assert autokit_commands(steps_block())


def test_every_autokit_command_the_page_names_exists_and_parses() -> None:
    named = set(re.findall(r"`autokit ([a-z-]+)", page_text()))
    steps = autokit_commands(steps_block())
    assert named | {argv[0] for argv in steps} <= set(COMMANDS)
    for argv in steps:
        try:
            build_parser(argv[0]).parse_args(argv)
        except SystemExit:
            pytest.fail(f"`autokit {shlex.join(argv)}` on the Contributing page does not parse")


def test_setup_installs_the_tools_the_hooks_need_before_the_hooks() -> None:
    lines = [shlex.join(words) for words in setup_block()]
    assert "pip install -e '.[dev]'" in lines  # not `pip install -e .`: no pre-commit then
    assert "pre-commit install" in lines
    assert lines.index("pip install -e '.[dev]'") < lines.index("pre-commit install")


@pytest.fixture
def scaffolded(make_repo: Callable[..., Path], cli: Callable[..., Any]) -> tuple[Path, str]:
    """A repository with `my-automation` made by `autokit new`, and what the command printed."""
    root = make_repo({})
    options = {
        "runtime": "python",
        "title": "My automation",
        "summary": "Says hello.",
        "owner": "@example-shop/finance",
        "department": "finance",
    }
    flags = [word for key, value in options.items() for word in (f"--{key}", value)]
    result = cli("--repo", str(root), "new", "my-automation", *flags)
    assert result.code == 0, result
    return root / "automations" / "my-automation", result.out


def test_the_first_release_the_page_names_is_the_scaffold_version(
    scaffolded: tuple[Path, str],
) -> None:
    folder, _ = scaffolded
    version = re.search(r"^version: (\S+)$", (folder / "automation.yaml").read_text(), re.M)
    assert version is not None
    assert set(RELEASE_TAG.findall(page_text())) == {version[1]}


def test_the_steps_come_in_the_order_autokit_new_prints_them(
    scaffolded: tuple[Path, str],
) -> None:
    _, printed_text = scaffolded
    printed = re.findall(r"^\s+\d+\. autokit ([a-z-]+)", printed_text, re.MULTILINE)
    assert printed, printed_text
    on_page = [argv[0] for argv in autokit_commands(steps_block())]
    assert [name for name in on_page if name in printed] == printed


def test_codeowners_comes_before_the_commit_and_policy_after_it() -> None:
    steps = [words[:2] for words in steps_block()]
    assert steps.index(["autokit", "codeowners"]) < steps.index(["git", "commit"])
    assert steps.index(["git", "commit"]) < steps.index(["autokit", "policy"])


@pytest.mark.slow
def test_following_the_page_literally_ends_in_a_green_policy(tmp_path: Path) -> None:
    """The steps, as written, in a fresh clone of this repository whose origin is bare."""
    origin = tmp_path / "origin.git"
    subprocess.run(["git", "clone", "-q", "--bare", str(PROJECT), str(origin)], check=True)
    head = git(PROJECT, "rev-parse", "HEAD").strip()
    git(origin, "update-ref", "refs/heads/main", head)
    git(origin, "symbolic-ref", "HEAD", "refs/heads/main")
    clone = tmp_path / "clone"
    subprocess.run(["git", "clone", "-q", str(origin), str(clone)], check=True)
    transcript = []
    for words in steps_block():
        program, *rest = words
        argv = {"autokit": [sys.executable, "-m", "toolkit"], "git": ["git"]}.get(program)
        assert argv is not None, f"the test does not know how to run `{shlex.join(words)}`"
        done = subprocess.run(argv + rest, cwd=clone, capture_output=True, text=True)
        transcript.append(f"$ {shlex.join(words)}\n{done.stdout}{done.stderr}")
        assert done.returncode == 0, "\n".join(transcript)
    last = transcript[-2]  # the policy step; the push comes after it
    assert last.startswith("$ autokit policy --base origin/main"), last
    assert not re.search(r"\b(error|warning)s?\b", last), last
    assert git(origin, "rev-parse", "refs/heads/add-my-automation").strip()
