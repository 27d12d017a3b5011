"""The templates gallery: `autokit new --template`, `--list-templates`, and every template
renders into an automation that is valid, lint-clean and whose tests pass at once."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from test_new import OPTIONS, answer_on_a_terminal, assert_nothing_created

PROJECT = Path(__file__).resolve().parent.parent
GALLERY = ["csv-report", "email-digest", "folder-tidy", "spreadsheet-update", "webhook-alert"]
TEMPLATES = sorted([*GALLERY, "python", "shell"])


@pytest.fixture
def repo(make_repo) -> Path:
    root = make_repo({})
    # The project's settings (ruff, pytest's warnings are errors) apply to generated files.
    shutil.copy(PROJECT / "pyproject.toml", root / "pyproject.toml")
    return root


def in_folder(root: Path, *command: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", *command], cwd=root, capture_output=True, text=True, check=False
    )


def test_list_templates_shows_each_with_its_one_line_description(repo, cli):
    result = cli("new", "--list-templates", "--repo", str(repo))
    assert result.code == 0, result
    lines = result.out.splitlines()
    assert [line.split()[0] for line in lines] == TEMPLATES
    for name in TEMPLATES:
        meta = yaml.safe_load((PROJECT / f"templates/automation/{name}/template.yaml").read_text())
        assert f"{name} " in result.out and meta["description"] in result.out


@pytest.mark.parametrize("template", GALLERY)
def test_each_template_renders_valid_clean_and_its_tests_pass(repo, cli, template):
    result = cli("new", "my-job", "--template", template, *OPTIONS, "--repo", str(repo))
    assert result.code == 0, result
    assert "template.yaml" not in result.out  # the description is not part of the automation
    validated = cli("validate", "--repo", str(repo))
    assert validated.code == 0, validated
    assert "1 automation(s) checked, 0 problem(s): all valid" in validated.err
    for command in (["check", "--no-fix"], ["format", "--check", "--diff"]):
        ruff = in_folder(repo, "ruff", *command, "automations/my-job")
        assert ruff.returncode == 0, (command, ruff.stdout + ruff.stderr)
    tests = in_folder(repo / "automations/my-job", "pytest", "-p", "no:cacheprovider", "tests")
    assert tests.returncode == 0, tests.stdout + tests.stderr
    assert " passed" in tests.stdout and "failed" not in tests.stdout


@pytest.mark.slow
@pytest.mark.parametrize("template", GALLERY)
def test_autokit_test_passes_on_each_rendered_template(repo, cli, template, monkeypatch):
    assert cli("new", "my-job", "--template", template, *OPTIONS, "--repo", str(repo)).code == 0
    monkeypatch.chdir(repo)
    outcome = cli("test", "my-job")
    assert outcome.code == 0, outcome


def test_the_sample_data_is_copied_as_it_is(repo, cli):
    assert cli("new", "tidy", "--template", "folder-tidy", *OPTIONS, "--repo", str(repo)).code == 0
    shipped = PROJECT / "templates/automation/folder-tidy"
    for relative in ("rules.csv", "sample/inbox/sales-march.csv"):
        assert (repo / "automations/tidy" / relative).read_bytes() == (
            shipped / relative
        ).read_bytes()
    assert not (repo / "automations/tidy/template.yaml").exists()


@pytest.mark.parametrize(
    ("typed", "suggested"), [("csv-reprot", "csv-report"), ("pyton", "python")]
)
def test_an_unknown_template_suggests_the_closest_and_the_list_command(repo, cli, typed, suggested):
    result = cli("new", "my-job", "--template", typed, *OPTIONS, "--repo", str(repo))
    assert result.code == 1, result
    assert f"there is no template '{typed}'" in result.err
    assert f"did you mean '{suggested}'?" in result.err
    assert "autokit new --list-templates" in result.err
    assert "Traceback" not in result.err
    assert_nothing_created(repo)


def test_an_unknown_template_is_named_before_missing_options(repo, cli):
    result = cli("new", "my-job", "--template", "zzz", "--repo", str(repo))
    assert result.code == 1
    assert "there is no template 'zzz'" in result.err and "did you mean" not in result.err


def test_template_and_runtime_together_are_a_usage_error(repo, cli):
    result = cli("new", "x", "--template", "csv-report", "--runtime", "shell", "--repo", str(repo))
    assert result.code == 2, result
    assert "not allowed with argument" in result.err


def test_on_a_terminal_the_template_is_asked_first_with_descriptions(repo):
    answers = "csv-reprot\ncsv-report\nsales-summary\n\nSums sales.\n@alice\nsales\n"
    code, output = answer_on_a_terminal(repo, answers)
    assert code == 0, output
    assert output.index("Template (one of the above) [python]: ") < output.index("Name (")
    assert "  csv-report          Reads a CSV export" in output
    assert "did you mean 'csv-report'?" in output
    metadata = yaml.safe_load((repo / "automations/sales-summary/automation.yaml").read_text())
    assert metadata["requirements"] == ["openpyxl==3.1.5"]
    assert metadata["department"] == "sales"


def test_a_repositorys_own_template_joins_the_gallery(repo, cli):
    own = repo / "templates/automation/our-report"
    shutil.copytree(PROJECT / "templates/automation/csv-report", own)
    (own / "template.yaml").write_text("description: Our monthly report\n")
    listed = cli("new", "--list-templates", "--repo", str(repo))
    assert "our-report          Our monthly report" in listed.out
    assert (
        cli("new", "monthly", "--template", "our-report", *OPTIONS, "--repo", str(repo)).code == 0
    )


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("description: [1, 2]\n", "template.yaml:1: description: must be one line of text"),
        ("title: x\n", "template.yaml:1: description: must be one line of text"),
        ("description: a: b\n", "template.yaml:1: not valid YAML"),
        ("title: x\ndescription: " + "x" * 101 + "\n", "template.yaml:2: description: is 101"),
    ],
)
def test_a_bad_template_description_is_named_with_its_line(repo, cli, text, message):
    own = repo / "templates/automation/ours"
    shutil.copytree(PROJECT / "templates/automation/python", own)
    (own / "template.yaml").write_text(text)
    result = cli("new", "--list-templates", "--repo", str(repo))
    assert result.code == 1, result
    assert f"templates/automation/ours/{message}" in result.err


def test_a_template_without_a_description_still_works(repo, cli):
    own = repo / "templates/automation/python"  # as in a repository made before the gallery
    shutil.copytree(PROJECT / "templates/automation/python", own)
    (own / "template.yaml").unlink()
    listed = cli("new", "--list-templates", "--repo", str(repo))
    assert "python              (no description: add one to its template.yaml)" in listed.out
    assert cli("new", "greeter", "--runtime", "python", *OPTIONS, "--repo", str(repo)).code == 0


def test_a_mistake_in_a_template_file_is_named_with_its_line(repo, cli):
    own = repo / "templates/automation/broken"
    shutil.copytree(PROJECT / "templates/automation/python", own)
    (own / "main.py.j2").write_text('"""x"""\n\n{% for x in y %}\n')
    result = cli("new", "my-job", "--template", "broken", *OPTIONS, "--repo", str(repo))
    assert result.code == 1, result
    assert "templates/automation/broken/main.py.j2:3: Unexpected end of template" in result.err
    assert "{% raw %}" in result.err
    assert_nothing_created(repo)


def test_a_template_without_metadata_is_refused(repo, cli):
    own = repo / "templates/automation/empty"
    own.mkdir(parents=True)
    (own / "template.yaml").write_text("description: Nothing here\n")
    result = cli("new", "my-job", "--template", "empty", *OPTIONS, "--repo", str(repo))
    assert result.code == 1, result
    assert "the template 'empty' has no automation.yaml.j2" in result.err
    assert_nothing_created(repo)


def test_every_shipped_template_has_a_version_and_new_records_it(repo, cli):
    for name in TEMPLATES:
        meta = yaml.safe_load((PROJECT / f"templates/automation/{name}/template.yaml").read_text())
        assert meta["version"] == 1, name
    assert cli("new", "my-job", "--template", "csv-report", *OPTIONS, "--repo", str(repo)).code == 0
    metadata = yaml.safe_load((repo / "automations/my-job/automation.yaml").read_text())
    assert metadata["template"] == {
        "name": "csv-report",
        "version": 1,
        "answers": {
            "title": "Invoice reminders",
            "summary": "Emails customers about unpaid invoices.",
            "owner": "@shop/finance",
            "department": "finance",
        },
    }


@pytest.mark.parametrize(
    ("text", "line", "shown"),
    [
        ("description: Ours\nversion: 0\n", 2, "0"),
        ("description: Ours\nversion: two\n", 2, "'two'"),
        ("version: 1.5\ndescription: Ours\n", 1, "1.5"),
        ("description: Ours\nversion: true\n", 2, "True"),
    ],
)
def test_a_bad_template_version_is_named_with_its_line(repo, cli, text, line, shown):
    own = repo / "templates/automation/ours"
    shutil.copytree(PROJECT / "templates/automation/python", own)
    (own / "template.yaml").write_text(text)
    result = cli("new", "--list-templates", "--repo", str(repo))
    assert result.code == 1, result
    expected = f"templates/automation/ours/template.yaml:{line}: version: must be a positive"
    assert expected in result.err and f"not {shown}" in result.err
    assert "version: 1" in result.err  # the hint shows how


def test_a_template_without_a_version_makes_automations_without_a_record(repo, cli):
    own = repo / "templates/automation/ours"
    shutil.copytree(PROJECT / "templates/automation/python", own)
    (own / "template.yaml").write_text("description: Ours, not versioned\n")
    assert cli("new", "my-job", "--template", "ours", *OPTIONS, "--repo", str(repo)).code == 0
    metadata = yaml.safe_load((repo / "automations/my-job/automation.yaml").read_text())
    assert "template" not in metadata
