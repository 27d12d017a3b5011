"""Pinned requirements, read as pip reads them (PEP 508 via packaging) under autokit's policy."""

from __future__ import annotations

import random
import re
import subprocess
import sys

import pytest
from packaging.requirements import Requirement
from policy_support import base_repo, bumped, by_check, open_pr, policy_json
from test_metadata import BASE, METADATA, repo_with

from toolkit.metadata.requirements import pin_problem, requirement_lines
from toolkit.metadata.schema import PINNED_REQUIREMENT
from toolkit.run.testing import test_requirements as requirements_for_tests

TESTS_FILE = "automations/greeter/tests/requirements.txt"

PINNED = [
    "openpyxl==3.1.5",
    "requests == 2.31.0",  # whitespace around == is legal PEP 508
    "requests==\t2.31.0",
    "requests[socks]==2.31.0",
    "requests[socks, use_chardet_on_py3] == 2.31.0",
    "zope.interface==6.4",
    "Zope_Interface==6.4",
    "pytz==2024.1",
    "black==24.1a1",
    "foo==1.0.post1.dev2",
    "foo==1.0+ubuntu.1",
    "foo==v1.0",  # PEP 440 reads the 'v'
    "a==1",
]

NOT_PINNED = [
    ("requests==latest", "'latest' in 'requests==latest' is not a version"),
    ("requests==1..0", "'1..0' in 'requests==1..0' is not a version"),
    ("requests==", "'' in 'requests==' is not a version"),
    ("foo-==1.0", "'foo-' in 'foo-==1.0' is not a valid project name"),
    ("-foo==1.0", "is not a valid project name"),
    ("==1.0", "has no project name before '=='"),
    ("requests[socks,]==2.31.0", "'[socks,]' in 'requests[socks,]==2.31.0' is not a valid list"),
    ("requests[-x]==2.31.0", "is not a valid list of extras"),
    ("requests==2.31.0\n", "contains a line break"),
    ("requests==2.31.0\r", "contains a line break"),
    ("requests==2.31.0\x0c", "contains '\\x0c'"),
    ("requests==2.31.0\u2028", "contains '\\u2028'"),
    ("requests==2.31.\u0661", "contains '\u0661'"),
    ("requests>=2", "'requests>=2' is not pinned to an exact version"),
    ("requests", "'requests' is not pinned to an exact version"),
    ("requests==2.*", "is not pinned to an exact version"),
    ("requests===2.31.0", "is not pinned to an exact version"),
    ("requests~=2.31", "is not pinned to an exact version"),
    ("requests==2.31.0,==2.31.0", "has 2 version specifiers"),
    ("requests>=2,==2.31.0", "has 2 version specifiers"),
    ("requests @ https://example.com/requests.whl", "installs from a URL"),
    ("requests==2.31.0; python_version < '3.12'", "has an environment marker"),
    ("", "is not a valid requirement"),
]


@pytest.mark.parametrize("text", PINNED)
def test_pinned(text: str) -> None:
    assert pin_problem(text) is None


@pytest.mark.parametrize(("text", "words"), NOT_PINNED, ids=[t for t, _ in NOT_PINNED])
def test_not_pinned_says_which_part_and_how_to_fix_it(text: str, words: str) -> None:
    problem = pin_problem(text)
    assert problem is not None
    message, hint = problem
    assert words in message
    assert "e.g." in hint or "keep exactly one" in hint or "remove" in hint


def _plain_forms(count: int) -> list[str]:
    """Strings in the plain form that is accepted without reading it with packaging."""
    rng = random.Random(13)
    edge = "._-"
    alnum = "abcXYZ019"

    def name() -> str:
        middle = "".join(rng.choice(alnum + edge) for _ in range(rng.randint(0, 5)))
        return rng.choice(alnum) + (middle + rng.choice(alnum) if rng.random() < 0.8 else "")

    def version() -> str:
        text = ".".join(str(rng.randint(0, 120)) for _ in range(rng.randint(1, 4)))
        for part in ("a", "b", "rc"), (".post",), (".dev",):
            if rng.random() < 0.3:
                text += rng.choice(part) + str(rng.randint(0, 9))
        return text

    found = []
    while len(found) < count:
        extras = f"[{','.join(name() for _ in range(rng.randint(1, 3)))}]"
        found.append(f"{name()}{extras if rng.random() < 0.3 else ''}=={version()}")
    return found


def test_the_plain_form_is_pinned_as_packaging_reads_it() -> None:
    # The fast path must never accept what packaging and the policy refuse.
    for text in _plain_forms(3000):
        assert re.fullmatch(PINNED_REQUIREMENT, text), text
        requirement = Requirement(text)
        (specifier,) = requirement.specifier
        assert (specifier.operator, requirement.url, requirement.marker) == ("==", None, None)
    for text, _ in NOT_PINNED:
        assert not re.fullmatch(PINNED_REQUIREMENT, text), text


