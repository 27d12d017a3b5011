"""Bounded YAML reading: alias bombs, deep nesting and huge files, in every command.

A few hundred bytes of YAML can ask a reader to build billions of values (aliases that
repeat aliases) or to recurse ten thousand levels; a 50 MB file asks it to read 50 MB.
Each is refused with the file, the line where a limit is crossed and a hint, quickly
and in little memory, by every command that reads metadata, and detect-secrets scans
such a file as plain text instead of parsing it.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
from catalog_repo import site_files
from helpers import automation_files, build_tree, commit_all, git
from policy_support import (
    base_repo,
    by_check,
    codeowners_text,
    metadata_yaml,
    open_pr,
    policy_json,
)

from toolkit.errors import ToolkitError
from toolkit.inputs import load_inputs_file
from toolkit.metadata.yamlfile import (
    MAX_DEPTH,
    MAX_NODES,
    LineIndex,
    YamlProblem,
    compose,
    parse_mapping,
    parse_value,
)
from toolkit.repo import Repository
from toolkit.schedule import SCHEDULED_WORKFLOW, workflow_crons

MB = 1024 * 1024
AWS_KEY_LINE = 'aws_key: "AKIAIOSFODNN7EXAMPLE"'  # the documented example key


def alias_bomb_lines(indent: str = "      ") -> list[str]:
    """The billion laughs: nine lists, each of nine aliases to the one before (9**9 values)."""
    lines = [f"{indent}- &a [lol, lol, lol, lol, lol, lol, lol, lol, lol]"]
    for before, name in zip("abcdefgh", "bcdefghi", strict=True):
        lines.append(f"{indent}- &{name} [{', '.join([f'*{before}'] * 9)}]")
    return lines


def with_choice_bomb(text: str) -> str:
    """Metadata with the bomb in the `choices` and `default` of a choice input."""
    block = ["  mode:", "    type: choice", "    description: Mode", "    choices:"]
    block += [*alias_bomb_lines(), "    default: *i"]
    return text.replace("inputs:\n", "inputs:\n" + "\n".join(block) + "\n", 1)


def with_deep_default(text: str, levels: int = 10_000) -> str:
    """Metadata whose string input defaults to `levels` nested lists."""
    return text.replace("default: world", f"default: {'[' * levels}{']' * levels}", 1)


def with_huge_comment(text: str, size: int = 50 * MB) -> str:
    line = "# " + "x" * 97 + "\n"
    return text + line * (size // len(line))


def line_of(text: str, marker: str) -> int:
    return next(n for n, line in enumerate(text.splitlines(), 1) if marker in line)


BOMBS = {
    "alias-bomb": with_choice_bomb,
    "deep-bomb": with_deep_default,
    "huge-file": with_huge_comment,
}


def bombed(name: str) -> str:
    return BOMBS[name](metadata_yaml(name))


def expected_location(name: str) -> tuple[int, str]:
    """The line each bomb is refused at, and words of the message."""
    text = bombed(name)
    if name == "alias-bomb":
        # a to e add up to 66,430 values; the first `*e` inside `&f` crosses 100,000
        return line_of(text, "- &f ["), "the alias `*e` here takes the file past 100,000 values"
    if name == "deep-bomb":
        return line_of(text, "default: [[["), "nested more than 100 levels deep"
    return 1, "over the 1 MiB limit"


# --- the reader itself --------------------------------------------------------------------


def test_the_alias_bomb_is_refused_at_the_alias_that_crosses_the_limit() -> None:
    text = bombed("alias-bomb")
    assert len("\n".join(alias_bomb_lines("")).encode()) < 800
    started = time.perf_counter()
    with pytest.raises(YamlProblem) as caught:
        parse_mapping(text)
    assert time.perf_counter() - started < 2  # it expands nothing
    problem = caught.value
    line, words = expected_location("alias-bomb")
    assert (problem.line, problem.field) == (line, "inputs.mode.choices")
    assert words in problem.message
    assert text.splitlines()[line - 1][problem.column - 1 :].startswith("*e")
    assert "aliases" in problem.hint


def test_ten_thousand_levels_are_refused_where_level_101_opens() -> None:
    text = "name: deep\nvalue: " + "[" * 10_000 + "]" * 10_000 + "\n"
    with pytest.raises(YamlProblem) as caught:
        parse_mapping(text)
    problem = caught.value
    # the top-level mapping is level 1, so the hundredth bracket opens level 101
    assert (problem.line, problem.column, problem.field) == (2, len("value: ") + 100, "value")
    assert problem.message == f"nested more than {MAX_DEPTH} levels deep"
    assert "flatten" in problem.hint


def test_deep_block_nesting_is_refused_at_its_line() -> None:
    text = "".join(" " * level + "key:\n" for level in range(300)) + " " * 300 + "end\n"
    with pytest.raises(YamlProblem) as caught:
        parse_mapping(text)
    assert caught.value.line == MAX_DEPTH + 1
    assert caught.value.message == f"nested more than {MAX_DEPTH} levels deep"


def test_an_alias_that_deepens_the_file_past_the_limit_is_named() -> None:
    text = "a: &deep " + "[" * 60 + "]" * 60 + "\nb: " + "[" * 50 + "*deep" + "]" * 50 + "\n"
    with pytest.raises(YamlProblem) as caught:
        parse_mapping(text)
    problem = caught.value
    assert (problem.line, problem.column, problem.field) == (2, len("b: ") + 51, "b")
    assert "the alias `*deep` here nests the file more than 100 levels deep" in problem.message


def test_an_alias_inside_the_collection_it_names_is_endless() -> None:
    with pytest.raises(YamlProblem) as caught:
        parse_mapping("name: x\nloop: &self [1, *self]\n")
    assert (caught.value.line, caught.value.column) == (2, len("loop: &self [1, ") + 1)
    assert "`*self` is inside the value it names" in caught.value.message


def test_a_long_file_over_the_value_limit_is_refused_before_it_is_composed() -> None:
    text = "values: [" + ",".join(["v"] * 300_000) + "]\n"
    started = time.perf_counter()
    with pytest.raises(YamlProblem) as caught:
        parse_mapping(text)
    assert time.perf_counter() - started < 5  # composing all of it takes seconds
    assert caught.value.message == f"the file holds more than {MAX_NODES:,} values"


def values_via_aliases(total: int) -> str:
    """A short file that expands, through aliases, to exactly `total` values."""
    # root mapping 1, key a 1, list a 100, key b 1, list b 1: 104 before b's items
    copies, extra = divmod(total - 104, 100)
    items = ["*a"] * copies + ["y"] * extra
    return f"a: &a [{', '.join(['x'] * 99)}]\nb: [{', '.join(items)}]\n"


@pytest.mark.parametrize("text_of", [values_via_aliases, lambda n: values_inline(n)])
def test_the_value_limit_is_exact(text_of) -> None:
    data = parse_mapping(text_of(MAX_NODES))
    assert data
    with pytest.raises(YamlProblem, match="100,000 values"):
        parse_mapping(text_of(MAX_NODES + 1))


def values_inline(total: int) -> str:
    """A long file (measured event by event first) of exactly `total` values."""
    return "x: [" + ",".join(["v"] * (total - 3)) + "]\n"  # mapping, key, list: 3


def test_the_depth_limit_is_exact() -> None:
    at_limit = "[" * MAX_DEPTH + "]" * MAX_DEPTH
    value = parse_value(at_limit)
    depth = 0
    while isinstance(value, list):
        depth += 1
        value = value[0] if value else None
    assert depth == MAX_DEPTH
    with pytest.raises(YamlProblem, match="nested more than 100 levels"):
        parse_value("[" + at_limit + "]")


def test_ordinary_aliases_and_merges_still_work() -> None:
    text = "base: &base {owner: '@alice', tags: [a, b]}\ncopy: *base\nmerged: {<<: *base, x: 1}\n"
    data = parse_mapping(text)
    assert data["copy"] == {"owner": "@alice", "tags": ["a", "b"]}
    assert data["merged"] == {"owner": "@alice", "tags": ["a", "b"], "x": 1}


def test_text_over_the_size_limit_is_refused_unparsed() -> None:
    with pytest.raises(YamlProblem, match="over the 1 MiB limit"):
        parse_mapping("# " + "x" * MB + "\nname: x\n")


def test_a_line_index_of_a_bomb_has_no_lines_rather_than_expanding() -> None:
    index = LineIndex(bombed("alias-bomb"))
    assert index.locate(["inputs", "mode", "default"]).line == 1
    with pytest.raises(YamlProblem):
        compose(bombed("alias-bomb"))


def test_an_inputs_file_with_a_bomb_is_refused_with_its_line(tmp_path: Path) -> None:
    bomb = tmp_path / "inputs.yaml"
    bomb.write_text("mode:\n" + "\n".join(alias_bomb_lines("  ")) + "\n")
    with pytest.raises(ToolkitError) as caught:
        load_inputs_file(bomb)
    assert f"{bomb}:7:" in str(caught.value)
    assert "100,000 values" in str(caught.value)
    deep = tmp_path / "inputs.json"
    deep.write_text('{"x": ' + "[" * 100_000 + "]" * 100_000 + "}")
    with pytest.raises(ToolkitError, match="nested too deeply"):
        load_inputs_file(deep)


def test_a_bombed_scheduled_workflow_names_no_crons(tmp_path: Path) -> None:
    workflow = tmp_path / SCHEDULED_WORKFLOW
    workflow.parent.mkdir(parents=True)
    bomb = "on:\n  schedule:\n    - cron: '0 7 * * *'\njunk:\n" + "\n".join(alias_bomb_lines("  "))
    workflow.write_text(bomb + "\n")
    (tmp_path / "automations").mkdir()
    assert workflow_crons(Repository(tmp_path)) == set()
    workflow.write_text("on:\n  schedule:\n    - cron: '0 7 * * *'\n")
    assert workflow_crons(Repository(tmp_path)) == {"0 7 * * *"}


# --- every command, on a real repository ----------------------------------------------------


@pytest.fixture(scope="module")
def bombed_repo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """`main` with one good automation and the catalog's site files; the branch `pr`
    adds the three bombed automations, each otherwise complete."""
    root = tmp_path_factory.mktemp("bombs") / "repo"
    build_tree(root, automation_files("good"))
    site_files(root)
    git(root, "init", "-q", "-b", "main")
    commit_all(root, "initial")
    git(root, "checkout", "-q", "-b", "pr")
    files: dict[str, str | bytes] = {}
    for name in BOMBS:
        files.update(automation_files(name))
        files[f"automations/{name}/automation.yaml"] = bombed(name)
    files[".github/CODEOWNERS"] = codeowners_text({n: ["@alice"] for n in ["good", *BOMBS]})
    build_tree(root, files)
    commit_all(root, "add the bombs")
    return root


def assert_names_each_bomb(output: str, names: list[str]) -> None:
    assert "Traceback" not in output
    for name in names:
        line, words = expected_location(name)
        assert f"automations/{name}/automation.yaml:{line}:" in output, output
        assert words in output, output


@pytest.mark.parametrize("name", list(BOMBS))
@pytest.mark.parametrize(
    "command",
    [("show", "{name}", "--format", "json"), ("run", "{name}", "--dry-run"), ("test", "{name}")],
    ids=["show", "run", "test"],
)
def test_commands_on_one_automation_refuse_it(bombed_repo, cli, name, command) -> None:
    args = [part.format(name=name) for part in command]
    result = cli("--repo", str(bombed_repo), *args)
    assert result.code == 1, result
    assert_names_each_bomb(result.out + result.err, [name])


@pytest.mark.parametrize("command", [("validate",), ("schedule", "render", "--check")])
def test_commands_on_every_automation_name_each_bomb(bombed_repo, cli, command) -> None:
    result = cli("--repo", str(bombed_repo), *command)
    assert result.code == 1, result
    assert_names_each_bomb(result.out + result.err, ["alias-bomb", "deep-bomb", "huge-file"])


@pytest.mark.parametrize("command", [("list",), ("search", "does")])
def test_list_and_search_leave_the_bombs_out_and_say_so(bombed_repo, cli, command) -> None:
    result = cli("--repo", str(bombed_repo), *command)
    assert result.code == 0, result  # as for any invalid metadata: the rest still lists
    assert "good" in result.out
    for name in BOMBS:
        assert f"automations/{name}/automation.yaml" in result.err
        assert name not in result.out


def test_policy_reports_each_bomb_at_its_line(bombed_repo, cli) -> None:
    code, report = policy_json(cli, bombed_repo, "--base", "main")
    assert code == 1
    schema = {f["path"]: f for f in by_check(report, "metadata-schema")}
    for name in BOMBS:
        finding = schema[f"automations/{name}/automation.yaml"]
        line, words = expected_location(name)
        assert (finding["line"], finding["severity"]) == (line, "error")
        assert words in finding["message"]


# --- detect-secrets never parses what the bounded reader refused ----------------------------


@pytest.mark.parametrize(
    "content",
    [
        "mode:\n" + "\n".join(alias_bomb_lines("  ")) + "\n",
        "deep: " + "[" * 10_000 + "]" * 10_000 + "\n",
        "a: &self [1, *self]\n",
        "ok: [1, 2]\n",  # within the limits: read by detect-secrets' YAML parser as before
    ],
    ids=["alias-bomb", "deep", "endless", "ordinary"],
)
def test_a_secret_in_a_yaml_file_is_found_whatever_the_file_holds(make_repo, cli, content):
    root = base_repo(make_repo, "greeter")
    example = f"# sample settings\n{AWS_KEY_LINE}\n{content}"
    open_pr(root, {"automations/greeter/examples/settings.yaml": example})
    code, report = policy_json(cli, root, "--base", "main")
    assert code == 1
    findings = by_check(report, "hardcoded-secrets")
    assert [(f["path"], f["line"]) for f in findings] == [
        ("automations/greeter/examples/settings.yaml", 2)
    ]
    assert "AWS Access Key" in findings[0]["message"]


def test_a_bomb_in_a_non_utf8_yaml_file_is_scanned_as_text(make_repo, cli) -> None:
    root = base_repo(make_repo, "greeter")
    content = "# caf\xe9\n" + AWS_KEY_LINE + "\nmode:\n" + "\n".join(alias_bomb_lines("  "))
    open_pr(root, {"automations/greeter/config.yml": content.encode("latin-1")})
    code, report = policy_json(cli, root, "--base", "main")
    assert code == 1
    findings = by_check(report, "hardcoded-secrets")
    assert [(f["path"], f["line"]) for f in findings] == [("automations/greeter/config.yml", 2)]


# --- time and memory, each command as its own process ---------------------------------------

MEASURE = textwrap.dedent(
    """
    import json, resource, subprocess, sys, time
    # A runaway parse fails fast instead of taking the machine's memory with it.
    limit = 2 * 1024 ** 3
    def cap():
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    started = time.perf_counter()
    done = subprocess.run(sys.argv[1:], capture_output=True, text=True, preexec_fn=cap)
    print(json.dumps({
        "code": done.returncode, "out": done.stdout + done.stderr,
        "seconds": time.perf_counter() - started,
        "max_rss_kb": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss,
    }))
    """
)


def measured(root: Path, *args: str) -> dict[str, object]:
    """Run autokit in a process of its own; its peak memory is the only child's."""
    command = [sys.executable, "-c", MEASURE, sys.executable, "-m", "toolkit", *args]
    done = subprocess.run(command, cwd=root, capture_output=True, text=True, check=True)
    result: dict[str, object] = json.loads(done.stdout)
    return result


