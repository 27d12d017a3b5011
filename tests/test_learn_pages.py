"""The catalog's Learn section (`docs/learn/`) checked against the tools.

The pages are hand-written for people who have not used a terminal much, so the tests
keep them true: every page is in the catalog's navigation, every `autokit` command they
name exists and parses, the Templates page has a section for each template there is, and
every command block is run as written: the tutorial's in a fresh clone whose origin is a
bare repository, to a green `autokit policy --base origin/main` and a push; each
template's in a repository of its own.
"""

from __future__ import annotations

import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from catalog_repo import PROJECT
from helpers import git, shell_commands

from toolkit.cli import COMMANDS, build_parser
from toolkit.gallery import gallery
from toolkit.repo import Repository

LEARN = PROJECT / "docs" / "learn"
TUTORIAL = LEARN / "first-automation.md"
TEMPLATES = LEARN / "templates.md"
FENCE = re.compile(r"^```(bash|yaml)\n(.*?)^```$", re.MULTILINE | re.DOTALL)
# The once-per-clone lines: the Python running these tests is already that install.
SETUP = ("python3 -m venv .venv", ". .venv/bin/activate", "pip install -e '.[dev]'")


def blocks(page: Path) -> list[tuple[str, str]]:
    """Each fenced block of the page: its language and its text, in page order."""
    return FENCE.findall(page.read_text(encoding="utf-8"))


commands = shell_commands


def run_block(text: str, cwd: Path, transcript: list[str]) -> None:
    """Run each command of a bash block in `cwd`, as a person would type it."""
    for words in commands(text):
        shown = shlex.join(words)
        if shown in SETUP or (words[0] == "." and words[1:] == [".venv/bin/activate"]):
            continue
        program, *rest = words
        argv = {
            "autokit": [sys.executable, "-m", "toolkit"],
            "git": ["git"],
            "pre-commit": [sys.executable, "-m", "pre_commit"],
        }.get(program)
        assert argv is not None, f"the test does not know how to run `{shown}`"
        done = subprocess.run(argv + rest, cwd=cwd, capture_output=True, text=True)
        transcript.append(f"$ {shown}\n{done.stdout}{done.stderr}")
        assert done.returncode == 0, "\n".join(transcript)


def test_every_learn_page_is_in_the_navigation() -> None:
    navigation = yaml.safe_load((PROJECT / "mkdocs.yml").read_text(encoding="utf-8"))["nav"]
    learn = next(entry["Learn"] for entry in navigation if "Learn" in entry)
    listed = {item if isinstance(item, str) else next(iter(item.values())) for item in learn}
    assert listed == {f"learn/{page.name}" for page in LEARN.glob("*.md")}


def test_every_autokit_command_the_pages_name_exists_and_parses() -> None:
    for page in LEARN.glob("*.md"):
        named = set(re.findall(r"`autokit ([a-z-]+)", page.read_text(encoding="utf-8")))
        assert named <= set(COMMANDS), page.name
        for language, text in blocks(page):
            for words in commands(text) if language == "bash" else []:
                if words[0] != "autokit":
                    continue
                try:
                    build_parser(words[1]).parse_args(words[1:])
                except SystemExit:
                    pytest.fail(f"{page.name}: `{shlex.join(words)}` does not parse")


def template_sections() -> dict[str, str]:
    """The Templates page's sections: template name -> its bash block."""
    text = TEMPLATES.read_text(encoding="utf-8")
    sections = re.split(r"^## ", text, flags=re.MULTILINE)[1:]
    found = {}
    for section in sections:
        name, _, body = section.partition("\n")
        code = FENCE.search(body)
        assert code is not None, f"the section {name} has no commands"
        found[name.strip()] = code[2]
    return found


def test_the_templates_page_has_a_section_for_each_template() -> None:
    assert set(template_sections()) == set(gallery(Repository(PROJECT)))


def test_each_template_section_starts_from_its_own_template() -> None:
    for name, text in template_sections().items():
        first = commands(text)[0]
        assert first[:2] == ["autokit", "new"] and first[first.index("--template") + 1] == name


@pytest.mark.slow
@pytest.mark.parametrize("template", sorted(template_sections()))
def test_each_template_section_runs_as_written(tmp_path: Path, template: str) -> None:
    root = tmp_path / "repo"
    (root / "automations").mkdir(parents=True)
    git(root, "init", "-q", "-b", "main")
    git(root, "commit", "-q", "--allow-empty", "-m", "start")
    transcript: list[str] = []
    run_block(template_sections()[template], root, transcript)
    assert "success" in transcript[-1], "\n".join(transcript)


@pytest.mark.slow
def test_following_the_tutorial_literally_ends_in_a_green_policy_and_a_push(
    tmp_path: Path,
) -> None:
    """The tutorial's blocks in order, in a fresh clone of this repository whose origin is
    bare; its YAML block is the line step 4 says to add to the automation's metadata."""
    origin = tmp_path / "origin.git"
    subprocess.run(["git", "clone", "-q", "--bare", str(PROJECT), str(origin)], check=True)
    git(origin, "update-ref", "refs/heads/main", git(PROJECT, "rev-parse", "HEAD").strip())
    git(origin, "symbolic-ref", "HEAD", "refs/heads/main")
    clone = tmp_path / "clone"
    subprocess.run(["git", "clone", "-q", str(origin), str(clone)], check=True)
    metadata = clone / "automations" / "sales-summary" / "automation.yaml"
    transcript: list[str] = []
    for language, text in blocks(TUTORIAL):
        if language == "yaml":
            with metadata.open("a", encoding="utf-8") as file:
                file.write(text)
            transcript.append(f"(added to {metadata.name})\n{text}")
        else:
            run_block(text, clone, transcript)
    policy = next(step for step in transcript if step.startswith("$ autokit policy"))
    assert not re.search(r"\b(error|warning)s?\b", policy), policy
    assert git(origin, "rev-parse", "refs/heads/add-sales-summary").strip()
    scheduled = git(origin, "show", "add-sales-summary:.github/workflows/scheduled.yml")
    assert "sales-summary" in scheduled and "0 7 * * 1" in scheduled
    form = git(origin, "show", "add-sales-summary:.github/workflows/run-sales-summary.yml")
    assert "workflow_dispatch" in form
