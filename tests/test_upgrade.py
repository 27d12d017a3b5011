"""`autokit upgrade`: a template's later versions merged into the automations made from it,
on real Git repositories, with real `git merge-file`."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from helpers import automation_files, commit_all, git

PROJECT = Path(__file__).resolve().parent.parent
TEMPLATE = "templates/automation/csv-report"
# The template's v2: a changed line in main.py, a section added to the README, a new file.
OLD_LINE = (
    '    """A problem with the input; `autokit run` shows the message without a traceback."""'
)
NEW_LINE = '    """A problem with the input: `autokit run` shows its message, no traceback."""'
SECTION = "\n## Upgrading\n\n`autokit upgrade {{ name }}` brings in this template's improvements.\n"
ADDED = "# {{ title }}\n\nMade from csv-report; owned by {{ owner }}.\n"
# A person's edits: one far from the template's change, one on the very line it changes.
PARAGRAPH = "Replace this paragraph with what your report is for, and change `summarise` in main.py"
OWN_PARAGRAPH = "Totals of the monthly sales export, per region, for the finance meeting; see"
OWN_DOCSTRING = '    """A cell as a number (our exports write 1 234,50 too); empty is 0."""'
CLASHING_LINE = '    """Bad input: shown to the person running it, without a traceback."""'


def answers(name: str) -> list[str]:
    return [
        "--title",
        f"Report {name}",
        "--summary",
        f'Sums the "{name}" export: per region.',
        "--owner",
        "@shop/finance",
        "--department",
        "finance",
    ]


@pytest.fixture
def repo(make_repo) -> Path:
    root = make_repo({})
    shutil.copytree(PROJECT / TEMPLATE, root / TEMPLATE)
    commit_all(root, "the csv-report template, v1")
    return root


def new(cli, root: Path, *names: str) -> None:
    for name in names:
        result = cli("new", name, "--template", "csv-report", *answers(name), "--repo", str(root))
        assert result.code == 0, result
    commit_all(root, "automations made from csv-report v1")


def edit(path: Path, old: str, new_text: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, (path, old)
    path.write_text(text.replace(old, new_text, 1), encoding="utf-8")


def template_v2(root: Path) -> None:
    folder = root / TEMPLATE
    edit(folder / "template.yaml", "version: 1", "version: 2")
    edit(folder / "main.py.j2", OLD_LINE, NEW_LINE)
    with (folder / "README.md.j2").open("a", encoding="utf-8") as file:
        file.write(SECTION)
    (folder / "UPGRADING.md.j2").write_text(ADDED, encoding="utf-8")
    commit_all(root, "csv-report v2")


def read(root: Path, name: str, path: str) -> str:
    return (root / "automations" / name / path).read_text(encoding="utf-8")


def recorded(root: Path, name: str) -> int:
    data = yaml.safe_load(read(root, name, "automation.yaml"))
    version: int = data["template"]["version"]
    return version


def committed(root: Path, name: str, path: str) -> str:
    return git(root, "show", f"HEAD:automations/{name}/{path}")


def changed_paths(root: Path) -> list[str]:
    status = git(root, "status", "--porcelain", "--untracked-files=all")
    return sorted(line[3:] for line in status.splitlines())


# The headline: several automations, edits that do and do not overlap, one run of --all.


def test_upgrade_all_merges_every_file_and_moves_only_the_clean_records(repo, cli):
    new(cli, repo, "plain", "own-words", "clash")
    edit(repo / "automations/own-words/README.md", PARAGRAPH, OWN_PARAGRAPH)
    edit(repo / "automations/own-words/main.py", _to_number_docstring(), OWN_DOCSTRING)
    edit(repo / "automations/clash/main.py", OLD_LINE, CLASHING_LINE)
    commit_all(repo, "local edits")
    before = {name: {p: committed(repo, name, p) for p in FILES} for name in NAMES}
    template_v2(repo)

    result = cli("upgrade", "--all", "--repo", str(repo))

    assert result.code == 1, result
    for name in ("plain", "own-words"):
        old = before[name]
        assert read(repo, name, "main.py") == old["main.py"].replace(OLD_LINE, NEW_LINE)
        assert read(repo, name, "README.md") == old["README.md"] + SECTION.replace(
            "{{ name }}", name
        )
        assert read(repo, name, "UPGRADING.md") == (
            f"# Report {name}\n\nMade from csv-report; owned by @shop/finance.\n"
        )
        assert read(repo, name, "automation.yaml") == old["automation.yaml"].replace(
            "  name: csv-report\n  version: 1\n", "  name: csv-report\n  version: 2\n"
        )
        assert recorded(repo, name) == 2
        for path in ("CHANGELOG.md", "tests/test_main.py", "sample/sales.csv"):
            assert read(repo, name, path) == old[path], path
    assert OWN_PARAGRAPH in read(repo, "own-words", "README.md")
    assert OWN_DOCSTRING in read(repo, "own-words", "main.py")

    clash = read(repo, "clash", "main.py")
    markers = f"<<<<<<< yours\n{CLASHING_LINE}\n=======\n{NEW_LINE}\n>>>>>>> template v2\n"
    assert clash == before["clash"]["main.py"].replace(CLASHING_LINE + "\n", markers)
    line = clash.splitlines().index("<<<<<<< yours") + 1
    assert read(repo, "clash", "README.md") == before["clash"]["README.md"] + SECTION.replace(
        "{{ name }}", "clash"
    )
    assert read(repo, "clash", "UPGRADING.md").startswith("# Report clash\n")
    assert read(repo, "clash", "automation.yaml") == before["clash"]["automation.yaml"]
    assert recorded(repo, "clash") == 1

    assert "upgraded plain: csv-report v1 -> v2; the record now says v2" in result.out
    assert "upgraded own-words: csv-report v1 -> v2" in result.out
    assert "conflicts in clash: csv-report v1 -> v2; the record stays at v1" in result.out
    assert f"conflict      main.py:{line}" in result.out
    assert "autokit upgrade clash --resolved" in result.out
    assert "Traceback" not in result.out + result.err


NAMES = ("plain", "own-words", "clash")
FILES = (
    "automation.yaml",
    "main.py",
    "README.md",
    "CHANGELOG.md",
    "tests/test_main.py",
    "sample/sales.csv",
)


def _to_number_docstring() -> str:
    return '    """A cell as a number: 1234.50 and the European 1234,50 both work; empty is 0."""'


def test_a_conflict_touches_nothing_else(repo, cli):
    new(cli, repo, "plain", "clash")
    edit(repo / "automations/clash/main.py", OLD_LINE, CLASHING_LINE)
    commit_all(repo, "local edit")
    template_v2(repo)
    result = cli("upgrade", "clash", "--repo", str(repo))
    assert result.code == 1, result
    assert changed_paths(repo) == [
        "automations/clash/README.md",
        "automations/clash/UPGRADING.md",
        "automations/clash/main.py",
    ]
    assert recorded(repo, "clash") == 1 and recorded(repo, "plain") == 1
    assert "<<<<<<< yours" in read(repo, "clash", "main.py")


def test_resolved_refuses_while_markers_remain_then_moves_the_record_on(repo, cli):
    new(cli, repo, "clash")
    edit(repo / "automations/clash/main.py", OLD_LINE, CLASHING_LINE)
    commit_all(repo, "local edit")
    template_v2(repo)
    assert cli("upgrade", "clash", "--repo", str(repo)).code == 1
    lines = read(repo, "clash", "main.py").splitlines()
    start, end = lines.index("<<<<<<< yours") + 1, lines.index(">>>>>>> template v2") + 1

    refused = cli("upgrade", "clash", "--resolved", "--repo", str(repo))
    assert refused.code == 1, refused
    assert f"automations/clash/main.py:{start}" in refused.err
    assert f"automations/clash/main.py:{end}" in refused.err
    assert recorded(repo, "clash") == 1

    kept = "\n".join([*lines[: start - 1], NEW_LINE, *lines[end:]]) + "\n"
    (repo / "automations/clash/main.py").write_text(kept, encoding="utf-8")
    done = cli("upgrade", "clash", "--resolved", "--repo", str(repo))
    assert done.code == 0, done
    assert recorded(repo, "clash") == 2
    assert "now records v2" in done.out
    assert cli("upgrade", "--check", "--repo", str(repo)).out.endswith(
        "0 automation(s) behind their template, 1 up to date\n"
    )


# What happens to whole files.


def test_deleted_added_and_dropped_files(repo, cli):
    new(cli, repo, "tidy", "kept")
    (repo / "automations/tidy/README.md").unlink()  # the person deleted it
    edit(repo / "automations/kept/CHANGELOG.md", "- First version", "- Our first version")
    (repo / "automations/kept/UPGRADING.md").write_text("our own notes\n", encoding="utf-8")
    commit_all(repo, "local edits")
    template_v2(repo)
    (repo / TEMPLATE / "CHANGELOG.md.j2").unlink()  # the template drops it
    commit_all(repo, "csv-report drops its changelog")

    result = cli("upgrade", "--all", "--repo", str(repo))
    assert result.code == 1, result  # kept's UPGRADING.md differs from the template's
    assert not (repo / "automations/tidy/README.md").exists()
    assert "kept deleted  README.md" in result.out
    assert not (repo / "automations/tidy/CHANGELOG.md").exists()  # unchanged: removed
    assert "removed       CHANGELOG.md" in result.out
    assert "Our first version" in read(repo, "kept", "CHANGELOG.md")  # changed: kept
    assert "the template dropped it; you changed it" in result.out
    upgrading = read(repo, "kept", "UPGRADING.md")
    assert upgrading.startswith("<<<<<<< yours\nour own notes\n=======\n# Report kept\n")
    assert recorded(repo, "tidy") == 2 and recorded(repo, "kept") == 1


def test_nothing_to_do_when_up_to_date(repo, cli):
    new(cli, repo, "plain")
    result = cli("upgrade", "--all", "--repo", str(repo))
    assert result.code == 0, result
    assert "0 automation(s) upgraded, 1 already up to date" in result.out
    assert changed_paths(repo) == []


# --check: behind or not, rendering nothing, exit 0.


def test_check_lists_the_automations_behind_and_exits_0(repo, cli):
    new(cli, repo, "invoice-x", "invoice-y")
    template_v2(repo)
    (repo / "automations/invoice-y/automation.yaml").write_text(
        read(repo, "invoice-y", "automation.yaml").replace("  version: 1\n", "  version: 2\n")
    )
    commit_all(repo, "invoice-y is up to date")
    result = cli("upgrade", "--check", "--repo", str(repo))
    assert result.code == 0, result
    assert result.out.splitlines() == [
        "invoice-x: made from csv-report v1, current v2: run `autokit upgrade invoice-x`",
        "1 automation(s) behind their template, 1 up to date",
    ]
    line = read(repo, "invoice-x", "automation.yaml").splitlines().index("  version: 1") + 1
    github = cli("upgrade", "--check", "--all", "--format", "github", "--repo", str(repo))
    assert github.code == 0
    assert github.out.startswith(
        f"::notice file=automations/invoice-x/automation.yaml,line={line},"
    )
    assert github.out.count("::notice ") == 1 and "::error" not in github.out
    data = json.loads(cli("upgrade", "--check", "--format", "json", "--repo", str(repo)).out)
    assert data["behind"] == [
        {"name": "invoice-x", "template": "csv-report", "version": 1, "current": 2}
    ]
    assert changed_paths(repo) == []


def test_check_runs_as_a_real_command(repo, cli):
    new(cli, repo, "invoice-x")
    template_v2(repo)
    result = subprocess.run(
        [sys.executable, "-m", "toolkit", "upgrade", "--check", "--repo", str(repo)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "invoice-x: made from csv-report v1, current v2" in result.stdout
    help_text = subprocess.run(
        [sys.executable, "-m", "toolkit", "--help"], capture_output=True, text=True, check=False
    )
    assert "upgrade" in help_text.stdout


# Bad input: each refused with a clear message, nothing written.


def test_uncommitted_changes_are_refused_and_named(repo, cli):
    new(cli, repo, "plain")
    template_v2(repo)
    (repo / "automations/plain/README.md").write_text("mine, not committed\n")
    (repo / "automations/plain/notes.txt").write_text("new\n")
    result = cli("upgrade", "plain", "--repo", str(repo))
    assert result.code == 1, result
    assert "plain: uncommitted changes in automations/plain/" in result.err
    assert "automations/plain/README.md" in result.err
    assert "automations/plain/notes.txt" in result.err
    assert "commit or stash them first" in result.err
    assert read(repo, "plain", "main.py") == committed(repo, "plain", "main.py")
    assert recorded(repo, "plain") == 1


def test_an_unknown_automation_suggests_the_closest(repo, cli):
    new(cli, repo, "invoice-x")
    result = cli("upgrade", "invoice-z", "--repo", str(repo))
    assert result.code == 1, result
    assert "no automation named 'invoice-z'" in result.err
    assert "did you mean 'invoice-x'?" in result.err


def test_an_automation_without_a_record_is_told_how_to_adopt_a_baseline(make_repo, cli):
    root = make_repo(automation_files("greeter"))
    shutil.copytree(PROJECT / TEMPLATE, root / TEMPLATE)
    commit_all(root, "template")
    before = committed(root, "greeter", "automation.yaml")
    result = cli("upgrade", "greeter", "--repo", str(root))
    assert result.code == 1, result
    assert "greeter has no `template:` record" in result.err
    assert "autokit upgrade greeter --baseline TEMPLATE@VERSION" in result.err

    adopted = cli("upgrade", "greeter", "--baseline", "csv-report@1", "--repo", str(root))
    assert adopted.code == 0, adopted
    assert changed_paths(root) == ["automations/greeter/automation.yaml"]
    text = read(root, "greeter", "automation.yaml")
    assert text.startswith(before)  # the rest of the file as it was
    assert yaml.safe_load(text)["template"] == {
        "name": "csv-report",
        "version": 1,
        "answers": {
            "title": "Greeter",
            "summary": "Does the greeter job.",
            "owner": "@alice",
            "department": "operations",
        },
    }
    assert cli("validate", "--repo", str(root)).code == 0
    again = cli("upgrade", "greeter", "--baseline", "csv-report@1", "--repo", str(root))
    assert again.code == 0 and read(root, "greeter", "automation.yaml") == text  # replaced


def test_a_baseline_names_a_template_and_a_version_that_exist(repo, cli):
    new(cli, repo, "plain")
    typo = cli("upgrade", "plain", "--baseline", "csv-reprot@1", "--repo", str(repo))
    assert typo.code == 1 and "did you mean 'csv-report'?" in typo.err
    missing = cli("upgrade", "plain", "--baseline", "csv-report@7", "--repo", str(repo))
    assert missing.code == 1 and "csv-report has no version 7" in missing.err
    bad = cli("upgrade", "plain", "--baseline", "csv-report", "--repo", str(repo))
    assert bad.code == 1 and "not TEMPLATE@VERSION" in bad.err
    assert changed_paths(repo) == []


def test_a_recorded_version_missing_from_history_says_how_to_adopt_a_baseline(make_repo, cli):
    root = make_repo({})
    shutil.copytree(PROJECT / TEMPLATE, root / TEMPLATE)
    edit(root / TEMPLATE / "template.yaml", "version: 1", "version: 2")  # v1 never committed
    commit_all(root, "csv-report, first committed at v2")
    new(cli, root, "plain")
    path = root / "automations/plain/automation.yaml"
    edit(path, "  version: 2\n", "  version: 1\n")
    commit_all(root, "a record of a version Git never had")
    result = cli("upgrade", "plain", "--repo", str(root))
    assert result.code == 1, result
    assert "template: version: csv-report@1 cannot be read from Git" in result.err
    assert "versions found: v2" in result.err
    assert "autokit upgrade plain --baseline csv-report@VERSION" in result.err
    assert changed_paths(root) == []


def test_an_unknown_template_in_the_record_suggests_the_closest(repo, cli):
    new(cli, repo, "plain")
    edit(repo / "automations/plain/automation.yaml", "name: csv-report", "name: csv-reprt")
    commit_all(repo, "a misspelt record")
    result = cli("upgrade", "plain", "--repo", str(repo))
    assert result.code == 1, result
    assert "template: name: there is no template 'csv-reprt'" in result.err
    assert "did you mean 'csv-report'?" in result.err


def test_a_record_whose_template_was_deleted(repo, cli):
    new(cli, repo, "plain")
    own = repo / "templates/automation/our-report"
    shutil.copytree(repo / TEMPLATE, own)
    commit_all(repo, "our own template")
    edit(repo / "automations/plain/automation.yaml", "name: csv-report", "name: our-report")
    commit_all(repo, "made from ours")
    shutil.rmtree(own)
    commit_all(repo, "our template is gone")
    result = cli("upgrade", "plain", "--repo", str(repo))
    assert result.code == 1, result
    assert "made from the template 'our-report', which was deleted" in result.err
    assert "remove its `template:` record" in result.err
    check = cli("upgrade", "--check", "--repo", str(repo))
    assert check.code == 0 and "warning:" in check.out and "was deleted" in check.out


def test_several_problems_are_listed_together_and_nothing_is_written(repo, cli):
    new(cli, repo, "plain", "dirty")
    edit(repo / "automations/plain/automation.yaml", "name: csv-report", "name: csv-reprt")
    commit_all(repo, "a misspelt record")
    template_v2(repo)
    (repo / "automations/dirty/README.md").write_text("uncommitted\n")
    result = cli("upgrade", "--all", "--repo", str(repo))
    assert result.code == 1, result
    assert "2 automations cannot be upgraded (nothing was changed)" in result.err
    assert "csv-reprt" in result.err and "dirty: uncommitted changes" in result.err
    assert changed_paths(repo) == ["automations/dirty/README.md"]


def test_usage_errors_exit_2(repo, cli):
    assert cli("upgrade", "--repo", str(repo)).code == 2
    assert cli("upgrade", "a", "--all", "--repo", str(repo)).code == 2
    assert cli("upgrade", "--resolved", "--repo", str(repo)).code == 2
    assert cli("upgrade", "--check", "--resolved", "x", "--repo", str(repo)).code == 2


# The catalog says which template an automation was made from.


@pytest.mark.slow
def test_the_catalog_page_names_the_template_and_its_current_version(repo, cli):
    from catalog_repo import site_files

    new(cli, repo, "behind", "current")
    template_v2(repo)
    edit(repo / "automations/current/automation.yaml", "  version: 1\n", "  version: 2\n")
    site_files(repo)
    commit_all(repo, "current is up to date; the site")
    site = repo.parent / "site"
    result = cli("--repo", str(repo), "catalog", "build", "--site-dir", str(site))
    assert result.code == 0, result

    def facts(name: str) -> str:
        html = (site / "automations" / name / "index.html").read_text(encoding="utf-8")
        return html[html.index('<table class="ak-facts">') :].split("</table>")[0]

    assert (
        "<tr><th>Template</th><td>made from template csv-report v1 (current v2)</td></tr>"
        in facts("behind")
    )
    assert "<td>made from template csv-report v2 (current)</td>" in facts("current")


def test_resolved_without_an_upgrade_waiting_is_refused(repo, cli):
    new(cli, repo, "plain")
    template_v2(repo)
    result = cli("upgrade", "plain", "--resolved", "--repo", str(repo))
    assert result.code == 1, result
    assert "no upgrade is waiting to be resolved" in result.err
    assert "run `autokit upgrade plain` first" in result.err
    assert recorded(repo, "plain") == 1


def test_check_warns_of_a_record_it_cannot_judge_in_every_format(repo, cli):
    new(cli, repo, "plain")
    edit(repo / "automations/plain/automation.yaml", "name: csv-report", "name: csv-reprt")
    commit_all(repo, "a misspelt record")
    github = cli("upgrade", "--check", "--format", "github", "--repo", str(repo))
    assert github.code == 0, github
    assert github.out.startswith("::warning file=automations/plain/automation.yaml,")
    assert "there is no template 'csv-reprt'" in github.out
    data = json.loads(cli("upgrade", "--check", "--format", "json", "--repo", str(repo)).out)
    assert data["behind"] == [] and data["problems"][0]["name"] == "plain"


def test_the_base_is_the_newest_commit_of_the_version_on_the_first_parent_history(repo, cli):
    # v1 was fixed once without a version bump; the automation was made after the fix.
    edit(repo / TEMPLATE / "main.py.j2", OLD_LINE, CLASHING_LINE)
    commit_all(repo, "csv-report v1, fixed")
    new(cli, repo, "late")
    edit(repo / "automations/late/main.py", CLASHING_LINE, OWN_DOCSTRING)
    commit_all(repo, "local edit of the fixed line")
    # v2 arrives through a merge commit from a side branch.
    git(repo, "switch", "-q", "-c", "template-v2")
    edit(repo / TEMPLATE / "template.yaml", "version: 1", "version: 2")
    (repo / TEMPLATE / "UPGRADING.md.j2").write_text(ADDED, encoding="utf-8")
    commit_all(repo, "csv-report v2")
    git(repo, "switch", "-q", "main")
    git(repo, "merge", "-q", "--no-ff", "-m", "merge csv-report v2", "template-v2")
    result = cli("upgrade", "late", "--repo", str(repo))
    assert result.code == 0, result  # against the older v1 the edited line would conflict
    assert OWN_DOCSTRING in read(repo, "late", "main.py")
    assert changed_paths(repo) == [
        "automations/late/UPGRADING.md",
        "automations/late/automation.yaml",
    ]
    assert recorded(repo, "late") == 2


def test_upgrade_reports_as_json_and_as_annotations(repo, cli):
    new(cli, repo, "plain", "clash")
    edit(repo / "automations/clash/main.py", OLD_LINE, CLASHING_LINE)
    commit_all(repo, "local edit")
    template_v2(repo)
    result = cli("upgrade", "plain", "--format", "json", "--repo", str(repo))
    assert result.code == 0, result
    (upgraded,) = json.loads(result.out)["upgraded"]
    assert (upgraded["name"], upgraded["from"], upgraded["to"], upgraded["clean"]) == (
        "plain",
        1,
        2,
        True,
    )
    assert {f["path"]: f["action"] for f in upgraded["files"]} == {
        "README.md": "merged",
        "UPGRADING.md": "added",
        "automation.yaml": "merged",
        "main.py": "merged",
    }
    github = cli("upgrade", "clash", "--format", "github", "--repo", str(repo))
    assert github.code == 1, github
    line = read(repo, "clash", "main.py").splitlines().index("<<<<<<< yours") + 1
    assert f"::warning file=automations/clash/main.py,line={line}," in github.out
    assert "::notice file=automations/clash/README.md," in github.out
