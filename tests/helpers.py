"""Building real autokit repositories in temporary folders."""

from __future__ import annotations

import subprocess
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
