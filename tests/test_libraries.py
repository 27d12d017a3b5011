"""Shared libraries: declared by automations, imported by runs and tests, validated."""

from __future__ import annotations

import json
import textwrap

import pytest
import yaml
from helpers import automation_files, build_tree, commit_all, git, library_files

USES_GREET = textwrap.dedent(
    """
    from shopkit import greet


    def main(greeting: str = "world") -> dict[str, str]:
        return {"message": greet(greeting)}
    """
)


def using(name: str, *libraries: str, code: str = USES_GREET, **overrides) -> dict[str, str]:
    files = automation_files(name, libraries=list(libraries), **overrides)
    files[f"automations/{name}/main.py"] = code
    files[f"automations/{name}/tests/test_main.py"] = (
        "from main import main\n\n\ndef test_greets():\n"
        "    assert main(greeting='x') == {'message': 'hello x'}\n"
    )
    return files


def run_json(cli, root, spec: str, *extra: str):
    result = cli("run", spec, "--repo", str(root), "--format", "json", *extra)
    return result, (json.loads(result.out) if result.out.strip() else None)


def test_a_run_imports_the_working_trees_library(make_repo, cli) -> None:
    root = make_repo({**library_files("shopkit"), **using("greeter", "shopkit")})
    result, report = run_json(cli, root, "greeter", "--input", "greeting=shop")
    assert result.code == 0, result
    assert report["result"] == {"message": "hello shop"}


def test_a_pinned_run_imports_the_library_as_in_its_commit(make_repo, cli) -> None:
    root = make_repo({**library_files("shopkit"), **using("greeter", "shopkit")})
    git(root, "tag", "greeter@1.0.0")
    changed = library_files("shopkit", "def greet(who):\n    return f'bye {who}'\n")
    build_tree(root, changed)
    commit_all(root, "library changed")
    result, report = run_json(cli, root, "greeter@1.0.0", "--input", "greeting=a")
    assert result.code == 0, result
    assert report["result"] == {"message": "hello a"}  # the tag's commit, not HEAD's
    result, report = run_json(cli, root, "greeter", "--input", "greeting=a")
    assert report["result"] == {"message": "bye a"}


def test_a_versioned_reference_imports_the_tagged_library(make_repo, cli) -> None:
    root = make_repo({**library_files("shopkit"), **using("greeter", "shopkit@1.0.0")})
    git(root, "tag", "shopkit@1.0.0")
    build_tree(
        root, library_files("shopkit", "def greet(who):\n    return 'new'\n", version="2.0.0")
    )
    commit_all(root, "shopkit 2")
    result, report = run_json(cli, root, "greeter", "--input", "greeting=b")
    assert result.code == 0, result
    assert report["result"] == {"message": "hello b"}


def test_a_version_never_tagged_is_a_clear_error(make_repo, cli) -> None:
    root = make_repo({**library_files("shopkit"), **using("greeter", "shopkit@1.4.0")})
    git(root, "tag", "shopkit@1.0.0")
    result = cli("run", "greeter", "--repo", str(root))
    assert result.code == 1
    assert "shopkit has no version 1.4.0 (no Git tag shopkit@1.4.0)" in result.err
    assert "1.0.0" in result.err and "Traceback" not in result.err
    result = cli("validate", "--repo", str(root))
    assert result.code == 1
    assert "automations/greeter/automation.yaml:" in result.out
    assert "libraries[0]: shopkit has no version 1.4.0" in result.out


def test_a_library_that_does_not_exist_suggests_the_closest(make_repo, cli) -> None:
    root = make_repo({**library_files("shopkit"), **using("greeter", "shopkti")})
    result = cli("run", "greeter", "--repo", str(root))
    assert result.code == 1
    assert "there is no libraries/shopkti/" in result.err and "shopkit" in result.err
    result = cli("validate", "--repo", str(root))
    assert result.code == 1
    lines = [line for line in result.out.splitlines() if "libraries[0]" in line]
    assert lines and "there is no library 'shopkti'" in lines[0] and "shopkit" in lines[0]