@pytest.mark.parametrize(
    ("written", "words"),
    [
        ("requests==latest", "'latest' in 'requests==latest' is not a version"),
        ("requests==1..0", "is not a version"),
        ("foo-==1.0", "is not a valid project name"),
        ("requests[socks,]==2.31.0", "is not a valid list of extras"),
        ('"requests==2.31.0\\n"', "contains a line break"),
        ("requests>=2", "is not pinned to an exact version"),
    ],
)
def test_validate_names_the_requirement_line_and_how_to_fix_it(make_repo, cli, written, words):
    root = repo_with(make_repo, BASE + f"requirements:\n  - openpyxl==3.1.5\n  - {written}\n")
    result = cli("validate", "--repo", str(root))
    assert result.code == 1, result
    assert "Traceback" not in result.out + result.err
    (line,) = [x for x in result.out.splitlines() if ": requirements[1]: " in x]
    assert line.startswith(f"{METADATA}:25:")
    assert words in line and line.endswith(")")


def test_validate_accepts_whitespace_around_the_equals(make_repo, cli) -> None:
    root = repo_with(make_repo, BASE + 'requirements: ["requests == 2.31.0"]\n')
    result = cli("validate", "--repo", str(root))
    assert result.code == 0, result


def _policy_findings(make_repo, cli, requirements=None, tests_file=None):
    root = base_repo(make_repo, "greeter")
    files = bumped("greeter", **({"requirements": requirements} if requirements else {}))
    if tests_file is not None:
        files[TESTS_FILE] = tests_file
    open_pr(root, files)
    code, report = policy_json(cli, root, "--base", "main")
    found = by_check(report, "pinned-requirements")
    return code, [(f["path"], f["line"], f["message"], f["hint"]) for f in found], report


def test_duplicates_that_differ_by_punctuation_or_case_are_found(make_repo, cli) -> None:
    requirements = ["zope.interface==6.4", "openpyxl==3.1.5", "Zope_Interface==6.4"]
    code, found, _ = _policy_findings(make_repo, cli, requirements)
    assert code == 1
    ((path, line, message, hint),) = found
    assert (path, message) == (
        "automations/greeter/automation.yaml",
        "zope-interface is listed twice",
    )
    assert "'zope.interface==6.4' is the same project" in hint
    assert line is not None and line > 1


def test_an_invalid_requirement_in_metadata_is_reported_once(make_repo, cli) -> None:
    code, found, report = _policy_findings(make_repo, cli, ["requests==latest"])
    assert code == 1 and found == []  # metadata-schema has it; one finding is enough
    (schema,) = [f for f in by_check(report, "metadata-schema") if f["field"] == "requirements[0]"]
    assert "'latest' in 'requests==latest' is not a version" in schema["message"]


def test_the_test_requirements_are_read_line_by_line(make_repo, cli) -> None:
    tests_file = (
        "\ufeffpytest==9.2.0\r\n"  # a byte-order mark, as Notepad writes it, and CRLF
        "freezegun == 1.5.1  # spaces are fine\n"
        "requests==latest\n"
        "\n"
        "FreezeGun==1.5.1\n"
        "-r other.txt\n"
        "openpyxl==3.1.4\n"
        "tzdata==2024.1\x0cextra\n"
    )
    code, found, _ = _policy_findings(make_repo, cli, ["openpyxl==3.1.5"], tests_file)
    assert code == 1
    lines = {line: (message, hint) for path, line, message, hint in found if path == TESTS_FILE}
    assert sorted(lines) == [3, 5, 6, 7, 8], found
    assert "'latest' in 'requests==latest' is not a version" in lines[3][0]
    assert lines[5] == (
        "freezegun is listed twice",
        "keep one pinned line ('freezegun == 1.5.1' is the same project)",
    )
    assert "pip options are not supported" in lines[6][0]
    assert "automation.yaml pins" in lines[7][0] and "'openpyxl==3.1.5'" in lines[7][1]
    assert "contains '\\x0c'" in lines[8][0]


def test_test_requirements_that_are_not_utf8_name_the_line(make_repo, cli) -> None:
    code, found, _ = _policy_findings(make_repo, cli, None, b"pytest==9.2.0\ncaf\xe9==1.0\n")  # type: ignore[arg-type]
    assert code == 1
    assert found == [(TESTS_FILE, 2, "is not valid UTF-8", "save it as UTF-8")]


def test_lines_are_read_as_pip_reads_them() -> None:
    text = "\ufeffa==1\r\n# comment\nb==2 # note\nc==3#not-a-comment\n\n  d==4\t\ne==5\x0cf"
    assert list(requirement_lines(text)) == [
        (1, "a==1"),
        (3, "b==2"),
        (4, "c==3#not-a-comment"),
        (6, "d==4"),
        (7, "e==5\x0cf"),  # a form feed does not end a line
    ]


def test_the_test_environment_reads_a_file_with_a_byte_order_mark(tmp_path) -> None:
    (tmp_path / "tests").mkdir()
    (tmp_path / "tests" / "requirements.txt").write_bytes(
        "\ufefffreezegun==1.5.1\r\n# c\nrequests == 2.31.0 # pinned\n".encode()
    )
    assert requirements_for_tests(tmp_path)[1:] == ["freezegun==1.5.1", "requests == 2.31.0"]


def test_plain_requirements_are_checked_without_importing_packaging() -> None:
    # validate and `autokit run` read metadata often; packaging costs tens of milliseconds
    script = (
        "import sys, yaml\n"
        "from toolkit.metadata import content_problems\n"
        f"data = yaml.safe_load({BASE!r})\n"
        "data['requirements'] = ['openpyxl==3.1.5', 'requests[socks]==2.31.0']\n"
        "assert content_problems(data) == []\n"
        "print('packaging' in sys.modules)\n"
    )
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    assert result.stdout.strip() == "False", result.stderr