PER_AUTOMATION = [
    (command, name)
    for command in (("show", "{}", "--format", "json"), ("run", "{}", "--dry-run"), ("test", "{}"))
    for name in BOMBS
]
WHOLE_REPOSITORY = [
    ("validate",),
    ("list",),
    ("search", "does"),
    ("policy", "--base", "main"),
    ("schedule", "render", "--check"),
    ("catalog", "build", "--site-dir", "{site}"),
]


@pytest.mark.slow
@pytest.mark.parametrize(
    ("command", "name"),
    PER_AUTOMATION + [(command, None) for command in WHOLE_REPOSITORY],
    ids=lambda value: " ".join(value) if isinstance(value, tuple) else str(value),
)
def test_each_command_stays_small_and_quick(bombed_repo, tmp_path, command, name) -> None:
    args = [part.format(name, site=tmp_path / "site") for part in command]
    result = measured(bombed_repo, *args)
    output = str(result["out"])
    assert "Traceback" not in output and "MemoryError" not in output, output
    assert int(str(result["max_rss_kb"])) < 200 * 1024, result
    assert float(str(result["seconds"])) < 20, result  # a bomb that went off takes minutes
    if command[0] in {"list", "search", "catalog"}:
        assert result["code"] == 0, output  # invalid automations are left out, and named
        assert "invalid" in output
    else:
        assert result["code"] == 1, output
        assert_names_each_bomb(output, [name] if name else list(BOMBS))