def test_conflicting_pins_name_both(make_repo, cli) -> None:
    files = {
        **library_files("shopkit", requirements=["openpyxl==3.1.2"]),
        **library_files("mailkit", requirements=["openpyxl==3.1.5"]),
        **using("greeter", "shopkit", "mailkit"),
    }
    root = make_repo(files)
    result = cli("run", "greeter", "--repo", str(root), "--dry-run")
    assert result.code == 1
    assert "shopkit 1.0.0 needs openpyxl==3.1.2" in result.err
    assert "mailkit 1.0.0 needs openpyxl==3.1.5" in result.err
    result = cli("validate", "--repo", str(root))
    assert result.code == 1 and "needs openpyxl==3.1.5" in result.out


def test_a_library_may_use_another_but_not_in_a_cycle(make_repo, cli) -> None:
    helper = "from textkit import shout\n\n\ndef greet(who):\n    return shout(f'hello {who}')\n"
    files = {
        **library_files("shopkit", helper, libraries=["textkit"]),
        **library_files("textkit", "def shout(text):\n    return text.upper()\n"),
        **using("greeter", "shopkit"),
    }
    root = make_repo(files)
    result, report = run_json(cli, root, "greeter", "--input", "greeting=x")
    assert result.code == 0, result
    assert report["result"] == {"message": "HELLO X"}
    build_tree(
        root, library_files("textkit", "def shout(t):\n    return t\n", libraries=["shopkit"])
    )
    result = cli("run", "greeter", "--repo", str(root))
    assert result.code == 1
    assert "cycle: shopkit -> textkit -> shopkit" in result.err
    result = cli("validate", "--repo", str(root))
    assert result.code == 1 and "cycle" in result.out


def test_an_automation_and_a_library_may_not_share_a_name(make_repo, cli) -> None:
    root = make_repo({**library_files("greeter"), **automation_files("greeter")})
    result = cli("validate", "--repo", str(root))
    assert result.code == 1
    assert "libraries/greeter/library.yaml:" in result.out
    assert "is also the name of an automation" in result.out


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({"version": "1.0"}, "library.yaml:4"),
        ({"owners": []}, "owners"),
        ({"summary": None}, "summary: is required"),
        ({"requirements": ["openpyxl>=3"]}, "requirements[0]"),
        ({"colour": "red"}, "colour: is not a known field"),
        ({"title": "Shop\nKit"}, "title: must be a single line"),
    ],
)
def test_bad_library_metadata_is_reported_at_its_line(make_repo, cli, change, expected) -> None:
    root = make_repo({**library_files("shopkit", **change), **using("greeter", "shopkit")})
    result = cli("validate", "--repo", str(root))
    assert result.code == 1, result
    assert "libraries/shopkit/library.yaml:" in result.out
    assert expected in result.out
    assert "Traceback" not in result.out + result.err


def test_a_library_without_its_package_is_reported(make_repo, cli) -> None:
    files = library_files("shopkit")
    del files["libraries/shopkit/shopkit/__init__.py"]
    files["libraries/shopkit/shop.py"] = "x = 1\n"
    root = make_repo(files)
    result = cli("validate", "--repo", str(root))
    assert result.code == 1
    assert "the library's package shopkit/__init__.py is missing" in result.out


def test_a_shell_automation_cannot_declare_libraries(make_repo, cli) -> None:
    files = automation_files("tidy", runtime="shell", entrypoint="run.sh", libraries=["shopkit"])
    files["automations/tidy/run.sh"] = "#!/bin/sh\necho hi\n"
    root = make_repo({**files, **library_files("shopkit")})
    result = cli("validate", "--repo", str(root))
    assert result.code == 1
    assert "a shell automation cannot import Python libraries" in result.out


