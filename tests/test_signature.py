"""The signature check: the entrypoint's `main()` (read with ast) against the declared inputs."""

from __future__ import annotations

import itertools
import json
import os
import subprocess
import sys

import pytest
from helpers import automation_files
from policy_support import base_repo, by_check, open_pr, policy_json

from toolkit.metadata.signature import read_main

REPOS = itertools.count()  # one test may build several repositories
NAME_INPUT = {"name": {"type": "string", "description": "Who to greet", "required": True}}


def repo_with(make_repo, main_py: str, **overrides):
    files = automation_files("greeter", **overrides)
    files["automations/greeter/main.py"] = main_py
    return make_repo(files, name=f"repo{next(REPOS)}")


def validate_json(cli, root):
    result = cli("validate", "--repo", str(root), "--format", "json")
    assert "Traceback" not in result.out + result.err
    return result.code, json.loads(result.out)["findings"]


def signature(findings):
    return [f for f in findings if f["check"] == "entrypoint-signature"]


def yaml_line(root, text: str) -> int:
    lines = (root / "automations/greeter/automation.yaml").read_text().splitlines()
    return next(number for number, line in enumerate(lines, 1) if line.strip() == text)


def test_the_issue_case_main_person_against_input_name(make_repo, cli):
    """`main(person)` with the declared input `name`: two errors, each where to fix it."""
    main_py = "import os\n\n\ndef main(person):\n    return {'hi': person}\n"
    root = repo_with(make_repo, main_py, inputs=NAME_INPUT, examples=None)
    result = cli("validate", "--repo", str(root))
    assert result.code == 1, result
    assert "Traceback" not in result.out + result.err
    _, findings = validate_json(cli, root)
    by_path = {f["path"]: f for f in signature(findings)}
    assert set(by_path) == {"automations/greeter/automation.yaml", "automations/greeter/main.py"}
    unaccepted = by_path["automations/greeter/automation.yaml"]
    assert (unaccepted["line"], unaccepted["field"]) == (yaml_line(root, "name:"), "inputs.name")
    assert "main() (automations/greeter/main.py:4) has no parameter `name`" in unaccepted["message"]
    assert "person" in unaccepted["hint"]
    required = by_path["automations/greeter/main.py"]
    assert required["line"] == 4
    assert required["message"] == "main() requires `person`, which is not a declared input"
    assert all(f["severity"] == "error" for f in by_path.values())


def test_matching_main_and_kwargs_pass(make_repo, cli):
    root = repo_with(make_repo, "def main(**inputs):\n    return inputs\n")
    assert cli("validate", "--repo", str(root)).code == 0
    root = repo_with(make_repo, "def main(*, greeting='world', **rest):\n    return 1\n")
    assert validate_json(cli, root) == (0, [])


def test_a_different_default_is_a_warning_at_the_default(make_repo, cli):
    root = repo_with(make_repo, "def main(greeting='there'):\n    return greeting\n")
    result = cli("validate", "--repo", str(root))
    assert result.code == 0, result  # a warning does not fail validate
    assert result.out.startswith("warning: automations/greeter/automation.yaml:")
    (finding,) = validate_json(cli, root)[1]
    assert finding["severity"] == "warning"
    assert finding["field"] == "inputs.greeting.default"
    assert finding["line"] == yaml_line(root, "default: world")
    assert "default 'world' differs from main()'s default 'there'" in finding["message"]


@pytest.mark.parametrize(
    ("default", "declared", "warned"),
    [
        ("Path('out.csv')", "x.csv", False),  # not a literal: not compared
        ("'2024-01-31'", "2024-01-31", False),  # a date input reaches main() as ISO text
        ("'2024-01-30'", "2024-01-31", True),
        ("1", True, True),  # True == 1 in Python, not for a flag
        ("5.0", 5, False),
    ],
)
def test_only_literal_defaults_are_compared(make_repo, cli, default, declared, warned):
    kind = {str: "string", bool: "boolean", int: "integer"}[type(declared)]
    kind = "date" if "-" in str(declared) else "path" if ".csv" in str(declared) else kind
    spec = {"type": kind, "description": "d", "default": declared}
    main_py = f"from pathlib import Path\n\n\ndef main(value={default}):\n    return 1\n"
    root = repo_with(make_repo, main_py, inputs={"value": spec}, examples=None)
    code, findings = validate_json(cli, root)
    assert code == 0
    assert [f["severity"] for f in findings] == (["warning"] if warned else [])