def test_the_measuring_helper_sees_the_child_memory(tmp_path: Path) -> None:
    """The memory figure is the child's own: 300 MB allocated there shows as such."""
    script = tmp_path / "big.py"
    script.write_text("block = bytearray(300 * 1024 * 1024)\nblock[::4096] = bytes(76800)\n")
    command = [sys.executable, "-c", MEASURE, sys.executable, str(script)]
    done = subprocess.run(command, capture_output=True, text=True, check=True)
    assert json.loads(done.stdout)["max_rss_kb"] > 250 * 1024


def test_a_bomb_in_mkdocs_yml_stops_the_catalog_before_mkdocs_reads_it(make_repo, cli) -> None:
    root = make_repo({})
    site_files(root)
    text = (root / "mkdocs.yml").read_text()
    bombed_config = text + "extra:\n  laughs:\n" + "\n".join(alias_bomb_lines("    ")) + "\n"
    (root / "mkdocs.yml").write_text(bombed_config)
    result = cli("--repo", str(root), "catalog", "build", "--site-dir", str(root / "site"))
    assert result.code == 1, result
    assert "mkdocs.yml:" in result.err and "Traceback" not in result.err
    line = int(result.err.split("mkdocs.yml:")[1].split(":")[0])
    assert "*" in bombed_config.splitlines()[line - 1]
    assert not (root / "site").exists()