def test_autokit_test_runs_a_library_and_its_users(make_repo, cli) -> None:
    library_tests = (
        "from shopkit import greet\n\n\ndef test_greet():\n    assert greet('a') == 'hello a'\n"
    )
    root = make_repo(
        {**library_files("shopkit", tests=library_tests), **using("greeter", "shopkit")}
    )
    result = cli("test", "shopkit", "greeter", "--repo", str(root), "--format", "json")
    assert result.code == 0, result
    report = json.loads(result.out)
    assert [(r["name"], r["counts"].get("passed")) for r in report["results"]] == [
        ("shopkit", 1),
        ("greeter", 1),
    ]


def test_changed_lists_the_automations_using_a_changed_library(make_repo, cli) -> None:
    files = {
        **library_files("shopkit"),
        **library_files("textkit", "def shout(t):\n    return t\n"),
        **using("greeter", "shopkit"),
        **using("pinned", "shopkit@1.0.0"),
        **using("indirect", "textkit"),
        **automation_files("plain"),
    }
    files["libraries/textkit/library.yaml"] = yaml.safe_dump(
        {
            "name": "textkit",
            "summary": "Text.",
            "version": "1.0.0",
            "owners": ["@bob"],
            "libraries": ["shopkit"],
        }
    )
    root = make_repo(files)
    build_tree(root, {"libraries/shopkit/shopkit/extra.py": "X = 1\n"})
    commit_all(root, "shopkit grows")
    result = cli("changed", "--repo", str(root), "--base", "HEAD~1", "--format", "json")
    assert result.code == 0, result
    report = json.loads(result.out)
    assert report["libraries"] == ["shopkit"]
    assert report["uses_changed_libraries"] == {"greeter": ["shopkit"], "indirect": ["shopkit"]}
    assert report["automations"] == ["greeter", "indirect"]
    assert report["tests"] == ["shopkit", "greeter", "indirect"]
    assert report["other_paths"] == [] and report["any"] is True


def library_pr(make_repo, cli, new_code: str, version: str, repo_name: str = "repo"):
    from policy_support import PYPROJECT, codeowners_text, open_pr, policy_json

    files = {**library_files("shopkit"), "pyproject.toml": PYPROJECT}
    files[".github/CODEOWNERS"] = codeowners_text({}) + "/libraries/shopkit/ @alice\n"
    root = make_repo(files, name=repo_name)
    changed = library_files("shopkit", new_code, version=version)
    changed["libraries/shopkit/CHANGELOG.md"] = f"# Changelog\n\n## {version}\n\n- Changed.\n"
    if version == "1.0.0":
        del changed["libraries/shopkit/CHANGELOG.md"]
    open_pr(root, changed)
    code, report = policy_json(cli, root, "--base", "main")
    return code, [f for f in report["findings"] if f["check"] == "library-rules"]


def test_a_library_change_without_a_bump_fails(make_repo, cli) -> None:
    code, findings = library_pr(make_repo, cli, "def greet(who):\n    return who\n", "1.0.0")
    assert code == 1
    assert any("version is still 1.0.0" in f["message"] for f in findings), findings
    assert findings[0]["path"] == "libraries/shopkit/library.yaml"


def test_a_removed_public_function_with_a_minor_bump_fails(make_repo, cli) -> None:
    code, findings = library_pr(
        make_repo, cli, '__all__ = ["wave"]\n\n\ndef wave():\n    pass\n', "1.1.0"
    )
    assert code == 1
    messages = " ".join(f["message"] for f in findings)
    assert "needs a major version" in messages and "greet was removed or renamed" in messages
    major = '__all__ = ["wave"]\n\n\ndef wave():\n    pass\n'
    code, findings = library_pr(make_repo, cli, major, "2.0.0", repo_name="major")
    assert code == 0, findings


def test_a_new_required_parameter_is_breaking(make_repo, cli) -> None:
    code, findings = library_pr(
        make_repo, cli, '__all__ = ["greet"]\n\n\ndef greet(who, shop):\n    return who\n', "1.0.1"
    )
    assert code == 1
    assert any("new required parameter 'shop'" in f["message"] for f in findings), findings