def test_an_optional_input_without_default_for_a_required_parameter(make_repo, cli):
    spec = {"type": "string", "description": "Who", "required": False}
    root = repo_with(
        make_repo, "def main(name):\n    return name\n", inputs={"name": spec}, examples=None
    )
    code, findings = validate_json(cli, root)
    (finding,) = [f for f in findings if f["field"] == "inputs.name"]
    assert code == 1
    assert "is optional with no default, but main()" in finding["message"]
    assert "required: true" in finding["hint"]


def test_a_syntax_error_is_a_finding_at_its_line(make_repo, cli):
    root = repo_with(make_repo, "def main(greeting='world'):\n    return (\n\nx = 1\n")
    code, findings = validate_json(cli, root)
    (finding,) = findings
    assert code == 1
    assert finding["path"] == "automations/greeter/main.py"
    assert finding["line"] == 2
    assert finding["message"].startswith("cannot be read as Python (line 2): ")
    assert "py_compile" in finding["hint"]


@pytest.mark.parametrize(
    "source",
    [b"def main(greeting='world'):\n    return 1\n\x00", b"\xff\xfe not text = 1\n"],
)
def test_a_file_that_is_not_python_text_is_a_finding(make_repo, cli, source):
    root = repo_with(make_repo, "placeholder")
    (root / "automations/greeter/main.py").write_bytes(source)
    code, findings = validate_json(cli, root)
    (finding,) = findings
    assert (code, finding["path"]) == (1, "automations/greeter/main.py")
    assert finding["message"].startswith("cannot be read as Python")


def test_no_main_is_an_error(make_repo, cli):
    root = repo_with(make_repo, "def run(greeting='world'):\n    return 1\n")
    code, findings = validate_json(cli, root)
    assert code == 1
    assert [(f["path"], f["message"]) for f in findings] == [
        ("automations/greeter/main.py", "defines no function `main`")
    ]


def test_main_defined_twice_uses_the_last_and_warns(make_repo, cli):
    main_py = "def main(greeting='world'):\n    return 1\n\n\ndef main(other):\n    return 2\n"
    root = repo_with(make_repo, main_py)
    code, findings = validate_json(cli, root)
    assert code == 1
    twice = next(f for f in findings if "more than once" in f["message"])
    assert (twice["severity"], twice["line"]) == ("warning", 5)
    assert "also at line 1" in twice["message"]
    assert {f["line"] for f in findings if f["severity"] == "error"} == {
        5,  # `other` is required and not declared
        yaml_line(root, "greeting:"),  # the last main() has no `greeting`
    }


def test_async_main_is_an_error(make_repo, cli):
    root = repo_with(make_repo, "async def main(greeting='world'):\n    return 1\n")
    code, findings = validate_json(cli, root)
    (finding,) = findings
    assert (code, finding["line"]) == (1, 1)
    assert "`async def`" in finding["message"]
    assert "asyncio.run" in finding["hint"]


def test_main_as_a_lambda_is_checked(make_repo, cli):
    root = repo_with(make_repo, "x = 1\nmain = lambda greeting='world': greeting\n")
    assert validate_json(cli, root) == (0, [])
    root = repo_with(make_repo, "x = 1\nmain = lambda who: who\n")
    code, findings = validate_json(cli, root)
    assert code == 1
    assert {f["line"] for f in findings if f["path"].endswith("main.py")} == {2}


def test_positional_only_parameters_cannot_take_inputs(make_repo, cli):
    root = repo_with(make_repo, "def main(greeting='world', /):\n    return 1\n")
    code, findings = validate_json(cli, root)
    (finding,) = findings
    assert code == 1
    assert finding["field"] == "inputs.greeting"
    assert "positional-only" in finding["message"]
    root = repo_with(make_repo, "def main(extra, /, greeting='world'):\n    return 1\n")
    code, findings = validate_json(cli, root)
    (finding,) = findings
    assert (finding["path"], finding["line"]) == ("automations/greeter/main.py", 1)
    assert "`extra` positional-only" in finding["message"]


def test_keyword_only_parameters_take_inputs(make_repo, cli):
    root = repo_with(make_repo, "def main(*, greeting):\n    return 1\n")
    assert validate_json(cli, root) == (0, [])
    root = repo_with(make_repo, "def main(*args, greeting='world', loud):\n    return 1\n")
    code, findings = validate_json(cli, root)
    assert code == 1
    assert [f["message"] for f in findings] == [
        "main() requires `loud`, which is not a declared input"
    ]


