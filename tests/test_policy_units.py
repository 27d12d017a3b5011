"""Table-driven tests of the pure pieces behind the checks: no repository, no Git."""

from __future__ import annotations

import pkgutil
from pathlib import Path

import pytest

import toolkit.checks
from toolkit.changelog import section, sections
from toolkit.checks import CHECKS, check_ids, documentation
from toolkit.checks.breaking_inputs import breaking_changes, next_major
from toolkit.config import PolicyConfig
from toolkit.files import first_difference
from toolkit.findings import WARNING, Finding
from toolkit.policy import PolicyContext, Scope, automation_of
from toolkit.repo import Repository
from toolkit.versions import format_version, is_major_bump, parse_version, version_key

# ---------------------------------------------------------------------------
# The registry


def test_checks_keys_are_the_module_names_with_dashes():
    modules = {m.name for m in pkgutil.iter_modules(toolkit.checks.__path__)}
    assert sorted(check_id.replace("-", "_") for check_id in CHECKS) == sorted(modules)
    for check_id, check in CHECKS.items():
        assert getattr(check, "__name__", None) == f"toolkit.checks.{check_id.replace('-', '_')}"


@pytest.mark.parametrize("check_id", list(CHECKS))
def test_every_check_has_a_docstring_and_a_check_function(check_id):
    check = CHECKS[check_id]
    assert documentation(check), check_id
    assert callable(check.check)
    assert not hasattr(check, "CHECK"), "the id is the module name, written once"


def test_check_ids_are_the_registry_order():
    assert check_ids() == list(CHECKS)
    assert check_ids()[:2] == ["metadata-schema", "folder-layout"]


# ---------------------------------------------------------------------------
# Breaking changes to inputs, and the major-bump rule

TEXT = {"type": "string"}
REQUIRED_TEXT = {"type": "string", "required": True}


@pytest.mark.parametrize(
    ("before", "after", "expected"),
    [
        ({}, {}, []),
        ({"a": TEXT}, {"a": TEXT}, []),
        ({"a": TEXT}, {}, [("a", "input 'a' was removed")]),
        ({"a": TEXT}, {"a": "oops"}, [("a", "input 'a' was removed")]),
        (
            {"a": TEXT},
            {"a": {"type": "integer"}},
            [("a", "input 'a' changed type from string to integer")],
        ),
        ({"a": TEXT}, {"a": REQUIRED_TEXT}, [("a", "input 'a' became required")]),
        ({"a": REQUIRED_TEXT}, {"a": TEXT}, []),
        ({}, {"b": REQUIRED_TEXT}, [("b", "new input 'b' is required")]),
        ({}, {"b": TEXT}, []),
        ({"a": "not a spec"}, {}, []),
        (
            {"a": TEXT, "b": TEXT},
            {"b": {"type": "date"}, "c": REQUIRED_TEXT},
            [
                ("a", "input 'a' was removed"),
                ("b", "input 'b' changed type from string to date"),
                ("c", "new input 'c' is required"),
            ],
        ),
    ],
    ids=[
        "nothing",
        "unchanged",
        "removed",
        "no longer a spec",
        "retyped",
        "became required",
        "became optional",
        "new required",
        "new optional",
        "old not a spec",
        "several",
    ],
)
def test_breaking_changes(before, after, expected):
    assert breaking_changes(before, after) == expected


@pytest.mark.parametrize(
    ("before", "after", "major"),
    [
        ((1, 4, 2), (2, 0, 0), True),
        ((1, 4, 2), (1, 5, 0), False),
        ((1, 4, 2), (1, 4, 3), False),
        ((1, 4, 2), (3, 0, 0), True),
        ((0, 3, 1), (0, 4, 0), True),
        ((0, 3, 1), (0, 3, 2), False),
        ((0, 3, 1), (1, 0, 0), True),
        ((0, 0, 1), (0, 0, 2), False),
        ((2, 0, 0), (1, 9, 9), False),
    ],
)
def test_is_major_bump(before, after, major):
    assert is_major_bump(before, after) is major


@pytest.mark.parametrize(
    ("version", "expected"),
    [((1, 4, 2), "2.0.0"), ((0, 3, 1), "0.4.0"), ((0, 0, 7), "0.1.0"), ((9, 0, 0), "10.0.0")],
)
def test_next_major_is_the_smallest_major_bump(version, expected):
    bumped = next_major(version)
    assert format_version(bumped) == expected
    assert is_major_bump(version, bumped)


# ---------------------------------------------------------------------------
# CHANGELOG sections


@pytest.mark.parametrize(
    ("text", "version", "expected"),
    [
        ("## 1.0.0\n\n- First.\n", "1.0.0", "- First."),
        ("## [1.0.0]\n- Bracketed.\n", "1.0.0", "- Bracketed."),
        ("## v1.0.0\n- Prefixed.\n", "1.0.0", "- Prefixed."),
        ("## [v1.0.0]\n- Both.\n", "1.0.0", "- Both."),
        ("## 1.0.0 - 2026-11-26\n- Dated.\n", "1.0.0", "- Dated."),
        ("## [1.0.0] - 2026-11-26\n- Dated.\n", "1.0.0", "- Dated."),
        ("## 1.0.0\n- Real.\n## 1.0.0\n- Copied.\n", "1.0.0", "- Real."),
        ("## 1.0.0\n- A.\n### Fixed\n- B.\n", "1.0.0", "- A.\n### Fixed\n- B."),
        ("## 1.1.0\n- New.\n## 1.0.0\n- Old.\n", "1.1.0", "- New."),
        ("## 1.1.0\n- New.\n## 1.0.0\n- Old.\n", "1.0.0", "- Old."),
        ("## 1.0.0\n- Notes.\n# Appendix\n- Not notes.\n", "1.0.0", "- Notes."),
        ("## 1.0.0\n", "1.0.0", ""),
        ("# Changelog\n\n## 1.0.0\n- First.\n", "1.1.0", None),
        ("", "1.0.0", None),
        ("### 1.0.0\n- Too deep.\n", "1.0.0", None),
        ("##1.0.0\n- No space.\n", "1.0.0", None),
        ("## 1.0.00\n- Not this one.\n", "1.0.0", None),
        ("## 11.0.0\n- Not this one.\n", "1.0.0", None),
        ("Text about ## 1.0.0\n", "1.0.0", None),
    ],
    ids=[
        "plain",
        "bracketed",
        "v-prefixed",
        "bracketed and v-prefixed",
        "dated",
        "bracketed and dated",
        "duplicate: the first wins",
        "level-3 subheadings kept",
        "next heading ends a section",
        "a later section",
        "level-1 heading ends a section",
        "empty section",
        "no section for the version",
        "empty file",
        "level-3 heading is not a section",
        "no space after ##",
        "a longer number",
        "a longer major",
        "not at the start of a line",
    ],
)
def test_changelog_section(text, version, expected):
    assert section(text, version) == expected


