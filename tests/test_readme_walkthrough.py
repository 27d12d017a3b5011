"""README.md's contributor walkthrough, followed literally in a fresh clone.

The commands are read from the README's "Contributing an automation" section, never copied
here, so the test breaks when the README changes in a way that does not work. "origin" is
a bare repository holding the project's files; the walkthrough runs in a fresh clone of
it, with bash, one command at a time, through pre-commit's real hooks on `git commit`, and
must end in a green `autokit policy --base origin/main` and a push.

The setup lines (a virtual environment and `pip install -e ".[dev]"`) are checked, not run:
the Python running these tests is that installation, and its `bin/` is first on PATH, as
after `. .venv/bin/activate`. Everything after them runs as written.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from helpers import commit_all, git

PROJECT = Path(__file__).resolve().parent.parent
SECTION = "## Contributing an automation: from idea to pull request"
SETUP = [
    "python3 -m venv .venv && . .venv/bin/activate",
    'pip install -e ".[dev]"',
]

pytestmark = pytest.mark.slow


def walkthrough_commands(readme: str) -> list[str]:
    """The shell commands of the section's first bash block: continuation lines joined,
    comment lines and trailing comments left out."""
    section = readme.split(SECTION, 1)[1].split("\n## ", 1)[0]
    block = re.search(r"```bash\n(.*?)```", section, re.DOTALL)
    assert block is not None, f"README.md: no bash block under {SECTION!r}"
    joined = block.group(1).replace("\\\n", " ")
    commands = []
    for line in joined.splitlines():
        command = re.sub(r"\s+#\s.*$", "", line).strip()
        if command and not command.startswith("#"):
            commands.append(re.sub(r"\s+", " ", command))
    return commands


def test_the_walkthrough_starts_with_what_it_needs_and_commits_before_policy():
    commands = walkthrough_commands((PROJECT / "README.md").read_text(encoding="utf-8"))
    assert commands[: len(SETUP)] == SETUP
    assert commands[len(SETUP)] == "pre-commit install"
    position = {c.split(" --")[0]: i for i, c in enumerate(commands)}
    committed = next(i for i, c in enumerate(commands) if "git commit" in c)
    assert position["autokit codeowners"] < committed < position["autokit policy"]


def _project_files() -> dict[str, bytes]:
    """Every file Git tracks in this checkout, as it is on disk."""
    listing = git(PROJECT, "ls-files", "-z").split("\0")
    files = {}
    for path in filter(None, listing):
        source = PROJECT / path
        if source.is_file() and not source.is_symlink():
            files[path] = source.read_bytes()
    return files


def _fresh_clone(tmp_path: Path) -> Path:
    """A bare "origin" holding the project on `main`, and a new clone of it."""
    upstream = tmp_path / "upstream"
    for path, data in _project_files().items():
        target = upstream / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
        if os.access(PROJECT / path, os.X_OK):
            target.chmod(0o755)
    git(upstream, "init", "-q", "-b", "main")
    commit_all(upstream, "the project")
    bare = tmp_path / "origin.git"
    git(tmp_path, "clone", "-q", "--bare", str(upstream), str(bare))
    clone = tmp_path / "clone"
    git(tmp_path, "clone", "-q", str(bare), str(clone))
    return clone


def test_readme_walkthrough_ends_in_a_green_policy(tmp_path, tmp_path_factory):
    commands = walkthrough_commands((PROJECT / "README.md").read_text(encoding="utf-8"))
    clone = _fresh_clone(tmp_path)
    env = {
        **os.environ,
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
        "PRE_COMMIT_HOME": str(tmp_path_factory.getbasetemp() / "pre-commit-home"),
        "NO_COLOR": "1",
    }
    env.pop("VIRTUAL_ENV", None)
    transcript = []
    for command in commands[len(SETUP) :]:
        result = subprocess.run(
            ["bash", "-e", "-c", command],
            cwd=clone,
            env=env,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            check=False,
            timeout=600,
        )
        transcript.append(f"$ {command}\n{result.stdout}{result.stderr}")
        assert result.returncode == 0, "\n".join(transcript)
    policy = next(t for t in transcript if t.startswith("$ autokit policy"))
    assert "1 changed automation(s)" in policy and "NOT reviewed" not in policy, policy
    assert "error" not in policy.lower(), policy
    pushed = git(clone, "ls-remote", "origin", "add-late-fees")
    assert pushed.split()[0] == git(clone, "rev-parse", "HEAD").strip()
    assert (clone / ".git/hooks/pre-commit").is_file()  # `pre-commit install` worked