@pytest.mark.parametrize(
    "main_py",
    [
        "import functools\n\n\n@functools.cache\ndef main(other):\n    return 1\n",
        "from somewhere import main\n",
        "from somewhere import *\n",
        "import sys\nif sys.platform:\n    def main(other):\n        return 1\n",
        "class main:\n    def __init__(self, other):\n        pass\n",
        "def make():\n    return print\n\n\nmain = make()\n",
    ],
    ids=["decorated", "imported", "star-import", "conditional", "class", "assigned"],
)
def test_a_main_ast_cannot_follow_is_not_compared(make_repo, cli, main_py):
    root = repo_with(make_repo, main_py)
    assert validate_json(cli, root) == (0, [])


def test_only_python_automations_are_read(make_repo, cli):
    files = automation_files("greeter", runtime="shell", entrypoint="run.sh")
    files["automations/greeter/run.sh"] = "#!/bin/sh\necho hi\n"
    root = make_repo(files)
    assert validate_json(cli, root) == (0, [])


def test_policy_runs_the_same_check(make_repo, cli):
    root = base_repo(make_repo, "greeter")
    main_py = "def main(person):\n    return person\n"
    open_pr(root, {"automations/greeter/main.py": main_py})
    code, report = policy_json(cli, root, "--base", "main")
    assert code == 1
    found = {(f["path"], f["line"]) for f in by_check(report, "entrypoint-signature")}
    assert found == {
        ("automations/greeter/main.py", 1),
        ("automations/greeter/automation.yaml", yaml_line(root, "greeting:")),
    }


def test_verdicts_are_cached_by_content(make_repo, cli, tmp_path, monkeypatch):
    monkeypatch.setenv("AUTOKIT_CACHE_DIR", str(tmp_path / "cache"))
    root = repo_with(make_repo, "def main(person):\n    return person\n")
    assert cli("validate", "--repo", str(root)).code == 1
    (cache_file,) = (tmp_path / "cache" / "signatures").iterdir()
    stored = json.loads(cache_file.read_text())
    (entry,) = stored["entries"].values()
    assert entry[0]["params"] == [["person", "positional", False, None, False]]
    assert cli("validate", "--repo", str(root)).code == 1  # from the cache, the same
    (root / "automations/greeter/main.py").write_text("def main(greeting):\n    return 1\n")
    assert cli("validate", "--repo", str(root)).code == 0  # a new content is read again
    # A wrong entry (written by hand, or another version's) is read again, not trusted.
    stored = json.loads(cache_file.read_text())
    for entry in stored["entries"].values():
        entry[0]["params"] = [["greeting", "nonsense", 1]]
    cache_file.write_text(json.dumps(stored))
    assert validate_json(cli, root) == (0, [])


def test_read_main_keeps_only_literal_defaults():
    source = b"def main(a, b=1, *c, d='x', e=len, **f):\n    pass\n"
    summary, findings = read_main(source, "main.py")
    assert findings == []
    assert summary == {
        "line": 1,
        "kwargs": True,
        "params": [
            ["a", "positional", False, None, False],
            ["b", "positional", True, 1, True],
            ["d", "keyword-only", True, "x", True],
            ["e", "keyword-only", True, None, False],
        ],
    }


def test_the_run_path_does_not_read_signatures(make_repo, tmp_path):
    root = repo_with(make_repo, "def main(greeting='world'):\n    return 1\n")
    code = (
        "import sys\nfrom pathlib import Path\nfrom toolkit.metadata.cache import load_valid\n"
        "load_valid(Path(sys.argv[1]), Path(sys.argv[2]))\n"
        "print('toolkit.metadata.signature' in sys.modules)"
    )
    folder = root / "automations" / "greeter"
    warm = subprocess.run(
        [sys.executable, "-c", code, str(root), str(folder)],
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "AUTOKIT_CACHE_DIR": str(tmp_path / "cache")},
    )
    assert warm.stdout.strip() == "False"


def test_the_shipped_automations_match_their_mains(cli):
    """Every automation in this repository passes the check (they are its first users)."""
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent
    result = cli("validate", "--repo", str(root), "--format", "json")
    assert signature(json.loads(result.out)["findings"]) == []