def test_changed_never_reads_a_linked_metadata_file(make_repo, cli, tmp_path) -> None:
    outside = tmp_path / "elsewhere-shopkit.yaml"
    outside.write_text("libraries: [shopkit]\n", encoding="utf-8")
    root = make_repo({**library_files("shopkit"), **using("greeter", "shopkit")})
    linked = root / "automations" / "sneaky"
    linked.mkdir()
    (linked / "automation.yaml").symlink_to(outside)
    build_tree(root, {"libraries/shopkit/shopkit/extra.py": "X = 1\n"})
    commit_all(root, "shopkit grows, and a linked metadata file")
    result = cli("changed", "--repo", str(root), "--base", "HEAD~1", "--format", "json")
    assert result.code == 0, result
    assert json.loads(result.out)["uses_changed_libraries"] == {"greeter": ["shopkit"]}


@pytest.mark.parametrize(
    ("text", "plain"),
    [
        ("libraries: [shopkit]", ["shopkit"]),
        ("libraries: [a, b@1.2.0] # mail and tables", ["a", "b@1.2.0"]),
        ("libraries: []", []),
        ("libraries: [a, b]  ", ["a", "b"]),
        ("libraries:\n  - a", None),
        ('libraries: ["a"]', None),
        ("libraries: &shared [a]", None),
        ("x: 1\nlibraries: [a]\nlibraries: [b]", None),
        ("libraries: [a, ]", None),
        ("libraries: [A]", None),
        ("librariesx: [a]", None),
        ("name: x", None),
    ],
)
def test_the_plain_reading_of_libraries_agrees_with_yaml_or_leaves_it_to_yaml(
    text: str, plain: list[str] | None
) -> None:
    """`autokit changed` reads the usual one-line list without a YAML parser; every other
    way of writing it goes to the parser, so the two never disagree."""
    from toolkit.libraries import plain_library_list

    assert plain_library_list(text) == plain
    if plain is not None:
        assert plain == yaml.safe_load(text)["libraries"]


def test_validate_takes_library_paths_and_names_the_line(make_repo, cli) -> None:
    root = make_repo({**library_files("shopkit"), **library_files("textkit")})
    library = root / "libraries" / "shopkit" / "library.yaml"
    library.write_text(library.read_text().replace("version: 1.0.0", "version: '1.0'"))

    one = cli("validate", "--repo", str(root), str(root / "libraries" / "textkit"))
    assert one.code == 0 and "1 library checked, 0 problem(s): all valid" in one.err
    broken = cli("validate", "--repo", str(root), str(library))
    assert broken.code == 1
    assert "libraries/shopkit/library.yaml:4:" in broken.out and "version" in broken.out
    every = cli("validate", "--repo", str(root), str(root / "libraries"))
    assert "2 libraries checked, 1 problem(s)" in every.err
    missing = cli("validate", "--repo", str(root), str(root / "libraries" / "mailkit"))
    assert missing.code == 1 and "libraries/mailkit: no such library folder" in missing.err
    gone = cli("validate", "--repo", str(root), str(root / "libraries" / "textkit" / "x.py"))
    assert gone.code == 1 and "no such file or folder" in gone.err


def test_the_public_api_follows_the_packages_own_absolute_imports() -> None:
    from toolkit.libraries.api import public_api

    modules = {
        "": "from textkit.words import shout\nfrom os.path import join\n"
        "__all__ = ['shout', 'join']\n",
        "words": 'def shout(text, *, times=1):\n    """Louder."""\n    return text.upper()\n',
    }
    api = public_api(modules.get, "textkit")
    assert api["shout"].signature == "shout(text, *, times=1)"
    assert api["shout"].docstring == "Louder."
    assert api["join"].kind == "value"  # another package's name is not followed
    assert public_api(modules.get)["shout"].kind == "value"  # without the package's name