def test_changelog_sections_in_file_order():
    text = "# Changelog\n\n## 1.1.0\n- New.\n\n## [1.0.0] - 2026-01-02\n- Old.\n"
    assert list(sections(text).items()) == [("1.1.0", "- New."), ("1.0.0", "- Old.")]


# ---------------------------------------------------------------------------
# Versions


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("1.4.2", (1, 4, 2)),
        ("0.0.0", (0, 0, 0)),
        ("10.20.30", (10, 20, 30)),
        ("01.2.3", None),
        ("1.02.3", None),
        ("1.2.03", None),
        ("1.2.3-rc.1", None),
        ("1.2.3+build.5", None),
        ("v1.2.3", None),
        ("1.2", None),
        ("1.2.3.4", None),
        (" 1.2.3", None),
        ("1.2.3 ", None),
        ("", None),
        ("\u0661.\u0662.\u0663", None),  # Arabic-Indic digits: \d matches them, int() reads them
        ("\uff11.\uff12.\uff13", None),  # fullwidth digits
        ("1.2.\u0663", None),
        (None, None),
        (1, None),
        (1.2, None),
        ((1, 2, 3), None),
        (b"1.2.3", None),
        (["1.2.3"], None),
    ],
    ids=repr,
)
def test_parse_version(value, expected):
    assert parse_version(value) == expected


@pytest.mark.parametrize(
    ("versions", "ordered"),
    [
        (["1.10.0", "1.9.0", "1.2.0"], ["1.2.0", "1.9.0", "1.10.0"]),
        (["2.0.0", "not-a-version", "0.1.0"], ["not-a-version", "0.1.0", "2.0.0"]),
    ],
)
def test_version_key_sorts_numerically_and_unparsable_first(versions, ordered):
    assert sorted(versions, key=version_key) == ordered


# ---------------------------------------------------------------------------
# Paths and generated files


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("automations/greeter/main.py", "greeter"),
        ("automations/greeter/tests/test_main.py", "greeter"),
        ("automations/greeter", None),
        ("automations", None),
        (".github/CODEOWNERS", None),
        ("docs/automations/greeter/x.md", None),
    ],
)
def test_automation_of(path, expected):
    assert automation_of(path) == expected


@pytest.mark.parametrize(
    ("actual", "expected", "line"),
    [
        ("a\nb\nc\n", "a\nB\nc\n", 2),
        ("a\nb\n", "a\nb\nc\n", 3),
        ("a\nb\nc\n", "a\n", 2),
        ("", "a\n", 1),
        ("x\n", "y\n", 1),
    ],
)
def test_first_difference(actual, expected, line):
    assert first_difference(actual, expected) == line


# ---------------------------------------------------------------------------
# Findings built through the context


def test_context_findings_carry_the_current_check_and_a_relative_path(tmp_path: Path):
    ctx = PolicyContext(Repository(tmp_path), Scope(), None, PolicyConfig())
    ctx.check_id = "file-size"
    finding = ctx.finding(tmp_path / "automations" / "x" / "big.bin", "too big", line=3)
    assert finding == Finding("automations/x/big.bin", 3, None, "file-size", "error", "too big")
    warning = ctx.finding(".github/CODEOWNERS", "stale", "regenerate", severity=WARNING)
    assert (warning.path, warning.severity, warning.hint) == (
        ".github/CODEOWNERS",
        WARNING,
        "regenerate",
    )


def test_metadata_findings_point_at_the_field_line(tmp_path: Path):
    folder = tmp_path / "automations" / "greeter"
    folder.mkdir(parents=True)
    (folder / "automation.yaml").write_text("name: greeter\nversion: 1.0.0\nowners:\n  - '@a'\n")
    ctx = PolicyContext(Repository(tmp_path), Scope(modified=["greeter"]), None, PolicyConfig())
    ctx.check_id = "owners"
    version = ctx.metadata_finding("greeter", "version", "too low", "raise it")
    owner = ctx.metadata_finding("greeter", "owners", "bad", "fix", keys=("owners", 0))
    assert (version.path, version.line, version.field) == (
        "automations/greeter/automation.yaml",
        2,
        "version",
    )
    assert (owner.line, owner.check) == (4, "owners")


def test_policy_package_re_exports_resolve_to_their_modules():
    import importlib

    import toolkit.policy

    for module_name, names in toolkit.policy._EXPORTS.items():
        for name in names:
            assert getattr(toolkit.policy, name) is getattr(
                importlib.import_module(module_name), name
            )
    with pytest.raises(AttributeError):
        toolkit.policy.not_a_name  # noqa: B018
